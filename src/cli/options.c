#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "option_error.h"

static const char help_text[] =
    "Usage: svhn-train [OPTION]...\n"
    "Train an MLP or a LeNet-style CNN (LNet) on SVHN digits or MNIST-format images,\n"
    "printing the loss, train and test accuracy and speed once per epoch.\n"
    "\n"
    "Data:\n"
    "  --data DIR           folder with train_32x32.mat and test_32x32.mat (SVHN) or\n"
    "                       train-/t10k-images-idx3-ubyte[.gz] and labels (MNIST);\n"
    "                       default data/svhn\n"
    "  --dataset KIND       svhn, mnist or auto (decide from the files); default auto\n"
    "  --train-limit N      use at most the first N training examples\n"
    "  --test-limit N       use at most the first N test examples\n"
    "\n"
    "Model and training:\n"
    "  --model NAME         lnet or mlp; default lnet\n"
    "  --backend NAME       ref (plain C reference layers) or fast; default fast\n"
    "  --optimizer NAME     adam or sgd; default adam\n"
    "  --lr RATE            learning rate, in (0, 10]; default 0.001 (adam), 0.01 (sgd)\n"
    "  --momentum M         SGD momentum, in [0, 1); default 0.9\n"
    "  --weight-decay L2    L2 penalty added to the gradients, in [0, 1]; default 0\n"
    "  --epochs N           passes over the training set, 1..100000; default 10\n"
    "  --batch-size N       examples per step, 1..65536; default 250\n"
    "  --seed N             seed for initialisation and shuffling, 0..2^64-1; default 1\n"
    "  --threads N          compute threads, 1..1024; default: all available cores\n"
    "  --prefetch N         batches prepared ahead on a loader thread, 2..64, or 0 to\n"
    "                       prepare each batch on the training thread; default 3\n"
    "  --compute-only       train every step on the first batch, prepared once, to\n"
    "                       measure compute throughput without data loading (the\n"
    "                       losses and accuracies are then meaningless)\n"
    "\n"
    "Output:\n"
    "  --log PATH           write one CSV row per epoch to PATH (replaced atomically)\n"
    "  --plot PATH          draw loss and accuracy against epoch to the PNG file PATH,\n"
    "                       redrawn after every epoch and replaced atomically\n"
    "\n"
    "Checkpoints:\n"
    "  --save PATH          write a checkpoint (parameters, optimizer state, position\n"
    "                       and metrics) to PATH after every epoch, replacing it\n"
    "                       atomically\n"
    "  --save-every N       also write it every N training steps, 1..1000000000\n"
    "  --resume PATH        continue the run saved in PATH: the parameters, optimizer\n"
    "                       (kind, settings and state), batch size, seed and shuffle\n"
    "                       position come from it; --model and the data's image shape\n"
    "                       must match it, --epochs is the total including the epochs\n"
    "                       already done, and --log rewrites the saved rows first\n"
    "  -h, --help           show this help and exit\n"
    "\n"
    "Ctrl-C (SIGINT) stops training after the current step and prints the epochs\n"
    "and steps completed; a second Ctrl-C ends the program at once.\n"
    "\n"
    "Exit status: 0 on success, 1 on a data or runtime error, 2 on an invalid\n"
    "option, 3 when the loss becomes NaN or infinite, 130 when interrupted by\n"
    "Ctrl-C (SIGINT).\n";

enum {
    OPT_MODEL = 1000,
    OPT_BACKEND,
    OPT_DATASET,
    OPT_DATA,
    OPT_OPTIMIZER,
    OPT_LR,
    OPT_MOMENTUM,
    OPT_WEIGHT_DECAY,
    OPT_EPOCHS,
    OPT_BATCH_SIZE,
    OPT_THREADS,
    OPT_SEED,
    OPT_TRAIN_LIMIT,
    OPT_TEST_LIMIT,
    OPT_LOG,
    OPT_PREFETCH,
    OPT_COMPUTE_ONLY,
    OPT_SAVE,
    OPT_SAVE_EVERY,
    OPT_RESUME,
    OPT_PLOT,
    OPT_HELP,
};

static const struct option long_options[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"data", required_argument, NULL, OPT_DATA},
    {"optimizer", required_argument, NULL, OPT_OPTIMIZER},
    {"lr", required_argument, NULL, OPT_LR},
    {"momentum", required_argument, NULL, OPT_MOMENTUM},
    {"weight-decay", required_argument, NULL, OPT_WEIGHT_DECAY},
    {"epochs", required_argument, NULL, OPT_EPOCHS},
    {"batch-size", required_argument, NULL, OPT_BATCH_SIZE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"train-limit", required_argument, NULL, OPT_TRAIN_LIMIT},
    {"test-limit", required_argument, NULL, OPT_TEST_LIMIT},
    {"log", required_argument, NULL, OPT_LOG},
    {"prefetch", required_argument, NULL, OPT_PREFETCH},
    {"compute-only", no_argument, NULL, OPT_COMPUTE_ONLY},
    {"save", required_argument, NULL, OPT_SAVE},
    {"save-every", required_argument, NULL, OPT_SAVE_EVERY},
    {"resume", required_argument, NULL, OPT_RESUME},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

