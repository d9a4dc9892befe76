/* Big-endian integers in the library's byte formats (key records, audit
 * entries, checkpoints, seals): one copy of the shifting. */
#ifndef PRV_CORE_BYTES_H
#define PRV_CORE_BYTES_H

#include <stdint.h>

/* Writes the low n bytes of v at p, most significant first. */
static inline void prv_put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* Reads n bytes at p, most significant first. */
static inline uint64_t prv_get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

#endif
