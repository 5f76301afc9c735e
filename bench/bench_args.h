// Strict parsing of the benchmark programs' numeric options.

#ifndef SVHN_BENCH_ARGS_H
#define SVHN_BENCH_ARGS_H

// Parses `text` as a whole decimal integer from min to max: digits only,
// with no sign, no white space and nothing after them, so "+3", " 3" and
// "3 " are rejected, which strtol alone would partly accept. Returns 0 with
// *value set, or -1 (the caller prints the message, naming its option).
int bench_parse_int(const char *text, long min, long max, long *value);

#endif
