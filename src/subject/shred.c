/* Crypto-shredding a subject: destroying its data key makes every copy of
 * its ciphertext unreadable at once, backups of the data included. The
 * erasure of a later release calls this first. */
#include "audit/actor.h"
#include "crypto/dek.h"
#include "shred.h"
#include "subject_internal.h"

typedef struct {
    prv_subject_op o;
    const char *subject;
    uint64_t deleted; /* 1 if a key was destroyed (in this run or an earlier one) */
} shred_op;

/* Deletes the key; a run that finds it gone keeps an earlier run's count:
 * after a commit that landed but answered BUSY, the re-run finds nothing
 * to delete, and must not record (and return) "no data key". */
static int shred_key(shred_op *s, prv_store *st)
{
    uint64_t n = 0;
    int rc = prv_dek_shred(s->o.ctx->dek_cache, st, s->subject, &n, &s->o.ctx->err);
    if (rc == PRIVACY_OK && n > 0)
        s->deleted = 1;
    return rc;
}

static int shred_tx(prv_store *st, void *userdata)
{
    shred_op *s = userdata;
    privacy_ctx *ctx = s->o.ctx;
    int rc = PRIVACY_OK;
    if (prv_subject_keystore(ctx) == st)
        rc = shred_key(s, st);
    /* Nothing destroyed is recorded as such: a record of a shredding that
     * did not happen would mislead whoever reads the log. */
    return rc != PRIVACY_OK ? rc
                            : prv_subject_op_record(&s->o, st,
                                                    s->deleted ? PRIVACY_OK : PRIVACY_E_NOT_FOUND);
}

static int shred_keystore_tx(prv_store *st, void *userdata)
{
    return shred_key(userdata, st);
}

int prv_subject_shred(privacy_ctx *ctx, const privacy_actor *actor, const char *subject,
                      int64_t *horizon)
{
    static const char fn[] = "prv_subject_shred";
    int rc = prv_subject_enter(ctx, fn, actor, 0);
    if (rc == PRIVACY_OK)
        rc = prv_subject_check_id(ctx, fn, subject);
    if (rc != PRIVACY_OK)
        return rc;
    shred_op s = { .subject = subject };
    rc = prv_subject_op_begin(&s.o, ctx, actor, "subject.shred", NULL, NULL, subject);
    /* A separate keystore loses the key first: a record of a shredding
     * that did not happen would be worse than a shredding not recorded
     * yet, which the next attempt records. */
    if (rc == PRIVACY_OK && prv_subject_keystore(ctx) != ctx->store)
        rc = prv_store_tx(prv_subject_keystore(ctx), shred_keystore_tx, &s);
    if (rc == PRIVACY_OK)
        rc = prv_subject_op_run(&s.o, shred_tx);
    if (rc == PRIVACY_OK && !s.deleted)
        rc = prv_err_set(&ctx->err, PRIVACY_E_NOT_FOUND,
                         "%s: the subject has no data key (never made, or shredded before)", fn);
    if (rc == PRIVACY_OK && horizon != NULL)
        *horizon = s.o.now + ctx->keystore_backup_retention_us;
    prv_subject_op_end(&s.o);
    return rc;
}
