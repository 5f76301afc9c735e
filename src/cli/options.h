#ifndef SVHN_CLI_OPTIONS_H
#define SVHN_CLI_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "svhn/dataset.h"
#include "svhn/error.h"
#include "svhn/models.h"
#include "svhn/optimizer.h"

#ifdef __cplusplus
extern "C" {
#endif

// Everything svhn-train takes from its command line.
typedef struct {
    ModelKind model;
    Backend backend;
    DatasetKind dataset;
    const char *data_dir;
    OptimizerConfig optimizer;
    int epochs;
    int batch_size;
    int threads;         // 0 means every core available to the process
    uint64_t seed;
    int train_limit;     // 0 means no limit
    int test_limit;
    const char *log_path;
    int prefetch;        // ring depth of the loader thread; 0 means no loader thread
    int compute_only;    // train every step on one prepared batch
    const char *save_path;    // checkpoint written after every epoch, or NULL
    int save_every;           // also write it every N steps; 0 for epoch ends only
    const char *resume_path;  // checkpoint to continue from, or NULL
    int resume_settings_given;  // --batch-size, --seed or an optimizer option was given
    const char *plot_path;    // PNG of the curves, redrawn after every epoch, or NULL
} TrainOptions;

typedef enum {
    OPTIONS_OK,
    OPTIONS_HELP,     // --help was given; the help text is printed
    OPTIONS_INVALID,  // the error contains a one-line message
} OptionsStatus;

// Parses argv into options, starting from the defaults (LNet, Adam, lr 1e-3,
// batch 250, 10 epochs, seed 1, prefetch 3). Prints the help text to `help_stream` for
// --help. Resets getopt, so it may be called more than once.
OptionsStatus train_options_parse(TrainOptions *options, int argc, char **argv,
                                  FILE *help_stream, Error *error);

#ifdef __cplusplus
}
#endif

#endif
