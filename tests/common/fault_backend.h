/* A backend that wraps another and fails its Nth call: the backend half of
 * fault injection (the allocator is the other half, core/alloc.h). Every
 * member but close and errmsg counts as a call; an injected failure does
 * not reach the wrapped backend, so the store must clean up after it. */
#ifndef FAULT_BACKEND_H
#define FAULT_BACKEND_H

#include <privacy/backend.h>

extern const privacy_backend fb_backend;

/* Wraps inner from now on and clears the counters. */
void fb_reset(const privacy_backend *inner);
/* The nth call from now fails with code (and every later one too when
 * persistent); nth 0 turns injection off. */
void fb_fail(long nth, int code, int persistent);
/* Calls made since fb_reset, and failures injected. */
long fb_calls(void);
long fb_injected(void);

#endif
