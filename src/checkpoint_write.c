// Serialises a checkpoint into memory, then writes it atomically.

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "checkpoint_format.h"
#include "svhn/output_path.h"

// Scalars and converted arrays that the tensor list points to while the
// file is serialised.
typedef struct {
    int64_t input_shape[3];
    int64_t classes;
    int64_t batch_size;
    uint64_t seed;
    int64_t optimizer_step;
    float optimizer_settings[6];
    int64_t epochs_done;
    int64_t steps_in_epoch;
    int64_t steps_done;
    double epoch_loss_sum;
    int64_t epoch_correct;
    double *history;  // (epochs_done, CHECKPOINT_HISTORY_COLUMNS)
} SaveScalars;

typedef struct {
    CheckpointTensor tensors[CHECKPOINT_MAX_TENSORS];
    int count;
} TensorList;

static CheckpointTensor *add_tensor(TensorList *list, const char *name, TensorType type,
                                    const void *data, int rank, const uint64_t *dims)
{
    CheckpointTensor *tensor = &list->tensors[list->count++];
    *tensor = (CheckpointTensor){.type = type, .rank = rank, .data = data};
    snprintf(tensor->name, sizeof tensor->name, "%s", name);
    for (int i = 0; i < rank; i++) {
        tensor->dims[i] = dims[i];
    }
    return tensor;
}

static void add_scalar(TensorList *list, const char *name, TensorType type, const void *data)
{
    add_tensor(list, name, type, data, 0, NULL);
}

static void add_vector(TensorList *list, const char *name, TensorType type, const void *data,
                       uint64_t length)
{
    add_tensor(list, name, type, data, 1, &length);
}

static void add_text(TensorList *list, const char *name, const char *text)
{
    add_vector(list, name, TENSOR_TEXT, text, strlen(text));
}

static void fill_history(double *rows, const EpochMetrics *history, int count)
{
    for (int i = 0; i < count; i++) {
        const EpochMetrics *m = &history[i];
        double *row = rows + (size_t)i * CHECKPOINT_HISTORY_COLUMNS;
        row[0] = m->epoch;
        row[1] = m->train_loss;
        row[2] = m->train_accuracy;
        row[3] = m->test_loss;
        row[4] = m->test_accuracy;
        row[5] = m->examples_per_sec;
        row[6] = m->seconds;
        row[7] = m->data_wait_seconds;
        row[8] = m->loader_wait_seconds;
    }
}

// Lists the optimizer's kind, settings, step count and state buffers.
static void add_optimizer(TensorList *list, const Optimizer *optimizer, SaveScalars *scalars)
{
    const OptimizerConfig *c = &optimizer->config;
    static const char *const setting_names[6] = {
        "optimizer.learning_rate", "optimizer.weight_decay", "optimizer.momentum",
        "optimizer.beta1", "optimizer.beta2", "optimizer.epsilon"};
    const float settings[6] = {c->learning_rate, c->weight_decay, c->momentum,
                               c->beta1, c->beta2, c->epsilon};

    add_text(list, "optimizer.kind", optimizer_kind_name(c->kind));
    for (int i = 0; i < 6; i++) {
        scalars->optimizer_settings[i] = settings[i];
        add_scalar(list, setting_names[i], TENSOR_F32, &scalars->optimizer_settings[i]);
    }
    scalars->optimizer_step = optimizer->step;
    add_scalar(list, "optimizer.step", TENSOR_I64, &scalars->optimizer_step);
    if (c->kind == OPTIMIZER_SGD) {
        add_vector(list, "optimizer.velocity", TENSOR_F32, optimizer->velocity, optimizer->size);
    } else {
        add_vector(list, "optimizer.moment1", TENSOR_F32, optimizer->moment1, optimizer->size);
        add_vector(list, "optimizer.moment2", TENSOR_F32, optimizer->moment2, optimizer->size);
    }
}

static void add_progress(TensorList *list, const TrainProgress *progress,
                         SaveScalars *scalars)
{
    scalars->epochs_done = progress->epochs_done;
    scalars->steps_in_epoch = progress->steps_in_epoch;
    scalars->steps_done = progress->steps_done;
    scalars->epoch_loss_sum = progress->epoch_loss_sum;
    scalars->epoch_correct = progress->epoch_correct;
    add_scalar(list, "train.epochs_done", TENSOR_I64, &scalars->epochs_done);
    add_scalar(list, "train.steps_in_epoch", TENSOR_I64, &scalars->steps_in_epoch);
    add_scalar(list, "train.steps_done", TENSOR_I64, &scalars->steps_done);
    add_scalar(list, "train.epoch_loss_sum", TENSOR_F64, &scalars->epoch_loss_sum);
    add_scalar(list, "train.epoch_correct", TENSOR_I64, &scalars->epoch_correct);
    add_vector(list, "train.shuffle_rng", TENSOR_U64, progress->shuffle_rng.state, 4);
    add_vector(list, "train.order", TENSOR_I32, progress->order,
               (uint64_t)progress->order_count);

    const uint64_t history_dims[2] = {(uint64_t)progress->epochs_done,
                                      CHECKPOINT_HISTORY_COLUMNS};
    add_tensor(list, "train.history", TENSOR_F64, scalars->history, 2, history_dims);
}

