// layer_bench: speed of every layer of MLP and LNet, forward and backward,
// against this machine's measured peak; and with --check, a speed regression
// check of the SIMD linear products against the reference and oneDNN.

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_args.h"
#include "bench_layers.h"
#include "bench_linear_check.h"
#include "bench_peak.h"
#include "svhn/simd.h"

#ifndef LAYER_BENCH_FLOORS_PATH
#define LAYER_BENCH_FLOORS_PATH "bench/layer_bench_floors.txt"
#endif

typedef struct {
    int threads;
    int batch;
    int runs;
    int json;
    int check;
    Backend backend;
    int models;   // bit 0: MLP, bit 1: LNet
    const char *floors_path;
    int floors_path_is_default;   // 0 after --floors
} Options;

static void print_usage(FILE *stream)
{
    fprintf(stream,
            "Usage: layer_bench [options]\n"
            "Times forward and backward of every layer of MLP and LNet, the loss, the\n"
            "Adam step and a whole training step, on random data of 3x32x32 images.\n"
            "Times are medians of several runs; GFLOP/s are relative to the peak\n"
            "measured at start-up with independent FMA chains (the fastest of 9 runs).\n"
            "\n"
            "  --threads N     OpenMP threads (default: number of processors)\n"
            "  --batch N       examples per batch (default 250)\n"
            "  --runs N        timed runs per median (default 15)\n"
            "  --model NAME    mlp, lnet or all (default all)\n"
            "  --backend NAME  fast or ref (default fast)\n"
            "  --json          JSON for tools instead of a table\n"
            "  --check         only compare the speed of the SIMD linear products with\n"
            "                  the reference layer and oneDNN's matmul, as ratios of\n"
            "                  their time to ours; exit 1 when a ratio is below its\n"
            "                  floor in the floors file. Correctness is tested by ctest.\n"
            "  --floors FILE   floors file for --check (default %s)\n"
            "The SIMD level comes from the CPU, or from SVHN_SIMD=avx512|avx2|scalar.\n",
            LAYER_BENCH_FLOORS_PATH);
}

static int parse_positive(const char *option, const char *text, int *value)
{
    long parsed;
    if (bench_parse_int(text, 1, 1000000, &parsed) != 0) {
        fprintf(stderr, "layer_bench: %s needs an integer from 1 to 1000000, got '%s'\n", option,
                text != NULL ? text : "");
        return -1;
    }
    *value = (int)parsed;
    return 0;
}

static int parse_options(int argc, char **argv, Options *options)
{
    *options = (Options){.threads = omp_get_num_procs(), .batch = 250, .runs = 15,
                         .backend = BACKEND_FAST, .models = 3,
                         .floors_path = LAYER_BENCH_FLOORS_PATH,
                         .floors_path_is_default = 1};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int status = 0;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_usage(stdout);
            exit(EXIT_SUCCESS);
        } else if (strcmp(arg, "--json") == 0) {
            options->json = 1;
            continue;
        } else if (strcmp(arg, "--check") == 0) {
            options->check = 1;
            continue;
        } else if (strcmp(arg, "--threads") == 0) {
            status = parse_positive(arg, value, &options->threads);
        } else if (strcmp(arg, "--batch") == 0) {
            status = parse_positive(arg, value, &options->batch);
        } else if (strcmp(arg, "--runs") == 0) {
            status = parse_positive(arg, value, &options->runs);
        } else if (strcmp(arg, "--floors") == 0 && value != NULL) {
            options->floors_path = value;
            options->floors_path_is_default = 0;
        } else if (strcmp(arg, "--model") == 0 && value != NULL) {
            if (strcmp(value, "mlp") == 0) {
                options->models = 1;
            } else if (strcmp(value, "lnet") == 0) {
                options->models = 2;
            } else if (strcmp(value, "all") == 0) {
                options->models = 3;
            } else {
                fprintf(stderr, "layer_bench: --model must be mlp, lnet or all, got '%s'\n", value);
                return -1;
            }
        } else if (strcmp(arg, "--backend") == 0 && value != NULL) {
            if (strcmp(value, "fast") == 0) {
                options->backend = BACKEND_FAST;
            } else if (strcmp(value, "ref") == 0) {
                options->backend = BACKEND_REFERENCE;
            } else {
                fprintf(stderr, "layer_bench: --backend must be fast or ref, got '%s'\n", value);
                return -1;
            }
        } else if (arg[0] != '-') {
            fprintf(stderr, "layer_bench: unexpected argument '%s': layer_bench takes only "
                    "options (see --help)\n", arg);
            return -1;
        } else {
            fprintf(stderr, "layer_bench: unknown option or missing value: %s (see --help)\n", arg);
            return -1;
        }
        if (status != 0) {
            return -1;
        }
        i++;  // the option's value
    }
    if (!options->check && !options->floors_path_is_default) {
        fprintf(stderr, "layer_bench: --floors needs --check, because only the check reads "
                "the floors file; add --check or drop --floors\n");
        return -1;
    }
    return 0;
}

