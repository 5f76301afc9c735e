#include "conv_rows_kernels.h"

#include <immintrin.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "svhn/float_buffer.h"

enum {
    IN_CHANNELS = CONV_ROWS_IN_CHANNELS,
    OUT_CHANNELS = CONV_ROWS_OUT_CHANNELS,
    SIZE = CONV_ROWS_SIZE,
    KERNEL = CONV_ROWS_KERNEL,
    PADDING = CONV_ROWS_PADDING,
    LANES = 16,                                  // floats in a zmm vector
    PADDED = SIZE + 2 * PADDING,                 // 36: padded row length and height
    PADDED_IMAGE = IN_CHANNELS * PADDED * PADDED,
    IN_IMAGE = IN_CHANNELS * SIZE * SIZE,
    OUT_IMAGE = OUT_CHANNELS * SIZE * SIZE,
    TAPS = KERNEL * KERNEL,
    WEIGHTS = OUT_CHANNELS * IN_CHANNELS * TAPS, // 450
    SUM_VECTORS = WEIGHTS + OUT_CHANNELS,        // per-thread partial sums
    // Output rows whose accumulators stay in registers at once in the
    // forward pass: 2 rows x 6 channels x 2 vectors = 24 of the 32 zmm
    // registers, leaving room for the 4 input vectors and a broadcast weight.
    ROWS_PER_BLOCK = 2,
    // Output channels per register block of the backward-weights pass:
    // 3 channels x 5 kx = 15 accumulators, plus 5 input vectors and one
    // dout vector. All 6 channels (30 accumulators) would not leave room.
    CHANNELS_PER_BLOCK = 3,
};

int conv_rows_scratch_init(ConvRowsScratch *scratch, int threads)
{
    scratch->threads = threads;
    // Zeroed once: the copies write only the interior, so the borders
    // stay zero and act as the padding.
    scratch->padded = float_buffer_alloc_zeroed((size_t)threads * PADDED_IMAGE);
    scratch->weight_sums = float_buffer_alloc((size_t)threads * SUM_VECTORS * LANES);
    if (scratch->padded == NULL || scratch->weight_sums == NULL) {
        conv_rows_scratch_free(scratch);
        return -1;
    }
    return 0;
}

void conv_rows_scratch_free(ConvRowsScratch *scratch)
{
    free(scratch->padded);
    free(scratch->weight_sums);
    scratch->padded = NULL;
    scratch->weight_sums = NULL;
}

// Copies one (3, 32, 32) image into the interior of its (3, 36, 36) padded
// buffer.
static void copy_padded(float *padded, const float *image)
{
    for (int c = 0; c < IN_CHANNELS; c++) {
        for (int y = 0; y < SIZE; y++) {
            float *row = padded + ((size_t)c * PADDED + y + PADDING) * PADDED + PADDING;
            memcpy(row, image + ((size_t)c * SIZE + y) * SIZE, SIZE * sizeof(float));
        }
    }
}

