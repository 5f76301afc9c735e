// svhn-plot: draws the loss and accuracy curves of a metrics log
// (svhn-train --log) to a PNG file.

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "curves.h"
#include "option_error.h"
#include "svhn/output_path.h"

static const char help_text[] =
    "Usage: svhn-plot [--help] LOG.csv OUTPUT.png\n"
    "Draw train and test loss and accuracy against epoch from a metrics log written\n"
    "by svhn-train --log, as a 1200x500 PNG with two panels.\n"
    "\n"
    "Exit status: 0 on success, 1 when the log cannot be read or the PNG cannot be\n"
    "written, 2 on invalid arguments.\n";

enum { EXIT_RUNTIME_ERROR = 1, EXIT_INVALID_OPTION = 2 };

// Parses argv like the other programs, so an unknown option is named
// instead of being counted as a file. Returns 0 to run with the two files at
// argv[optind], 1 after --help, or -1 with a message.
static int parse_arguments(int argc, char **argv, Error *error)
{
    static const struct option long_options[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    int option;
    while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (option == 'h') {
            fputs(help_text, stdout);
            return 1;
        }
        option_error_describe(error, argv[optind - 1]);
        return -1;
    }
    if (argc - optind != 2) {
        error_set(error, "expected 2 arguments, LOG.csv and OUTPUT.png, got %d; see --help",
                  argc - optind);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    Error error = {{0}};
    int parsed = parse_arguments(argc, argv, &error);
    if (parsed != 0) {
        if (parsed < 0) {
            fprintf(stderr, "svhn-plot: %s\n", error.message);
        }
        return parsed < 0 ? EXIT_INVALID_OPTION : 0;
    }
    const char *log_path = argv[optind];
    const char *png_path = argv[optind + 1];
    if (output_paths_same(log_path, png_path)) {
        fprintf(stderr, "svhn-plot: the output %s names the log file %s; give the PNG its "
                "own path\n", png_path, log_path);
        return EXIT_INVALID_OPTION;
    }

    EpochMetrics *rows = NULL;
    int count = 0;
    if (metrics_log_read(log_path, &rows, &count, &error) != 0 ||
        curves_plot(png_path, rows, count, &error) != 0) {
        fprintf(stderr, "svhn-plot: %s\n", error.message);
        free(rows);
        return EXIT_RUNTIME_ERROR;
    }
    printf("svhn-plot: drew %d %s from %s to %s\n", count, count == 1 ? "epoch" : "epochs",
           log_path, png_path);
    free(rows);
    return 0;
}
