#ifndef SVHN_CHECKPOINT_H
#define SVHN_CHECKPOINT_H

// Checkpoints: a model's parameters, its optimizer and the training progress
// in one binary file (format in docs/checkpoint-format.md). A checkpoint is
// also the model file that svhn-eval and svhn-predict read.

#include <stddef.h>
#include <stdint.h>

#include "svhn/error.h"
#include "svhn/models.h"
#include "svhn/network.h"
#include "svhn/optimizer.h"
#include "svhn/trainer.h"

#ifdef __cplusplus
extern "C" {
#endif

// First 8 bytes of every checkpoint file.
#define CHECKPOINT_MAGIC "SVHNCKPT"
// The format version this library writes and the only one it reads.
#define CHECKPOINT_VERSION 1u

// What checkpoint_save writes. network must be a model_create network of
// `model` (either backend: both have the same flat parameter layout).
typedef struct {
    ModelKind model;
    int classes;
    int batch_size;                 // the run's batch size, needed to resume exactly
    uint64_t seed;
    const Network *network;
    const Optimizer *optimizer;
    const TrainProgress *progress;  // position in the run, order and metrics so far
} CheckpointSource;

// A checkpoint read back into memory. Every pointer is owned and released by
// checkpoint_free.
typedef struct {
    ModelKind model;
    Shape input_shape;
    int classes;
    int batch_size;
    uint64_t seed;
    float *params;           // (param_count), the network's flat parameter buffer
    size_t param_count;
    Optimizer optimizer;     // kind, settings, step count and state buffers
    TrainProgress progress;  // order (progress.order_count) and history (epochs_done rows)
} Checkpoint;

// Writes the checkpoint atomically: to a temporary file in the same folder,
// flushed and fsync'ed, then renamed over `path`, then the folder fsync'ed.
// A failed write (a full disk, say) leaves the previous file at `path`
// unchanged. Returns 0, or -1 with a message naming the file.
int checkpoint_save(const char *path, const CheckpointSource *source, Error *error);

// Reads and checks a checkpoint: magic, version, byte order, size, CRC-32,
// then every tensor's name, type and shape against the model and input
// shape that the file names. Returns 0, or -1 with a message naming the file
// and the problem; *checkpoint is then left empty.
int checkpoint_load(const char *path, Checkpoint *checkpoint, Error *error);

// Rejects a checkpoint whose model or input shape differs from the request.
// `path` is only for the message. Returns 0 or -1.
int checkpoint_check_model(const Checkpoint *checkpoint, const char *path,
                           ModelKind model, Shape input_shape, Error *error);

// Copies the parameters into network, which must be a network of the
// checkpoint's model and input shape. Returns 0, or -1 when the parameter
// counts differ.
int checkpoint_copy_params(const Checkpoint *checkpoint, const char *path,
                           Network *network, Error *error);

// Moves the optimizer (settings, step count and state) out of the
// checkpoint into *optimizer, which must be uninitialised or freed.
void checkpoint_take_optimizer(Checkpoint *checkpoint, Optimizer *optimizer);

// Builds the checkpoint's model on `backend` with its parameters, for
// inference on batches of up to max_batch. Returns NULL with a message.
Network *checkpoint_create_network(const Checkpoint *checkpoint, const char *path,
                                   int max_batch, Backend backend, Error *error);

void checkpoint_free(Checkpoint *checkpoint);

#ifdef __cplusplus
}
#endif

#endif