// Lists every tensor of the checkpoint. Returns 0, or -1 with a message.
static int list_tensors(TensorList *list, const CheckpointSource *source,
                        SaveScalars *scalars, Error *error)
{
    const Network *network = source->network;
    const Shape shape = network->input_shape;
    const TrainProgress *progress = source->progress;

    add_text(list, "meta.model", model_kind_name(source->model));
    scalars->input_shape[0] = shape.channels;
    scalars->input_shape[1] = shape.height;
    scalars->input_shape[2] = shape.width;
    add_vector(list, "meta.input_shape", TENSOR_I64, scalars->input_shape, 3);
    scalars->classes = source->classes;
    scalars->batch_size = source->batch_size;
    scalars->seed = source->seed;
    add_scalar(list, "meta.classes", TENSOR_I64, &scalars->classes);
    add_scalar(list, "meta.batch_size", TENSOR_I64, &scalars->batch_size);
    add_scalar(list, "meta.seed", TENSOR_U64, &scalars->seed);
    add_vector(list, "normalization.mean", TENSOR_F32, progress->normalization.mean,
               (uint64_t)shape.channels);
    add_vector(list, "normalization.std", TENSOR_F32, progress->normalization.std,
               (uint64_t)shape.channels);

    // The parameter tensors cut the flat buffer into named, shaped pieces.
    int param_tensors = 0;
    if (checkpoint_describe_params(source->model, shape, source->classes,
                                   list->tensors + list->count,
                                   CHECKPOINT_MAX_TENSORS - 32, &param_tensors, error) != 0) {
        return -1;
    }
    size_t offset = 0;
    for (int i = 0; i < param_tensors; i++) {
        CheckpointTensor *tensor = &list->tensors[list->count++];
        tensor->data = network->params + offset;
        offset += tensor_element_count(tensor);
    }
    if (offset != network->param_count) {
        error_set(error, "the network has %zu parameters but model %s on input %dx%dx%d "
                  "has %zu", network->param_count, model_kind_name(source->model),
                  shape.channels, shape.height, shape.width, offset);
        return -1;
    }

    add_optimizer(list, source->optimizer, scalars);
    add_progress(list, progress, scalars);
    return 0;
}

static void put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

// Copies count elements of element_size bytes, reordering each element's
// bytes to little-endian on a big-endian host.
static void put_elements(unsigned char *dst, const void *src, size_t element_size,
                         uint64_t count)
{
    const size_t bytes = element_size * (size_t)count;
    if (bytes == 0) {
        return;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const unsigned char *s = src;
    for (uint64_t i = 0; i < count; i++) {
        for (size_t b = 0; b < element_size; b++) {
            dst[i * element_size + b] = s[i * element_size + element_size - 1 - b];
        }
    }
#else
    memcpy(dst, src, bytes);
#endif
}

static size_t align_up(size_t value)
{
    return (value + CHECKPOINT_DATA_ALIGNMENT - 1) / CHECKPOINT_DATA_ALIGNMENT *
           CHECKPOINT_DATA_ALIGNMENT;
}

static size_t table_entry_size(const CheckpointTensor *tensor)
{
    // name length (2), name, type (1), rank (1), dims (8 each), data offset (8)
    return 2 + strlen(tensor->name) + 1 + 1 + 8 * (size_t)tensor->rank + 8;
}

// Lays out header, table, data blocks and CRC in one buffer. Returns it with
// *size set, or NULL when out of memory.
static unsigned char *serialise(const TensorList *list, size_t *size)
{
    size_t table_size = 0;
    for (int i = 0; i < list->count; i++) {
        table_size += table_entry_size(&list->tensors[i]);
    }
    size_t data_offsets[CHECKPOINT_MAX_TENSORS];
    size_t end = align_up(CHECKPOINT_HEADER_SIZE + table_size);
    for (int i = 0; i < list->count; i++) {
        const CheckpointTensor *tensor = &list->tensors[i];
        data_offsets[i] = end;
        end = align_up(end + tensor_type_size(tensor->type) * tensor_element_count(tensor));
    }
    *size = end + CHECKPOINT_CRC_SIZE;

    unsigned char *buffer = calloc(1, *size);
    if (buffer == NULL) {
        return NULL;
    }
    memcpy(buffer, CHECKPOINT_MAGIC, 8);
    put_u32(buffer + 8, CHECKPOINT_VERSION);
    put_u32(buffer + 12, CHECKPOINT_BYTE_ORDER_MARK);
    put_u32(buffer + 16, (uint32_t)list->count);
    put_u32(buffer + 20, 0);
    put_u64(buffer + 24, (uint64_t)*size);

    unsigned char *entry = buffer + CHECKPOINT_HEADER_SIZE;
    for (int i = 0; i < list->count; i++) {
        const CheckpointTensor *tensor = &list->tensors[i];
        const size_t name_length = strlen(tensor->name);
        put_u16(entry, (uint16_t)name_length);
        memcpy(entry + 2, tensor->name, name_length);
        entry += 2 + name_length;
        entry[0] = (unsigned char)tensor->type;
        entry[1] = (unsigned char)tensor->rank;
        entry += 2;
        for (int d = 0; d < tensor->rank; d++) {
            put_u64(entry, tensor->dims[d]);
            entry += 8;
        }
        put_u64(entry, (uint64_t)data_offsets[i]);
        entry += 8;
        put_elements(buffer + data_offsets[i], tensor->data, tensor_type_size(tensor->type),
                     tensor_element_count(tensor));
    }

    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t done = 0; done < end;) {
        // zlib's crc32 takes a uInt length, so feed it at most 1 GiB at a time.
        size_t piece = end - done < (1u << 30) ? end - done : (1u << 30);
        crc = crc32(crc, buffer + done, (uInt)piece);
        done += piece;
    }
    put_u32(buffer + end, (uint32_t)crc);
    return buffer;
}

