// Blocked GEMM driver: cache blocking, packing, edge tiles and the split
// over OpenMP threads. The arithmetic is in the per-level micro-kernels.

#include "svhn/gemm.h"

#include <xmmintrin.h>

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm_internal.h"
#include "gemm_pack.h"

// Below this many floating-point operations a product runs on one thread:
// waking the OpenMP team costs a few microseconds, more than is saved on a
// product this small (about 5 µs of work at 100 GFLOP/s).
#define GEMM_PARALLEL_MIN_FLOPS 5e5

#define PACK_A_FLOATS ((size_t)GEMM_MAX_MC * GEMM_MAX_KC)
#define PACK_B_FLOATS ((size_t)GEMM_MAX_KC * (GEMM_MAX_NC + GEMM_MAX_NR))

// Packing buffers of the calling thread, allocated on its first product and
// kept for the life of the thread, so no product allocates in steady state.
// NOTE: they are never freed; OpenMP worker threads live until the process
// ends, so this is about 4 MiB per thread for the whole run.
static _Thread_local float *thread_pack_a;
static _Thread_local float *thread_pack_b;

static float *allocate_or_exit(size_t floats, const char *what)
{
    float *buffer = aligned_alloc(64, floats * sizeof(float));
    if (buffer == NULL) {
        fprintf(stderr, "error: out of memory for the GEMM %s packing buffer "
                "(%zu bytes)\n", what, floats * sizeof(float));
        exit(EXIT_FAILURE);
    }
    return buffer;
}

static void ensure_pack_buffers(void)
{
    if (thread_pack_a == NULL) {
        thread_pack_a = allocate_or_exit(PACK_A_FLOATS, "A");
        thread_pack_b = allocate_or_exit(PACK_B_FLOATS, "B");
    }
}

static const GemmKernelInfo *kernel_for_level(SimdLevel level)
{
    switch (level) {
    case SIMD_AVX512:
        return &gemm_kernel_avx512;
    case SIMD_AVX2:
        return &gemm_kernel_avx2;
    default:
        return &gemm_kernel_scalar;
    }
}

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

// Runs the micro-kernel on a tile that is cut off by the edge of C
// (rows < mr or cols < nr) through a full-size scratch tile. Only the part
// of the scratch the kernel reads is set: the C values when accumulating,
// with zeros past the edge, and the bias when it is cut off too.
static void run_edge_tile(const GemmKernelInfo *kernel, int kc, const float *a_packed,
                          const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc, int rows,
                          int cols, const float *bias, int accumulate, int relu)
{
    _Alignas(64) float scratch[GEMM_MAX_MR * GEMM_MAX_NR];
    _Alignas(64) float bias_scratch[GEMM_MAX_NR];
    const int mr = kernel->mr;
    const int nr = kernel->nr;

    if (accumulate) {
        for (int i = 0; i < mr; i++) {
            float *row = scratch + i * nr;
            int copied = 0;
            if (i < rows) {
                memcpy(row, c + i * ldc, (size_t)cols * sizeof(float));
                copied = cols;
            }
            memset(row + copied, 0, (size_t)(nr - copied) * sizeof(float));
        }
    }
    if (bias != NULL && cols < nr) {
        memcpy(bias_scratch, bias, (size_t)cols * sizeof(float));
        memset(bias_scratch + cols, 0, (size_t)(nr - cols) * sizeof(float));
        bias = bias_scratch;
    }

    kernel->tile(kc, a_packed, b, ldb, scratch, nr, bias, accumulate, relu);

    for (int i = 0; i < rows; i++) {
        memcpy(c + i * ldc, scratch + i * nr, (size_t)cols * sizeof(float));
    }
}

// C = 0 or C unchanged, then the bias and ReLU: the product with k == 0.
static void apply_epilogue_only(int m, int n, float *c, ptrdiff_t ldc,
                                GemmEpilogue epilogue)
{
    for (int i = 0; i < m; i++) {
        float *row = c + i * ldc;
        for (int j = 0; j < n; j++) {
            float y = epilogue.accumulate ? row[j] : 0.0f;
            if (epilogue.bias != NULL) {
                y += epilogue.bias[j];
            }
            if (epilogue.relu && y < 0.0f) {
                y = 0.0f;
            }
            row[j] = y;
        }
    }
}

