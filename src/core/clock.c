#include "clock.h"

#include <errno.h>
#include <sodium.h>
#include <time.h>

static int64_t to_us(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000 + ts->tv_nsec / 1000;
}

int64_t prv_clock_realtime(void *userdata)
{
    (void)userdata;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return to_us(&ts);
}

int64_t prv_clock_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return to_us(&ts);
}

void prv_sleep_jittered_us(int64_t usec)
{
    usec += (int64_t)randombytes_uniform((uint32_t)(usec / 2 + 1));
    struct timespec ts = { .tv_sec = usec / 1000000, .tv_nsec = (long)(usec % 1000000) * 1000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
