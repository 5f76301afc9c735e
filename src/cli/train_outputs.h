#ifndef SVHN_CLI_TRAIN_OUTPUTS_H
#define SVHN_CLI_TRAIN_OUTPUTS_H

// What svhn-train writes besides its output lines: checkpoints (--save),
// the curves (--plot), and the checkpoint it resumes from (--resume).

#include "options.h"
#include "svhn/checkpoint.h"

typedef struct {
    const char *save_path;     // NULL for no checkpoints
    const char *plot_path;     // NULL for no plot
    CheckpointSource source;   // everything but the progress, which each call gives
} TrainOutputs;

// TrainCheckpointHook for train_run: writes the checkpoint, and after an
// epoch also redraws the curves. context is a TrainOutputs.
int train_outputs_write(void *context, const TrainProgress *progress, Error *error);

// Loads options->resume_path, checks it against options->model and the
// data's image shape, and takes the checkpoint's batch size and seed into
// options. Returns 0, or -1 with a message naming the file.
int train_resume_load(Checkpoint *checkpoint, TrainOptions *options, Shape data_shape,
                      Error *error);

#endif
