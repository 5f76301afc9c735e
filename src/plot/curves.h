#ifndef SVHN_PLOT_CURVES_H
#define SVHN_PLOT_CURVES_H

// Training curves: loss and accuracy against epoch as a PNG (PLplot with its
// pngcairo driver), and the CSV metrics log that svhn-plot reads them from.

#include "svhn/error.h"
#include "svhn/trainer.h"

// Draws two panels side by side, 1200x500 pixels: train and test loss, and
// train and test accuracy in percent, each against the epoch, with labelled
// axes and a legend. rows[0..count) are the epochs in order; count >= 1.
// Returns 0, or -1 with a message naming png_path.
int curves_plot(const char *png_path, const EpochMetrics *rows, int count, Error *error);

// Reads a metrics log written by svhn-train --log (header METRICS_LOG_HEADER).
// Returns 0 with *rows (malloc'ed, *count entries), or -1 with a message
// naming the file, the line and the field.
int metrics_log_read(const char *csv_path, EpochMetrics **rows, int *count, Error *error);

#endif
