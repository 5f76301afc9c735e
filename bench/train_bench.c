// train_bench: measures training and inference throughput (examples per
// second) of the models on random data held in memory. No data loading or
// normalisation is timed. A training step is forward, softmax cross-entropy,
// backward and one Adam update, as in the trainer. Each configuration runs
// `runs` timed runs of `steps` steps after a warm-up and reports the median.
//
// Output: one line per configuration, for example
//   model lnet input 3x32x32 batch 250 backend fast threads 2
//   train 30000 ex/s infer 90000 ex/s

#include <ctype.h>
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_args.h"
#include "svhn/loss.h"
#include "svhn/models.h"
#include "svhn/optimizer.h"
#include "svhn/rng.h"

#define MAX_THREAD_SETTINGS 8
#define DATA_BATCHES 4  // distinct random batches, cycled through
#define CLASSES 10
#define MAX_SIDE 4096   // largest C, H or W of --input
#define MAX_COUNT 1000000   // largest --batch or --steps
#define MAX_RUNS 64
// Largest random data set, in floats: 2^28 floats are 1 GiB. The limit
// rejects a too large --input and --batch before anything is allocated,
// and keeps a batch's float count far below INT_MAX.
// NOTE: the models' own buffers are not limited here. MLP's first Linear
// has C x H x W x 1024 weights, and model_create reports when they do not fit.
#define MAX_DATA_FLOATS ((size_t)1 << 28)

typedef struct {
    const char *models;       // "lnet", "mlp" or "all"
    Shape shape;
    int batch;
    Backend backend;
    int threads[MAX_THREAD_SETTINGS];
    int thread_settings;
    int runs;
    int steps;
    int warmup_steps;
} BenchOptions;

typedef struct {
    float *images;    // (DATA_BATCHES * batch, shape)
    uint8_t *labels;  // (DATA_BATCHES * batch)
    float *probs;     // (batch, CLASSES)
    float *dlogits;   // (batch, CLASSES)
} BenchData;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count)
{
    qsort(values, (size_t)count, sizeof(double), compare_doubles);
    return count % 2 == 1 ? values[count / 2]
                          : 0.5 * (values[count / 2 - 1] + values[count / 2]);
}

static void train_step(Network *network, Optimizer *optimizer, BenchData *data,
                       int step, int batch)
{
    const size_t example_size = shape_size(network->input_shape);
    const int slot = step % DATA_BATCHES;
    const float *images = data->images + (size_t)slot * batch * example_size;
    const uint8_t *labels = data->labels + (size_t)slot * batch;

    const float *logits = network_forward(network, images, batch);
    softmax_cross_entropy_forward(data->probs, logits, labels, batch, CLASSES);
    softmax_cross_entropy_backward(data->dlogits, data->probs, labels, batch, CLASSES);
    network_zero_grad(network);
    network_backward(network, images, data->dlogits, batch);
    optimizer_step(optimizer, network->params, network->grads);
}

static void infer_step(Network *network, BenchData *data, int step, int batch)
{
    const size_t example_size = shape_size(network->input_shape);
    const int slot = step % DATA_BATCHES;
    network_forward(network, data->images + (size_t)slot * batch * example_size, batch);
}

// Returns the median examples per second over the timed runs.
static double measure(Network *network, Optimizer *optimizer, BenchData *data,
                      const BenchOptions *options)
{
    double rates[MAX_RUNS];
    const int runs = options->runs;

    for (int step = 0; step < options->warmup_steps; step++) {
        if (optimizer != NULL) {
            train_step(network, optimizer, data, step, options->batch);
        } else {
            infer_step(network, data, step, options->batch);
        }
    }
    for (int run = 0; run < runs; run++) {
        double start = now_seconds();
        for (int step = 0; step < options->steps; step++) {
            if (optimizer != NULL) {
                train_step(network, optimizer, data, step, options->batch);
            } else {
                infer_step(network, data, step, options->batch);
            }
        }
        double seconds = now_seconds() - start;
        rates[run] = (double)options->steps * options->batch / seconds;
    }
    return median(rates, runs);
}

