// Loader for the SVHN cropped-digits MATLAB files (train_32x32.mat,
// test_32x32.mat): X is H x W x 3 x N uint8 in MATLAB's column-major order,
// y contains N labels 1..10 where 10 is digit 0.

#include "svhn/dataset.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <matio.h>

#include "mat5_layout.h"

#define SVHN_CHANNELS 3

static const char *class_name(enum matio_classes class_type)
{
    static const char *const names[] = {
        "empty", "cell", "struct", "object", "char", "sparse", "double", "single",
        "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
        "function", "opaque",
    };
    if ((unsigned)class_type < sizeof names / sizeof names[0]) {
        return names[class_type];
    }
    return "unknown";
}

// Fills `names` with the comma-separated variable names of the file, so a
// "variable not found" error can list what the file does contain.
static void list_variables(mat_t *mat, char *names, size_t size)
{
    names[0] = '\0';

    size_t count = 0;
    char **dir = Mat_GetDir(mat, &count);
    if (dir == NULL || count == 0) {
        snprintf(names, size, "none");
        return;
    }

    size_t used = 0;
    for (size_t i = 0; i < count && used < size; i++) {
        int written = snprintf(names + used, size - used, "%s%s",
                               i > 0 ? ", " : "", dir[i]);
        if (written < 0) {
            break;
        }
        used += (size_t)written;
    }
}

static matvar_t *read_variable_info(mat_t *mat, const char *path,
                                    const char *name, Error *error)
{
    matvar_t *variable = Mat_VarReadInfo(mat, name);
    if (variable == NULL) {
        char names[256];
        list_variables(mat, names, sizeof names);
        error_set(error, "%s: variable %s not found (variables in file: %s)",
                  path, name, names);
    }
    return variable;
}

// Checks that X is a real uint8 array of H x W x 3 x N with every dimension
// positive and N small enough for Dataset.count. mat5_check_layout has
// already checked that the file contains H * W * 3 * N bytes for it.
static int check_images_info(const matvar_t *x, const char *path, Error *error)
{
    if (x->class_type != MAT_C_UINT8) {
        error_set(error, "%s: variable X has MATLAB class %s, expected uint8",
                  path, class_name(x->class_type));
        return -1;
    }
    if (x->isComplex) {
        error_set(error, "%s: variable X is complex, expected real uint8 pixels", path);
        return -1;
    }
    if (x->rank != 4) {
        error_set(error, "%s: variable X has rank %d, expected 4 (height x width x 3 x N)",
                  path, x->rank);
        return -1;
    }

    size_t height = x->dims[0], width = x->dims[1];
    size_t channels = x->dims[2], count = x->dims[3];
    if (height == 0 || width == 0 || channels != SVHN_CHANNELS || count == 0) {
        error_set(error, "%s: variable X has dims %zux%zux%zux%zu, expected "
                  "height x width x 3 x N with every dimension positive",
                  path, height, width, channels, count);
        return -1;
    }

    // Mat_VarReadDataLinear takes the element count as an int.
    if (height * width > INT_MAX / SVHN_CHANNELS
        || count > (size_t)INT_MAX / (height * width * SVHN_CHANNELS)) {
        error_set(error, "%s: variable X has dims %zux%zux%zux%zu, more than "
                  "%d bytes, which this loader does not support",
                  path, height, width, channels, count, INT_MAX);
        return -1;
    }
    return 0;
}

// Turns each column-major H x W plane into a row-major one in place. The
// planes of X(row, col, channel, n) are already in (n, channel) order, which
// is the NCHW plane order, so only the inside of each plane moves. Returns -1
// when a thread cannot allocate its plane buffer.
static int transpose_planes(uint8_t *pixels, size_t planes, int height, int width)
{
    size_t plane_size = (size_t)height * width;
    int failed = 0;

    #pragma omp parallel if (planes > 1024)
    {
        uint8_t *column_major = malloc(plane_size);
        if (column_major == NULL) {
            #pragma omp atomic write
            failed = 1;
        }

        #pragma omp for schedule(static)
        for (size_t p = 0; p < planes; p++) {
            if (column_major == NULL) {
                continue;
            }
            uint8_t *plane = pixels + p * plane_size;
            memcpy(column_major, plane, plane_size);
            for (int row = 0; row < height; row++) {
                for (int col = 0; col < width; col++) {
                    plane[(size_t)row * width + col] =
                        column_major[(size_t)col * height + row];
                }
            }
        }
        free(column_major);
    }
    return failed ? -1 : 0;
}

