/* A tiny benchmark harness: monotonic timing, interleaved rounds of our
 * code and its raw baseline, and the one BENCH line per figure that
 * DESIGN.md ("Tests, benchmarks, CI") prescribes:
 *
 *   BENCH name=<id> ops_per_s=<n> baseline=<what> baseline_ops_per_s=<n> overhead=<x>
 *
 * Every failure aborts with a message: a benchmark that goes on after a
 * failed call measures nothing. */
#ifndef PRV_BENCH_H
#define PRV_BENCH_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define BENCH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BENCH_PRINTF(f, a)
#endif

/* Prints "bench: <message>" on stderr and exits with status 1. */
_Noreturn void bench_die(const char *fmt, ...) BENCH_PRINTF(1, 2);

/* malloc/calloc that die instead of returning NULL. */
void *bench_xmalloc(size_t n);
void *bench_xcalloc(size_t count, size_t size);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t bench_now_ns(void);

/* Runs one step of one side and returns how many operations it did
 * (records written, records read). It aborts on any failure. A round is
 * `steps` steps of each side. */
typedef uint64_t (*bench_step_fn)(void *arg, int step);

/* One figure: our code against its baseline. */
typedef struct bench_pair {
    const char *name;     /* the figure's id, e.g. "store_put_batch" */
    const char *baseline; /* what the baseline is, e.g. "sqlite" */
    int rounds;           /* timed rounds, after one untimed warm-up round */
    int steps;            /* steps per side per round */
    void *arg;            /* handed to every callback */
    /* Untimed, before each round (warm-up included): prepares the work both
     * sides then do, e.g. fresh random records. May be NULL. */
    void (*prepare)(void *arg, int round);
    bench_step_fn ours;
    bench_step_fn base;
} bench_pair;

/* Runs the figure and prints its BENCH line on stdout (and one line with
 * the spread of the rounds on stderr).
 *
 * Robustness on a noisy machine: the two sides run interleaved step by
 * step (one transaction, one chunk of reads), alternating which goes
 * first, so a slow spell of the machine or the disk (another build, a
 * writeback) lands on both sides alike. Each side's figure is the MEDIAN
 * over the rounds of its time per operation in the round: unlike the best
 * round it does not reward one lucky round, and unlike the mean it ignores
 * a round hit by a stall. */
void bench_run_pair(const bench_pair *p);

/* A figure with no raw counterpart: the median of the rounds, printed with
 * baseline=none baseline_ops_per_s=0 overhead=0. */
void bench_run_alone(const char *name, int rounds, int steps, void *arg,
                     void (*prepare)(void *, int), bench_step_fn fn);

/* Creates a fresh directory for the benchmark's files and writes its path
 * into buf. It is made under $BENCH_TMPDIR, else $TMPDIR, else /var/tmp:
 * the disk, so that fsync costs what it costs in production. Warns on
 * stderr when that is a tmpfs. */
void bench_tmpdir(char *buf, size_t len);

#endif
