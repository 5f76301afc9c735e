#include "bench_linear_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_dnnl_matmul.h"
#include "bench_timing.h"
#include "svhn/float_buffer.h"
#include "svhn/layer.h"
#include "svhn/linear_kernels.h"
#include "svhn/rng.h"
#include "svhn/simd.h"

#define MAX_ROUNDS 64
#define PRODUCTS_PER_SHAPE 3

typedef struct {
    const char *name;
    int in_features;
    int out_features;
} LinearShape;

// The linear layers of MLP and LNet on 3x32x32 SVHN images.
static const LinearShape shapes[] = {
    {"mlp_fc1", 3072, 1024},
    {"mlp_fc2", 1024, 10},
    {"lnet_fc1", 1024, 256},
    {"lnet_fc2", 256, 10},
};

static const char *const product_names[] = {"forward", "backward_data", "backward_weights"};

_Static_assert(sizeof shapes / sizeof shapes[0] * PRODUCTS_PER_SHAPE == BENCH_LINEAR_PRODUCTS,
               "BENCH_LINEAR_PRODUCTS must count every product of every shape");

// Buffers and layers for one shape; the run_* functions time one product.
typedef struct {
    int batch;
    int in_features;
    int out_features;
    SimdLevel level;
    float *in;
    float *weight;
    float *bias;
    float *out;
    float *dout;
    float *din;
    float *dweight;
    float *dbias;
    Layer *reference;
    DnnlMatmul *onednn;
    LinearProduct product;
} CheckContext;

static void run_ours(void *opaque)
{
    CheckContext *c = opaque;
    switch (c->product) {
    case LINEAR_FORWARD:
        linear_forward_kernel(c->level, c->out, c->in, c->weight, c->bias, c->batch,
                              c->in_features, c->out_features, 0);
        break;
    case LINEAR_BACKWARD_DATA:
        linear_backward_data_kernel(c->level, c->din, c->dout, c->weight, c->batch,
                                    c->in_features, c->out_features);
        break;
    default:
        linear_backward_weights_kernel(c->level, c->dweight, c->dbias, c->dout, c->in,
                                       c->batch, c->in_features, c->out_features);
        break;
    }
}

// The reference backward always computes the parameter gradients, so only
// the forward and backward-weights products (din == NULL) are timed alone.
static void run_reference(void *opaque)
{
    CheckContext *c = opaque;
    if (c->product == LINEAR_FORWARD) {
        c->reference->ops->forward(c->reference, c->out, c->in, c->batch);
    } else {
        c->reference->ops->backward(c->reference, NULL, c->dout, c->in, c->out, c->batch);
    }
}

static void run_onednn(void *opaque)
{
    CheckContext *c = opaque;
    dnnl_matmul_run(c->onednn);
}

static float *random_buffer(size_t count, Rng *rng)
{
    float *values = float_buffer_alloc(count);
    if (values == NULL) {
        fprintf(stderr, "layer_bench: out of memory for a %zu-float benchmark buffer\n", count);
        exit(EXIT_FAILURE);
    }
    for (size_t i = 0; i < count; i++) {
        values[i] = rng_uniform(rng) * 2.0f - 1.0f;
    }
    return values;
}

static int check_context_init(CheckContext *c, int batch, const LinearShape *shape, Rng *rng)
{
    memset(c, 0, sizeof *c);
    c->batch = batch;
    c->in_features = shape->in_features;
    c->out_features = shape->out_features;
    c->level = simd_active_level();
    const size_t weights = (size_t)shape->in_features * shape->out_features;
    c->in = random_buffer((size_t)batch * shape->in_features, rng);
    c->din = random_buffer((size_t)batch * shape->in_features, rng);
    c->out = random_buffer((size_t)batch * shape->out_features, rng);
    c->dout = random_buffer((size_t)batch * shape->out_features, rng);
    c->weight = random_buffer(weights, rng);
    c->dweight = random_buffer(weights, rng);
    c->bias = random_buffer((size_t)shape->out_features, rng);
    c->dbias = random_buffer((size_t)shape->out_features, rng);

    c->reference = linear_create((Shape){shape->in_features, 1, 1}, shape->out_features);
    if (c->reference == NULL) {
        return -1;
    }
    c->reference->params[0].value = c->weight;
    c->reference->params[0].grad = c->dweight;
    c->reference->params[1].value = c->bias;
    c->reference->params[1].grad = c->dbias;
    return 0;
}

