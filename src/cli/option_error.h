// The message for a command-line option that getopt_long rejected.

#ifndef SVHN_CLI_OPTION_ERROR_H
#define SVHN_CLI_OPTION_ERROR_H

#include "svhn/error.h"

// Sets error to say why getopt_long returned '?' for `argument` (the
// argv element it was reading, argv[optind - 1]): an unknown option, a
// missing value, or a value given to an option that takes none. Reads
// getopt's optopt, so call it right after getopt_long.
void option_error_describe(Error *error, const char *argument);

#endif
