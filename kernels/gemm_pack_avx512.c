// AVX-512 transposing pack for the micro-kernel's panels: 16 source
// vectors at a time are loaded 16 k steps deep and transposed in registers,
// instead of moving one float at a time.

#include <immintrin.h>

#include "gemm_internal.h"
#include "gemm_pack.h"

// Transposes the 16x16 block in rows: afterwards rows[j] contains element j of
// every input row, in input row order. Unpacks interleave pairs of rows,
// shuffles gather four rows per 128-bit lane, and two rounds of 128-bit lane
// shuffles put the four lanes of each column together.
__attribute__((target("avx512f")))
static void transpose_16x16(__m512 rows[16])
{
    __m512 pairs[16];
    for (int i = 0; i < 8; i++) {
        pairs[2 * i] = _mm512_unpacklo_ps(rows[2 * i], rows[2 * i + 1]);
        pairs[2 * i + 1] = _mm512_unpackhi_ps(rows[2 * i], rows[2 * i + 1]);
    }

    // quads[4 * g + c], lane L: column 4L + c of rows 4g .. 4g + 3.
    __m512 quads[16];
    for (int g = 0; g < 4; g++) {
        quads[4 * g + 0] = _mm512_shuffle_ps(pairs[4 * g], pairs[4 * g + 2], 0x44);
        quads[4 * g + 1] = _mm512_shuffle_ps(pairs[4 * g], pairs[4 * g + 2], 0xEE);
        quads[4 * g + 2] = _mm512_shuffle_ps(pairs[4 * g + 1], pairs[4 * g + 3], 0x44);
        quads[4 * g + 3] = _mm512_shuffle_ps(pairs[4 * g + 1], pairs[4 * g + 3], 0xEE);
    }

    for (int c = 0; c < 4; c++) {
        const __m512 low01 = _mm512_shuffle_f32x4(quads[c], quads[4 + c], 0x44);
        const __m512 high01 = _mm512_shuffle_f32x4(quads[c], quads[4 + c], 0xEE);
        const __m512 low23 = _mm512_shuffle_f32x4(quads[8 + c], quads[12 + c], 0x44);
        const __m512 high23 = _mm512_shuffle_f32x4(quads[8 + c], quads[12 + c], 0xEE);
        rows[c] = _mm512_shuffle_f32x4(low01, low23, 0x88);
        rows[4 + c] = _mm512_shuffle_f32x4(low01, low23, 0xDD);
        rows[8 + c] = _mm512_shuffle_f32x4(high01, high23, 0x88);
        rows[12 + c] = _mm512_shuffle_f32x4(high01, high23, 0xDD);
    }
}

// Packs `count` (at most 16) vectors, run (at most 16) k steps deep: group
// p of dst (groups `width` floats apart) gets element p of each vector in
// lanes 0 .. lanes - 1. Lanes past count are written as zero.
__attribute__((target("avx512f")))
static void pack_block(float *dst, const float *src, ptrdiff_t vector_stride, int count,
                       int lanes, int run, int width)
{
    const __mmask16 step_mask = (__mmask16)((1u << run) - 1);
    const __mmask16 lane_mask = (__mmask16)((1u << lanes) - 1);
    __m512 rows[16];
    for (int v = 0; v < 16; v++) {
        rows[v] = v < count ? _mm512_maskz_loadu_ps(step_mask, src + v * vector_stride)
                            : _mm512_setzero_ps();
    }
    transpose_16x16(rows);
    for (int p = 0; p < run; p++) {
        _mm512_mask_storeu_ps(dst + (ptrdiff_t)p * width, lane_mask, rows[p]);
    }
}

// Widths up to 32 (both panels of the 10x32 micro-kernel); wider ones go
// to the portable pack.
__attribute__((target("avx512f")))
void gemm_pack_transposed_avx512(float *dst, const float *src, ptrdiff_t vector_stride,
                                 int count, int depth, int width)
{
    if (width > 32) {
        gemm_pack_transposed_portable(dst, src, vector_stride, count, depth, width);
        return;
    }
    for (int p0 = 0; p0 < depth; p0 += 16) {
        const int run = depth - p0 < 16 ? depth - p0 : 16;
        // Lanes 0-15 of each group come from vectors 0-15, lanes 16-31 from
        // vectors 16-31.
        for (int first = 0; first < width; first += 16) {
            const int lanes = width - first < 16 ? width - first : 16;
            int present = count - first;
            if (present < 0) {
                present = 0;
            }
            if (present > lanes) {
                present = lanes;
            }
            pack_block(dst + (ptrdiff_t)p0 * width + first, src + first * vector_stride + p0,
                       vector_stride, present, lanes, run, width);
        }
    }
}