// Lines of B ahead of the packing: while the tiles of one sliver run, the
// source of the next sliver is requested piece by piece, so the packing
// finds it in cache instead of waiting on memory. The source is `vectors`
// runs of `run` contiguous floats, `stride` floats apart.
typedef struct {
    const float *base;
    ptrdiff_t stride;
    int vectors;
    int lines_per_vector;
    int next_line;
} PrefetchCursor;

static PrefetchCursor prefetch_cursor(const float *base, ptrdiff_t stride, int vectors, int run)
{
    const int floats_per_line = 16;
    return (PrefetchCursor){.base = base, .stride = stride, .vectors = vectors,
                            .lines_per_vector = (run + floats_per_line - 1) / floats_per_line,
                            .next_line = 0};
}

static void prefetch_lines(PrefetchCursor *cursor, int count)
{
    const int total = cursor->vectors * cursor->lines_per_vector;
    for (int i = 0; i < count && cursor->next_line < total; i++, cursor->next_line++) {
        const int vector = cursor->next_line / cursor->lines_per_vector;
        const int line = cursor->next_line % cursor->lines_per_vector;
        _mm_prefetch((const char *)(cursor->base + vector * cursor->stride + line * 16),
                     _MM_HINT_T1);
    }
}

// Computes the blocked product on the calling thread, in the loop order of
// Goto and van de Geijn's GEMM. For each (kc, nc) panel of B and each
// (mc, kc) panel of A, packed once, it runs the register tiles one sliver
// of B at a time. The bias and ReLU apply only with the last kc panel, when
// C contains the full sum.
//
// When C has a single row of tiles (m <= mr) each sliver of B is read only
// once, so copying it first costs more than it saves: full-width slivers of
// a B with contiguous rows are then read in place.
static void gemm_serial(const GemmKernelInfo *kernel, int m, int n, int k,
                        MatrixView a, MatrixView b, float *c, ptrdiff_t ldc,
                        GemmEpilogue epilogue)
{
    ensure_pack_buffers();
    float *pack_a = thread_pack_a;
    float *pack_b = thread_pack_b;
    const int mr = kernel->mr;
    const int nr = kernel->nr;
    const int b_in_place = m <= mr && b.col_stride == 1;

    for (int jc = 0; jc < n; jc += kernel->nc) {
        const int nc = min_int(kernel->nc, n - jc);

        for (int pc = 0; pc < k; pc += kernel->kc) {
            const int kc = min_int(kernel->kc, k - pc);
            const int accumulate = pc > 0 || epilogue.accumulate;
            const int last = pc + kc == k;
            const int relu = last && epilogue.relu;

            for (int ic = 0; ic < m; ic += kernel->mc) {
                const int mc = min_int(kernel->mc, m - ic);
                MatrixView a_block = a;
                a_block.data = a.data + ic * a.row_stride + pc * a.col_stride;
                gemm_pack_a(pack_a, a_block, mc, kc, kernel);

                for (int jr = 0; jr < nc; jr += nr) {
                    const int cols = min_int(nr, nc - jr);
                    const float *b_source =
                        b.data + pc * b.row_stride + (jc + jr) * b.col_stride;
                    const float *b_sliver = pack_b + (ptrdiff_t)jr * kc;
                    ptrdiff_t ldb = nr;
                    if (b_in_place && cols == nr) {
                        b_sliver = b_source;
                        ldb = b.row_stride;
                    } else if (ic == 0) {
                        // Each sliver of B is packed just before its first
                        // use, while it is still in L1, instead of packing
                        // the whole (kc, nc) panel first and reading it back
                        // from L3.
                        MatrixView b_sliver_source = b;
                        b_sliver_source.data = b_source;
                        gemm_pack_b(pack_b + (ptrdiff_t)jr * kc, b_sliver_source, kc, cols,
                                    kernel);
                    }
                    const float *bias = last && epilogue.bias != NULL
                                            ? epilogue.bias + jc + jr : NULL;

                    PrefetchCursor next = {0};
                    const int next_cols = min_int(nr, nc - jr - nr);
                    if (ic == 0 && next_cols > 0 && !b_in_place) {
                        const float *next_source = b_source + nr * b.col_stride;
                        next = b.col_stride == 1
                                   ? prefetch_cursor(next_source, b.row_stride, kc, next_cols)
                                   : prefetch_cursor(next_source, b.col_stride, next_cols, kc);
                    }
                    const int tiles = (mc + mr - 1) / mr;
                    const int lines_per_tile =
                        (next.vectors * next.lines_per_vector + tiles - 1) / tiles;

                    for (int ir = 0; ir < mc; ir += mr) {
                        const int rows = min_int(mr, mc - ir);
                        const float *a_sliver = pack_a + (ptrdiff_t)ir * kc;
                        prefetch_lines(&next, lines_per_tile);
                        float *c_tile = c + (ic + ir) * ldc + jc + jr;

                        if (rows == mr && cols == nr) {
                            kernel->tile(kc, a_sliver, b_sliver, ldb, c_tile, ldc, bias,
                                         accumulate, relu);
                        } else {
                            run_edge_tile(kernel, kc, a_sliver, b_sliver, ldb, c_tile, ldc,
                                          rows, cols, bias, accumulate, relu);
                        }
                    }
                }
            }
        }
    }
}

