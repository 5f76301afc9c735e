#ifndef SVHN_SIMD_H
#define SVHN_SIMD_H

#ifdef __cplusplus
extern "C" {
#endif

// Instruction-set levels of the hand-written kernels, lowest first. Every
// level is compiled into the same binary with per-function target
// attributes, and the level is chosen at run time.
typedef enum {
    SIMD_SCALAR,   // portable C, no target attributes
    SIMD_AVX2,     // AVX2 + FMA, 256-bit vectors
    SIMD_AVX512,   // AVX-512 F, 512-bit vectors
} SimdLevel;

#define SIMD_LEVEL_COUNT 3

// Returns the highest level this CPU supports (detected once).
SimdLevel simd_detect_level(void);

// Returns the level the fast layers use: the detected level, lowered by the
// environment variable SVHN_SIMD=avx512|avx2|scalar when that names a lower
// one. A value above the detected level, or an unknown one, is ignored with
// a warning on stderr.
SimdLevel simd_active_level(void);

// Returns whether this CPU can run kernels of the given level.
int simd_level_supported(SimdLevel level);

// "scalar", "avx2" or "avx512".
const char *simd_level_name(SimdLevel level);

// Parses a name returned by simd_level_name. Returns 0 on success, -1 for an
// unknown name.
int simd_parse_level(const char *name, SimdLevel *level);

#ifdef __cplusplus
}
#endif

#endif