static void check_context_free(CheckContext *c)
{
    free(c->reference);
    free(c->in);
    free(c->din);
    free(c->out);
    free(c->dout);
    free(c->weight);
    free(c->dweight);
    free(c->bias);
    free(c->dbias);
}

static double median(double *values, int count)
{
    for (int i = 1; i < count; i++) {
        for (int j = i; j > 0 && values[j - 1] > values[j]; j--) {
            const double swap = values[j];
            values[j] = values[j - 1];
            values[j - 1] = swap;
        }
    }
    return count % 2 == 1 ? values[count / 2] : 0.5 * (values[count / 2 - 1] + values[count / 2]);
}

// Writes the name of product p of shape s, as in the floors file and the table.
static void format_product_name(char *name, size_t size, size_t s, int p)
{
    snprintf(name, size, "%s_%s", shapes[s].name, product_names[p]);
}

int bench_linear_check_read_floors(const char *path, int path_is_default, BenchFloor *floors)
{
    char names[BENCH_LINEAR_PRODUCTS][64];
    const char *name_pointers[BENCH_LINEAR_PRODUCTS];
    for (int i = 0; i < BENCH_LINEAR_PRODUCTS; i++) {
        format_product_name(names[i], sizeof names[i], (size_t)i / PRODUCTS_PER_SHAPE,
                            i % PRODUCTS_PER_SHAPE);
        name_pointers[i] = names[i];
    }
    if (bench_floors_read(path, path_is_default, name_pointers, BENCH_LINEAR_PRODUCTS,
                          floors) != 0) {
        return -1;
    }
    // A floor for a ratio that is never measured would look checked, but
    // below() ignores a NAN ratio, so it could never fail.
    for (int i = 0; i < BENCH_LINEAR_PRODUCTS; i++) {
        if (i % PRODUCTS_PER_SHAPE == LINEAR_BACKWARD_DATA &&
            !isnan(floors[i].min_vs_reference)) {
            fprintf(stderr, "layer_bench: %s:%d: %s has no reference time, because the "
                    "reference layer has no separate backward-data pass: set its "
                    "MIN_VS_REFERENCE to '-'\n", path, floors[i].line, names[i]);
            return -1;
        }
    }
    return 0;
}

// Returns 1 when ratio is below floor (a NAN floor is never violated).
static int below(double ratio, double floor)
{
    return !isnan(floor) && !isnan(ratio) && ratio < floor;
}

// JSON has no NaN, so a ratio that was not measured is null.
static void format_json_number(char *text, size_t size, double value)
{
    if (isnan(value)) {
        snprintf(text, size, "null");
    } else {
        snprintf(text, size, "%.3f", value);
    }
}

// Times ours, oneDNN and the reference in interleaved rounds, so a burst of
// load from other processes hits all three alike, and returns the medians.
static void time_product(CheckContext *c, int rounds, double *ours, double *onednn,
                         double *reference)
{
    double ours_times[MAX_ROUNDS];
    double onednn_times[MAX_ROUNDS];
    double reference_times[MAX_ROUNDS];
    const int with_reference = c->product != LINEAR_BACKWARD_DATA;

    run_ours(c);
    run_onednn(c);
    for (int r = 0; r < rounds; r++) {
        ours_times[r] = bench_median_seconds(run_ours, c, 3);
        onednn_times[r] = bench_median_seconds(run_onednn, c, 3);
        reference_times[r] = with_reference ? bench_median_seconds(run_reference, c, 1) : NAN;
    }
    *ours = median(ours_times, rounds);
    *onednn = median(onednn_times, rounds);
    *reference = with_reference ? median(reference_times, rounds) : NAN;
}

// Formats a ratio or floor for the table, "-" when it is NAN.
static void format_table_ratio(char *text, size_t size, double value)
{
    if (isnan(value)) {
        snprintf(text, size, "-");
    } else {
        snprintf(text, size, "%.2f", value);
    }
}

