#ifndef SVHN_DATASET_H
#define SVHN_DATASET_H

#include <stdint.h>

#include "svhn/error.h"
#include "svhn/shape.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DATASET_CLASSES 10

typedef enum {
    DATASET_AUTO,   // decided by the files found in the data folder
    DATASET_SVHN,   // train_32x32.mat and test_32x32.mat
    DATASET_MNIST,  // MNIST-format idx files, plain or .gz (MNIST, Fashion-MNIST)
} DatasetKind;

// A labelled image set kept as bytes: images are never stored as floats as a
// whole, only one batch at a time is converted.
typedef struct {
    uint8_t *images;  // (count, shape.channels, shape.height, shape.width), pixel values 0..255
    uint8_t *labels;  // (count), class 0..9, where class k is digit k for SVHN
    int count;
    Shape shape;
} Dataset;

// Reads an SVHN cropped-digits MATLAB file: X is 32x32x3xN uint8 stored
// column-major, y is Nx1 of any numeric class with labels 1..10, where 10
// means digit 0. Returns 0, or -1 with a message naming the file, the
// variable and the offending value.
int dataset_load_svhn_mat(Dataset *dataset, const char *path, Error *error);

// Reads an idx image file (N x rows x cols, unsigned byte) and its idx label
// file (N, unsigned byte, 0..9); either may be gzip-compressed. Images become
// 1 x rows x cols.
int dataset_load_idx(Dataset *dataset, const char *images_path,
                     const char *labels_path, Error *error);

void dataset_free(Dataset *dataset);

// Keeps only the first `limit` examples when limit is positive and smaller
// than the count.
void dataset_truncate(Dataset *dataset, int limit);

// Train and test sets of one data folder.
typedef struct {
    DatasetKind kind;
    Dataset train;
    Dataset test;
} DataSplit;

// Finds and loads the train and test files in `folder`. With DATASET_AUTO
// the kind is SVHN when train_32x32.mat exists, otherwise MNIST when
// train-images-idx3-ubyte or train-images-idx3-ubyte.gz exists.
int data_split_load(DataSplit *split, const char *folder, DatasetKind kind,
                    Error *error);

// Finds and loads only the test files in `folder` and leaves split->train
// empty, so a folder without train files works. With DATASET_AUTO the kind
// is SVHN when test_32x32.mat exists, otherwise MNIST when
// t10k-images-idx3-ubyte or t10k-images-idx3-ubyte.gz exists.
int data_split_load_test(DataSplit *split, const char *folder, DatasetKind kind,
                         Error *error);
void data_split_free(DataSplit *split);

// Returns 1 when `path` names one of the files that data_split_load can read
// from `folder`: the SVHN .mat files and the idx files, plain or .gz,
// whether they exist or not. Returns 0 otherwise. Outputs are checked with
// it so that none is written over the data.
int data_split_names_data_file(const char *folder, const char *path);

const char *dataset_kind_name(DatasetKind kind);

// Per-channel mean and standard deviation of the pixel values scaled to
// [0, 1], over every image of the set. mean and std have shape.channels
// entries.
void dataset_channel_stats(const Dataset *dataset, float *mean, float *std);

// Converts the examples indices[0..batch) to normalised floats:
// images_out[b] = (pixel / 255 - mean[c]) / std[c], shape (batch, C, H, W),
// and copies their labels to labels_out (batch).
void dataset_gather_batch(float *images_out, uint8_t *labels_out,
                          const Dataset *dataset, const int *indices, int batch,
                          const float *mean, const float *std);

#ifdef __cplusplus
}
#endif

#endif
