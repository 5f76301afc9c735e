// conv_rows_probe: speed of row-vectorised AVX-512 kernels for LNet's first
// convolution (3 -> 6 channels, 5x5, padding 2, batch of 3x32x32 images)
// against oneDNN's convolution primitive on the same shape, forward and
// backward-weights. Both are checked against the reference Conv2D layer
// first. A probe for a design decision: the trainer does not use these
// kernels.

#include <ctype.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_args.h"
#include "bench_peak.h"
#include "bench_timing.h"
#include "conv_rows_kernels.h"
#include "conv_rows_onednn.h"
#include "svhn/float_buffer.h"
#include "svhn/layer.h"
#include "svhn/rng.h"
#include "svhn/simd.h"

enum {
    IN_IMAGE = CONV_ROWS_IN_CHANNELS * CONV_ROWS_SIZE * CONV_ROWS_SIZE,
    OUT_IMAGE = CONV_ROWS_OUT_CHANNELS * CONV_ROWS_SIZE * CONV_ROWS_SIZE,
    TAPS = CONV_ROWS_KERNEL * CONV_ROWS_KERNEL,
    WEIGHTS = CONV_ROWS_OUT_CHANNELS * CONV_ROWS_IN_CHANNELS * TAPS,
};

// Maximum allowed |result - reference| / sum of |terms| of that output.
// Forward: an output sums 76 terms (75 products and the bias). Float
// summation of n terms in any order, with or without FMA, is off by at most
// (n - 1) u / (1 - (n - 1) u) sum|terms|, u = 2^-24, so two orders differ
// by at most 8.9e-6 sum|terms|, and a correct kernel cannot exceed 1e-5.
// Backward-weights: a dweight sums batch x 1024 = 256,000 terms, where that
// bound (about 1.5e-2) would hide real bugs. The terms here have random
// signs, so the rounding errors partly cancel: measured errors are about
// u = 6e-8. Skipping one output row of one image in the kernel, as a
// trial, gave 5.5e-5.
// NOTE: for backward-weights 1e-5 is an estimate with a wide margin, not a
// proven bound.
#define MAX_RELATIVE_ERROR 1e-5

typedef struct {
    int runs;
    int threads;
    double peak_gflops;   // 0: measure it
} Options;

// Buffers of one run. Both implementations read the same inputs. Sizes in
// floats: in batch x 3072, out and dout batch x 6144.
typedef struct {
    int batch;
    float *in;
    float *weight;
    float *bias;
    float *dout;
    float *out;
    float *dweight;
    float *dbias;
    ConvRowsScratch scratch;
    ConvRowsOnednn *onednn;
} Probe;

static void print_usage(FILE *stream)
{
    fprintf(stream,
            "Usage: conv_rows_probe [options]\n"
            "Times row-vectorised AVX-512 kernels of LNet's first convolution (batch 250,\n"
            "3x32x32 -> 6x32x32, 5x5, padding 2) against oneDNN's convolution, forward\n"
            "and backward-weights, after checking both against the reference layer.\n"
            "Exits 1 when an error is above %g of the sum of |terms|.\n"
            "\n"
            "  --runs N        timed runs per median (default 15)\n"
            "  --threads N     OpenMP threads for both implementations (default 1)\n"
            "  --peak GFLOPS   peak rate for the %% column (default: measured at start-up\n"
            "                  with 512-bit FMA chains on the same threads)\n",
            MAX_RELATIVE_ERROR);
}


static int parse_positive(const char *option, const char *text, int *value)
{
    long parsed;
    if (bench_parse_int(text, 1, 1000, &parsed) != 0) {
        fprintf(stderr, "conv_rows_probe: %s needs an integer from 1 to 1000, got '%s'\n", option,
                text != NULL ? text : "");
        return -1;
    }
    *value = (int)parsed;
    return 0;
}

