// Turns a checked checkpoint file into a Checkpoint, checking every
// tensor's shape against the model and input shape that the file names.

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint_file.h"

// Largest input side and channel count accepted, to reject absurd shapes
// before a model is built for them.
#define MAX_INPUT_SIDE 4096
#define MAX_INPUT_CHANNELS 4

static int read_model(const CheckpointFile *file, Checkpoint *checkpoint, Error *error)
{
    char name[32];
    if (checkpoint_read_text(file, "meta.model", name, sizeof name, error) != 0) {
        return -1;
    }
    if (strcmp(name, "mlp") == 0) {
        checkpoint->model = MODEL_MLP;
    } else if (strcmp(name, "lnet") == 0) {
        checkpoint->model = MODEL_LNET;
    } else {
        error_set(error, "%s: unknown model '%s' in meta.model (expected mlp or lnet)",
                  file->path, name);
        return -1;
    }

    int64_t shape[3];
    const uint64_t dims3[1] = {3};
    const CheckpointTensor *tensor =
        checkpoint_find_tensor(file, "meta.input_shape", TENSOR_I64, 1, dims3, error);
    if (tensor == NULL) {
        return -1;
    }
    checkpoint_copy_tensor(shape, tensor);
    if (shape[0] < 1 || shape[0] > MAX_INPUT_CHANNELS || shape[1] < 1 ||
        shape[1] > MAX_INPUT_SIDE || shape[2] < 1 || shape[2] > MAX_INPUT_SIDE) {
        error_set(error, "%s: invalid input shape %lldx%lldx%lld in meta.input_shape "
                  "(channels 1..%d, sides 1..%d)", file->path, (long long)shape[0],
                  (long long)shape[1], (long long)shape[2], MAX_INPUT_CHANNELS,
                  MAX_INPUT_SIDE);
        return -1;
    }
    checkpoint->input_shape = (Shape){(int)shape[0], (int)shape[1], (int)shape[2]};

    int64_t classes, batch_size;
    if (checkpoint_read_scalar(file, "meta.classes", TENSOR_I64, &classes, error) != 0 ||
        checkpoint_read_scalar(file, "meta.batch_size", TENSOR_I64, &batch_size, error) != 0 ||
        checkpoint_read_scalar(file, "meta.seed", TENSOR_U64, &checkpoint->seed, error) != 0) {
        return -1;
    }
    if (classes < 2 || classes > 1000 || batch_size < 1 || batch_size > 65536) {
        error_set(error, "%s: invalid meta.classes %lld or meta.batch_size %lld", file->path,
                  (long long)classes, (long long)batch_size);
        return -1;
    }
    checkpoint->classes = (int)classes;
    checkpoint->batch_size = (int)batch_size;
    return 0;
}

static int read_normalization(const CheckpointFile *file, Checkpoint *checkpoint,
                              Error *error)
{
    const uint64_t channels[1] = {(uint64_t)checkpoint->input_shape.channels};
    const char *names[2] = {"normalization.mean", "normalization.std"};
    float *targets[2] = {checkpoint->progress.normalization.mean,
                         checkpoint->progress.normalization.std};
    for (int i = 0; i < 2; i++) {
        const CheckpointTensor *tensor =
            checkpoint_find_tensor(file, names[i], TENSOR_F32, 1, channels, error);
        if (tensor == NULL) {
            return -1;
        }
        checkpoint_copy_tensor(targets[i], tensor);
    }
    return 0;
}

// Returns a lower bound on the parameter count of `model` for input_shape,
// from the architecture in svhn/models.h. MLP's first Linear has
// C*H*W*1024 weights. LNet's first Linear has 256 * 16 * (H/4) * (W/4) or
// more, because each 2x2 max pool leaves at least floor(side/2) of a side.
static uint64_t min_param_count(ModelKind model, Shape input_shape)
{
    const uint64_t channels = (uint64_t)input_shape.channels;
    const uint64_t height = (uint64_t)input_shape.height;
    const uint64_t width = (uint64_t)input_shape.width;
    if (model == MODEL_MLP) {
        return channels * height * width * 1024;
    }
    return 256 * 16 * (height / 4) * (width / 4);
}

