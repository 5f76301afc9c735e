#ifndef SVHN_TRAIN_PROGRESS_H
#define SVHN_TRAIN_PROGRESS_H

// The trainer's record of its position (TrainProgress), kept in step with
// the training loader so that a checkpoint can store it at any step.

#include "svhn/trainer.h"

// Starts the record of a run on `train`: from config->resume when set,
// otherwise at epoch 0, step 0 with the identity order and a generator
// seeded with shuffle_seed, the same start as the training loader's.
// history (config->epochs rows) receives the resumed rows and stays owned
// by the caller. Returns 0, or -1 with a message when the resume point does
// not fit the run.
int train_progress_start(TrainProgress *progress, const TrainConfig *config,
                         const Dataset *train, uint64_t shuffle_seed,
                         EpochMetrics *history, Error *error);

// Reshuffles the order as the loader does before the first batch of a pass.
void train_progress_begin_pass(TrainProgress *progress);

// Index of the first batch (counted over all passes) that the run trains,
// for a loader with steps_per_pass batches in each pass.
int64_t train_progress_first_batch(const TrainProgress *progress, int steps_per_pass);

// Frees the order; the history belongs to the caller.
void train_progress_free(TrainProgress *progress);

#endif
