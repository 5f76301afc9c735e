// svhn-eval: evaluates a saved model on the test set of a data folder and
// prints its accuracy, confusion matrix and per-class precision and recall.

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "option_error.h"
#include "svhn/checkpoint.h"
#include "svhn/confusion.h"

enum { EXIT_RUNTIME_ERROR = 1, EXIT_INVALID_OPTION = 2 };

// Examples per forward pass; only memory and speed depend on it.
#define EVAL_BATCH 250

static const char help_text[] =
    "Usage: svhn-eval --model-file PATH [--data DIR] [OPTION]...\n"
    "Evaluate a model saved by svhn-train --save on the test set of DIR: accuracy,\n"
    "loss, the 10x10 confusion matrix and per-class precision and recall.\n"
    "\n"
    "  --model-file PATH  checkpoint written by svhn-train --save (required)\n"
    "  --data DIR         folder with test_32x32.mat (SVHN) or the t10k idx files\n"
    "                     (MNIST format); train files are not needed; default\n"
    "                     data/svhn\n"
    "  --dataset KIND     svhn, mnist or auto (decide from the files); default auto\n"
    "  --test-limit N     evaluate only the first N test examples\n"
    "  --threads N        compute threads, 1..1024; default: all available cores\n"
    "  --json             print the results as one JSON object instead of tables\n"
    "  --help             show this help and exit\n"
    "\n"
    "Exit status: 0 on success, 1 on a data or model file error, 2 on an invalid\n"
    "option.\n";

typedef struct {
    const char *model_file;
    const char *data_dir;
    DatasetKind dataset;
    int test_limit;
    int threads;
    int json;
} EvalOptions;

// Parses a whole decimal integer in 1..max. Leading white space, which
// strtol would skip, is rejected like trailing white space.
static int parse_count(const char *text, int max, int *value)
{
    if (isspace((unsigned char)text[0])) {
        return -1;
    }
    char *end;
    errno = 0;
    long parsed = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || parsed < 1 || parsed > max) {
        return -1;
    }
    *value = (int)parsed;
    return 0;
}

// Parses argv. Returns 0 to run, 1 after --help, or -1 with a message.
static int parse_options(EvalOptions *options, int argc, char **argv, Error *error)
{
    static const struct option long_options[] = {
        {"model-file", required_argument, NULL, 'm'}, {"data", required_argument, NULL, 'd'},
        {"dataset", required_argument, NULL, 'k'},    {"test-limit", required_argument, NULL, 'l'},
        {"threads", required_argument, NULL, 't'},    {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
    };
    *options = (EvalOptions){.data_dir = "data/svhn", .dataset = DATASET_AUTO};
    opterr = 0;
    int option;
    while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (option) {
        case 'm': options->model_file = optarg; break;
        case 'd': options->data_dir = optarg; break;
        case 'j': options->json = 1; break;
        case 'h': fputs(help_text, stdout); return 1;
        case 'k':
            if (strcmp(optarg, "svhn") == 0) {
                options->dataset = DATASET_SVHN;
            } else if (strcmp(optarg, "mnist") == 0) {
                options->dataset = DATASET_MNIST;
            } else if (strcmp(optarg, "auto") == 0) {
                options->dataset = DATASET_AUTO;
            } else {
                error_set(error, "invalid value '%s' for --dataset: expected svhn, mnist or "
                          "auto", optarg);
                return -1;
            }
            break;
        case 'l':
            if (parse_count(optarg, 1000000000, &options->test_limit) != 0) {
                error_set(error, "invalid value '%s' for --test-limit: expected an integer "
                          "in 1..1000000000", optarg);
                return -1;
            }
            break;
        case 't':
            if (parse_count(optarg, 1024, &options->threads) != 0) {
                error_set(error, "invalid value '%s' for --threads: expected an integer in "
                          "1..1024", optarg);
                return -1;
            }
            break;
        default:
            option_error_describe(error, argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        error_set(error, "unexpected argument '%s'; see --help", argv[optind]);
        return -1;
    }
    if (options->model_file == NULL) {
        error_set(error, "--model-file PATH is required; see --help");
        return -1;
    }
    return 0;
}

// Writes text as a JSON string literal.
static void print_json_string(const char *text)
{
    putchar('"');
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\') {
            printf("\\%c", *c);
        } else if (*c < 0x20) {
            printf("\\u%04x", *c);
        } else {
            putchar(*c);
        }
    }
    putchar('"');
}

static long class_support(const ConfusionMatrix *m, int c)
{
    long support = 0;
    for (int p = 0; p < DATASET_CLASSES; p++) {
        support += m->counts[c][p];
    }
    return support;
}

