#include "fork.h"

#include <pthread.h>
#include <stdatomic.h>

static atomic_ulong generation;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void in_child(void)
{
    atomic_fetch_add(&generation, 1);
}

static void install(void)
{
    /* glibc removes the handler if the library is unloaded (dlclose). If
     * registration fails (ENOMEM), forks go unnoticed; nothing else breaks. */
    (void)pthread_atfork(NULL, NULL, in_child);
}

unsigned long prv_fork_generation(void)
{
    pthread_once(&once, install);
    return atomic_load_explicit(&generation, memory_order_relaxed);
}
