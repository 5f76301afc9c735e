#ifndef SVHN_DATA_MAT5_LAYOUT_H
#define SVHN_DATA_MAT5_LAYOUT_H

#include "svhn/error.h"

// Largest miMATRIX element accepted after decompression: 2^31 - 1 bytes,
// the most that matio's int element counts can address. The full SVHN
// train set's X is 225 MB.
#define MAT5_MAX_ELEMENT_BYTES 2147483647u

// Checks the container layout of a MATLAB 5 MAT file before matio reads it.
// The 128-byte header must have version 0x0100 and an endian mark, and every
// top-level element must fit in the file. Every compressed element must be
// an intact zlib stream of one element of at most MAT5_MAX_ELEMENT_BYTES.
// Every variable must be a numeric or char array whose dims declare no more
// elements than its element has bytes. matio 1.5.23 reads a truncated last
// variable without reporting an error, and allocates whatever the dims
// declare, so a cut download or a corrupt header would otherwise load
// garbage or request gigabytes. Returns 0, or -1 with a message naming the
// file and, when it can be read, the variable.
int mat5_check_layout(const char *path, Error *error);

#endif
