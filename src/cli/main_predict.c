// svhn-predict: classifies images with a saved model and prints the class
// and its probability for each.

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"
#include "option_error.h"
#include "svhn/checkpoint.h"

enum { EXIT_SOME_FAILED = 1, EXIT_INVALID_OPTION = 2 };

static const char help_text[] =
    "Usage: svhn-predict --model-file PATH IMAGE...\n"
    "Classify each IMAGE with a model saved by svhn-train --save and print its\n"
    "class and the softmax probability of that class.\n"
    "\n"
    "IMAGE is a PNG file, or FILE.mat:N for example N (counted from 0) of an SVHN\n"
    ".mat file, which also prints its label. A PNG of any size, colour type and bit\n"
    "depth is converted to the model's input: alpha is dropped, RGB becomes gray by\n"
    "0.299 R + 0.587 G + 0.114 B when the model takes gray images, gray is copied to\n"
    "three channels when it takes RGB, and the image is resized by area averaging.\n"
    "\n"
    "  --model-file PATH  checkpoint written by svhn-train --save (required)\n"
    "  --help             show this help and exit\n"
    "\n"
    "An image that cannot be read is reported and the others are still classified.\n"
    "Exit status: 0 when every image was classified, 1 when any failed or the\n"
    "model file cannot be read, 2 on invalid options.\n";

// The model and the .mat file read last, kept across images.
typedef struct {
    const char *model_file;
    Checkpoint checkpoint;
    Network *network;
    char mat_path[4096];
    Dataset mat;  // count 0 when none is loaded
} Predictor;

// Kind of an image argument, which decides how predict_one reads it.
typedef enum {
    ARGUMENT_PNG,            // a PNG file
    ARGUMENT_MAT_ENTRY,      // FILE.mat:N
    ARGUMENT_INVALID_INDEX,  // an existing FILE.mat followed by ':' and no plain index
    ARGUMENT_INDEX_NOT_MAT,  // FILE:TEXT for an existing FILE not ending in .mat
} ArgumentKind;

static int path_exists(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0;
}

// Parses an example index of plain decimal digits, without a sign or white
// space. Returns 0, or -1 when text is not such a number or overflows.
static int parse_index(const char *text, long *index)
{
    if (text[0] == '\0' || strspn(text, "0123456789") != strlen(text)) {
        return -1;
    }
    errno = 0;
    *index = strtol(text, NULL, 10);
    return errno == 0 ? 0 : -1;
}

// Decides how to read `text`. For the kinds other than ARGUMENT_PNG, sets
// path to the part before the last ':', and for ARGUMENT_MAT_ENTRY also
// sets index.
static ArgumentKind classify_argument(const char *text, char *path, size_t path_size,
                                      long *index)
{
    const char *colon = strrchr(text, ':');
    if (colon == NULL || (size_t)(colon - text) >= path_size) {
        return ARGUMENT_PNG;
    }
    const size_t path_length = (size_t)(colon - text);
    memcpy(path, text, path_length);
    path[path_length] = '\0';
    const int is_mat = path_length >= 4 && strcmp(path + path_length - 4, ".mat") == 0;
    if (is_mat && parse_index(colon + 1, index) == 0) {
        return ARGUMENT_MAT_ENTRY;
    }

    // A file whose own name contains the ':' is read as a PNG. Otherwise the
    // text after the ':' of an existing file was meant as an index.
    if (path_exists(text) || !path_exists(path)) {
        return ARGUMENT_PNG;
    }
    return is_mat ? ARGUMENT_INVALID_INDEX : ARGUMENT_INDEX_NOT_MAT;
}

// Loads the SVHN .mat file at path into predictor->mat unless it is already
// there. Returns 0 or -1.
static int load_mat_file(Predictor *predictor, const char *path, Error *error)
{
    if (predictor->mat.count > 0 && strcmp(predictor->mat_path, path) == 0) {
        return 0;
    }
    dataset_free(&predictor->mat);
    predictor->mat = (Dataset){0};
    if (dataset_load_svhn_mat(&predictor->mat, path, error) != 0) {
        predictor->mat = (Dataset){0};
        return -1;
    }
    snprintf(predictor->mat_path, sizeof predictor->mat_path, "%s", path);
    return 0;
}

// Sets error for an argument FILE.mat:TEXT whose TEXT is not plain decimal
// digits or overflows, with the valid range when the file can be read.
static void report_invalid_index(Predictor *predictor, const char *argument, const char *path,
                                 Error *error)
{
    const char *index_text = strrchr(argument, ':') + 1;
    Error load_error = {{0}};
    if (load_mat_file(predictor, path, &load_error) == 0) {
        error_set(error, "%s: invalid example index '%s': expected an integer in 0..%d, "
                  "written in digits only", argument, index_text, predictor->mat.count - 1);
    } else {
        error_set(error, "%s: invalid example index '%s': expected a non-negative integer, "
                  "written in digits only", argument, index_text);
    }
}

