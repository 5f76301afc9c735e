#ifndef SVHN_CHECKPOINT_FILE_H
#define SVHN_CHECKPOINT_FILE_H

// A checkpoint file read into memory, with its tensor table, and the
// checked accessors that checkpoint_load builds on.

#include "checkpoint_format.h"

typedef struct {
    const char *path;
    unsigned char *bytes;  // the whole file
    size_t size;
    CheckpointTensor tensors[CHECKPOINT_MAX_TENSORS];  // data points into bytes
    int count;
} CheckpointFile;

// Reads file->path into file->bytes. Returns 0, or -1 with a message.
int checkpoint_file_read(CheckpointFile *file, Error *error);

// Checks magic, version, byte order, size and CRC-32, then parses the table
// and checks that every tensor's data lies inside the file. Returns 0 or -1.
int checkpoint_file_parse(CheckpointFile *file, Error *error);

// Finds a tensor by name and checks its type, rank and, when dims is not
// NULL, its dimensions. Returns it, or NULL with a message.
const CheckpointTensor *checkpoint_find_tensor(const CheckpointFile *file, const char *name,
                                               TensorType type, int rank,
                                               const uint64_t *dims, Error *error);

// Copies a tensor's little-endian elements to dst in host order.
void checkpoint_copy_tensor(void *dst, const CheckpointTensor *tensor);

// Copies a rank-0 tensor into *value (host order). Returns 0 or -1.
int checkpoint_read_scalar(const CheckpointFile *file, const char *name, TensorType type,
                           void *value, Error *error);

// Copies a text tensor into text, NUL-terminated. Returns 0 or -1.
int checkpoint_read_text(const CheckpointFile *file, const char *name, char *text,
                         size_t text_size, Error *error);

// Allocates *out and copies the tensor into it (host order). Returns 0 or -1.
int checkpoint_read_array(const CheckpointFile *file, const char *name, TensorType type,
                          int rank, const uint64_t *dims, void **out, Error *error);

#endif
