/* Fork detection: a counter that every fork() in this process's children
 * increments (pthread_atfork), so a context compares one integer per call
 * instead of making a getpid() system call. */
#ifndef PRV_CORE_FORK_H
#define PRV_CORE_FORK_H

/* Registers the handler on first use; returns the current generation. */
unsigned long prv_fork_generation(void);

#endif
