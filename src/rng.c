#include "svhn/rng.h"

#include <math.h>

// splitmix64 spreads a 64-bit seed over the four state words, so that nearby
// seeds give unrelated sequences and the state is never all zero.
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotate_left(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void rng_seed(Rng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        rng->state[i] = splitmix64(&seed);
    }
}

uint64_t rng_next_u64(Rng *rng)
{
    uint64_t *s = rng->state;
    uint64_t result = rotate_left(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotate_left(s[3], 45);
    return result;
}

uint32_t rng_below(Rng *rng, uint32_t bound)
{
    // Lemire's multiply-and-reject: the 64-bit product's high word is uniform
    // once the low words that fall in the short final interval are rejected.
    uint64_t product = (rng_next_u64(rng) >> 32) * bound;
    uint32_t low = (uint32_t)product;
    if (low < bound) {
        uint32_t threshold = (uint32_t)(-bound) % bound;
        while (low < threshold) {
            product = (rng_next_u64(rng) >> 32) * bound;
            low = (uint32_t)product;
        }
    }
    return (uint32_t)(product >> 32);
}

float rng_uniform(Rng *rng)
{
    return (float)(rng_next_u64(rng) >> 40) * (1.0f / 16777216.0f);
}

float rng_normal(Rng *rng)
{
    // 1 - u lies in (0, 1], so the logarithm stays finite.
    double u1 = 1.0 - (double)(rng_next_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
    double u2 = (double)(rng_next_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

void rng_shuffle(Rng *rng, int *indices, int count)
{
    for (int i = count - 1; i > 0; i--) {
        int j = (int)rng_below(rng, (uint32_t)i + 1);
        int swap = indices[i];
        indices[i] = indices[j];
        indices[j] = swap;
    }
}
