#ifndef SVHN_DATA_MAT5_LAYOUT_H
#define SVHN_DATA_MAT5_LAYOUT_H

#include "svhn/error.h"

// Checks the container layout of a MATLAB 5 MAT file before matio reads it:
// the 128-byte header (version 0x0100, endian mark) and that every top-level
// element fits in the file. matio 1.5.23 reads a truncated last variable
// without reporting an error, so a cut download would otherwise load with
// garbage pixels. Returns 0, or -1 with a message naming the file and, when
// it can be read, the variable.
int mat5_check_layout(const char *path, Error *error);

#endif
