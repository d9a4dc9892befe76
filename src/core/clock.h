#ifndef PRV_CORE_CLOCK_H
#define PRV_CORE_CLOCK_H

#include <stdint.h>

/* The system's real-time clock, in microseconds since the epoch: the
 * default privacy_clock_fn. */
int64_t prv_clock_realtime(void *userdata);
/* A monotonic clock in microseconds, for timeouts and back-off: a test's
 * frozen clock must never stall a retry loop. */
int64_t prv_clock_monotonic(void);
/* Sleeps for usec microseconds plus a random part of up to half that
 * (retry back-off: the jitter keeps writers that collided from colliding
 * again). */
void prv_sleep_jittered_us(int64_t usec);

#endif