int bench_linear_check(int batch, int rounds, int json, const BenchFloor *floors, FILE *stream)
{
    if (rounds > MAX_ROUNDS) {
        rounds = MAX_ROUNDS;
    }
    if (rounds < 1) {
        rounds = 1;
    }

    Rng rng;
    rng_seed(&rng, 2);
    int failures = 0;
    const char *separator = "";
    if (json) {
        fprintf(stream, "[");
    } else {
        fprintf(stream, "ratios are (other implementation's time) / (our time), so above 1 "
                "means ours is faster;\nfloor is the minimum ratio from the floors file, "
                "'-' where not checked\n");
        fprintf(stream, "%-28s %9s %9s %9s %9s %6s %7s %6s  %s\n", "product", "ours ms",
                "oneDNN ms", "ref ms", "vs oneDNN", "floor", "vs ref", "floor",
                "oneDNN implementation");
    }

    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        CheckContext c;
        if (check_context_init(&c, batch, &shapes[s], &rng) != 0) {
            fprintf(stderr, "layer_bench: cannot create the reference layer for %s\n",
                    shapes[s].name);
            return -1;
        }
        for (int p = 0; p < PRODUCTS_PER_SHAPE; p++) {
            c.product = (LinearProduct)p;
            c.onednn = dnnl_matmul_create(c.product, batch, c.in_features, c.out_features,
                                          c.in, c.weight, c.bias, c.out, c.dout, c.din,
                                          c.dweight);
            if (c.onednn == NULL) {
                check_context_free(&c);
                return -1;
            }
            double ours;
            double onednn;
            double reference;
            time_product(&c, rounds, &ours, &onednn, &reference);

            char name[64];
            format_product_name(name, sizeof name, s, p);
            const double vs_onednn = onednn / ours;
            const double vs_reference = reference / ours;
            const BenchFloor *floor = &floors[s * PRODUCTS_PER_SHAPE + (size_t)p];
            const int failed = below(vs_onednn, floor->min_vs_onednn) ||
                               below(vs_reference, floor->min_vs_reference);
            failures += failed;

            if (json) {
                char reference_text[32];
                char min_reference_text[32];
                char min_onednn_text[32];
                format_json_number(reference_text, sizeof reference_text, vs_reference);
                format_json_number(min_reference_text, sizeof min_reference_text,
                                   floor->min_vs_reference);
                format_json_number(min_onednn_text, sizeof min_onednn_text,
                                   floor->min_vs_onednn);
                fprintf(stream, "%s\n    {\"product\": \"%s\", \"ours_seconds\": %.6e, "
                        "\"onednn_seconds\": %.6e, \"vs_onednn\": %.3f, "
                        "\"min_vs_onednn\": %s, \"vs_reference\": %s, "
                        "\"min_vs_reference\": %s, \"below_floor\": %s}",
                        separator, name, ours, onednn, vs_onednn, min_onednn_text,
                        reference_text, min_reference_text, failed ? "true" : "false");
                separator = ",";
            } else {
                char reference_ms[32] = "-";
                char reference_ratio[32];
                char min_reference[32];
                char min_onednn[32];
                if (!isnan(reference)) {
                    snprintf(reference_ms, sizeof reference_ms, "%.3f", reference * 1e3);
                }
                format_table_ratio(reference_ratio, sizeof reference_ratio, vs_reference);
                format_table_ratio(min_reference, sizeof min_reference, floor->min_vs_reference);
                format_table_ratio(min_onednn, sizeof min_onednn, floor->min_vs_onednn);
                fprintf(stream, "%-28s %9.3f %9.3f %9s %9.2f %6s %7s %6s  %s%s\n", name,
                        ours * 1e3, onednn * 1e3, reference_ms, vs_onednn, min_onednn,
                        reference_ratio, min_reference, dnnl_matmul_implementation(c.onednn),
                        failed ? "  BELOW FLOOR" : "");
            }
            dnnl_matmul_free(c.onednn);
        }
        check_context_free(&c);
    }
    if (json) {
        fprintf(stream, "\n  ]");
    }
    return failures > 0 ? 1 : 0;
}