// Gives part `index` of `parts` a contiguous range of whole tiles of width
// `tile` out of `size`, as [*begin, *end).
static void split_range(int size, int tile, int parts, int index, int *begin, int *end)
{
    const int tiles = (size + tile - 1) / tile;
    const int first = (int)((long)tiles * index / parts);
    const int last = (int)((long)tiles * (index + 1) / parts);
    *begin = min_int(first * tile, size);
    *end = min_int(last * tile, size);
}

void gemm(SimdLevel level, int m, int n, int k, MatrixView a, MatrixView b,
          float *c, ptrdiff_t ldc, GemmEpilogue epilogue)
{
    if (m <= 0 || n <= 0) {
        return;
    }
    if (k <= 0) {
        apply_epilogue_only(m, n, c, ldc, epilogue);
        return;
    }
    if (level == SIMD_AVX512 && n <= GEMM_DOT_MAX_N && a.col_stride == 1 &&
        b.row_stride == 1) {
        gemm_dot_avx512(m, n, k, a, b, c, ldc, epilogue);
        return;
    }
    const GemmKernelInfo *kernel = kernel_for_level(level);

    const double flops = 2.0 * m * n * k;
    const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (threads <= 1 || flops < GEMM_PARALLEL_MIN_FLOPS) {
        gemm_serial(kernel, m, n, k, a, b, c, ldc, epilogue);
        return;
    }

    // Each thread computes its own block of C, split along the dimension
    // with more tiles, so no two threads write the same element and none
    // waits for another.
    const int n_tiles = (n + kernel->nr - 1) / kernel->nr;
    const int m_tiles = (m + kernel->mr - 1) / kernel->mr;
    const int split_n = n_tiles >= m_tiles || n_tiles >= 2 * threads;
    const int parts = min_int(threads, split_n ? n_tiles : m_tiles);

    #pragma omp parallel num_threads(parts)
    {
        const int index = omp_get_thread_num();
        int begin;
        int end;
        MatrixView a_part = a;
        MatrixView b_part = b;
        GemmEpilogue part_epilogue = epilogue;

        if (split_n) {
            split_range(n, kernel->nr, parts, index, &begin, &end);
            b_part.data = b.data + begin * b.col_stride;
            if (epilogue.bias != NULL) {
                part_epilogue.bias = epilogue.bias + begin;
            }
            if (end > begin) {
                gemm_serial(kernel, m, end - begin, k, a_part, b_part, c + begin, ldc,
                            part_epilogue);
            }
        } else {
            split_range(m, kernel->mr, parts, index, &begin, &end);
            a_part.data = a.data + begin * a.row_stride;
            if (end > begin) {
                gemm_serial(kernel, end - begin, n, k, a_part, b_part, c + begin * ldc,
                            ldc, part_epilogue);
            }
        }
    }
}
