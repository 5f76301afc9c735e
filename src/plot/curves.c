#define _POSIX_C_SOURCE 200809L

#include "curves.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <plplot.h>

#include "svhn/output_path.h"

// Colour map 0 entries set for these plots: a white background, black axes
// and text, and one colour per curve.
enum { COLOR_BACKGROUND = 0, COLOR_AXES = 1, COLOR_TRAIN = 2, COLOR_TEST = 3, COLOR_GRID = 4 };

// Hershey glyphs 840 and 841 of PLplot's font, as plstring escapes: a filled
// circle marks train points and a filled square test points.
#define SYMBOL_TRAIN "#(840)"
#define SYMBOL_TEST "#(841)"

typedef struct {
    const char *title;
    const char *y_label;
    const double *train;  // (count)
    const double *test;   // (count)
    PLINT legend_position;  // PL_POSITION_* flags, a corner the curves usually leave free
} Panel;

// The path that PLplot's exit handler names, and the temporary file it
// removes. PLplot calls the handler from inside the library, with no
// context argument.
static const char *current_png_path;
static const char *current_temp_path;

static int report_plplot_exit(const char *message)
{
    fprintf(stderr, "PLplot failed while drawing %s: %s\n",
            current_png_path != NULL ? current_png_path : "a plot", message);
    if (current_temp_path != NULL) {
        remove(current_temp_path);
    }
    return 1;  // non-zero: PLplot then ends the program
}