// Makes a rename in the folder of `path` durable. Returns 0 or -1 with errno.
static int sync_folder(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int folder = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (folder < 0) {
        return -1;
    }
    int status = fsync(folder);
    int saved = errno;
    close(folder);
    errno = saved;
    return status;
}

// Writes buffer to a new temporary file next to path, then renames it over
// path. Returns 0, or -1 with a message; the temporary file is removed.
static int write_atomically(const char *path, const unsigned char *buffer, size_t size,
                            Error *error)
{
    if (output_path_check(path, "checkpoint", error) != 0) {
        return -1;
    }

    char temp_path[4096];
    int fd = output_path_create_temp(path, "checkpoint file", temp_path, sizeof temp_path,
                                     error);
    if (fd < 0) {
        return -1;
    }
    FILE *file = fdopen(fd, "wb");
    if (file == NULL) {
        error_set(error, "%s: cannot open %s: %s", path, temp_path, strerror(errno));
        close(fd);
        remove(temp_path);
        return -1;
    }

    int failed = fwrite(buffer, 1, size, file) != size;
    failed = failed || fflush(file) != 0 || fsync(fileno(file)) != 0;
    int saved = errno;
    failed |= fclose(file) != 0;
    if (failed) {
        error_set(error, "%s: writing the checkpoint (%zu bytes) to %s failed: %s; the "
                  "previous checkpoint, if any, is unchanged", path, size, temp_path,
                  strerror(saved != 0 ? saved : errno));
        remove(temp_path);
        return -1;
    }
    if (rename(temp_path, path) != 0) {
        error_set(error, "%s: cannot rename %s over the checkpoint: %s", path, temp_path,
                  strerror(errno));
        remove(temp_path);
        return -1;
    }
    if (sync_folder(path) != 0) {
        error_set(error, "%s: the checkpoint was written but syncing its folder failed: %s",
                  path, strerror(errno));
        return -1;
    }
    return 0;
}

int checkpoint_save(const char *path, const CheckpointSource *source, Error *error)
{
    const TrainProgress *progress = source->progress;
    SaveScalars scalars = {0};
    scalars.history = malloc(((size_t)progress->epochs_done + 1) * CHECKPOINT_HISTORY_COLUMNS *
                             sizeof(double));
    if (scalars.history == NULL) {
        error_set(error, "%s: out of memory for the metrics history", path);
        return -1;
    }
    fill_history(scalars.history, progress->history, progress->epochs_done);

    TensorList list = {.count = 0};
    int status = list_tensors(&list, source, &scalars, error);
    if (status != 0) {
        free(scalars.history);
        return -1;
    }

    size_t size = 0;
    unsigned char *buffer = serialise(&list, &size);
    free(scalars.history);
    if (buffer == NULL) {
        error_set(error, "%s: out of memory for a checkpoint of %zu bytes", path, size);
        return -1;
    }
    status = write_atomically(path, buffer, size, error);
    free(buffer);
    return status;
}
