// Portable C GEMM micro-kernel: a 4x16 tile of C. The fixed trip counts
// let the compiler keep the tile in registers and vectorise it with the
// baseline instruction set (SSE2 on x86-64).

#include "gemm_internal.h"

#define MR 4
#define NR 16

static void tile_scalar(int kc, const float *a_packed, const float *b,
                        ptrdiff_t ldb, float *c, ptrdiff_t ldc, const float *bias,
                        int accumulate, int relu)
{
    float acc[MR][NR] = {{0.0f}};

    for (int p = 0; p < kc; p++) {
        for (int i = 0; i < MR; i++) {
            const float a = a_packed[i];
            for (int j = 0; j < NR; j++) {
                acc[i][j] += a * b[j];
            }
        }
        a_packed += MR;
        b += ldb;
    }

    for (int i = 0; i < MR; i++) {
        float *row = c + i * ldc;
        for (int j = 0; j < NR; j++) {
            float y = acc[i][j];
            if (bias != NULL) {
                y += bias[j];
            }
            if (accumulate) {
                y += row[j];
            }
            if (relu && y < 0.0f) {
                y = 0.0f;
            }
            row[j] = y;
        }
    }
}

const GemmKernelInfo gemm_kernel_scalar = {
    .tile = tile_scalar, .mr = MR, .nr = NR, .mc = 128, .kc = 256, .nc = 1024,
};