// Returns whether PLplot lists the named file output device. plgFileDevs
// fills caller-owned arrays of *count entries and lowers *count to the
// number of devices.
static int has_device(const char *name)
{
    enum { MAX_DEVICES = 128 };
    const char *menus[MAX_DEVICES];
    const char *devices[MAX_DEVICES];
    const char **menu_list = menus;
    const char **device_list = devices;
    int count = MAX_DEVICES;
    plgFileDevs(&menu_list, &device_list, &count);
    for (int i = 0; i < count; i++) {
        if (strcmp(device_list[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

static void value_range(const double *a, const double *b, int count, double *low,
                        double *high)
{
    *low = DBL_MAX;
    *high = -DBL_MAX;
    for (int i = 0; i < count; i++) {
        double values[2] = {a[i], b[i]};
        for (int k = 0; k < 2; k++) {
            *low = values[k] < *low ? values[k] : *low;
            *high = values[k] > *high ? values[k] : *high;
        }
    }
    // A flat curve still gets a visible range; 5% margins keep points off the frame.
    double margin = (*high - *low) * 0.05;
    if (margin <= 0.0) {
        margin = fabs(*high) > 0.0 ? 0.05 * fabs(*high) : 1.0;
    }
    *low -= margin;
    *high += margin;
}

static void draw_legend(PLINT position)
{
    PLFLT width, height;
    PLINT options[2] = {PL_LEGEND_LINE | PL_LEGEND_SYMBOL, PL_LEGEND_LINE | PL_LEGEND_SYMBOL};
    PLINT text_colors[2] = {COLOR_AXES, COLOR_AXES};
    const char *texts[2] = {"train", "test"};
    PLINT line_colors[2] = {COLOR_TRAIN, COLOR_TEST};
    PLINT line_styles[2] = {1, 1};
    PLFLT line_widths[2] = {2.0, 2.0};
    PLINT symbol_colors[2] = {COLOR_TRAIN, COLOR_TEST};
    PLFLT symbol_scales[2] = {1.0, 1.0};
    PLINT symbol_numbers[2] = {1, 1};
    const char *symbols[2] = {SYMBOL_TRAIN, SYMBOL_TEST};

    pllegend(&width, &height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             position | PL_POSITION_INSIDE, 0.02, 0.02, 0.08,
             COLOR_BACKGROUND, COLOR_AXES, 1, 0, 0, 2, options, 1.0, 1.0, 2.0, 1.0,
             text_colors, texts, NULL, NULL, NULL, NULL, line_colors, line_styles,
             line_widths, symbol_colors, symbol_scales, symbol_numbers, symbols);
}

static void draw_curve(const double *epochs, const double *values, int count, int color,
                       const char *symbol)
{
    plcol0(color);
    plwidth(2.0);
    plline(count, epochs, values);
    plstring(count, epochs, values, symbol);
}

static void draw_panel(const Panel *panel, const double *epochs, int count)
{
    double low, high;
    value_range(panel->train, panel->test, count, &low, &high);
    const double last = epochs[count - 1];
    const double first = epochs[0];
    const double span = last > first ? last - first : 1.0;

    // Whole-epoch ticks while they fit; PLplot picks the interval beyond 10 epochs.
    const double x_tick = span <= 10.0 ? 1.0 : 0.0;
    const int x_subticks = span <= 10.0 ? 1 : 0;

    pladv(0);
    plvpor(0.19, 0.95, 0.2, 0.88);
    plwind(first - 0.03 * span, last + 0.03 * span, low, high);
    plwidth(1.0);
    plcol0(COLOR_GRID);
    plbox("g", x_tick, x_subticks, "g", 0.0, 0);
    plcol0(COLOR_AXES);
    plbox("bcnst", x_tick, x_subticks, "bcnstv", 0.0, 0);
    // pllab would place the y label 5 character heights out, past the page edge.
    pllab("epoch", "", panel->title);
    plmtex("l", 3.8, 0.5, 0.5, panel->y_label);

    draw_curve(epochs, panel->train, count, COLOR_TRAIN, SYMBOL_TRAIN);
    draw_curve(epochs, panel->test, count, COLOR_TEST, SYMBOL_TEST);
    plcol0(COLOR_AXES);
    plwidth(1.0);
    draw_legend(panel->legend_position);
}

// Returns the name of PLplot's PNG driver, or NULL with a message, so
// PLplot's own failure path (which ends the program) is not reached when
// the driver package is missing.
static const char *png_driver(const char *png_path, Error *error)
{
    if (has_device("pngcairo")) {
        return "pngcairo";
    }
    if (has_device("png")) {
        return "png";
    }
    error_set(error, "%s: PLplot has no PNG output driver (pngcairo or png); install the "
              "Debian package plplot-driver-cairo", png_path);
    return NULL;
}

// Checks that PLplot wrote the whole PNG and that it reached the disk.
// PLplot does not report write errors, but a PNG cut short (by a full disk,
// say) lacks its final IEND chunk: 12 fixed bytes at the end of every PNG.
static int finish_png(const char *temp_path, const char *png_path, Error *error)
{
    static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D',
                                           0xAE, 0x42, 0x60, 0x82};
    unsigned char tail[12];
    int fd = open(temp_path, O_RDONLY);
    off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
    int complete = size >= (off_t)sizeof tail &&
                   pread(fd, tail, sizeof tail, size - (off_t)sizeof tail) ==
                       (ssize_t)sizeof tail &&
                   memcmp(tail, iend, sizeof tail) == 0;
    int synced = complete && fsync(fd) == 0;
    if (fd >= 0) {
        close(fd);
    }
    if (!complete) {
        error_set(error, "%s: writing the plot failed (the PNG is incomplete, %lld bytes; is "
                  "the disk full?); the previous plot, if any, is unchanged", png_path,
                  (long long)size);
        return -1;
    }
    if (!synced) {
        error_set(error, "%s: writing the plot failed: %s; the previous plot, if any, is "
                  "unchanged", png_path, strerror(errno));
        return -1;
    }
    return 0;
}

int curves_plot(const char *png_path, const EpochMetrics *rows, int count, Error *error)
{
    if (count < 1) {
        error_set(error, "%s: no epochs to plot", png_path);
        return -1;
    }
    // The finished plot is renamed over png_path, which would replace a
    // symbolic link, a device such as /dev/null or a folder instead of
    // writing through it, so only a regular file or a new name is accepted.
    if (output_path_check(png_path, "plot file", error) != 0) {
        return -1;
    }
    const char *driver = png_driver(png_path, error);
    if (driver == NULL) {
        return -1;
    }

    // PLplot draws into a temporary file in the same folder, which replaces
    // png_path by rename only once it is complete, so a failed plot never
    // destroys the previous one.
    const size_t temp_size = strlen(png_path) + sizeof ".tmp.XXXXXX";
    char *temp_path = malloc(temp_size);
    if (temp_path == NULL) {
        error_set(error, "%s: out of memory", png_path);
        return -1;
    }
    int fd = output_path_create_temp(png_path, "plot file", temp_path, temp_size, error);
    if (fd < 0) {
        free(temp_path);
        return -1;
    }
    close(fd);

    double *columns = malloc((size_t)count * 5 * sizeof(double));
    if (columns == NULL) {
        error_set(error, "%s: out of memory for %d epochs", png_path, count);
        remove(temp_path);
        free(temp_path);
        return -1;
    }
    double *epochs = columns;
    double *train_loss = columns + count;
    double *test_loss = columns + 2 * count;
    double *train_accuracy = columns + 3 * count;
    double *test_accuracy = columns + 4 * count;
    for (int i = 0; i < count; i++) {
        epochs[i] = rows[i].epoch;
        train_loss[i] = rows[i].train_loss;
        test_loss[i] = rows[i].test_loss;
        train_accuracy[i] = 100.0 * rows[i].train_accuracy;
        test_accuracy[i] = 100.0 * rows[i].test_accuracy;
    }

    // NOTE: PLplot ends the program through report_plplot_exit if it fails
    // after plinit, for example when its driver cannot open the file. It
    // does not report failed writes, so finish_png checks the file.
    current_png_path = png_path;
    current_temp_path = temp_path;
    plsexit(report_plplot_exit);
    plsdev(driver);
    plsfnam(temp_path);
    plspage(0.0, 0.0, 1200, 500, 0, 0);
    plscol0(COLOR_BACKGROUND, 255, 255, 255);
    plscol0(COLOR_AXES, 0, 0, 0);
    plscol0(COLOR_TRAIN, 31, 119, 180);
    plscol0(COLOR_TEST, 214, 39, 40);
    plscol0(COLOR_GRID, 210, 210, 210);
    plssub(2, 1);
    plinit();
    plschr(0.0, 1.1);

    const Panel panels[2] = {
        {"Loss", "cross-entropy loss", train_loss, test_loss,
         PL_POSITION_TOP | PL_POSITION_RIGHT},
        {"Accuracy", "accuracy (%)", train_accuracy, test_accuracy,
         PL_POSITION_BOTTOM | PL_POSITION_RIGHT},
    };
    for (int p = 0; p < 2; p++) {
        draw_panel(&panels[p], epochs, count);
    }
    plend();
    current_png_path = NULL;
    current_temp_path = NULL;
    free(columns);

    int status = finish_png(temp_path, png_path, error);
    if (status == 0 && rename(temp_path, png_path) != 0) {
        error_set(error, "%s: cannot replace the plot with %s: %s", png_path, temp_path,
                  strerror(errno));
        status = -1;
    }
    if (status != 0) {
        remove(temp_path);
    }
    free(temp_path);
    return status;
}