// Reads every parameter tensor, with the shape the model needs, into one
// flat buffer in network order.
static int read_params(const CheckpointFile *file, Checkpoint *checkpoint, Error *error)
{
    // Building the model (to describe its tensors) allocates its parameters,
    // so a file whose input shape needs more parameters than the file can
    // contain is rejected first.
    const uint64_t needed = min_param_count(checkpoint->model, checkpoint->input_shape);
    if (needed > file->size / sizeof(float)) {
        const Shape s = checkpoint->input_shape;
        error_set(error, "%s: model %s on input shape %dx%dx%d needs at least %llu "
                  "parameters (%llu bytes), more than the %zu-byte file can contain; the "
                  "file is corrupt", file->path, model_kind_name(checkpoint->model),
                  s.channels, s.height, s.width, (unsigned long long)needed,
                  (unsigned long long)(needed * sizeof(float)), file->size);
        return -1;
    }

    CheckpointTensor expected[CHECKPOINT_MAX_TENSORS];
    int count = 0;
    Error describe_error = {{0}};
    if (checkpoint_describe_params(checkpoint->model, checkpoint->input_shape,
                                   checkpoint->classes, expected, CHECKPOINT_MAX_TENSORS,
                                   &count, &describe_error) != 0) {
        error_set(error, "%s: %s", file->path, describe_error.message);
        return -1;
    }
    size_t total = 0;
    for (int i = 0; i < count; i++) {
        total += (size_t)tensor_element_count(&expected[i]);
    }
    checkpoint->params = malloc(total * sizeof(float) + 1);
    if (checkpoint->params == NULL) {
        error_set(error, "%s: out of memory for %zu parameters", file->path, total);
        return -1;
    }
    checkpoint->param_count = total;

    size_t offset = 0;
    for (int i = 0; i < count; i++) {
        const CheckpointTensor *tensor = checkpoint_find_tensor(
            file, expected[i].name, TENSOR_F32, expected[i].rank, expected[i].dims, error);
        if (tensor == NULL) {
            return -1;
        }
        checkpoint_copy_tensor(checkpoint->params + offset, tensor);
        offset += (size_t)tensor_element_count(tensor);
    }
    return 0;
}

static int read_optimizer(const CheckpointFile *file, Checkpoint *checkpoint, Error *error)
{
    char kind[16];
    if (checkpoint_read_text(file, "optimizer.kind", kind, sizeof kind, error) != 0) {
        return -1;
    }
    Optimizer *optimizer = &checkpoint->optimizer;
    if (strcmp(kind, "sgd") == 0) {
        optimizer->config.kind = OPTIMIZER_SGD;
    } else if (strcmp(kind, "adam") == 0) {
        optimizer->config.kind = OPTIMIZER_ADAM;
    } else {
        error_set(error, "%s: unknown optimizer '%s' in optimizer.kind (expected sgd or "
                  "adam)", file->path, kind);
        return -1;
    }

    OptimizerConfig *c = &optimizer->config;
    struct {
        const char *name;
        float *value;
    } settings[6] = {
        {"optimizer.learning_rate", &c->learning_rate}, {"optimizer.weight_decay", &c->weight_decay},
        {"optimizer.momentum", &c->momentum},           {"optimizer.beta1", &c->beta1},
        {"optimizer.beta2", &c->beta2},                 {"optimizer.epsilon", &c->epsilon},
    };
    for (int i = 0; i < 6; i++) {
        if (checkpoint_read_scalar(file, settings[i].name, TENSOR_F32, settings[i].value,
                                   error) != 0) {
            return -1;
        }
    }
    int64_t step;
    if (checkpoint_read_scalar(file, "optimizer.step", TENSOR_I64, &step, error) != 0) {
        return -1;
    }
    optimizer->step = (long)step;
    optimizer->size = checkpoint->param_count;

    const uint64_t size[1] = {checkpoint->param_count};
    if (c->kind == OPTIMIZER_SGD) {
        return checkpoint_read_array(file, "optimizer.velocity", TENSOR_F32, 1, size,
                                     (void **)&optimizer->velocity, error);
    }
    if (checkpoint_read_array(file, "optimizer.moment1", TENSOR_F32, 1, size,
                              (void **)&optimizer->moment1, error) != 0) {
        return -1;
    }
    return checkpoint_read_array(file, "optimizer.moment2", TENSOR_F32, 1, size,
                                 (void **)&optimizer->moment2, error);
}

static void history_from_rows(EpochMetrics *history, const double *rows, int count)
{
    for (int i = 0; i < count; i++) {
        const double *row = rows + (size_t)i * CHECKPOINT_HISTORY_COLUMNS;
        history[i] = (EpochMetrics){
            .epoch = (int)row[0],
            .train_loss = row[1],
            .train_accuracy = row[2],
            .test_loss = row[3],
            .test_accuracy = row[4],
            .examples_per_sec = row[5],
            .seconds = row[6],
            .data_wait_seconds = row[7],
            .loader_wait_seconds = row[8],
        };
    }
}

