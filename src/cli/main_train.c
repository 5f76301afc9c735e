// svhn-train: trains an MLP or LNet and prints one line per epoch.

#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "train_outputs.h"
#include "svhn/models.h"
#include "svhn/output_path.h"
#include "svhn/trainer.h"

enum {
    EXIT_RUNTIME_ERROR = 1,
    EXIT_INVALID_OPTION = 2,
    EXIT_DIVERGED = 3,
    EXIT_INTERRUPTED = 130,  // 128 + SIGINT, as shells report a process ended by Ctrl-C
};

// Set by the SIGINT handler and read by the trainer between steps.
static volatile sig_atomic_t interrupt_requested = 0;

static void request_interrupt(int signal_number)
{
    (void)signal_number;
    interrupt_requested = 1;
}

// Installs the SIGINT handler for the training run. SA_RESTART keeps writes
// to the output from failing with EINTR. SA_RESETHAND restores the default
// action after the first signal, so a second Ctrl-C ends the program even if
// a step never finishes. Returns 0 or -1.
static int install_interrupt_handler(void)
{
    struct sigaction action = {0};
    action.sa_handler = request_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND | SA_RESTART;
    return sigaction(SIGINT, &action, NULL);
}

static void print_setup(const TrainOptions *options, const DataSplit *data,
                        int threads)
{
    const Shape s = data->train.shape;
    const OptimizerConfig *o = &options->optimizer;

    printf("data: %s from %s: %d train, %d test, %dx%dx%d\n",
           dataset_kind_name(data->kind), options->data_dir, data->train.count,
           data->test.count, s.channels, s.height, s.width);
    printf("model: %s  backend: %s  optimizer: %s lr %g", model_kind_name(options->model),
           backend_name(options->backend), optimizer_kind_name(o->kind), o->learning_rate);
    if (o->kind == OPTIMIZER_SGD) {
        printf(" momentum %g", o->momentum);
    }
    printf(" weight decay %g  batch %d  epochs %d  seed %llu  threads %d  prefetch %d%s\n",
           o->weight_decay, options->batch_size, options->epochs,
           (unsigned long long)options->seed, threads, options->prefetch,
           options->compute_only ? "  compute only" : "");
}

// Tells the user which training settings from the command line a resumed
// run replaces with the checkpoint's, so the change is not silent.
static void warn_overridden_settings(const TrainOptions *requested, const TrainOptions *used)
{
    const OptimizerConfig *r = &requested->optimizer;
    const OptimizerConfig *u = &used->optimizer;
    char list[160] = "";

    if (requested->batch_size != used->batch_size) {
        strcat(list, " --batch-size");
    }
    if (requested->seed != used->seed) {
        strcat(list, " --seed");
    }
    if (r->kind != u->kind) {
        strcat(list, " --optimizer");
    }
    if (r->learning_rate != u->learning_rate) {
        strcat(list, " --lr");
    }
    if (r->momentum != u->momentum) {
        strcat(list, " --momentum");
    }
    if (r->weight_decay != u->weight_decay) {
        strcat(list, " --weight-decay");
    }
    if (list[0] != '\0') {
        fprintf(stderr, "svhn-train: note: a resumed run keeps the checkpoint's batch size, "
                "seed and optimizer settings; ignoring%s\n", list);
    }
}