// Computes output rows y0 .. y0 + ROWS_PER_BLOCK - 1 of all 6 channels of
// one image. packed_weight is (ci, ky, kx, co), so the 6 weights of one tap
// are adjacent. Output (y, x) reads padded (y + ky, x + kx), so one
// unaligned load at column x0 + kx gives the inputs of outputs x0 .. x0 + 15.
__attribute__((target("avx512f")))
static void forward_row_block(float *out_image, const float *padded,
                              const float *packed_weight, const float *bias, int y0)
{
    __m512 acc[ROWS_PER_BLOCK][OUT_CHANNELS][2];
#pragma GCC unroll 16
    for (int r = 0; r < ROWS_PER_BLOCK; r++) {
#pragma GCC unroll 16
        for (int co = 0; co < OUT_CHANNELS; co++) {
            acc[r][co][0] = _mm512_set1_ps(bias[co]);
            acc[r][co][1] = acc[r][co][0];
        }
    }

    for (int ci = 0; ci < IN_CHANNELS; ci++) {
        for (int ky = 0; ky < KERNEL; ky++) {
            const float *in_row = padded + ((size_t)ci * PADDED + y0 + ky) * PADDED;
            const float *w = packed_weight + (ci * KERNEL + ky) * KERNEL * OUT_CHANNELS;
            // Rolled on purpose: unrolled, GCC 12 hoists the input loads of
            // all five taps, runs out of registers and spills accumulators.
#pragma GCC unroll 1
            for (int kx = 0; kx < KERNEL; kx++) {
                __m512 x[ROWS_PER_BLOCK][2];
#pragma GCC unroll 16
                for (int r = 0; r < ROWS_PER_BLOCK; r++) {
                    x[r][0] = _mm512_loadu_ps(in_row + r * PADDED + kx);
                    x[r][1] = _mm512_loadu_ps(in_row + r * PADDED + LANES + kx);
                }
#pragma GCC unroll 16
                for (int co = 0; co < OUT_CHANNELS; co++) {
                    const __m512 wv = _mm512_set1_ps(w[kx * OUT_CHANNELS + co]);
#pragma GCC unroll 16
                    for (int r = 0; r < ROWS_PER_BLOCK; r++) {
                        acc[r][co][0] = _mm512_fmadd_ps(wv, x[r][0], acc[r][co][0]);
                        acc[r][co][1] = _mm512_fmadd_ps(wv, x[r][1], acc[r][co][1]);
                    }
                }
            }
        }
    }

#pragma GCC unroll 16
    for (int r = 0; r < ROWS_PER_BLOCK; r++) {
#pragma GCC unroll 16
        for (int co = 0; co < OUT_CHANNELS; co++) {
            float *out_row = out_image + ((size_t)co * SIZE + y0 + r) * SIZE;
            _mm512_storeu_ps(out_row, acc[r][co][0]);
            _mm512_storeu_ps(out_row + LANES, acc[r][co][1]);
        }
    }
}

void conv_rows_forward(ConvRowsScratch *scratch, float *out, const float *in,
                       const float *weight, const float *bias, int batch)
{
    // (co, ci, ky, kx) -> (ci, ky, kx, co). At 450 floats this costs
    // nothing next to the convolution.
    float packed_weight[WEIGHTS];
    for (int co = 0; co < OUT_CHANNELS; co++) {
        for (int t = 0; t < IN_CHANNELS * TAPS; t++) {
            packed_weight[t * OUT_CHANNELS + co] = weight[co * IN_CHANNELS * TAPS + t];
        }
    }

#pragma omp parallel num_threads(scratch->threads)
    {
        float *padded = scratch->padded + (size_t)omp_get_thread_num() * PADDED_IMAGE;
#pragma omp for schedule(static)
        for (int n = 0; n < batch; n++) {
            copy_padded(padded, in + (size_t)n * IN_IMAGE);
            float *out_image = out + (size_t)n * OUT_IMAGE;
            for (int y0 = 0; y0 < SIZE; y0 += ROWS_PER_BLOCK) {
                forward_row_block(out_image, padded, packed_weight, bias, y0);
            }
        }
    }
}

// Adds one image's contribution to the lane sums of dweight[co][ci][ky][kx]
// for co in co0 .. co0 + 2 and every kx, at one (ci, ky). Lane l of a sum
// collects the products of output column x = 16 h + l (h = 0, 1), so the 16
// lanes are added together only once, after all images.
__attribute__((target("avx512f")))
static void backward_weights_block(float *sums, const float *padded,
                                   const float *dout_image, int ci, int ky, int co0)
{
    __m512 acc[CHANNELS_PER_BLOCK][KERNEL];
#pragma GCC unroll 16
    for (int c = 0; c < CHANNELS_PER_BLOCK; c++) {
#pragma GCC unroll 8
        for (int kx = 0; kx < KERNEL; kx++) {
            const int index = ((co0 + c) * IN_CHANNELS + ci) * TAPS + ky * KERNEL + kx;
            acc[c][kx] = _mm512_load_ps(sums + (size_t)index * LANES);
        }
    }

    for (int y = 0; y < SIZE; y++) {
        const float *in_row = padded + ((size_t)ci * PADDED + y + ky) * PADDED;
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            __m512 d[CHANNELS_PER_BLOCK];
#pragma GCC unroll 16
            for (int c = 0; c < CHANNELS_PER_BLOCK; c++) {
                const float *dout_row = dout_image + ((size_t)(co0 + c) * SIZE + y) * SIZE;
                d[c] = _mm512_loadu_ps(dout_row + h * LANES);
            }
#pragma GCC unroll 8
            for (int kx = 0; kx < KERNEL; kx++) {
                __m512 x = _mm512_loadu_ps(in_row + h * LANES + kx);
                // An empty asm that "changes" x keeps it in a register. Without
                // it GCC 12 folds the load into all three FMAs, which triples
                // the loads (most of them crossing a cache line) and makes the
                // pass load-bound.
                __asm__("" : "+v"(x));
#pragma GCC unroll 16
                for (int c = 0; c < CHANNELS_PER_BLOCK; c++) {
                    acc[c][kx] = _mm512_fmadd_ps(d[c], x, acc[c][kx]);
                }
            }
        }
    }