// strtol and strtod skip leading white space but stop at trailing white
// space, so " 3" would pass and "3 " would not. Neither is accepted.
static int starts_with_space(const char *text)
{
    return isspace((unsigned char)text[0]);
}

// Parses a whole decimal integer in [min, max]. Returns 0 or -1.
static int parse_int(const char *text, long min, long max, int *value)
{
    if (starts_with_space(text)) {
        return -1;
    }
    char *end;
    errno = 0;
    long parsed = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || parsed < min || parsed > max) {
        return -1;
    }
    *value = (int)parsed;
    return 0;
}

// Parses a finite number in [min, max], or (min, max] when min_open is set.
static int parse_float(const char *text, double min, int min_open, double max,
                       float *value)
{
    if (starts_with_space(text)) {
        return -1;
    }
    char *end;
    errno = 0;
    double parsed = strtod(text, &end);
    // The range is checked on the float that is used: 1e-50 is above 0 as a
    // double but rounds to 0 as a float.
    const float rounded = (float)parsed;
    if (errno != 0 || end == text || *end != '\0' || !isfinite(parsed) ||
        rounded > max || rounded < min || (min_open && rounded == min)) {
        return -1;
    }
    *value = rounded;
    return 0;
}

static int parse_seed(const char *text, uint64_t *seed)
{
    char *end;
    errno = 0;
    if (text[0] == '-' || text[0] == '+' || starts_with_space(text)) {
        return -1;
    }
    unsigned long long parsed = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') {
        return -1;
    }
    *seed = (uint64_t)parsed;
    return 0;
}

static void set_defaults(TrainOptions *options)
{
    *options = (TrainOptions){
        .model = MODEL_LNET,
        .backend = BACKEND_FAST,
        .dataset = DATASET_AUTO,
        .data_dir = "data/svhn",
        .optimizer = optimizer_default_config(OPTIMIZER_ADAM),
        .epochs = 10,
        .batch_size = 250,
        .seed = 1,
        .prefetch = 3,
    };
}

