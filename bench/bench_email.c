/* Email normalisation for the blind index (src/subject/email.c) over a
 * mix shaped like a shop's customer list: about 80% ASCII addresses (mixed
 * case, dots, +tags, some with white space around them from a form or a
 * CSV file), 10% with an internationalised domain (Unicode or already in
 * xn-- form) and 10% with a Unicode local part. Normalisation has no raw
 * counterpart, so the figure prints baseline=none (DESIGN.md).
 *
 *  email_normalise  one prv_email_normalise() call and the prv_free() of
 *                   its result. ops = addresses. */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "core/alloc.h"
#include "subject/email.h"

enum {
    ROUNDS = 9,      /* timed rounds, plus one warm-up */
    STEPS = 16,      /* steps per round */
    ADDRESSES = 4096 /* the mix; every step normalises all of them */
};

static const char *const first[] = {
    "Anna", "ben", "CHLOE", "david.smith", "Emma", "f.garcia", "George", "hannah",
    "Isaac", "jan.de.vries", "Kim", "laura", "Mohammed", "nina", "Oliver", "p.nowak",
};
static const char *const ascii_domain[] = {
    "gmail.com", "Example.COM", "outlook.com", "yahoo.co.uk",
    "web.de", "shop.example.org", "mail.example.net", "gmx.net",
};
static const char *const idn_domain[] = {
    "bücher.example", "MÜNCHEN.de", "例子.广告", "παράδειγμα.δοκιμή",
    "xn--bcher-kva.example", "straße.de", "пример.рф", "köln-café.example",
};
static const char *const unicode_local[] = {
    "José", "Ärger", "用户", "δοκιμή", "İlker", "Søren.Ødegård", "françois", "MÜLLER",
};

typedef struct state {
    char text[ADDRESSES][96];
    size_t len[ADDRESSES];
} state;

/* A fixed mix (the same every run): i picks the kind and the pieces. */
static void make_mix(state *st)
{
    enum { NF = sizeof first / sizeof first[0] };
    for (int i = 0; i < ADDRESSES; i++) {
        const char *who = first[(i * 7) % NF];
        int kind = i % 10, n;
        if (kind == 8)
            n = snprintf(st->text[i], sizeof st->text[i], "%s%d@%s", who, i % 100,
                         idn_domain[(i / 10) % 8]);
        else if (kind == 9)
            n = snprintf(st->text[i], sizeof st->text[i], "%s@%s", unicode_local[(i / 10) % 8],
                         ascii_domain[(i / 10) % 8]);
        else if (kind == 3)
            n = snprintf(st->text[i], sizeof st->text[i], "%s+shop%d@%s", who, i % 1000,
                         ascii_domain[i % 8]);
        else if (kind == 5 && i % 20 == 5) /* pasted from a form or a CSV cell */
            n = snprintf(st->text[i], sizeof st->text[i], "  %s%d@%s\r\n", who, i,
                         ascii_domain[i % 8]);
        else
            n = snprintf(st->text[i], sizeof st->text[i], "%s%d@%s", who, i, ascii_domain[i % 8]);
        if (n < 0 || (size_t)n >= sizeof st->text[i])
            bench_die("address %d does not fit", i);
        st->len[i] = (size_t)n;
    }
}

static uint64_t step(void *arg, int s)
{
    (void)s;
    state *st = arg;
    prv_err err;
    prv_err_clear(&err);
    for (int i = 0; i < ADDRESSES; i++) {
        char *out;
        size_t out_len;
        if (prv_email_normalise(st->text[i], st->len[i], &out, &out_len, &err) != PRIVACY_OK)
            bench_die("email_normalise: address %d refused: %s", i, prv_err_msg(&err));
        prv_free(out);
    }
    return ADDRESSES;
}

int main(void)
{
    static state st;
    make_mix(&st);
    bench_run_alone("email_normalise", ROUNDS, STEPS, &st, NULL, step);
    return 0;
}
