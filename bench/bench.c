/* The benchmark harness (see bench.h). */
#include "bench.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __linux__
#include <linux/magic.h>
#include <sys/vfs.h>
#endif

enum { MAX_ROUNDS = 32 };

void bench_die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("bench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void *bench_xmalloc(size_t n)
{
    void *p = malloc(n != 0 ? n : 1);
    if (p == NULL)
        bench_die("out of memory (%zu bytes)", n);
    return p;
}

void *bench_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count != 0 ? count : 1, size != 0 ? size : 1);
    if (p == NULL)
        bench_die("out of memory (%zu x %zu bytes)", count, size);
    return p;
}

int64_t bench_now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        bench_die("clock_gettime(CLOCK_MONOTONIC): %s", strerror(errno));
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Runs and times one step, adding to *ns and *ops. */
static void timed_step(bench_step_fn fn, void *arg, int step, int64_t *ns, uint64_t *ops)
{
    int64_t t0 = bench_now_ns();
    uint64_t n = fn(arg, step);
    int64_t t1 = bench_now_ns();
    *ns += t1 - t0;
    *ops += n;
}

/* Seconds per operation of one side's round. */
static double per_op(int64_t ns, uint64_t ops, const char *name, const char *side)
{
    if (ops == 0)
        bench_die("%s: the %s side did no operations", name, side);
    if (ns <= 0)
        bench_die("%s: the %s side took no measurable time", name, side);
    return (double)ns / 1e9 / (double)ops;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v in place and returns its median. */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return n % 2 != 0 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void check_shape(const char *name, int rounds, int steps)
{
    if (rounds < 1 || rounds > MAX_ROUNDS)
        bench_die("%s: rounds must be 1..%d, not %d", name, MAX_ROUNDS, rounds);
    if (steps < 1)
        bench_die("%s: steps must be at least 1, not %d", name, steps);
}

void bench_run_pair(const bench_pair *p)
{
    check_shape(p->name, p->rounds, p->steps);
    double ours[MAX_ROUNDS], base[MAX_ROUNDS];
    /* Round 0 is the warm-up: it fills caches and is not counted. */
    for (int r = 0; r <= p->rounds; r++) {
        if (p->prepare != NULL)
            p->prepare(p->arg, r);
        int64_t ons = 0, bns = 0;
        uint64_t oops = 0, bops = 0;
        for (int s = 0; s < p->steps; s++) {
            if ((r + s) % 2 == 0) {
                timed_step(p->ours, p->arg, s, &ons, &oops);
                timed_step(p->base, p->arg, s, &bns, &bops);
            } else {
                timed_step(p->base, p->arg, s, &bns, &bops);
                timed_step(p->ours, p->arg, s, &ons, &oops);
            }
        }
        double o = per_op(ons, oops, p->name, "library");
        double b = per_op(bns, bops, p->name, p->baseline);
        if (r > 0) {
            ours[r - 1] = o;
            base[r - 1] = b;
        }
    }
    /* median() sorts, so [0] and [rounds - 1] are then the extremes. */
    double mo = median(ours, p->rounds), mb = median(base, p->rounds);
    fprintf(stderr,
            "bench: %s: %d rounds of %d steps, median us/op: library %.3f (%.3f..%.3f), "
            "%s %.3f (%.3f..%.3f)\n",
            p->name, p->rounds, p->steps, mo * 1e6, ours[0] * 1e6, ours[p->rounds - 1] * 1e6,
            p->baseline, mb * 1e6, base[0] * 1e6, base[p->rounds - 1] * 1e6);
    printf("BENCH name=%s ops_per_s=%.0f baseline=%s baseline_ops_per_s=%.0f overhead=%.2f\n",
           p->name, 1.0 / mo, p->baseline, 1.0 / mb, mo / mb);
    fflush(stdout);
}

void bench_run_alone(const char *name, int rounds, int steps, void *arg,
                     void (*prepare)(void *, int), bench_step_fn fn)
{
    check_shape(name, rounds, steps);
    double t[MAX_ROUNDS];
    for (int r = 0; r <= rounds; r++) {
        if (prepare != NULL)
            prepare(arg, r);
        int64_t ns = 0;
        uint64_t ops = 0;
        for (int s = 0; s < steps; s++)
            timed_step(fn, arg, s, &ns, &ops);
        double x = per_op(ns, ops, name, "library");
        if (r > 0)
            t[r - 1] = x;
    }
    double m = median(t, rounds);
    printf("BENCH name=%s ops_per_s=%.0f baseline=none baseline_ops_per_s=0 overhead=0\n", name,
           1.0 / m);
    fflush(stdout);
}

void bench_tmpdir(char *buf, size_t len)
{
    const char *base = getenv("BENCH_TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/var/tmp";
    int n = snprintf(buf, len, "%s/libprivacy-bench-XXXXXX", base);
    if (n < 0 || (size_t)n >= len)
        bench_die("temporary directory path too long under '%s'", base);
    if (mkdtemp(buf) == NULL)
        bench_die("cannot create a directory under '%s': %s", base, strerror(errno));
#ifdef __linux__
    struct statfs fs;
    if (statfs(buf, &fs) == 0 && fs.f_type == TMPFS_MAGIC)
        fprintf(stderr,
                "bench: warning: %s is on tmpfs, so fsync costs nothing; set BENCH_TMPDIR to a "
                "directory on disk\n",
                buf);
#endif
}
