// svhn-plot: draws the loss and accuracy curves of a metrics log
// (svhn-train --log) to a PNG file.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curves.h"

static const char help_text[] =
    "Usage: svhn-plot LOG.csv OUTPUT.png\n"
    "Draw train and test loss and accuracy against epoch from a metrics log written\n"
    "by svhn-train --log, as a 1200x500 PNG with two panels.\n"
    "\n"
    "Exit status: 0 on success, 1 when the log cannot be read or the PNG cannot be\n"
    "written, 2 on invalid arguments.\n";

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(help_text, stdout);
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "svhn-plot: expected 2 arguments, LOG.csv and OUTPUT.png, got %d; "
                "see --help\n", argc - 1);
        return 2;
    }

    Error error = {{0}};
    EpochMetrics *rows = NULL;
    int count = 0;
    if (metrics_log_read(argv[1], &rows, &count, &error) != 0 ||
        curves_plot(argv[2], rows, count, &error) != 0) {
        fprintf(stderr, "svhn-plot: %s\n", error.message);
        free(rows);
        return 1;
    }
    printf("svhn-plot: drew %d epochs from %s to %s\n", count, argv[1], argv[2]);
    free(rows);
    return 0;
}