static int parse_options(int argc, char **argv, Options *options)
{
    *options = (Options){.runs = 15, .threads = 1, .peak_gflops = 0.0};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int status = 0;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_usage(stdout);
            exit(EXIT_SUCCESS);
        } else if (strcmp(arg, "--runs") == 0) {
            status = parse_positive(arg, value, &options->runs);
        } else if (strcmp(arg, "--threads") == 0) {
            status = parse_positive(arg, value, &options->threads);
        } else if (strcmp(arg, "--peak") == 0 && value != NULL) {
            char *end;
            options->peak_gflops = strtod(value, &end);
            if (!isdigit((unsigned char)value[0]) || *end != '\0' || !(options->peak_gflops > 0.0) ||
                !isfinite(options->peak_gflops)) {
                fprintf(stderr,
                        "conv_rows_probe: --peak needs a positive GFLOP/s value, got '%s'\n",
                        value);
                return -1;
            }
        } else if (arg[0] != '-') {
            fprintf(stderr, "conv_rows_probe: unexpected argument '%s': conv_rows_probe takes "
                    "only options (see --help)\n", arg);
            return -1;
        } else {
            fprintf(stderr, "conv_rows_probe: unknown option or missing value: %s (see --help)\n",
                    arg);
            return -1;
        }
        if (status != 0) {
            return -1;
        }
        i++;  // the option's value
    }
    return 0;
}

static float *alloc_floats(size_t count)
{
    float *values = float_buffer_alloc(count);
    if (values == NULL) {
        fprintf(stderr, "conv_rows_probe: out of memory for %zu floats\n", count);
        exit(EXIT_FAILURE);
    }
    return values;
}

static float *random_floats(size_t count, Rng *rng)
{
    float *values = alloc_floats(count);
    for (size_t i = 0; i < count; i++) {
        values[i] = rng_uniform(rng) * 2.0f - 1.0f;
    }
    return values;
}

// Returns the input at (n, c, y, x), or 0 when y or x lies in the padding.
static double padded_input(const float *in, int n, int c, int y, int x)
{
    if (y < 0 || y >= CONV_ROWS_SIZE || x < 0 || x >= CONV_ROWS_SIZE) {
        return 0.0;
    }
    return in[(((size_t)n * CONV_ROWS_IN_CHANNELS + c) * CONV_ROWS_SIZE + y) * CONV_ROWS_SIZE +
              x];
}

// Fills out_scale (batch x 6144) with |bias| + sum of |weight * input| of
// each output, the sum of |terms| that bounds its rounding error.
static void forward_scales(const Probe *p, double *out_scale)
{
    const int size = CONV_ROWS_SIZE;
    const int padding = CONV_ROWS_PADDING;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < p->batch; n++) {
        for (int co = 0; co < CONV_ROWS_OUT_CHANNELS; co++) {
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    double sum = fabs(p->bias[co]);
                    for (int ci = 0; ci < CONV_ROWS_IN_CHANNELS; ci++) {
                        for (int t = 0; t < TAPS; t++) {
                            const int ky = t / CONV_ROWS_KERNEL;
                            const int kx = t % CONV_ROWS_KERNEL;
                            const float w = p->weight[(co * CONV_ROWS_IN_CHANNELS + ci) * TAPS + t];
                            sum += fabs(w * padded_input(p->in, n, ci, y + ky - padding,
                                                         x + kx - padding));
                        }
                    }
                    out_scale[((size_t)n * CONV_ROWS_OUT_CHANNELS + co) * size * size +
                              y * size + x] = sum;
                }
            }
        }
    }
}

// Fills dweight_scale (450) and dbias_scale (6) with the sum of |terms| of
// each gradient: |dout * input| over every image and output position.
static void backward_scales(const Probe *p, double *dweight_scale, double *dbias_scale)
{
    const int size = CONV_ROWS_SIZE;
    const int padding = CONV_ROWS_PADDING;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < WEIGHTS; i++) {
        const int co = i / (CONV_ROWS_IN_CHANNELS * TAPS);
        const int ci = i / TAPS % CONV_ROWS_IN_CHANNELS;
        const int ky = i % TAPS / CONV_ROWS_KERNEL;
        const int kx = i % CONV_ROWS_KERNEL;
        double sum = 0.0;
        for (int n = 0; n < p->batch; n++) {
            const float *plane = p->dout + ((size_t)n * CONV_ROWS_OUT_CHANNELS + co) * size * size;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    sum += fabs(plane[y * size + x] *
                                padded_input(p->in, n, ci, y + ky - padding, x + kx - padding));
                }
            }
        }
        dweight_scale[i] = sum;
    }
    for (int co = 0; co < CONV_ROWS_OUT_CHANNELS; co++) {
        double sum = 0.0;
        for (int n = 0; n < p->batch; n++) {
            const float *plane = p->dout + ((size_t)n * CONV_ROWS_OUT_CHANNELS + co) * size * size;
            for (int i = 0; i < size * size; i++) {
                sum += fabs(plane[i]);
            }
        }
        dbias_scale[co] = sum;
    }
}

