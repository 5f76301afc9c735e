#ifndef SVHN_CHECKPOINT_FORMAT_H
#define SVHN_CHECKPOINT_FORMAT_H

// Layout constants and the tensor table entry of the checkpoint format
// (docs/checkpoint-format.md), shared by the writer and the reader.

#include <stddef.h>
#include <stdint.h>

#include "svhn/checkpoint.h"

// magic (8) + version (4) + byte-order mark (4) + tensor count (4) +
// reserved (4) + file size (8).
#define CHECKPOINT_HEADER_SIZE 32
// Written as a little-endian u32, so the file starts 04 03 02 01 there.
#define CHECKPOINT_BYTE_ORDER_MARK 0x01020304u
#define CHECKPOINT_CRC_SIZE 4
#define CHECKPOINT_MAX_RANK 4
#define CHECKPOINT_MAX_NAME 64
#define CHECKPOINT_MAX_TENSORS 64
// Data blocks start at multiples of this, so a reader may map them in place.
#define CHECKPOINT_DATA_ALIGNMENT 8

typedef enum {
    TENSOR_F32 = 1,
    TENSOR_F64 = 2,
    TENSOR_I32 = 3,
    TENSOR_I64 = 4,
    TENSOR_U64 = 5,
    TENSOR_TEXT = 6,  // UTF-8 bytes, no terminating NUL
} TensorType;

typedef struct {
    char name[CHECKPOINT_MAX_NAME];
    TensorType type;
    int rank;                            // 0 for a scalar
    uint64_t dims[CHECKPOINT_MAX_RANK];
    const void *data;                    // writer: host-order elements; reader: file bytes
} CheckpointTensor;

size_t tensor_type_size(TensorType type);
const char *tensor_type_name(TensorType type);
uint64_t tensor_element_count(const CheckpointTensor *tensor);

// Describes the parameter tensors of `model` on input_shape, in the order of
// the network's flat parameter buffer: names such as "conv1.weight" and
// shapes (out, in, k, k) for convolutions, (out, in) for linear layers and
// (out) for biases. data is left NULL. Returns 0, or -1 with a message.
int checkpoint_describe_params(ModelKind model, Shape input_shape, int classes,
                               CheckpointTensor *tensors, int max_tensors, int *count,
                               Error *error);

// Writes dims as "(6, 1, 5, 5)".
void tensor_format_shape(const CheckpointTensor *tensor, char *text, size_t text_size);

// Metrics stored per epoch in "train.history", in this column order.
#define CHECKPOINT_HISTORY_COLUMNS 9

#endif
