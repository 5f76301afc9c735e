// Finding and loading the train and test sets of a data folder.

#define _POSIX_C_SOURCE 200809L

#include "svhn/dataset.h"

#include "svhn/output_path.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define SPLIT_PATH_SIZE 4096

// The file names of one part, train or test, of a data folder.
typedef struct {
    const char *svhn;          // SVHN MAT file
    const char *mnist_images;  // MNIST-format idx files, each plain or with .gz
    const char *mnist_labels;
} PartFiles;

static const PartFiles train_files = {
    "train_32x32.mat", "train-images-idx3-ubyte", "train-labels-idx1-ubyte"};
static const PartFiles test_files = {
    "test_32x32.mat", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

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

// Sets error and returns 1 when path exists but is not a regular file, such
// as a directory. Returns 0 when the path does not exist.
static int report_not_regular(const char *path, Error *error)
{
    struct stat info;
    if (stat(path, &info) != 0) {
        return 0;
    }
    error_set(error, "%s: exists but is not a regular file (it is %s); replace it with the "
              "data file of that name", path,
              S_ISDIR(info.st_mode) ? "a directory" : "a special file");
    return 1;
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

    if (report_not_regular(path, error) || report_not_regular(compressed, error)) {
        return -1;
    }
    error_set(error, "%s: MNIST file not found: looked for %s and %s.gz", folder, name, name);
    return -1;
}

// Loads one part of the folder, the train or the test files, of the given
// kind.
static int load_part(Dataset *dataset, const char *folder, DatasetKind kind,
                     const PartFiles *files, Error *error)
{
    char images[SPLIT_PATH_SIZE], labels[SPLIT_PATH_SIZE];
    if (kind == DATASET_SVHN) {
        if (join_path(images, folder, files->svhn, error) != 0) {
            return -1;
        }
        return dataset_load_svhn_mat(dataset, images, error);
    }
    if (find_idx_file(images, folder, files->mnist_images, error) != 0
        || find_idx_file(labels, folder, files->mnist_labels, error) != 0) {
        return -1;
    }
    return dataset_load_idx(dataset, images, labels, error);
}

// Decides the kind from the files of one part: SVHN when its .mat file
// exists, otherwise MNIST when its idx image file exists, plain or .gz.
static int detect_kind(DatasetKind *kind, const char *folder, const PartFiles *files,
                       Error *error)
{
    char compressed_images[SPLIT_PATH_SIZE];
    snprintf(compressed_images, sizeof compressed_images, "%s.gz", files->mnist_images);

    if (file_exists_in(folder, files->svhn)) {
        *kind = DATASET_SVHN;
        return 0;
    }
    if (file_exists_in(folder, files->mnist_images)
        || file_exists_in(folder, compressed_images)) {
        *kind = DATASET_MNIST;
        return 0;
    }

    // A directory named like a data file is more likely a mistake in the
    // folder's layout than a missing data set, so it is named instead.
    const char *const candidates[] = {files->svhn, files->mnist_images, compressed_images};
    for (int i = 0; i < 3; i++) {
        char path[SPLIT_PATH_SIZE];
        if (join_path(path, folder, candidates[i], error) != 0
            || report_not_regular(path, error)) {
            return -1;
        }
    }
    error_set(error, "%s: no data set found: looked for %s (SVHN) and %s or %s (MNIST)",
              folder, files->svhn, files->mnist_images, compressed_images);
    return -1;
}

// Checks that folder is a directory and resolves DATASET_AUTO from the files
// of `detect_from`.
static int resolve_kind(DatasetKind *kind, const char *folder, const PartFiles *detect_from,
                        Error *error)
{
    struct stat info;
    if (stat(folder, &info) != 0) {
        error_set(error, "%s: cannot open data folder: %s", folder, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(info.st_mode)) {
        error_set(error, "%s: data folder is not a directory", folder);
        return -1;
    }

    if (*kind == DATASET_AUTO && detect_kind(kind, folder, detect_from, error) != 0) {
        return -1;
    }
    if (*kind != DATASET_SVHN && *kind != DATASET_MNIST) {
        error_set(error, "%s: invalid dataset kind %d", folder, (int)*kind);
        return -1;
    }
    return 0;
}

int data_split_load(DataSplit *split, const char *folder, DatasetKind kind, Error *error)
{
    memset(split, 0, sizeof *split);
    if (resolve_kind(&kind, folder, &train_files, error) != 0) {
        return -1;
    }
    split->kind = kind;

    if (load_part(&split->train, folder, kind, &train_files, error) != 0
        || load_part(&split->test, folder, kind, &test_files, error) != 0) {
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

int data_split_load_test(DataSplit *split, const char *folder, DatasetKind kind,
                         Error *error)
{
    memset(split, 0, sizeof *split);
    if (resolve_kind(&kind, folder, &test_files, error) != 0) {
        return -1;
    }
    split->kind = kind;

    if (load_part(&split->test, folder, kind, &test_files, error) != 0) {
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

int data_split_names_data_file(const char *folder, const char *path)
{
    const PartFiles *parts[] = {&train_files, &test_files};
    for (int p = 0; p < 2; p++) {
        const char *names[] = {parts[p]->svhn, parts[p]->mnist_images,
                               parts[p]->mnist_labels};
        for (int n = 0; n < 3; n++) {
            char data_path[SPLIT_PATH_SIZE];
            char compressed[SPLIT_PATH_SIZE + 3];
            if (join_path(data_path, folder, names[n], NULL) != 0) {
                continue;
            }
            snprintf(compressed, sizeof compressed, "%s.gz", data_path);
            if (output_paths_same(path, data_path) || output_paths_same(path, compressed)) {
                return 1;
            }
        }
    }
    return 0;
}
