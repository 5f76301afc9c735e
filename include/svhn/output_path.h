#ifndef SVHN_OUTPUT_PATH_H
#define SVHN_OUTPUT_PATH_H

#include "svhn/error.h"

#ifdef __cplusplus
extern "C" {
#endif

// Checks that `path` can receive an output file that is written to a
// temporary file in the same folder and renamed over `path`: the folder
// exists and is writable, and `path` is either absent or a regular file.
// A rename would replace a symbolic link, a device or a folder instead of
// writing through it, so those are rejected. Returns 0, or -1 with a
// message naming the path. `what` names the file in the message, such as
// "--log file".
int output_path_check(const char *path, const char *what, Error *error);

#ifdef __cplusplus
}
#endif

#endif
