// Finding and loading the train and test sets of a data folder.

#define _POSIX_C_SOURCE 200809L

#include "svhn/dataset.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define SPLIT_PATH_SIZE 4096

#define SVHN_TRAIN_FILE "train_32x32.mat"
#define SVHN_TEST_FILE "test_32x32.mat"
#define MNIST_TRAIN_IMAGES "train-images-idx3-ubyte"
#define MNIST_TRAIN_LABELS "train-labels-idx1-ubyte"
#define MNIST_TEST_IMAGES "t10k-images-idx3-ubyte"
#define MNIST_TEST_LABELS "t10k-labels-idx1-ubyte"

static int join_path(char *path, const char *folder, const char *name, Error *error)
{
    int length = snprintf(path, SPLIT_PATH_SIZE, "%s/%s", folder, name);
    if (length < 0 || length >= SPLIT_PATH_SIZE) {
        error_set(error, "%s: data folder path too long (max %d bytes with the file name)",
                  folder, SPLIT_PATH_SIZE - 1);
        return -1;
    }
    return 0;
}

static int is_regular_file(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

static int file_exists_in(const char *folder, const char *name)
{
    char path[SPLIT_PATH_SIZE];
    return join_path(path, folder, name, NULL) == 0 && is_regular_file(path);
}

// Sets `path` to folder/name when it exists, otherwise to folder/name.gz.
// The uncompressed file wins when both exist because it reads faster.
static int find_idx_file(char *path, const char *folder, const char *name, Error *error)
{
    if (join_path(path, folder, name, error) != 0) {
        return -1;
    }
    if (is_regular_file(path)) {
        return 0;
    }

    char compressed[SPLIT_PATH_SIZE];
    if (snprintf(compressed, sizeof compressed, "%s.gz", path) >= (int)sizeof compressed) {
        error_set(error, "%s: data folder path too long (max %d bytes with the file name)",
                  folder, SPLIT_PATH_SIZE - 1);
        return -1;
    }
    if (is_regular_file(compressed)) {
        strcpy(path, compressed);
        return 0;
    }

    error_set(error, "%s: MNIST file not found: looked for %s and %s.gz", folder, name, name);
    return -1;
}

static int load_svhn(DataSplit *split, const char *folder, Error *error)
{
    char path[SPLIT_PATH_SIZE];
    if (join_path(path, folder, SVHN_TRAIN_FILE, error) != 0
        || dataset_load_svhn_mat(&split->train, path, error) != 0) {
        return -1;
    }
    if (join_path(path, folder, SVHN_TEST_FILE, error) != 0
        || dataset_load_svhn_mat(&split->test, path, error) != 0) {
        return -1;
    }
    return 0;
}

static int load_mnist(DataSplit *split, const char *folder, Error *error)
{
    char images[SPLIT_PATH_SIZE], labels[SPLIT_PATH_SIZE];
    if (find_idx_file(images, folder, MNIST_TRAIN_IMAGES, error) != 0
        || find_idx_file(labels, folder, MNIST_TRAIN_LABELS, error) != 0
        || dataset_load_idx(&split->train, images, labels, error) != 0) {
        return -1;
    }
    if (find_idx_file(images, folder, MNIST_TEST_IMAGES, error) != 0
        || find_idx_file(labels, folder, MNIST_TEST_LABELS, error) != 0
        || dataset_load_idx(&split->test, images, labels, error) != 0) {
        return -1;
    }
    return 0;
}

static int detect_kind(DatasetKind *kind, const char *folder, Error *error)
{
    if (file_exists_in(folder, SVHN_TRAIN_FILE)) {
        *kind = DATASET_SVHN;
        return 0;
    }
    if (file_exists_in(folder, MNIST_TRAIN_IMAGES)
        || file_exists_in(folder, MNIST_TRAIN_IMAGES ".gz")) {
        *kind = DATASET_MNIST;
        return 0;
    }

    error_set(error, "%s: no data set found: looked for %s (SVHN) and %s or %s.gz (MNIST)",
              folder, SVHN_TRAIN_FILE, MNIST_TRAIN_IMAGES, MNIST_TRAIN_IMAGES);
    return -1;
}

int data_split_load(DataSplit *split, const char *folder, DatasetKind kind, Error *error)
{
    memset(split, 0, sizeof *split);

    struct stat info;
    if (stat(folder, &info) != 0) {
        error_set(error, "%s: cannot open data folder: %s", folder, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(info.st_mode)) {
        error_set(error, "%s: data folder is not a directory", folder);
        return -1;
    }

    if (kind == DATASET_AUTO && detect_kind(&kind, folder, error) != 0) {
        return -1;
    }
    if (kind != DATASET_SVHN && kind != DATASET_MNIST) {
        error_set(error, "%s: invalid dataset kind %d", folder, (int)kind);
        return -1;
    }
    split->kind = kind;

    int status = kind == DATASET_SVHN ? load_svhn(split, folder, error)
                                      : load_mnist(split, folder, error);
    if (status != 0) {
        data_split_free(split);
        return -1;
    }

    Shape train = split->train.shape, test = split->test.shape;
    if (train.channels != test.channels || train.height != test.height
        || train.width != test.width) {
        error_set(error, "%s: train images are %dx%dx%d but test images are %dx%dx%d "
                  "(channels x height x width), expected the same shape",
                  folder, train.channels, train.height, train.width,
                  test.channels, test.height, test.width);
        data_split_free(split);
        return -1;
    }
    return 0;
}

void data_split_free(DataSplit *split)
{
    if (split == NULL) {
        return;
    }
    dataset_free(&split->train);
    dataset_free(&split->test);
}