static int read_images(Dataset *dataset, mat_t *mat, const char *path, Error *error)
{
    matvar_t *x = read_variable_info(mat, path, "X", error);
    if (x == NULL) {
        return -1;
    }
    if (check_images_info(x, path, error) != 0) {
        Mat_VarFree(x);
        return -1;
    }

    int height = (int)x->dims[0], width = (int)x->dims[1];
    int count = (int)x->dims[3];
    size_t planes = (size_t)count * SVHN_CHANNELS;
    size_t total = planes * height * width;

    // Reading straight into the dataset buffer and transposing in place keeps
    // the peak memory at one copy of the pixels (225 MB for the full train set).
    uint8_t *pixels = malloc(total);
    if (pixels == NULL) {
        error_set(error, "%s: variable X: out of memory for %zu bytes of pixels", path, total);
        Mat_VarFree(x);
        return -1;
    }
    if (Mat_VarReadDataLinear(mat, x, pixels, 0, 1, (int)total) != 0) {
        error_set(error, "%s: variable X: reading %zu bytes of pixel data failed "
                  "(file truncated or corrupt)", path, total);
        free(pixels);
        Mat_VarFree(x);
        return -1;
    }
    Mat_VarFree(x);

    if (transpose_planes(pixels, planes, height, width) != 0) {
        error_set(error, "%s: variable X: out of memory for a %dx%d plane buffer",
                  path, height, width);
        free(pixels);
        return -1;
    }

    dataset->images = pixels;
    dataset->count = count;
    dataset->shape = (Shape){.channels = SVHN_CHANNELS, .height = height, .width = width};
    return 0;
}

// Converts the SVHN label at `index` (1..9 are digits, 10 is digit 0) to the
// class 0..9. Returns -1 and writes the offending value as text otherwise.
static int label_to_class(const matvar_t *y, size_t index, uint8_t *class_out,
                          char *value_text, size_t text_size)
{
    int64_t signed_value = 0;
    uint64_t unsigned_value = 0;
    int is_signed = 1;

    switch (y->class_type) {
    case MAT_C_DOUBLE:
    case MAT_C_SINGLE: {
        double value = y->class_type == MAT_C_DOUBLE ? ((const double *)y->data)[index]
                                                     : ((const float *)y->data)[index];
        if (!(value >= 1.0 && value <= 10.0) || value != floor(value)) {
            snprintf(value_text, text_size, "%.17g", value);
            return -1;
        }
        signed_value = (int64_t)value;
        break;
    }
    case MAT_C_INT8:   signed_value = ((const int8_t *)y->data)[index]; break;
    case MAT_C_INT16:  signed_value = ((const int16_t *)y->data)[index]; break;
    case MAT_C_INT32:  signed_value = ((const int32_t *)y->data)[index]; break;
    case MAT_C_INT64:  signed_value = ((const int64_t *)y->data)[index]; break;
    case MAT_C_UINT8:  unsigned_value = ((const uint8_t *)y->data)[index]; is_signed = 0; break;
    case MAT_C_UINT16: unsigned_value = ((const uint16_t *)y->data)[index]; is_signed = 0; break;
    case MAT_C_UINT32: unsigned_value = ((const uint32_t *)y->data)[index]; is_signed = 0; break;
    case MAT_C_UINT64: unsigned_value = ((const uint64_t *)y->data)[index]; is_signed = 0; break;
    default:
        snprintf(value_text, text_size, "of class %s", class_name(y->class_type));
        return -1;
    }

    if (is_signed && (signed_value < 1 || signed_value > 10)) {
        snprintf(value_text, text_size, "%" PRId64, signed_value);
        return -1;
    }
    if (!is_signed) {
        if (unsigned_value < 1 || unsigned_value > 10) {
            snprintf(value_text, text_size, "%" PRIu64, unsigned_value);
            return -1;
        }
        signed_value = (int64_t)unsigned_value;
    }

    *class_out = (uint8_t)(signed_value % 10);
    return 0;
}

