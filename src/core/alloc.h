/* The library's one allocator: every allocation of the library's own memory
 * goes through here, so fault injection tests the shipped code and
 * privacy_free() can wipe what it releases. */
#ifndef PRV_CORE_ALLOC_H
#define PRV_CORE_ALLOC_H

#include <stddef.h>

void *prv_malloc(size_t n);
void *prv_calloc(size_t count, size_t size);
void *prv_realloc(void *p, size_t n);
/* Wipes the whole block, then releases it. NULL is accepted. */
void prv_free(void *p);
char *prv_strdup(const char *s);
char *prv_strndup(const char *s, size_t n);

/* Guarded memory for long-lived keys (sodium_malloc: guard pages, mlock,
 * wiped on release). Counted and failed like the rest; never per value on
 * a hot path (each costs ~24 us and four mappings). */
void *prv_secure_alloc(size_t n);
void prv_secure_free(void *p);

/* Fault injection and accounting, for the library's own tests (hidden).
 * prv_alloc_fault(nth, persistent): the nth allocation from now fails (1 =
 * the next one), and with persistent every one after it too; 0 turns it
 * off. prv_alloc_count(): allocations attempted since start;
 * prv_alloc_live(): blocks currently allocated. */
void prv_alloc_fault(long nth, int persistent);
long prv_alloc_count(void);
long prv_alloc_live(void);

#endif