// Applies one option. Returns 0, or -1 with the reason in `error`.
static int apply_option(TrainOptions *options, int option, const char *value,
                        int *lr_given, Error *error)
{
    switch (option) {
    case OPT_MODEL:
        if (strcmp(value, "mlp") == 0) {
            options->model = MODEL_MLP;
        } else if (strcmp(value, "lnet") == 0) {
            options->model = MODEL_LNET;
        } else {
            error_set(error, "invalid value '%s' for --model: expected lnet or mlp", value);
            return -1;
        }
        return 0;
    case OPT_BACKEND:
        if (strcmp(value, "ref") == 0) {
            options->backend = BACKEND_REFERENCE;
        } else if (strcmp(value, "fast") == 0) {
            options->backend = BACKEND_FAST;
        } else {
            error_set(error, "invalid value '%s' for --backend: expected ref or fast", value);
            return -1;
        }
        return 0;
    case OPT_DATASET:
        if (strcmp(value, "svhn") == 0) {
            options->dataset = DATASET_SVHN;
        } else if (strcmp(value, "mnist") == 0) {
            options->dataset = DATASET_MNIST;
        } else if (strcmp(value, "auto") == 0) {
            options->dataset = DATASET_AUTO;
        } else {
            error_set(error, "invalid value '%s' for --dataset: expected svhn, mnist or auto",
                      value);
            return -1;
        }
        return 0;
    case OPT_DATA:
        options->data_dir = value;
        return 0;
    case OPT_OPTIMIZER:
        if (strcmp(value, "adam") == 0 || strcmp(value, "sgd") == 0) {
            OptimizerKind kind = value[0] == 'a' ? OPTIMIZER_ADAM : OPTIMIZER_SGD;
            OptimizerConfig defaults = optimizer_default_config(kind);
            options->optimizer.kind = kind;
            if (!*lr_given) {
                options->optimizer.learning_rate = defaults.learning_rate;
            }
            return 0;
        }
        error_set(error, "invalid value '%s' for --optimizer: expected adam or sgd", value);
        return -1;
    case OPT_LR:
        *lr_given = 1;
        if (parse_float(value, 0.0, 1, 10.0, &options->optimizer.learning_rate) != 0) {
            error_set(error, "invalid value '%s' for --lr: expected a number in (0, 10]", value);
            return -1;
        }
        return 0;
    case OPT_MOMENTUM:
        if (parse_float(value, 0.0, 0, 0.999999, &options->optimizer.momentum) != 0) {
            error_set(error, "invalid value '%s' for --momentum: expected a number in [0, 1)",
                      value);
            return -1;
        }
        return 0;
    case OPT_WEIGHT_DECAY:
        if (parse_float(value, 0.0, 0, 1.0, &options->optimizer.weight_decay) != 0) {
            error_set(error, "invalid value '%s' for --weight-decay: expected a number in [0, 1]",
                      value);
            return -1;
        }
        return 0;
    case OPT_EPOCHS:
        if (parse_int(value, 1, 100000, &options->epochs) != 0) {
            error_set(error, "invalid value '%s' for --epochs: expected an integer in 1..100000",
                      value);
            return -1;
        }
        return 0;
    case OPT_BATCH_SIZE:
        if (parse_int(value, 1, 65536, &options->batch_size) != 0) {
            error_set(error, "invalid value '%s' for --batch-size: expected an integer in 1..65536",
                      value);
            return -1;
        }
        return 0;
    case OPT_THREADS:
        if (parse_int(value, 1, 1024, &options->threads) != 0) {
            error_set(error, "invalid value '%s' for --threads: expected an integer in 1..1024",
                      value);
            return -1;
        }
        return 0;
    case OPT_SEED:
        if (parse_seed(value, &options->seed) != 0) {
            error_set(error, "invalid value '%s' for --seed: expected an integer in "
                      "0..18446744073709551615", value);
            return -1;
        }
        return 0;
    case OPT_TRAIN_LIMIT:
    case OPT_TEST_LIMIT: {
        int *limit = option == OPT_TRAIN_LIMIT ? &options->train_limit : &options->test_limit;
        if (parse_int(value, 1, 1000000000, limit) != 0) {
            error_set(error, "invalid value '%s' for --%s: expected an integer in 1..1000000000",
                      value, option == OPT_TRAIN_LIMIT ? "train-limit" : "test-limit");
            return -1;
        }
        return 0;
    }
    case OPT_LOG:
        options->log_path = value;
        return 0;
    case OPT_PREFETCH:
        // One buffer cannot overlap loading with training: the loader would
        // wait for the step to hand it back.
        if (parse_int(value, 0, 64, &options->prefetch) != 0 || options->prefetch == 1) {
            error_set(error, "invalid value '%s' for --prefetch: expected 0 or an integer "
                      "in 2..64", value);
            return -1;
        }
        return 0;
    case OPT_COMPUTE_ONLY:
        options->compute_only = 1;
        return 0;
    case OPT_SAVE:
        options->save_path = value;
        return 0;
    case OPT_SAVE_EVERY:
        if (parse_int(value, 1, 1000000000, &options->save_every) != 0) {
            error_set(error, "invalid value '%s' for --save-every: expected an integer in "
                      "1..1000000000", value);
            return -1;
        }
        return 0;
    case OPT_RESUME:
        options->resume_path = value;
        return 0;
    case OPT_PLOT:
        options->plot_path = value;
        return 0;
    default:
        return -1;
    }
}

OptionsStatus train_options_parse(TrainOptions *options, int argc, char **argv,
                                  FILE *help_stream, Error *error)
{
    set_defaults(options);
    int lr_given = 0;

    optind = 0;  // 0 rather than 1 makes glibc reset its internal state too
    opterr = 0;  // errors are reported through `error`, not printed by getopt
    for (;;) {
        int option = getopt_long(argc, argv, "h", long_options, NULL);
        if (option == -1) {
            break;
        }
        if (option == OPT_HELP || option == 'h') {
            fputs(help_text, help_stream);
            return OPTIONS_HELP;
        }
        if (option == '?') {
            option_error_describe(error, argv[optind - 1]);
            return OPTIONS_INVALID;
        }
        if (apply_option(options, option, optarg, &lr_given, error) != 0) {
            return OPTIONS_INVALID;
        }
        if (option == OPT_BATCH_SIZE || option == OPT_SEED || option == OPT_OPTIMIZER ||
            option == OPT_LR || option == OPT_MOMENTUM || option == OPT_WEIGHT_DECAY) {
            options->resume_settings_given = 1;
        }
    }

    if (optind < argc) {
        error_set(error, "unexpected argument '%s'; options start with --, see --help",
                  argv[optind]);
        return OPTIONS_INVALID;
    }
    if (options->save_every > 0 && options->save_path == NULL) {
        error_set(error, "--save-every needs --save PATH");
        return OPTIONS_INVALID;
    }
    // A compute-only run trains on one batch, so its state is not worth keeping.
    if (options->compute_only && (options->save_path != NULL || options->resume_path != NULL)) {
        error_set(error, "--compute-only cannot be combined with --save or --resume");
        return OPTIONS_INVALID;
    }
    return OPTIONS_OK;
}
