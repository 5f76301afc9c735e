// Run-time choice of the SIMD level: CPU detection once, then the SVHN_SIMD
// override.

#include "svhn/simd.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const level_names[SIMD_LEVEL_COUNT] = {"scalar", "avx2", "avx512"};

const char *simd_level_name(SimdLevel level)
{
    if ((int)level < 0 || (int)level >= SIMD_LEVEL_COUNT) {
        return "unknown";
    }
    return level_names[level];
}

int simd_parse_level(const char *name, SimdLevel *level)
{
    for (int i = 0; i < SIMD_LEVEL_COUNT; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *level = (SimdLevel)i;
            return 0;
        }
    }
    return -1;
}

static SimdLevel detect_level(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        return SIMD_AVX512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        return SIMD_AVX2;
    }
#endif
    return SIMD_SCALAR;
}

// The detection and the environment are read once. Two first callers may
// both compute the value, but they store the same one.
SimdLevel simd_detect_level(void)
{
    static _Atomic int detected = -1;
    if (detected < 0) {
        detected = (int)detect_level();
    }
    return (SimdLevel)detected;
}

int simd_level_supported(SimdLevel level)
{
    return (int)level >= 0 && level <= simd_detect_level();
}

static SimdLevel level_from_environment(void)
{
    SimdLevel best = simd_detect_level();
    const char *value = getenv("SVHN_SIMD");
    if (value == NULL || value[0] == '\0') {
        return best;
    }

    SimdLevel requested;
    if (simd_parse_level(value, &requested) != 0) {
        fprintf(stderr, "warning: SVHN_SIMD=%s is not one of scalar, avx2, avx512; "
                "using %s\n", value, simd_level_name(best));
        return best;
    }
    if (requested > best) {
        fprintf(stderr, "warning: SVHN_SIMD=%s is not supported by this CPU; "
                "using %s\n", value, simd_level_name(best));
        return best;
    }
    return requested;
}

SimdLevel simd_active_level(void)
{
    static _Atomic int active = -1;
    if (active < 0) {
        active = (int)level_from_environment();
    }
    return (SimdLevel)active;
}
