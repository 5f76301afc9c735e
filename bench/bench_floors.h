// Floors file of `layer_bench --check`: one line per product,
// "NAME MIN_VS_REFERENCE MIN_VS_ONEDNN", where each floor is a number above
// 0 or "-" for not checked. '#' starts a comment, and blank lines are
// skipped.

#ifndef SVHN_BENCH_FLOORS_H
#define SVHN_BENCH_FLOORS_H

typedef struct {
    double min_vs_reference;   // NAN: not checked
    double min_vs_onednn;      // NAN: not checked
    int line;                  // line number in the floors file
} BenchFloor;

// Reads the floors of the `count` products names[i] into floors[i]. Every
// product needs exactly one line. Returns 0, or -1 after printing the first
// problem to stderr with the file, line number and text. The problems are a
// file that cannot be read, a line that does not parse, an unknown or
// repeated name, and a product without a line. path_is_default adds a hint
// to pass --floors when the file cannot be opened.
int bench_floors_read(const char *path, int path_is_default, const char *const *names,
                      int count, BenchFloor *floors);

#endif