#pragma GCC unroll 16
    for (int c = 0; c < CHANNELS_PER_BLOCK; c++) {
#pragma GCC unroll 8
        for (int kx = 0; kx < KERNEL; kx++) {
            const int index = ((co0 + c) * IN_CHANNELS + ci) * TAPS + ky * KERNEL + kx;
            _mm512_store_ps(sums + (size_t)index * LANES, acc[c][kx]);
        }
    }
}

// Adds one image's dout to the lane sums of dbias, stored after the weights.
__attribute__((target("avx512f")))
static void backward_bias_image(float *sums, const float *dout_image)
{
    for (int co = 0; co < OUT_CHANNELS; co++) {
        float *sum = sums + (size_t)(WEIGHTS + co) * LANES;
        __m512 acc = _mm512_load_ps(sum);
        const float *plane = dout_image + (size_t)co * SIZE * SIZE;
        for (int i = 0; i < SIZE * SIZE; i += LANES) {
            acc = _mm512_add_ps(acc, _mm512_loadu_ps(plane + i));
        }
        _mm512_store_ps(sum, acc);
    }
}

// Adds every thread's lane sums together and then the 16 lanes of each.
__attribute__((target("avx512f")))
static void reduce_sums(const ConvRowsScratch *scratch, float *dweight, float *dbias)
{
    for (int i = 0; i < SUM_VECTORS; i++) {
        __m512 total = _mm512_setzero_ps();
        for (int t = 0; t < scratch->threads; t++) {
            const float *sum = scratch->weight_sums + ((size_t)t * SUM_VECTORS + i) * LANES;
            total = _mm512_add_ps(total, _mm512_load_ps(sum));
        }
        const float value = _mm512_reduce_add_ps(total);
        if (i < WEIGHTS) {
            dweight[i] = value;
        } else {
            dbias[i - WEIGHTS] = value;
        }
    }
}

void conv_rows_backward_weights(ConvRowsScratch *scratch, float *dweight, float *dbias,
                                const float *dout, const float *in, int batch)
{
    // Zeroed for all scratch->threads threads, because reduce_sums reads
    // them all, even when the runtime starts fewer threads.
    memset(scratch->weight_sums, 0,
           (size_t)scratch->threads * SUM_VECTORS * LANES * sizeof(float));

#pragma omp parallel num_threads(scratch->threads)
    {
        const int thread = omp_get_thread_num();
        float *padded = scratch->padded + (size_t)thread * PADDED_IMAGE;
        float *sums = scratch->weight_sums + (size_t)thread * SUM_VECTORS * LANES;

#pragma omp for schedule(static)
        for (int n = 0; n < batch; n++) {
            copy_padded(padded, in + (size_t)n * IN_IMAGE);
            const float *dout_image = dout + (size_t)n * OUT_IMAGE;
            for (int ci = 0; ci < IN_CHANNELS; ci++) {
                for (int ky = 0; ky < KERNEL; ky++) {
                    for (int co0 = 0; co0 < OUT_CHANNELS; co0 += CHANNELS_PER_BLOCK) {
                        backward_weights_block(sums, padded, dout_image, ci, ky, co0);
                    }
                }
            }
            backward_bias_image(sums, dout_image);
        }
    }
    reduce_sums(scratch, dweight, dbias);
}