// Rejects two outputs that name the same file, since the second would
// replace the first each epoch, a log or plot that would replace the
// checkpoint being resumed, and an output named like a data file. --save
// may name the --resume file: that updates the checkpoint in place, which
// is the usual way to continue a run.
static int check_distinct_outputs(const TrainOptions *options, Error *error)
{
    // The three outputs, then the one input they are compared with as well.
    enum { SAVE, LOG, PLOT, RESUME, PATHS, OUTPUTS = RESUME };
    const char *paths[PATHS] = {options->save_path, options->log_path, options->plot_path,
                                options->resume_path};
    const char *names[PATHS] = {"--save", "--log", "--plot", "--resume"};

    for (int i = 0; i < OUTPUTS; i++) {
        for (int j = i + 1; j < PATHS; j++) {
            const int save_over_resume = i == SAVE && j == RESUME;
            if (paths[i] == NULL || paths[j] == NULL || save_over_resume ||
                !output_paths_same(paths[i], paths[j])) {
                continue;
            }
            if (j == RESUME) {
                error_set(error, "%s %s would replace the checkpoint given to --resume; "
                          "give the %s file its own path", names[i], paths[i], names[i]);
            } else {
                error_set(error, "%s %s and %s %s name the same file; give each output "
                          "its own file", names[i], paths[i], names[j], paths[j]);
            }
            return -1;
        }
    }

    for (int i = 0; i < OUTPUTS; i++) {
        if (paths[i] != NULL && data_split_names_data_file(options->data_dir, paths[i])) {
            error_set(error, "%s %s would replace a data file of --data %s; give the %s "
                      "file a path outside the data files", names[i], paths[i],
                      options->data_dir, names[i]);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    TrainOptions options;
    Error error = {{0}};

    switch (train_options_parse(&options, argc, argv, stdout, &error)) {
    case OPTIONS_HELP:
        return 0;
    case OPTIONS_INVALID:
        fprintf(stderr, "svhn-train: %s\n", error.message);
        return EXIT_INVALID_OPTION;
    case OPTIONS_OK:
        break;
    }

    // Output paths are checked before any training, so a wrong path fails in
    // seconds rather than after the first epoch.
    const char *output_paths[] = {options.save_path, options.log_path, options.plot_path};
    const char *output_names[] = {"--save file", "--log file", "--plot file"};
    for (int i = 0; i < 3; i++) {
        if (output_paths[i] != NULL &&
            output_path_check_creatable(output_paths[i], output_names[i], &error) != 0) {
            fprintf(stderr, "svhn-train: %s\n", error.message);
            return EXIT_RUNTIME_ERROR;
        }
    }
    if (check_distinct_outputs(&options, &error) != 0) {
        fprintf(stderr, "svhn-train: %s\n", error.message);
        return EXIT_INVALID_OPTION;
    }

    int threads = options.threads > 0 ? options.threads : omp_get_num_procs();
    omp_set_num_threads(threads);

    DataSplit data;
    if (data_split_load(&data, options.data_dir, options.dataset, &error) != 0) {
        fprintf(stderr, "svhn-train: %s\n", error.message);
        return EXIT_RUNTIME_ERROR;
    }
    dataset_truncate(&data.train, options.train_limit);
    dataset_truncate(&data.test, options.test_limit);

    // A resumed run takes its batch size, seed and optimizer from the checkpoint.
    Checkpoint checkpoint = {0};
    const TrainOptions requested = options;
    if (options.resume_path != NULL &&
        train_resume_load(&checkpoint, &options, data.train.shape, &error) != 0) {
        fprintf(stderr, "svhn-train: cannot resume: %s\n", error.message);
        data_split_free(&data);
        return EXIT_RUNTIME_ERROR;
    }
    if (options.resume_path != NULL && requested.resume_settings_given) {
        warn_overridden_settings(&requested, &options);
    }
    print_setup(&options, &data, threads);
    if (options.resume_path != NULL) {
        printf("resuming from %s after %d epochs and %d steps of epoch %d\n",
               options.resume_path, checkpoint.progress.epochs_done,
               checkpoint.progress.steps_in_epoch, checkpoint.progress.epochs_done + 1);
    }

    Network *network = model_create(options.model, data.train.shape, DATASET_CLASSES,
                                    options.batch_size, options.backend, &error);
    if (network == NULL) {
        fprintf(stderr, "svhn-train: cannot build the model: %s\n", error.message);
        checkpoint_free(&checkpoint);
        data_split_free(&data);
        return EXIT_RUNTIME_ERROR;
    }
    Rng init_rng;
    rng_seed(&init_rng, options.seed);
    network_init_params(network, &init_rng);
    network_print_summary(network, stdout);
    fflush(stdout);

    int status = -1;
    Optimizer optimizer;
    int ready;
    if (options.resume_path != NULL) {
        ready = checkpoint_copy_params(&checkpoint, options.resume_path, network, &error) == 0;
        checkpoint_take_optimizer(&checkpoint, &optimizer);
    } else {
        ready = optimizer_init(&optimizer, &options.optimizer, network->param_count,
                               &error) == 0;
    }
    TrainOutputs outputs = {
        .save_path = options.save_path,
        .plot_path = options.plot_path,
        .source = {.model = options.model, .classes = DATASET_CLASSES,
                   .batch_size = options.batch_size, .seed = options.seed,
                   .network = network, .optimizer = &optimizer},
    };
    if (ready) {
        TrainConfig config = {
            .epochs = options.epochs,
            .batch_size = options.batch_size,
            .seed = options.seed,
            .log_path = options.log_path,
            .show_progress = isatty(STDERR_FILENO),
            .prefetch_depth = options.prefetch,
            .interrupt_flag = &interrupt_requested,
            .compute_only = options.compute_only,
            .resume = options.resume_path != NULL ? &checkpoint.progress : NULL,
            .checkpoint_hook = options.save_path != NULL || options.plot_path != NULL
                                   ? train_outputs_write : NULL,
            .checkpoint_context = &outputs,
            .checkpoint_every_steps = options.save_every,
        };
        if (install_interrupt_handler() != 0) {
            perror("svhn-train: warning: cannot install the SIGINT handler, so Ctrl-C "
                   "ends the program without a summary");
        }
        status = train_run(network, &optimizer, &data, &config, stdout, &error);
    }
    optimizer_free(&optimizer);

    checkpoint_free(&checkpoint);
    network_free(network);
    data_split_free(&data);
    if (status == TRAIN_INTERRUPTED) {
        fprintf(stderr, "svhn-train: %s\n", error.message);
        return EXIT_INTERRUPTED;
    }
    if (status == TRAIN_DIVERGED) {
        fprintf(stderr, "svhn-train: %s\n", error.message);
        return EXIT_DIVERGED;
    }
    if (status != 0) {
        fprintf(stderr, "svhn-train: %s\n", error.message);
        return EXIT_RUNTIME_ERROR;
    }
    return 0;
}
