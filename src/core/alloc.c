#include "alloc.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "privacy/common.h"

/* Each block starts with a header holding its size, so prv_free() can wipe
 * the whole block. The header is as large as max_align_t to keep the
 * caller's pointer aligned for any type. */
typedef union {
    size_t size;
    max_align_t align;
} block_header;

enum { HEADER = sizeof(block_header) };

static atomic_long alloc_count;
static atomic_long alloc_live;
static atomic_long fault_at;         /* 0: off; else the allocation number that fails */
static atomic_int fault_persistent;

static int should_fail(void)
{
    long n = atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed) + 1;
    long at = atomic_load_explicit(&fault_at, memory_order_relaxed);
    if (at == 0)
        return 0;
    if (n == at)
        return 1;
    return n > at && atomic_load_explicit(&fault_persistent, memory_order_relaxed);
}

void prv_alloc_fault(long nth, int persistent)
{
    atomic_store(&fault_persistent, persistent ? 1 : 0);
    atomic_store(&fault_at, nth > 0 ? atomic_load(&alloc_count) + nth : 0);
}

long prv_alloc_count(void)
{
    return atomic_load(&alloc_count);
}

long prv_alloc_live(void)
{
    return atomic_load(&alloc_live);
}

void *prv_malloc(size_t n)
{
    if (n > SIZE_MAX - HEADER || should_fail())
        return NULL;
    block_header *h = malloc(HEADER + n);
    if (h == NULL)
        return NULL;
    h->size = n;
    atomic_fetch_add_explicit(&alloc_live, 1, memory_order_relaxed);
    return (unsigned char *)h + HEADER;
}

void *prv_calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    void *p = prv_malloc(count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

void *prv_realloc(void *p, size_t n)
{
    if (p == NULL)
        return prv_malloc(n);
    block_header *old = (block_header *)((unsigned char *)p - HEADER);
    /* Never leave a copy of the old contents behind in freed memory:
     * allocate, copy, wipe and release instead of realloc(). */
    void *q = prv_malloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old->size < n ? old->size : n);
    prv_free(p);
    return q;
}

void prv_free(void *p)
{
    if (p == NULL)
        return;
    block_header *h = (block_header *)((unsigned char *)p - HEADER);
    sodium_memzero(h, HEADER + h->size);
    free(h);
    atomic_fetch_sub_explicit(&alloc_live, 1, memory_order_relaxed);
}

void *prv_secure_alloc(size_t n)
{
    /* sodium_malloc needs the page size that sodium_init() finds; the
     * configuration can hold keys before any context is opened. */
    if (should_fail() || sodium_init() < 0)
        return NULL;
    void *p = sodium_malloc(n);
    if (p != NULL)
        atomic_fetch_add_explicit(&alloc_live, 1, memory_order_relaxed);
    return p;
}

void prv_secure_free(void *p)
{
    if (p == NULL)
        return;
    sodium_free(p);
    atomic_fetch_sub_explicit(&alloc_live, 1, memory_order_relaxed);
}

char *prv_strndup(const char *s, size_t n)
{
    char *d = prv_malloc(n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *prv_strdup(const char *s)
{
    return prv_strndup(s, strlen(s));
}

void privacy_free(void *p)
{
    prv_free(p);
}
