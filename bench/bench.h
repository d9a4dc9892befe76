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

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/entry.h"
#include "audit/log.h"
#include "core/error.h"
#include "privacy/backend.h"
#include "privacy/privacy.h"
#include "store/store.h"

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
 * baseline=none baseline_ops_per_s=0 overhead=0 (and the spread of the
 * rounds on stderr). */
void bench_run_alone(const char *name, int rounds, int steps, void *arg,
                     void (*prepare)(void *, int), bench_step_fn fn);

/* Creates a fresh directory for the benchmark's files and writes its path
 * into buf. It is made under $BENCH_TMPDIR, else $TMPDIR, else /var/tmp:
 * the disk, so that fsync costs what it costs in production. Warns on
 * stderr when that is a tmpfs. */
void bench_tmpdir(char *buf, size_t len);

/* CLOCK_REALTIME in microseconds (the library's time unit). */
int64_t bench_realtime_us(void);

/* ---- ids and files ---- */

enum { BENCH_ID_LEN = 4 + 32 }; /* "sub_" / "rec_" + 32 lowercase hex digits */
typedef char bench_id[BENCH_ID_LEN + 1];

/* A library-shaped id: a 3-letter prefix and '_' ("sub_"), then 128
 * random bits (randombytes_buf) in lowercase hex. */
void bench_new_id(bench_id out, const char *prefix);

/* Writes dir/name+suffix into buf. */
void bench_path(char *buf, size_t len, const char *dir, const char *name, const char *suffix);
/* Removes dir/name and its -wal and -shm files. */
void bench_remove_db(const char *dir, const char *name);

enum { BENCH_URI_CAP = 4400 };
/* The library's storage URI of the SQLite file at path: "sqlite:<path>". */
void bench_sqlite_uri(char out[BENCH_URI_CAP], const char *path);

/* Opens the file at path through the library's store over SQLite
 * (prv_store_open with prv_sqlite_backend), creating it with the
 * library's schema if it does not exist. */
void bench_store_open(prv_store **st, const char *path, prv_err *err);
/* Creates a database file through the library, with its schema, indexes,
 * application_id and WAL mode, and closes it again. */
void bench_create_db(const char *path);

/* ---- the raw SQLite baseline ---- */

/* The exact statements of src/backend/sqlite/sqlite_backend.c. */
extern const char BENCH_SQL_BEGIN[];
extern const char BENCH_SQL_COMMIT[];
extern const char BENCH_SQL_PUT[];
extern const char BENCH_SQL_GET[];
extern const char BENCH_SQL_SCAN_INDEX[];

/* A raw connection to a file the library created, with the backend's
 * statements prepared once (SQLITE_PREPARE_PERSISTENT). */
typedef struct bench_raw_db {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *put, *get, *scan_index;
} bench_raw_db;

/* Prints what failed with SQLite's message and exits with status 1. */
_Noreturn void bench_raw_die(const bench_raw_db *r, int rc, const char *what);
void bench_raw_exec(bench_raw_db *r, const char *sql);
/* Runs a one-row statement (a pragma) and returns its text value in buf. */
void bench_raw_pragma(bench_raw_db *r, const char *sql, char *buf, size_t len);
/* Opens a file the library created as the backend opens its own: same
 * flags, busy timeout, db_config and pragmas (synchronous=FULL,
 * secure_delete=ON, journal_mode=WAL), each checked after setting. */
void bench_raw_open(bench_raw_db *r, const char *path);
void bench_raw_close(bench_raw_db *r);
/* Steps a statement that returns no rows, then resets it. */
void bench_raw_run(bench_raw_db *r, sqlite3_stmt *st, const char *what);
/* BEGIN IMMEDIATE / COMMIT with the prepared statements. */
void bench_raw_begin(bench_raw_db *r);
void bench_raw_commit(bench_raw_db *r);
/* One INSERT OR REPLACE of rec, bound exactly as the backend binds it (no
 * subject or index key: NULL; expires 0: NULL; an empty body: an empty
 * blob), then stepped and reset. */
void bench_raw_put(bench_raw_db *r, const privacy_record *rec);
/* Resets a statement, checked. */
void bench_raw_reset(bench_raw_db *r, sqlite3_stmt *st);
/* Binds (collection, id) to the backend's SELECT by key and steps it once:
 * returns 1 with the row current in r->get (read its columns, then
 * bench_raw_reset(r, r->get)), or 0 when there is no such row (the
 * statement is then reset). */
int bench_raw_get(bench_raw_db *r, const char *collection, const char *id);

/* ---- a raw baseline's storage calls, on either backend ---- */

