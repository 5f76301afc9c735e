#ifndef SVHN_OUTPUT_PATH_H
#define SVHN_OUTPUT_PATH_H

#include <stddef.h>

#include "svhn/error.h"

#ifdef __cplusplus
extern "C" {
#endif

// Checks that `path` can receive an output file that is written to a
// temporary file in the same folder and renamed over `path`: the folder
// exists, and `path` is either absent or a regular file. A rename would
// replace a symbolic link, a device or a folder instead of writing through
// it, so those are rejected. Returns 0, or -1 with a message naming the
// path. `what` names the file in the message, such as "--log file".
int output_path_check(const char *path, const char *what, Error *error);

// Runs output_path_check, then creates and removes the temporary file the
// output will use, which is the only sure test that the folder takes new
// files. For checks at start-up, so a bad folder fails before any work.
int output_path_check_creatable(const char *path, const char *what, Error *error);

// Creates an empty temporary file next to `path`, named path.tmp.XXXXXX, for
// an output that is renamed over `path` once complete. Unlike a bare
// mkstemp, which creates the file readable by its owner only, the file gets
// the permissions a new file gets from the process's umask. Writes the name
// to temp_path (temp_size bytes) and returns an open descriptor. Returns -1
// with a message naming `path` and, through `what`, the output.
int output_path_create_temp(const char *path, const char *what, char *temp_path,
                            size_t temp_size, Error *error);

// Returns 1 when the two paths name the same file: the same existing file
// (also through links), or the same name in the same folder once the
// folders' links and ".." are resolved. Returns 0 otherwise.
int output_paths_same(const char *a, const char *b);

#ifdef __cplusplus
}
#endif

#endif