// Loads example `index` of an SVHN .mat file as an image. Returns 0 or -1.
static int load_mat_entry(Predictor *predictor, const char *path, long index, Image *image,
                          int *label, Error *error)
{
    if (load_mat_file(predictor, path, error) != 0) {
        return -1;
    }
    const Dataset *mat = &predictor->mat;
    if (index < 0 || index >= mat->count) {
        error_set(error, "%s: example index %ld is outside 0..%d", path, index, mat->count - 1);
        return -1;
    }
    const size_t size = shape_size(mat->shape);
    image->shape = mat->shape;
    image->pixels = malloc(size);
    if (image->pixels == NULL) {
        error_set(error, "%s: out of memory", path);
        return -1;
    }
    memcpy(image->pixels, mat->images + (size_t)index * size, size);
    *label = mat->labels[index];
    return 0;
}

// Converts and normalises the image, runs the model and writes the most
// likely class and its probability. Returns 0 or -1.
static int classify(Predictor *predictor, const Image *image, int *best, double *probability,
                    Error *error)
{
    const Shape shape = predictor->checkpoint.input_shape;
    const size_t size = shape_size(shape);
    uint8_t *pixels = malloc(size);
    float *input = malloc(size * sizeof(float));
    int status = pixels != NULL && input != NULL ? 0 : -1;
    if (status != 0) {
        error_set(error, "out of memory");
    }
    if (status == 0) {
        status = image_convert(image->pixels, image->shape, pixels, shape, error);
    }
    if (status == 0) {
        const Normalization *n = &predictor->checkpoint.progress.normalization;
        const size_t plane = (size_t)shape.height * shape.width;
        for (size_t i = 0; i < size; i++) {
            const int c = (int)(i / plane);
            input[i] = (pixels[i] / 255.0f - n->mean[c]) / n->std[c];
        }
        const float *logits = network_forward(predictor->network, input, 1);
        const int classes = predictor->checkpoint.classes;

        // Softmax of the largest logit: 1 / sum(exp(l_k - l_best)).
        *best = 0;
        for (int k = 1; k < classes; k++) {
            *best = logits[k] > logits[*best] ? k : *best;
        }
        double sum = 0.0;
        for (int k = 0; k < classes; k++) {
            sum += exp((double)logits[k] - logits[*best]);
        }
        *probability = 1.0 / sum;
    }
    free(pixels);
    free(input);
    return status;
}

// Classifies one argument and prints its line. Returns 0, or -1 with a message.
static int predict_one(Predictor *predictor, const char *argument, Error *error)
{
    char mat_path[4096];
    long index = 0;
    int label = -1;
    Image image = {0};
    int status;
    switch (classify_argument(argument, mat_path, sizeof mat_path, &index)) {
    case ARGUMENT_MAT_ENTRY:
        status = load_mat_entry(predictor, mat_path, index, &image, &label, error);
        break;
    case ARGUMENT_INVALID_INDEX:
        report_invalid_index(predictor, argument, mat_path, error);
        status = -1;
        break;
    case ARGUMENT_INDEX_NOT_MAT:
        error_set(error, "%s: only SVHN .mat files take an example index (FILE.mat:N), and "
                  "%s does not end in .mat", argument, mat_path);
        status = -1;
        break;
    default:
        status = image_read_png(argument, &image, error);
        break;
    }

    int best = 0;
    double probability = 0.0;
    if (status == 0) {
        Error convert_error = {{0}};
        status = classify(predictor, &image, &best, &probability, &convert_error);
        if (status != 0) {
            error_set(error, "%s: %s", argument, convert_error.message);
        }
    }
    image_free(&image);
    if (status != 0) {
        return -1;
    }
    printf("%s: class %d, probability %.4f", argument, best, probability);
    if (label >= 0) {
        printf(", label %d", label);
    }
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"model-file", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    Predictor predictor = {0};
    opterr = 0;
    int option;
    while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (option == 'h') {
            fputs(help_text, stdout);
            return 0;
        }
        if (option != 'm') {
            Error error = {0};
            option_error_describe(&error, argv[optind - 1]);
            fprintf(stderr, "svhn-predict: %s\n", error.message);
            return EXIT_INVALID_OPTION;
        }
        predictor.model_file = optarg;
    }
    if (predictor.model_file == NULL || optind >= argc) {
        fprintf(stderr, "svhn-predict: expected --model-file PATH and at least one image; "
                "see --help\n");
        return EXIT_INVALID_OPTION;
    }

    Error error = {{0}};
    if (checkpoint_load(predictor.model_file, &predictor.checkpoint, &error) != 0 ||
        (predictor.network = checkpoint_create_network(&predictor.checkpoint,
                                                       predictor.model_file, 1,
                                                       BACKEND_FAST, &error)) == NULL) {
        fprintf(stderr, "svhn-predict: %s\n", error.message);
        checkpoint_free(&predictor.checkpoint);
        return EXIT_SOME_FAILED;
    }

    int failed = 0;
    for (int i = optind; i < argc; i++) {
        if (predict_one(&predictor, argv[i], &error) != 0) {
            fprintf(stderr, "svhn-predict: %s\n", error.message);
            failed++;
        }
    }
    if (failed > 0) {
        fprintf(stderr, "svhn-predict: %d of %d images failed\n", failed, argc - optind);
    }
    network_free(predictor.network);
    checkpoint_free(&predictor.checkpoint);
    dataset_free(&predictor.mat);
    return failed > 0 ? EXIT_SOME_FAILED : 0;
}
