// Row-vectorised AVX-512 kernels for LNet's first convolution only:
// 3 -> 6 channels, 5x5 kernel, stride 1, padding 2, on 32x32 images in NCHW.
// A 32-float output row is two 16-float vectors, so the vectors run along x
// instead of along the channels, which are too few (3 and 6) to fill one.
// The caller must check that the CPU supports AVX-512 F.

#ifndef SVHN_BENCH_CONV_ROWS_KERNELS_H
#define SVHN_BENCH_CONV_ROWS_KERNELS_H

#define CONV_ROWS_IN_CHANNELS 3
#define CONV_ROWS_OUT_CHANNELS 6
#define CONV_ROWS_SIZE 32     // height and width of the input and the output
#define CONV_ROWS_KERNEL 5
#define CONV_ROWS_PADDING 2

// Per-thread buffers, allocated once so the timed calls allocate nothing.
typedef struct {
    int threads;
    float *padded;        // per thread: 3 x 36 x 36 image with zero borders
    float *weight_sums;   // per thread: (450 weights + 6 biases) x 16 lanes
} ConvRowsScratch;

// Allocates scratch for up to `threads` OpenMP threads. Returns -1 when
// memory runs out.
int conv_rows_scratch_init(ConvRowsScratch *scratch, int threads);
void conv_rows_scratch_free(ConvRowsScratch *scratch);

// out (batch, 6, 32, 32) = conv(in (batch, 3, 32, 32), weight (6, 3, 5, 5))
// + bias (6), with scratch->threads threads splitting the images.
void conv_rows_forward(ConvRowsScratch *scratch, float *out, const float *in,
                       const float *weight, const float *bias, int batch);

// Overwrites dweight (6, 3, 5, 5) and dbias (6) with the gradients for
// dout (batch, 6, 32, 32) and the forward input in (batch, 3, 32, 32).
void conv_rows_backward_weights(ConvRowsScratch *scratch, float *dweight, float *dbias,
                                const float *dout, const float *in, int batch);

#endif