static int bench_model(ModelKind kind, int threads, BenchData *data,
                       const BenchOptions *options)
{
    Error error = {{0}};

    // Before model_create, because oneDNN sizes its work split for the
    // thread count at primitive creation.
    omp_set_num_threads(threads);
    Network *network = model_create(kind, options->shape, CLASSES, options->batch,
                                    options->backend, &error);
    if (network == NULL) {
        fprintf(stderr, "train_bench: cannot create %s: %s\n", model_kind_name(kind),
                error.message);
        return -1;
    }
    Rng rng;
    rng_seed(&rng, 1);
    network_init_params(network, &rng);

    OptimizerConfig config = optimizer_default_config(OPTIMIZER_ADAM);
    Optimizer optimizer;
    if (optimizer_init(&optimizer, &config, network->param_count, &error) != 0) {
        fprintf(stderr, "train_bench: %s\n", error.message);
        network_free(network);
        return -1;
    }

    double train_rate = measure(network, &optimizer, data, options);
    double infer_rate = measure(network, NULL, data, options);
    printf("model %s input %dx%dx%d batch %d backend %s threads %d train %.0f ex/s "
           "infer %.0f ex/s\n", model_kind_name(kind), options->shape.channels,
           options->shape.height, options->shape.width, options->batch,
           backend_name(options->backend), threads, train_rate, infer_rate);
    fflush(stdout);

    optimizer_free(&optimizer);
    network_free(network);
    return 0;
}

static int make_data(BenchData *data, const BenchOptions *options)
{
    const size_t examples = (size_t)DATA_BATCHES * options->batch;
    data->images = malloc(examples * shape_size(options->shape) * sizeof(float));
    data->labels = malloc(examples);
    data->probs = malloc((size_t)options->batch * CLASSES * sizeof(float));
    data->dlogits = malloc((size_t)options->batch * CLASSES * sizeof(float));
    if (data->images == NULL || data->labels == NULL || data->probs == NULL ||
        data->dlogits == NULL) {
        return -1;
    }

    // Standard normal pixels, as after per-channel normalisation.
    Rng rng;
    rng_seed(&rng, 7);
    for (size_t i = 0; i < examples * shape_size(options->shape); i++) {
        data->images[i] = rng_normal(&rng);
    }
    for (size_t i = 0; i < examples; i++) {
        data->labels[i] = (uint8_t)rng_below(&rng, CLASSES);
    }
    return 0;
}

static void free_data(BenchData *data)
{
    free(data->images);
    free(data->labels);
    free(data->probs);
    free(data->dlogits);
}

static void print_usage(FILE *stream)
{
    fprintf(stream,
            "usage: train_bench [options]\n"
            "  --model lnet|mlp|all   models to measure (default all)\n"
            "  --input CxHxW          example shape (default 3x32x32), each of C, H and W\n"
            "                         from 1 to %d\n"
            "  --batch N              examples per step (default 250, at most %d)\n"
            "  --backend fast|ref     layer implementation (default fast)\n"
            "  --threads LIST         comma-separated OpenMP thread counts (default 1,2)\n"
            "  --runs N               timed runs for the median (default 7, at most %d)\n"
            "  --steps N              steps per timed run (default 20, at most %d)\n"
            "The %d random batches of input (%d x batch x C x H x W floats) must fit in\n"
            "1 GiB, so a larger --input needs a smaller --batch.\n",
            MAX_SIDE, MAX_COUNT, MAX_RUNS, MAX_COUNT, DATA_BATCHES, DATA_BATCHES);
}


static int parse_threads(BenchOptions *options, const char *text)
{
    options->thread_settings = 0;
    char *end = NULL;
    while (*text != '\0' && options->thread_settings < MAX_THREAD_SETTINGS) {
        long value = strtol(text, &end, 10);
        if (!isdigit((unsigned char)text[0]) || end == text || value <= 0 ||
            (*end != ',' && *end != '\0')) {
            return -1;
        }
        options->threads[options->thread_settings++] = (int)value;
        text = *end == ',' ? end + 1 : end;
    }
    return options->thread_settings > 0 ? 0 : -1;
}

// Parses a whole decimal integer from 1 to max.
static int parse_count(const char *option, const char *text, int max, int *value)
{
    long parsed;
    if (bench_parse_int(text, 1, max, &parsed) != 0) {
        fprintf(stderr, "train_bench: invalid %s '%s', expected an integer from 1 to %d\n",
                option, text, max);
        return -1;
    }
    *value = (int)parsed;
    return 0;
}

// Parses CxHxW with strtol rather than sscanf, because sscanf's %d has
// undefined behaviour on a number out of the int range.
static int parse_input(const char *text, Shape *shape)
{
    long sides[3];
    const char *cursor = text;
    for (int i = 0; i < 3; i++) {
        char *end;
        sides[i] = strtol(cursor, &end, 10);
        if (!isdigit((unsigned char)cursor[0]) || end == cursor || *end != (i < 2 ? 'x' : '\0')) {
            fprintf(stderr, "train_bench: invalid --input '%s', expected CxHxW such as "
                    "3x32x32\n", text);
            return -1;
        }
        if (sides[i] < 1 || sides[i] > MAX_SIDE) {
            fprintf(stderr, "train_bench: invalid --input '%s', each of C, H and W must be "
                    "from 1 to %d\n", text, MAX_SIDE);
            return -1;
        }
        cursor = end + 1;
    }
    *shape = (Shape){(int)sides[0], (int)sides[1], (int)sides[2]};
    return 0;
}