static int is_numeric_class(enum matio_classes class_type)
{
    return class_type >= MAT_C_DOUBLE && class_type <= MAT_C_UINT64;
}

static int read_labels(Dataset *dataset, mat_t *mat, const char *path, Error *error)
{
    matvar_t *info = read_variable_info(mat, path, "y", error);
    if (info == NULL) {
        return -1;
    }

    // The shape is checked on the header, before Mat_VarRead allocates the
    // data, so only the labels of the N images in X are ever allocated.
    uint64_t elements = 1;
    for (int d = 0; d < info->rank; d++) {
        elements = info->dims[d] != 0 && elements > UINT64_MAX / info->dims[d]
                       ? UINT64_MAX
                       : elements * info->dims[d];
    }
    int is_vector = info->rank == 2 && (info->dims[0] == 1 || info->dims[1] == 1);
    if (!is_vector || elements != (uint64_t)dataset->count) {
        error_set(error, "%s: variable y has %llu elements (rank %d), expected an "
                  "N x 1 or 1 x N vector with N = %d to match the images in X",
                  path, (unsigned long long)elements, info->rank, dataset->count);
        Mat_VarFree(info);
        return -1;
    }
    Mat_VarFree(info);

    // y is N x 1 and small (73,257 doubles for the full train set), so the
    // whole variable is read at once, converted by matio to its MATLAB class.
    matvar_t *y = Mat_VarRead(mat, "y");
    if (y == NULL || y->data == NULL) {
        error_set(error, "%s: variable y: reading the labels failed (file truncated or corrupt)",
                  path);
        Mat_VarFree(y);
        return -1;
    }
    if (!is_numeric_class(y->class_type) || y->isComplex) {
        error_set(error, "%s: variable y has MATLAB class %s%s, expected a real numeric class",
                  path, class_name(y->class_type), y->isComplex ? " (complex)" : "");
        Mat_VarFree(y);
        return -1;
    }

    const size_t label_count = (size_t)elements;
    uint8_t *labels = malloc(label_count);
    if (labels == NULL) {
        error_set(error, "%s: variable y: out of memory for %zu labels", path, label_count);
        Mat_VarFree(y);
        return -1;
    }
    for (size_t i = 0; i < label_count; i++) {
        char value_text[64];
        if (label_to_class(y, i, &labels[i], value_text, sizeof value_text) != 0) {
            error_set(error, "%s: variable y: invalid label %s at index %zu "
                      "(0-based), expected a whole number 1..10 (10 means digit 0)",
                      path, value_text, i);
            free(labels);
            Mat_VarFree(y);
            return -1;
        }
    }

    Mat_VarFree(y);
    dataset->labels = labels;
    return 0;
}

int dataset_load_svhn_mat(Dataset *dataset, const char *path, Error *error)
{
    memset(dataset, 0, sizeof *dataset);

    // matio returns NULL both for a missing file and for a file that is not a
    // MAT file, and misses truncation, so the container is checked first.
    if (mat5_check_layout(path, error) != 0) {
        return -1;
    }

    mat_t *mat = Mat_Open(path, MAT_ACC_RDONLY);
    if (mat == NULL) {
        error_set(error, "%s: not a MATLAB MAT file (the header is invalid or unsupported)",
                  path);
        return -1;
    }

    if (read_images(dataset, mat, path, error) != 0
        || read_labels(dataset, mat, path, error) != 0) {
        Mat_Close(mat);
        dataset_free(dataset);
        return -1;
    }

    Mat_Close(mat);
    return 0;
}
