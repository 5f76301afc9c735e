// make-svhn: writes a synthetic file in the layout of the SVHN cropped-digits
// files (MAT5, X uint8 32x32x3xN column-major, y N x 1 with labels 1..10,
// where 10 is digit 0). The content depends only on --count and --seed, so
// runs are reproducible. Used for loader tests and throughput runs at the
// full SVHN size (73,257 train / 26,032 test images).

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <matio.h>

#include "bench_args.h"
#include "svhn/dataset.h"
#include "svhn/output_path.h"
#include "svhn/rng.h"

#define IMAGE_SIZE 32
#define IMAGE_CHANNELS 3
#define IMAGE_BYTES (IMAGE_SIZE * IMAGE_SIZE * IMAGE_CHANNELS)

// The loader reads X with one matio call that takes an int element count,
// so larger files could be written but not read back.
#define MAX_COUNT (INT_MAX / IMAGE_BYTES)

// Fixed header text keeps the bytes reproducible, because matio's default
// header contains the creation time.
#define MAT_HEADER "MATLAB 5.0 MAT-file, Platform: make-svhn, synthetic SVHN layout"

typedef struct {
    const char *name;
    enum matio_classes class_type;
    enum matio_types data_type;
    size_t element_size;
} LabelClass;

static const LabelClass LABEL_CLASSES[] = {
    {"double", MAT_C_DOUBLE, MAT_T_DOUBLE, sizeof(double)},
    {"single", MAT_C_SINGLE, MAT_T_SINGLE, sizeof(float)},
    {"int8", MAT_C_INT8, MAT_T_INT8, 1},
    {"uint8", MAT_C_UINT8, MAT_T_UINT8, 1},
    {"int16", MAT_C_INT16, MAT_T_INT16, 2},
    {"uint16", MAT_C_UINT16, MAT_T_UINT16, 2},
    {"int32", MAT_C_INT32, MAT_T_INT32, 4},
    {"uint32", MAT_C_UINT32, MAT_T_UINT32, 4},
    {"int64", MAT_C_INT64, MAT_T_INT64, 8},
    {"uint64", MAT_C_UINT64, MAT_T_UINT64, 8},
};
#define LABEL_CLASS_COUNT (sizeof LABEL_CLASSES / sizeof LABEL_CLASSES[0])

typedef struct {
    long count;
    const char *out;
    uint64_t seed;
    int compress;
    const LabelClass *label_class;
} Options;

static void print_help(FILE *stream)
{
    fprintf(stream,
            "Usage: make-svhn --count N --out FILE [options]\n"
            "Writes a synthetic SVHN-layout MATLAB file: X is uint8 32x32x3xN\n"
            "(column-major), y is N x 1 with labels 1..10 (10 means digit 0).\n"
            "Each image is random noise with a bright horizontal band whose row\n"
            "depends on the digit, so a model can learn the labels.\n"
            "\n"
            "  --count N            number of images, 1..%d (required)\n"
            "  --out FILE           output path; written to a temporary file next to it,\n"
            "                       read back, then renamed (required)\n"
            "  --seed S             generator seed, 0..2^64-1 (default 1)\n"
            "  --compress           zlib-compress the variables, as the official files are (default)\n"
            "  --no-compress        store the variables uncompressed\n"
            "  --label-class NAME   MATLAB class of y: double (default, as in the official\n"
            "                       files), single, int8, uint8, int16, uint16, int32,\n"
            "                       uint32, int64 or uint64\n"
            "  --help               print this help\n",
            MAX_COUNT);
}

static const char *option_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "make-svhn: option %s requires a value (see --help)\n", argv[*i]);
        return NULL;
    }
    *i += 1;
    return argv[*i];
}


static int parse_count(const char *text, long *count)
{
    long value;
    if (bench_parse_int(text, 1, MAX_COUNT, &value) != 0) {
        fprintf(stderr, "make-svhn: invalid --count '%s', expected an integer 1..%d\n",
                text, MAX_COUNT);
        return -1;
    }
    *count = value;
    return 0;
}

static int parse_seed(const char *text, uint64_t *seed)
{
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || !isdigit((unsigned char)text[0])) {
        fprintf(stderr, "make-svhn: invalid --seed '%s', expected an integer 0..%" PRIu64 "\n",
                text, UINT64_MAX);
        return -1;
    }
    *seed = (uint64_t)value;
    return 0;
}

