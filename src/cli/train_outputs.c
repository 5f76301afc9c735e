#include "train_outputs.h"

#include "curves.h"

int train_outputs_write(void *context, const TrainProgress *progress, Error *error)
{
    TrainOutputs *outputs = context;
    if (outputs->save_path != NULL) {
        outputs->source.progress = progress;
        if (checkpoint_save(outputs->save_path, &outputs->source, error) != 0) {
            return -1;
        }
    }
    const int epoch_end = progress->steps_in_epoch == 0;
    if (outputs->plot_path != NULL && epoch_end && progress->epochs_done > 0) {
        return curves_plot(outputs->plot_path, progress->history, progress->epochs_done,
                           error);
    }
    return 0;
}

int train_resume_load(Checkpoint *checkpoint, TrainOptions *options, Shape data_shape,
                      Error *error)
{
    const char *path = options->resume_path;
    if (checkpoint_load(path, checkpoint, error) != 0) {
        return -1;
    }
    int status = checkpoint_check_model(checkpoint, path, options->model, data_shape, error);
    if (status == 0 && checkpoint->classes != DATASET_CLASSES) {
        error_set(error, "%s: the checkpoint has %d classes but the data has %d", path,
                  checkpoint->classes, DATASET_CLASSES);
        status = -1;
    }
    if (status != 0) {
        checkpoint_free(checkpoint);
        return -1;
    }
    options->batch_size = checkpoint->batch_size;
    options->seed = checkpoint->seed;
    options->optimizer = checkpoint->optimizer.config;
    return 0;
}