// Rejects an --input and --batch whose random data would exceed
// MAX_DATA_FLOATS, before make_data tries to allocate it.
static int check_data_size(const BenchOptions *options)
{
    const size_t floats = (size_t)DATA_BATCHES * (size_t)options->batch *
                          shape_size(options->shape);
    if (floats > MAX_DATA_FLOATS) {
        fprintf(stderr, "train_bench: --input %dx%dx%d with --batch %d needs %.1f GiB of "
                "random data (%d batches), above the limit of 1 GiB; use a smaller --batch "
                "or --input\n", options->shape.channels, options->shape.height,
                options->shape.width, options->batch,
                (double)floats * sizeof(float) / (1 << 30), DATA_BATCHES);
        return -1;
    }
    return 0;
}

static int parse_options(BenchOptions *options, int argc, char **argv)
{
    static const struct option long_options[] = {
        {"model", required_argument, NULL, 'm'},
        {"input", required_argument, NULL, 'i'},
        {"batch", required_argument, NULL, 'b'},
        {"backend", required_argument, NULL, 'k'},
        {"threads", required_argument, NULL, 't'},
        {"runs", required_argument, NULL, 'r'},
        {"steps", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *options = (BenchOptions){.models = "all", .shape = {3, 32, 32}, .batch = 250,
                              .backend = BACKEND_FAST, .threads = {1, 2},
                              .thread_settings = 2, .runs = 7, .steps = 20,
                              .warmup_steps = 5};
    int option;
    while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (option) {
        case 'm':
            if (strcmp(optarg, "lnet") != 0 && strcmp(optarg, "mlp") != 0 &&
                strcmp(optarg, "all") != 0) {
                fprintf(stderr, "train_bench: invalid --model %s, expected lnet, mlp or all\n",
                        optarg);
                return -1;
            }
            options->models = optarg;
            break;
        case 'i':
            if (parse_input(optarg, &options->shape) != 0) {
                return -1;
            }
            break;
        case 'b':
            if (parse_count("--batch", optarg, MAX_COUNT, &options->batch) != 0) {
                return -1;
            }
            break;
        case 'k':
            if (strcmp(optarg, "ref") != 0 && strcmp(optarg, "fast") != 0) {
                fprintf(stderr, "train_bench: invalid --backend %s, expected fast or ref\n",
                        optarg);
                return -1;
            }
            options->backend = strcmp(optarg, "ref") == 0 ? BACKEND_REFERENCE : BACKEND_FAST;
            break;
        case 't':
            if (parse_threads(options, optarg) != 0) {
                fprintf(stderr, "train_bench: invalid --threads %s, expected for example 1,2\n",
                        optarg);
                return -1;
            }
            break;
        case 'r':
            if (parse_count("--runs", optarg, MAX_RUNS, &options->runs) != 0) {
                return -1;
            }
            break;
        case 's':
            if (parse_count("--steps", optarg, MAX_COUNT, &options->steps) != 0) {
                return -1;
            }
            break;
        case 'h':
            print_usage(stdout);
            exit(0);
        default:
            fprintf(stderr, "train_bench: see --help for the options\n");
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "train_bench: unexpected argument '%s': train_bench takes only "
                "options (see --help)\n", argv[optind]);
        return -1;
    }
    return check_data_size(options);
}

int main(int argc, char **argv)
{
    // getopt_long starts its messages with argv[0], which is the path the
    // program was started by, so give it the program's name.
    static char program_name[] = "train_bench";
    argv[0] = program_name;

    BenchOptions options;
    if (parse_options(&options, argc, argv) != 0) {
        return 2;
    }
    BenchData data = {0};
    if (make_data(&data, &options) != 0) {
        fprintf(stderr, "train_bench: out of memory for %d random batches\n", DATA_BATCHES);
        free_data(&data);
        return 1;
    }

    int status = 0;
    for (int t = 0; t < options.thread_settings && status == 0; t++) {
        if (strcmp(options.models, "mlp") != 0) {
            status = bench_model(MODEL_LNET, options.threads[t], &data, &options);
        }
        if (status == 0 && strcmp(options.models, "lnet") != 0) {
            status = bench_model(MODEL_MLP, options.threads[t], &data, &options);
        }
    }
    free_data(&data);
    return status == 0 ? 0 : 1;
}