static int parse_label_class(const char *text, const LabelClass **label_class)
{
    for (size_t i = 0; i < LABEL_CLASS_COUNT; i++) {
        if (strcmp(text, LABEL_CLASSES[i].name) == 0) {
            *label_class = &LABEL_CLASSES[i];
            return 0;
        }
    }
    fprintf(stderr, "make-svhn: invalid --label-class '%s', expected double, single, "
            "int8, uint8, int16, uint16, int32, uint32, int64 or uint64\n", text);
    return -1;
}

// Returns 0 to run, 1 after --help, -1 on an invalid command line.
static int parse_options(Options *options, int argc, char **argv)
{
    *options = (Options){.count = 0, .out = NULL, .seed = 1, .compress = 1,
                         .label_class = &LABEL_CLASSES[0]};

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(stdout);
            return 1;
        } else if (strcmp(arg, "--compress") == 0) {
            options->compress = 1;
        } else if (strcmp(arg, "--no-compress") == 0) {
            options->compress = 0;
        } else if (strcmp(arg, "--count") == 0) {
            if ((value = option_value(argc, argv, &i)) == NULL
                || parse_count(value, &options->count) != 0) {
                return -1;
            }
        } else if (strcmp(arg, "--out") == 0) {
            if ((value = option_value(argc, argv, &i)) == NULL) {
                return -1;
            }
            options->out = value;
        } else if (strcmp(arg, "--seed") == 0) {
            if ((value = option_value(argc, argv, &i)) == NULL
                || parse_seed(value, &options->seed) != 0) {
                return -1;
            }
        } else if (strcmp(arg, "--label-class") == 0) {
            if ((value = option_value(argc, argv, &i)) == NULL
                || parse_label_class(value, &options->label_class) != 0) {
                return -1;
            }
        } else if (arg[0] != '-') {
            fprintf(stderr, "make-svhn: unexpected argument '%s': make-svhn takes only "
                    "options (see --help)\n", arg);
            return -1;
        } else {
            fprintf(stderr, "make-svhn: unknown option '%s' (see --help)\n", arg);
            return -1;
        }
    }

    if (options->count == 0) {
        fprintf(stderr, "make-svhn: missing --count N (1..%d)\n", MAX_COUNT);
        return -1;
    }
    if (options->out == NULL || options->out[0] == '\0') {
        fprintf(stderr, "make-svhn: missing --out FILE\n");
        return -1;
    }
    return 0;
}

// Fills image n of X, stored column-major as X(row, col, channel, n): noise
// in 0..127 everywhere, and 192..255 on rows 3*digit+1 .. 3*digit+3.
static void fill_image(uint8_t *x, size_t n, int digit, Rng *rng)
{
    uint8_t *image = x + n * IMAGE_BYTES;
    int band_first = 3 * digit + 1, band_last = 3 * digit + 3;

    for (int channel = 0; channel < IMAGE_CHANNELS; channel++) {
        for (int col = 0; col < IMAGE_SIZE; col++) {
            // One 64-bit draw gives noise for 8 pixels of the column.
            uint64_t bits = 0;
            for (int row = 0; row < IMAGE_SIZE; row++) {
                if (row % 8 == 0) {
                    bits = rng_next_u64(rng);
                }
                uint8_t noise = (uint8_t)(bits & 0x7f);
                bits >>= 8;

                int in_band = row >= band_first && row <= band_last;
                uint8_t value = in_band ? (uint8_t)(192 + (noise >> 1)) : noise;
                image[row + IMAGE_SIZE * (col + IMAGE_SIZE * channel)] = value;
            }
        }
    }
}

// Stores the SVHN label (1..10) in y[n] as the requested MATLAB class.
static void store_label(void *y, size_t n, const LabelClass *label_class, int label)
{
    switch (label_class->class_type) {
    case MAT_C_DOUBLE: ((double *)y)[n] = label; break;
    case MAT_C_SINGLE: ((float *)y)[n] = (float)label; break;
    case MAT_C_INT8:   ((int8_t *)y)[n] = (int8_t)label; break;
    case MAT_C_UINT8:  ((uint8_t *)y)[n] = (uint8_t)label; break;
    case MAT_C_INT16:  ((int16_t *)y)[n] = (int16_t)label; break;
    case MAT_C_UINT16: ((uint16_t *)y)[n] = (uint16_t)label; break;
    case MAT_C_INT32:  ((int32_t *)y)[n] = label; break;
    case MAT_C_UINT32: ((uint32_t *)y)[n] = (uint32_t)label; break;
    case MAT_C_INT64:  ((int64_t *)y)[n] = label; break;
    case MAT_C_UINT64: ((uint64_t *)y)[n] = (uint64_t)label; break;
    default: break;
    }
}