static void print_json(const EvalOptions *options, const Checkpoint *checkpoint,
                       const ConfusionMatrix *m)
{
    printf("{\"model_file\": ");
    print_json_string(options->model_file);
    printf(", \"model\": \"%s\", \"epochs_trained\": %d, \"examples\": %ld, "
           "\"accuracy\": %.6f, \"loss\": %.6f,\n \"confusion_matrix\": [",
           model_kind_name(checkpoint->model), checkpoint->progress.epochs_done, m->total,
           confusion_accuracy(m), m->total > 0 ? m->loss_sum / m->total : 0.0);
    for (int t = 0; t < DATASET_CLASSES; t++) {
        printf("%s[", t > 0 ? ",\n  " : "");
        for (int p = 0; p < DATASET_CLASSES; p++) {
            printf("%s%ld", p > 0 ? ", " : "", m->counts[t][p]);
        }
        printf("]");
    }
    printf("],\n \"classes\": [");
    for (int c = 0; c < DATASET_CLASSES; c++) {
        printf("%s{\"class\": %d, \"precision\": %.6f, \"recall\": %.6f, \"support\": %ld}",
               c > 0 ? ",\n  " : "", c, confusion_precision(m, c), confusion_recall(m, c),
               class_support(m, c));
    }
    printf("]}\n");
}

static void print_tables(const EvalOptions *options, const Checkpoint *checkpoint,
                         const ConfusionMatrix *m)
{
    const Shape s = checkpoint->input_shape;
    printf("model: %s %dx%dx%d from %s, trained %d epochs\n",
           model_kind_name(checkpoint->model), s.channels, s.height, s.width,
           options->model_file, checkpoint->progress.epochs_done);
    printf("test accuracy %.2f%% (%ld of %ld), test loss %.4f\n\n",
           100.0 * confusion_accuracy(m), (long)(confusion_accuracy(m) * m->total + 0.5),
           m->total, m->total > 0 ? m->loss_sum / m->total : 0.0);

    printf("confusion matrix (rows: true class, columns: predicted class)\n");
    printf("%6s", "");
    for (int p = 0; p < DATASET_CLASSES; p++) {
        printf("%7d", p);
    }
    printf("\n");
    for (int t = 0; t < DATASET_CLASSES; t++) {
        printf("%6d", t);
        for (int p = 0; p < DATASET_CLASSES; p++) {
            printf("%7ld", m->counts[t][p]);
        }
        printf("\n");
    }

    printf("\n%5s %10s %8s %8s\n", "class", "precision", "recall", "support");
    for (int c = 0; c < DATASET_CLASSES; c++) {
        printf("%5d %9.2f%% %7.2f%% %8ld\n", c, 100.0 * confusion_precision(m, c),
               100.0 * confusion_recall(m, c), class_support(m, c));
    }
}

// Loads the model and the data and fills the matrix. Returns 0 or -1.
static int evaluate_model(const EvalOptions *options, Checkpoint *checkpoint,
                          ConfusionMatrix *matrix, Error *error)
{
    if (checkpoint_load(options->model_file, checkpoint, error) != 0) {
        return -1;
    }
    // The normalisation statistics come from the checkpoint, so the train
    // files are neither needed nor read.
    DataSplit data;
    if (data_split_load_test(&data, options->data_dir, options->dataset, error) != 0) {
        return -1;
    }
    dataset_truncate(&data.test, options->test_limit);
    int status = checkpoint_check_model(checkpoint, options->model_file, checkpoint->model,
                                        data.test.shape, error);
    Network *network = NULL;
    if (status == 0) {
        network = checkpoint_create_network(checkpoint, options->model_file, EVAL_BATCH,
                                            BACKEND_FAST, error);
        status = network != NULL ? 0 : -1;
    }
    if (status == 0) {
        status = confusion_evaluate(network, &data.test, &checkpoint->progress.normalization,
                                    EVAL_BATCH, matrix, error);
    }
    network_free(network);
    data_split_free(&data);
    return status;
}

int main(int argc, char **argv)
{
    EvalOptions options;
    Error error = {{0}};
    int parsed = parse_options(&options, argc, argv, &error);
    if (parsed != 0) {
        if (parsed < 0) {
            fprintf(stderr, "svhn-eval: %s\n", error.message);
        }
        return parsed < 0 ? EXIT_INVALID_OPTION : 0;
    }
    omp_set_num_threads(options.threads > 0 ? options.threads : omp_get_num_procs());

    Checkpoint checkpoint;
    ConfusionMatrix matrix;
    if (evaluate_model(&options, &checkpoint, &matrix, &error) != 0) {
        fprintf(stderr, "svhn-eval: %s\n", error.message);
        checkpoint_free(&checkpoint);
        return EXIT_RUNTIME_ERROR;
    }
    if (options.json) {
        print_json(&options, &checkpoint, &matrix);
    } else {
        print_tables(&options, &checkpoint, &matrix);
    }
    checkpoint_free(&checkpoint);
    return 0;
}
