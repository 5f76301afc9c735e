#include "train_progress.h"

#include <stdlib.h>
#include <string.h>

// Rejects a resume point that does not fit this run's data and epochs.
static int check_resume(const TrainProgress *resume, const TrainConfig *config,
                        const Dataset *train, Error *error)
{
    const int steps = (train->count + config->batch_size - 1) / config->batch_size;
    if (resume->order_count != train->count) {
        error_set(error, "the checkpoint's example order has %d entries but the training "
                  "set has %d examples; use the same data and --train-limit as the "
                  "saved run", resume->order_count, train->count);
        return -1;
    }
    if (resume->epochs_done < 0 || resume->steps_in_epoch < 0 ||
        resume->steps_in_epoch >= steps) {
        error_set(error, "the checkpoint's position (epoch %d, step %d) is outside a run "
                  "of %d steps per epoch", resume->epochs_done + 1,
                  resume->steps_in_epoch, steps);
        return -1;
    }
    if (resume->epochs_done >= config->epochs) {
        error_set(error, "the checkpoint has %d completed epoch(s) and this run asks for "
                  "%d in total; raise --epochs to train more", resume->epochs_done,
                  config->epochs);
        return -1;
    }
    return 0;
}

int train_progress_start(TrainProgress *progress, const TrainConfig *config,
                         const Dataset *train, uint64_t shuffle_seed,
                         EpochMetrics *history, Error *error)
{
    const TrainProgress *resume = config->resume;
    if (resume != NULL && check_resume(resume, config, train, error) != 0) {
        return -1;
    }

    *progress = (TrainProgress){.order_count = train->count, .history = history};
    progress->order = malloc((size_t)train->count * sizeof(int));
    if (progress->order == NULL) {
        error_set(error, "out of memory for the order of %d examples", train->count);
        return -1;
    }

    if (resume == NULL) {
        for (int i = 0; i < train->count; i++) {
            progress->order[i] = i;
        }
        rng_seed(&progress->shuffle_rng, shuffle_seed);
        normalization_from_dataset(&progress->normalization, train);
        return 0;
    }

    memcpy(progress->order, resume->order, (size_t)train->count * sizeof(int));
    memcpy(history, resume->history, (size_t)resume->epochs_done * sizeof(EpochMetrics));
    progress->shuffle_rng = resume->shuffle_rng;
    progress->normalization = resume->normalization;
    progress->epochs_done = resume->epochs_done;
    progress->steps_in_epoch = resume->steps_in_epoch;
    progress->steps_done = resume->steps_done;
    progress->epoch_loss_sum = resume->epoch_loss_sum;
    progress->epoch_correct = resume->epoch_correct;
    return 0;
}

void train_progress_begin_pass(TrainProgress *progress)
{
    rng_shuffle(&progress->shuffle_rng, progress->order, progress->order_count);
}

int64_t train_progress_first_batch(const TrainProgress *progress, int steps_per_pass)
{
    return (int64_t)progress->epochs_done * steps_per_pass + progress->steps_in_epoch;
}

void train_progress_free(TrainProgress *progress)
{
    free(progress->order);
    progress->order = NULL;
}
