#ifndef SVHN_RNG_H
#define SVHN_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// xoshiro256** generator, seeded through splitmix64. The sequence depends
// only on the seed, never on the platform or the C library.
typedef struct {
    uint64_t state[4];
} Rng;

void rng_seed(Rng *rng, uint64_t seed);
uint64_t rng_next_u64(Rng *rng);

// Uniform in [0, bound) without modulo bias. bound must be positive.
uint32_t rng_below(Rng *rng, uint32_t bound);

// Uniform in [0, 1) with 24 random bits.
float rng_uniform(Rng *rng);

// Standard normal sample (Box-Muller transform).
float rng_normal(Rng *rng);

// Shuffles indices[0..count) in place (Fisher-Yates).
void rng_shuffle(Rng *rng, int *indices, int count);

#ifdef __cplusplus
}
#endif

#endif