/* A row read by key, in place: valid until the storage's done(). */
typedef struct bench_row {
    const char *subject; /* NULL: none; subject_len bytes, not always NUL-terminated */
    size_t subject_len;
    int has_index_key;
    int64_t created, expires; /* 0 for NULL */
    const uint8_t *body;
    size_t body_len;
} bench_row;

/* The storage calls of a raw baseline, each the backend's own statement
 * (one step on SQLite, one round trip on PostgreSQL): the baselines'
 * shared code (bench_records.c, bench_subject_rw.c) takes them, so that
 * each backend's file keeps only its storage calls. */
typedef struct bench_raw_ops {
    void *db;
    void (*begin)(void *db); /* BEGIN IMMEDIATE / BEGIN ISOLATION LEVEL SERIALIZABLE */
    void (*commit)(void *db);
    void (*put)(void *db, const privacy_record *rec);
    /* The row (collection, id): 0 when there is none; else 1 with its body
     * in *row and, when whole, the columns a field row's checks read too
     * (subject, index key, created, expires). Then done() before the next
     * statement. */
    int (*get)(void *db, const char *collection, const char *id, int whole, bench_row *row);
    void (*done)(void *db);
} bench_raw_ops;

/* The storage calls of raw SQLite on r (bench_raw_begin, _commit, _put,
 * _get and the reset of the get). */
bench_raw_ops bench_raw_ops_of(bench_raw_db *r);

/* Copies the database file dir/from (and its WAL, if it has one) to
 * dir/to, and fsyncs the copy: a second file with the same pages, so the
 * baseline works on the very rows the library built. Nothing may have the
 * source open for writing. */
void bench_copy_db(const char *dir, const char *from, const char *to);

/* ---- contexts (the public API) ---- */

/* Prints what failed with the context's message and exits with status 1. */
_Noreturn void bench_ctx_die(privacy_ctx *ctx, int rc, const char *what);
/* Opens a context on the storage URI with a raw root key; clock NULL: the
 * system's real-time clock. *cfg_out is the configuration, kept for
 * bench_ctx_close. */
privacy_ctx *bench_ctx_open_uri(privacy_config **cfg_out, const char *uri,
                                const uint8_t *root_key, privacy_clock_fn clock,
                                void *clock_userdata);
/* The same on the SQLite file at path. */
privacy_ctx *bench_ctx_open(privacy_config **cfg_out, const char *path, const uint8_t *root_key,
                            privacy_clock_fn clock, void *clock_userdata);
void bench_ctx_close(privacy_ctx *ctx, privacy_config *cfg);

/* ---- audit rows, for baselines that write them raw ---- */

/* A chain whose rows a baseline writes itself: its entries are planned
 * (untimed) with the library's own encoder, and the baseline computes each
 * entry's MAC while timed (bench_audit_mac), so its rows are the rows the
 * library would write, byte for byte, and verify as a chain. */
typedef struct bench_audit_chain {
    const unsigned char *key; /* the audit key (guarded memory of a context) */
    char chain[PRV_ID_SIZE];  /* the chain id, the rows' index key */
    size_t chain_len;
    uint64_t seq;                /* of the last planned entry */
    uint8_t mac[PRV_AUDIT_MAC]; /* its MAC, which the next entry chains from */
} bench_audit_chain;

/* A chain with id `chain` ("chn_" + 32 hex), no entries yet. */
void bench_audit_chain_init(bench_audit_chain *c, const unsigned char *key, const char *chain);
/* Plans the chain's next entry: what prv_audit_prepare() makes of ev at
 * time, encoded by prv_audit_encode() into body with its MAC (the last
 * PRV_AUDIT_MAC bytes) zeroed, and its record id. Returns the length. */
size_t bench_audit_plan(bench_audit_chain *c, const prv_audit_event *ev, int64_t time,
                        uint8_t body[PRV_AUDIT_BODY_MAX], char id[PRV_AUDIT_ID_SIZE]);
/* The raw work of an entry's MAC: keyed BLAKE2b-256 (crypto_generichash,
 * the audit key) over the bytes the library MACs (its label, then the
 * entry before the MAC), written where the library writes it: the last
 * PRV_AUDIT_MAC bytes of the body. */
void bench_audit_mac(const unsigned char *key, uint8_t *body, size_t len);
/* The row of an entry, as prv_audit_put() writes it. */
privacy_record bench_audit_row(const bench_audit_chain *c, const char *id, const char *subject,
                               int64_t time, const uint8_t *body, size_t len);
/* Verifies every audit row of the store (opened with err) with the audit
 * key (prv_audit_verify), closes the store and returns how many entries
 * it checked; where names the store in a failure. */
uint64_t bench_audit_verify_store(prv_store *st, prv_err *err, const unsigned char *key,
                                  const char *where);
/* The same on the file at path, through a store of its own. */
uint64_t bench_audit_verify_file(const char *path, const unsigned char *key);

#endif