static int write_variable(mat_t *mat, const char *name, enum matio_classes class_type,
                          enum matio_types data_type, int rank, size_t *dims, void *data,
                          int compress, const char *path)
{
    matvar_t *variable = Mat_VarCreate(name, class_type, data_type, rank, dims, data,
                                       MAT_F_DONT_COPY_DATA);
    if (variable == NULL) {
        fprintf(stderr, "make-svhn: %s: creating variable %s failed\n", path, name);
        return -1;
    }
    int status = Mat_VarWrite(mat, variable, compress ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE);
    Mat_VarFree(variable);
    if (status != 0) {
        fprintf(stderr, "make-svhn: %s: writing variable %s failed (check the free disk space)\n", path, name);
        return -1;
    }
    return 0;
}

static int write_file(const char *path, const Options *options, uint8_t *x, void *y)
{
    mat_t *mat = Mat_CreateVer(path, MAT_HEADER, MAT_FT_MAT5);
    if (mat == NULL) {
        fprintf(stderr, "make-svhn: %s: cannot create file: %s\n", path, strerror(errno));
        return -1;
    }

    size_t count = (size_t)options->count;
    size_t x_dims[4] = {IMAGE_SIZE, IMAGE_SIZE, IMAGE_CHANNELS, count};
    size_t y_dims[2] = {count, 1};
    const LabelClass *label_class = options->label_class;

    int status = write_variable(mat, "X", MAT_C_UINT8, MAT_T_UINT8, 4, x_dims, x,
                                options->compress, path);
    if (status == 0) {
        status = write_variable(mat, "y", label_class->class_type, label_class->data_type,
                                2, y_dims, y, options->compress, path);
    }
    if (Mat_Close(mat) != 0 && status == 0) {
        fprintf(stderr, "make-svhn: %s: closing the file failed\n", path);
        status = -1;
    }
    return status;
}

// Reads the written file back with the trainer's own reader and flushes it
// to disk. matio does not report every failed write: on a full disk it can
// leave an empty file and still return success.
static int verify_file(const char *path, const Options *options)
{
    Dataset check = {0};
    Error error = {{0}};
    if (dataset_load_svhn_mat(&check, path, &error) != 0) {
        fprintf(stderr, "make-svhn: %s: the written file does not read back (%s); is the "
                "disk full? %s is unchanged\n", options->out, error.message, options->out);
        return -1;
    }
    const long count = check.count;
    dataset_free(&check);
    if (count != options->count) {
        fprintf(stderr, "make-svhn: %s: the written file reads back with %ld images instead "
                "of %ld; %s is unchanged\n", options->out, count, options->count, options->out);
        return -1;
    }

    int fd = open(path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        fprintf(stderr, "make-svhn: %s: flushing %s to disk failed: %s; %s is unchanged\n",
                options->out, path, strerror(errno), options->out);
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    Options options;
    int parsed = parse_options(&options, argc, argv);
    if (parsed != 0) {
        return parsed > 0 ? 0 : 2;
    }

    size_t count = (size_t)options.count;
    uint8_t *x = malloc(count * IMAGE_BYTES);
    void *y = malloc(count * options.label_class->element_size);
    if (x == NULL || y == NULL) {
        fprintf(stderr, "make-svhn: out of memory for %zu images\n", count);
        free(x);
        free(y);
        return 1;
    }

    // Labels and pixels come from one generator in a fixed order, so the
    // file depends only on the seed and the count.
    Rng rng;
    rng_seed(&rng, options.seed);
    for (size_t n = 0; n < count; n++) {
        int digit = (int)rng_below(&rng, 10);
        store_label(y, n, options.label_class, digit == 0 ? 10 : digit);
        fill_image(x, n, digit, &rng);
    }

    // Writing to a temporary file next to FILE, checking it and renaming it
    // means a failed run never leaves a partial FILE behind.
    Error error = {{0}};
    char tmp_path[4096];
    int fd = -1;
    if (output_path_check(options.out, "--out file", &error) == 0) {
        fd = output_path_create_temp(options.out, "--out file", tmp_path, sizeof tmp_path,
                                     &error);
    }
    if (fd < 0) {
        fprintf(stderr, "make-svhn: %s\n", error.message);
        free(x);
        free(y);
        return 1;
    }
    close(fd);

    int status = write_file(tmp_path, &options, x, y);
    if (status == 0) {
        status = verify_file(tmp_path, &options);
    }
    if (status == 0 && rename(tmp_path, options.out) != 0) {
        fprintf(stderr, "make-svhn: renaming %s to %s failed: %s\n",
                tmp_path, options.out, strerror(errno));
        status = -1;
    }
    if (status != 0) {
        remove(tmp_path);
    }

    free(x);
    free(y);
    return status == 0 ? 0 : 1;
}