// Measures and prints the peak of every supported level; returns the peak
// of the active level.
static double print_peaks(const Options *options)
{
    const SimdLevel active = simd_active_level();
    double active_peak = 0.0;
    const char *separator = "";
    if (options->json) {
        printf("  \"peak_gflops\": {");
    }
    for (int level = 0; level < SIMD_LEVEL_COUNT; level++) {
        if (!simd_level_supported((SimdLevel)level)) {
            continue;
        }
        const double peak = bench_peak_gflops((SimdLevel)level, options->threads);
        if (level == (int)active) {
            active_peak = peak;
        }
        if (options->json) {
            printf("%s\"%s\": %.1f", separator, simd_level_name((SimdLevel)level), peak);
            separator = ", ";
        } else {
            printf("peak %-6s %8.1f GFLOP/s on %d threads%s\n", simd_level_name((SimdLevel)level),
                   peak, options->threads, level == (int)active ? " (active)" : "");
        }
    }
    if (options->json) {
        printf("},\n");
    }
    return active_peak;
}

int main(int argc, char **argv)
{
    Options options;
    if (parse_options(argc, argv, &options) != 0) {
        return 2;
    }
    omp_set_num_threads(options.threads);

    // Read before any output, so a bad floors file leaves no partial JSON.
    BenchFloor floors[BENCH_LINEAR_PRODUCTS];
    if (options.check && bench_linear_check_read_floors(options.floors_path,
                                                        options.floors_path_is_default,
                                                        floors) != 0) {
        return 1;
    }

    if (options.json) {
        printf("{\n  \"threads\": %d,\n  \"batch\": %d,\n  \"simd\": \"%s\",\n",
               options.threads, options.batch, simd_level_name(simd_active_level()));
    } else {
        printf("layer_bench: %d threads, batch %d, SIMD level %s\n", options.threads,
               options.batch, simd_level_name(simd_active_level()));
    }

    if (options.check) {
        if (options.json) {
            printf("  \"check\": ");
        }
        const int status = bench_linear_check(options.batch, 7, options.json, floors, stdout);
        if (options.json) {
            printf(",\n  \"passed\": %s\n}\n", status == 0 ? "true" : "false");
        } else if (status == 1) {
            printf("FAILED: a speed ratio is below its floor in %s\n", options.floors_path);
        } else if (status == 0) {
            printf("passed: every ratio is at or above its floor in %s\n", options.floors_path);
        }
        return status == 0 ? 0 : 1;
    }

    BenchSettings settings = {.batch = options.batch, .runs = options.runs,
                              .json = options.json};
    settings.peak_gflops = print_peaks(&options);

    const char *separator = "";
    if (options.json) {
        printf("  \"rows\": [");
    } else {
        printf("%-5s %3s %-40s %-9s %10s %12s %8s %7s\n", "model", "#", "layer", "pass", "ms",
               "examples/s", "GFLOP/s", "peak");
    }
    int status = 0;
    for (int kind = 0; kind < 2 && status == 0; kind++) {
        if (options.models & (1 << kind)) {
            status = bench_model_layers(kind == 0 ? MODEL_MLP : MODEL_LNET, options.backend,
                                        &settings, stdout, &separator);
        }
    }
    if (options.json) {
        printf("\n  ]\n}\n");
    }
    return status == 0 ? 0 : 1;
}