static int read_progress(const CheckpointFile *file, Checkpoint *checkpoint, Error *error)
{
    TrainProgress *progress = &checkpoint->progress;
    int64_t epochs_done, steps_in_epoch, steps_done, epoch_correct;
    if (checkpoint_read_scalar(file, "train.epochs_done", TENSOR_I64, &epochs_done, error) ||
        checkpoint_read_scalar(file, "train.steps_in_epoch", TENSOR_I64, &steps_in_epoch,
                               error) ||
        checkpoint_read_scalar(file, "train.steps_done", TENSOR_I64, &steps_done, error) ||
        checkpoint_read_scalar(file, "train.epoch_loss_sum", TENSOR_F64,
                               &progress->epoch_loss_sum, error) ||
        checkpoint_read_scalar(file, "train.epoch_correct", TENSOR_I64, &epoch_correct,
                               error)) {
        return -1;
    }
    // steps_in_epoch is stored in an int, so a larger value is rejected
    // rather than truncated into an in-range one.
    if (epochs_done < 0 || epochs_done > 100000 || steps_in_epoch < 0 ||
        steps_in_epoch > INT_MAX || steps_done < 0) {
        error_set(error, "%s: invalid position: train.epochs_done %lld, "
                  "train.steps_in_epoch %lld, train.steps_done %lld", file->path,
                  (long long)epochs_done, (long long)steps_in_epoch, (long long)steps_done);
        return -1;
    }
    progress->epochs_done = (int)epochs_done;
    progress->steps_in_epoch = (int)steps_in_epoch;
    progress->steps_done = (long)steps_done;
    progress->epoch_correct = (long)epoch_correct;

    const uint64_t rng_dims[1] = {4};
    const CheckpointTensor *rng =
        checkpoint_find_tensor(file, "train.shuffle_rng", TENSOR_U64, 1, rng_dims, error);
    if (rng == NULL) {
        return -1;
    }
    checkpoint_copy_tensor(progress->shuffle_rng.state, rng);

    const CheckpointTensor *order =
        checkpoint_find_tensor(file, "train.order", TENSOR_I32, 1, NULL, error);
    if (order == NULL || checkpoint_read_array(file, "train.order", TENSOR_I32, 1, NULL,
                                               (void **)&progress->order, error) != 0) {
        return -1;
    }
    progress->order_count = (int)order->dims[0];
    for (int i = 0; i < progress->order_count; i++) {
        if (progress->order[i] < 0 || progress->order[i] >= progress->order_count) {
            error_set(error, "%s: train.order[%d] is %d, outside 0..%d", file->path, i,
                      progress->order[i], progress->order_count - 1);
            return -1;
        }
    }

    const uint64_t history_dims[2] = {(uint64_t)epochs_done, CHECKPOINT_HISTORY_COLUMNS};
    double *rows = NULL;
    if (checkpoint_read_array(file, "train.history", TENSOR_F64, 2, history_dims,
                              (void **)&rows, error) != 0) {
        return -1;
    }
    progress->history = calloc((size_t)epochs_done + 1, sizeof(EpochMetrics));
    if (progress->history == NULL) {
        free(rows);
        error_set(error, "%s: out of memory for %lld epochs of metrics", file->path,
                  (long long)epochs_done);
        return -1;
    }
    history_from_rows(progress->history, rows, (int)epochs_done);
    free(rows);
    return 0;
}

int checkpoint_load(const char *path, Checkpoint *checkpoint, Error *error)
{
    *checkpoint = (Checkpoint){0};
    CheckpointFile file = {.path = path};
    int status = checkpoint_file_read(&file, error);
    if (status == 0) {
        status = checkpoint_file_parse(&file, error);
    }
    if (status == 0) {
        status = read_model(&file, checkpoint, error);
    }
    if (status == 0) {
        status = read_normalization(&file, checkpoint, error);
    }
    if (status == 0) {
        status = read_params(&file, checkpoint, error);
    }
    if (status == 0) {
        status = read_optimizer(&file, checkpoint, error);
    }
    if (status == 0) {
        status = read_progress(&file, checkpoint, error);
    }
    free(file.bytes);
    if (status != 0) {
        checkpoint_free(checkpoint);
        return -1;
    }
    return 0;
}