static double max_relative_error(const float *values, const float *reference,
                                 const double *scale, size_t count)
{
    double max_error = 0.0;
    for (size_t i = 0; i < count; i++) {
        const double error = fabs((double)values[i] - reference[i]) / scale[i];
        if (!(error <= max_error)) {   // also catches NaN
            max_error = error;
        }
    }
    return max_error;
}

typedef struct {
    double ours;
    double onednn;
} Errors;

// Runs each implementation once and compares it with the reference layer.
static int check_results(Probe *p, Errors *forward, Errors *backward)
{
    const size_t outputs = (size_t)p->batch * OUT_IMAGE;
    float *reference_out = alloc_floats(outputs);
    float *reference_dweight = float_buffer_alloc_zeroed(WEIGHTS);
    float *reference_dbias = float_buffer_alloc_zeroed(CONV_ROWS_OUT_CHANNELS);
    double *out_scale = malloc(outputs * sizeof(double));
    double dweight_scale[WEIGHTS];
    double dbias_scale[CONV_ROWS_OUT_CHANNELS];
    Layer *reference = conv2d_create((Shape){CONV_ROWS_IN_CHANNELS, CONV_ROWS_SIZE,
                                             CONV_ROWS_SIZE},
                                     CONV_ROWS_OUT_CHANNELS, CONV_ROWS_KERNEL, 1,
                                     CONV_ROWS_PADDING);
    if (reference_dweight == NULL || reference_dbias == NULL || out_scale == NULL ||
        reference == NULL) {
        fprintf(stderr, "conv_rows_probe: out of memory for the reference check\n");
        exit(EXIT_FAILURE);
    }

    // The reference backward adds to the gradients, so they start at zero.
    // With din NULL it computes the parameter gradients only.
    reference->params[0].value = p->weight;
    reference->params[0].grad = reference_dweight;
    reference->params[1].value = p->bias;
    reference->params[1].grad = reference_dbias;
    reference->ops->forward(reference, reference_out, p->in, p->batch);
    reference->ops->backward(reference, NULL, p->dout, p->in, reference_out, p->batch);
    forward_scales(p, out_scale);
    backward_scales(p, dweight_scale, dbias_scale);

    conv_rows_forward(&p->scratch, p->out, p->in, p->weight, p->bias, p->batch);
    conv_rows_backward_weights(&p->scratch, p->dweight, p->dbias, p->dout, p->in, p->batch);
    forward->ours = max_relative_error(p->out, reference_out, out_scale, outputs);
    backward->ours = fmax(max_relative_error(p->dweight, reference_dweight, dweight_scale,
                                             WEIGHTS),
                          max_relative_error(p->dbias, reference_dbias, dbias_scale,
                                             CONV_ROWS_OUT_CHANNELS));

    conv_rows_onednn_forward(p->onednn);
    conv_rows_onednn_backward_weights(p->onednn);
    int status = conv_rows_onednn_read_out(p->onednn, p->out) ||
                 conv_rows_onednn_read_gradients(p->onednn, p->dweight, p->dbias);
    forward->onednn = max_relative_error(p->out, reference_out, out_scale, outputs);
    backward->onednn = fmax(max_relative_error(p->dweight, reference_dweight, dweight_scale,
                                               WEIGHTS),
                            max_relative_error(p->dbias, reference_dbias, dbias_scale,
                                               CONV_ROWS_OUT_CHANNELS));

    layer_free(reference);
    free(reference_out);
    free(reference_dweight);
    free(reference_dbias);
    free(out_scale);
    return status ? -1 : 0;
}

static void run_ours_forward(void *opaque)
{
    Probe *p = opaque;
    conv_rows_forward(&p->scratch, p->out, p->in, p->weight, p->bias, p->batch);
}

static void run_ours_backward_weights(void *opaque)
{
    Probe *p = opaque;
    conv_rows_backward_weights(&p->scratch, p->dweight, p->dbias, p->dout, p->in, p->batch);
}

static void run_onednn_forward(void *opaque)
{
    conv_rows_onednn_forward(((Probe *)opaque)->onednn);
}

static void run_onednn_backward_weights(void *opaque)
{
    conv_rows_onednn_backward_weights(((Probe *)opaque)->onednn);
}

static void print_row(const char *pass, double ours, double onednn, double flops,
                      double peak_gflops)
{
    const double gflops = flops / ours * 1e-9;
    printf("%-17s %9.3f %10.3f %13.2f %12.1f %6.1f%%\n", pass, ours * 1e3, onednn * 1e3,
           onednn / ours, gflops, 100.0 * gflops / peak_gflops);
}

int main(int argc, char **argv)
{
    Options options;
    if (parse_options(argc, argv, &options) != 0) {
        return 2;
    }
    if (!simd_level_supported(SIMD_AVX512)) {
        fprintf(stderr,
                "conv_rows_probe: this CPU has no AVX-512 F, which the probed kernels need\n");
        return 2;
    }
    omp_set_num_threads(options.threads);

    Probe probe = {.batch = 250};
    Rng rng;
    rng_seed(&rng, 1);
    probe.in = random_floats((size_t)probe.batch * IN_IMAGE, &rng);
    probe.weight = random_floats(WEIGHTS, &rng);
    probe.bias = random_floats(CONV_ROWS_OUT_CHANNELS, &rng);
    probe.dout = random_floats((size_t)probe.batch * OUT_IMAGE, &rng);
    probe.out = alloc_floats((size_t)probe.batch * OUT_IMAGE);
    probe.dweight = alloc_floats(WEIGHTS);
    probe.dbias = alloc_floats(CONV_ROWS_OUT_CHANNELS);
    if (conv_rows_scratch_init(&probe.scratch, options.threads) != 0) {
        fprintf(stderr, "conv_rows_probe: out of memory for the kernels' scratch buffers\n");
        return EXIT_FAILURE;
    }
    probe.onednn = conv_rows_onednn_create(probe.batch, probe.in, probe.weight, probe.bias,
                                           probe.dout);
    if (probe.onednn == NULL) {
        return EXIT_FAILURE;
    }

    printf("conv_rows_probe: batch %d, 3x32x32 -> 6x32x32, 5x5, padding 2, %d threads\n",
           probe.batch, options.threads);
    printf("oneDNN forward:          %s\n", conv_rows_onednn_forward_impl(probe.onednn));
    printf("oneDNN backward-weights: %s\n",
           conv_rows_onednn_backward_weights_impl(probe.onednn));

    Errors forward;
    Errors backward;
    if (check_results(&probe, &forward, &backward) != 0) {
        return EXIT_FAILURE;
    }
    printf("max |error| / sum|terms| vs the reference layer (tolerance %g):\n",
           MAX_RELATIVE_ERROR);
    printf("  forward          ours %.2e  oneDNN %.2e\n", forward.ours, forward.onednn);
    printf("  backward-weights ours %.2e  oneDNN %.2e\n", backward.ours, backward.onednn);

    double peak = options.peak_gflops;
    if (peak == 0.0) {
        peak = bench_peak_gflops(SIMD_AVX512, options.threads);
        printf("peak: %.1f GFLOP/s measured (512-bit FMA chains, %d threads)\n", peak,
               options.threads);
    } else {
        printf("peak: %.1f GFLOP/s from --peak\n", peak);
    }

    // A multiply-add counts as 2. Bias additions and dbias sums are left out,
    // as in the Conv2D layer's flops().
    const double flops = 2.0 * probe.batch * OUT_IMAGE * CONV_ROWS_IN_CHANNELS * TAPS;
    const int runs = options.runs;
    const double ours_forward = bench_median_seconds(run_ours_forward, &probe, runs);
    const double onednn_forward = bench_median_seconds(run_onednn_forward, &probe, runs);
    const double ours_backward = bench_median_seconds(run_ours_backward_weights, &probe, runs);
    const double onednn_backward =
        bench_median_seconds(run_onednn_backward_weights, &probe, runs);

    printf("\nmedians of %d runs\n", runs);
    printf("%-17s %9s %10s %13s %12s %7s\n", "pass", "ours ms", "oneDNN ms", "oneDNN/ours",
           "ours GFLOP/s", "peak");
    print_row("forward", ours_forward, onednn_forward, flops, peak);
    print_row("backward-weights", ours_backward, onednn_backward, flops, peak);

    conv_rows_onednn_free(probe.onednn);
    conv_rows_scratch_free(&probe.scratch);
    free(probe.in);
    free(probe.weight);
    free(probe.bias);
    free(probe.dout);
    free(probe.out);
    free(probe.dweight);
    free(probe.dbias);

    const int passed = forward.ours <= MAX_RELATIVE_ERROR && forward.onednn <= MAX_RELATIVE_ERROR &&
                       backward.ours <= MAX_RELATIVE_ERROR &&
                       backward.onednn <= MAX_RELATIVE_ERROR;
    if (!passed) {
        printf("FAILED: an error is above the tolerance %g\n", MAX_RELATIVE_ERROR);
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
