/*
 * libprivacy — the storage backend plug-in interface.
 *
 * libprivacy keeps everything it stores as records in a small record store.
 * A backend implements that store over some engine; the library ships
 * SQLite (the default) and talks to any other engine through this versioned
 * vtable. Domain records arrive here already encrypted and MACed: a backend
 * never sees plaintext personal data.
 *
 * The contract, checked by the conformance suite in tests/backend/ (see
 * docs/backend.md for running it against your own backend):
 *
 *  - A record is (collection, id, subject id, index key, created, expires,
 *    body). (collection, id) is unique. put() inserts or replaces by
 *    (collection, id): writing the same record twice leaves one record,
 *    and a new body replaces the old one.
 *  - begin()/commit()/rollback() make a write transaction: all changes in
 *    it land together or not at all, and other connections see none of it
 *    before commit(). Outside a transaction each call stands alone.
 *    Write transactions are serialisable against each other: the library
 *    reads and then writes inside one (creating a store's keys, ending an
 *    audit chain) and relies on no other writer slipping in between
 *    (SQLite: BEGIN IMMEDIATE; a server: SERIALIZABLE or a lock taken in
 *    begin(), reporting conflicts as PRIVACY_E_BUSY).
 *  - scan() visits records in (created, id) order, ids compared bytewise
 *    (as strcmp does). A record handed back has index_key NULL exactly
 *    when index_key_len is 0.
 *  - del(), delete_subject() and purge_expired() are idempotent: deleting
 *    what is not there succeeds and counts 0, so a re-run transaction
 *    changes nothing more.
 *  - Several connections (one per context, in one or many processes) may
 *    use one store at once.
 *  - Every function returns PRIVACY_OK or a negative PRIVACY_E_* code.
 *    PRIVACY_E_BUSY means "retryable": the transaction did not commit and
 *    may be re-run whole (lock held elsewhere, serialization failure, lost
 *    connection before commit). From commit() it may also mean "the
 *    outcome is unknown" (connection lost during COMMIT): the store re-runs
 *    the transaction, whose writes replace by id, so it lands once. A
 *    commit that landed but is not durable (a cancelled wait for a
 *    synchronous standby) is PRIVACY_E_STORAGE. PRIVACY_E_STORAGE is any
 *    other failure,
 *    PRIVACY_E_NOMEM an allocation failure, PRIVACY_E_NOT_FOUND is only
 *    returned by get(). errmsg() then describes it (never empty after a
 *    failure) without quoting record contents or passwords.
 *
 * A connection is used by one thread at a time. Record callbacks must not
 * call back into the same connection.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PRIVACY_BACKEND_H
#define PRIVACY_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Interface version and the limits every backend must accept. */
enum {
    PRIVACY_BACKEND_VERSION = 1,       /**< the newest vtable version */
    PRIVACY_COLLECTION_MAX = 63,       /**< bytes in a collection name: [a-z0-9_.-], first a letter */
    PRIVACY_RECORD_ID_MAX = 127,       /**< bytes in a record or subject id: printable ASCII, no space */
    PRIVACY_INDEX_KEY_MAX = 64,        /**< bytes in an index key */
    PRIVACY_BODY_MAX = 16 * 1024 * 1024 /**< bytes in a record body */
};

/**
 * A record as the store hands it to a backend and a backend hands it back.
 * Part of the plug-in interface: its layout belongs to backend version 1.
 *
 * @collection: the collection, e.g. "subject" (never NULL).
 * @id: the record's id within the collection (never NULL).
 * @subject_id: the data subject it belongs to, or NULL.
 * @index_key: a lookup key (a blind index), or NULL with @index_key_len 0.
 * @created: creation time, microseconds since the epoch (>= 0).
 * @expires: expiry time in microseconds, or 0 for never.
 * @body: the body bytes; may be NULL when @body_len is 0.
 */
typedef struct privacy_record {
    const char *collection;
    const char *id;
    const char *subject_id;
    const uint8_t *index_key;
    size_t index_key_len;
    int64_t created;
    int64_t expires;
    const uint8_t *body;
    size_t body_len;
} privacy_record;

/**
 * Called by a backend for each record found. The record and everything it
 * points to belong to the backend and stay valid only during the call.
 * Return 0 to go on; any other value stops the visit and the backend call
 * returns that value.
 */
typedef int (*privacy_record_cb)(void *userdata, const privacy_record *rec);

/**
 * The backend vtable. Members are only ever appended; each version ends
 * where its comment says. Register it with privacy_config_set_backend(),
 * which copies the members of the version you declare.
 */
typedef struct privacy_backend {
    /** PRIVACY_BACKEND_VERSION as your code was compiled against it. */
    int version;

    /* ---- version 1 ---- */

    /**
     * Open a connection to the store named by @uri (the string given to
     * privacy_config_set_backend), creating or migrating its schema. On
     * failure write a NUL-terminated message (no passwords) into @errbuf
     * of @errbuf_len bytes and leave *@conn_out unset.
     */
    int (*open)(void **conn_out, const char *uri, char *errbuf, size_t errbuf_len);

    /** Close a connection; a transaction still open is rolled back. */
    void (*close)(void *conn);

    /** A message about the connection's last failure; never NULL. */
    const char *(*errmsg)(void *conn);

    /** Start, commit, roll back a write transaction (never nested). */
    int (*begin)(void *conn);
    int (*commit)(void *conn);
    int (*rollback)(void *conn);

    /** Insert or replace the record with (@rec->collection, @rec->id). */
    int (*put)(void *conn, const privacy_record *rec);

    /** Call @cb once with the record, or return PRIVACY_E_NOT_FOUND. */
    int (*get)(void *conn, const char *collection, const char *id, privacy_record_cb cb,
               void *userdata);

    /** Delete one record; *@deleted (if not NULL) gets 1 or 0. */
    int (*del)(void *conn, const char *collection, const char *id, uint64_t *deleted);

    /**
     * Call @cb for each record of @collection in (created, id) order:
     * all of them when @subject_id and @index_key are both NULL, else those
     * with that subject id, or with that index key (never both at once).
     */
    int (*scan)(void *conn, const char *collection, const char *subject_id,
                const uint8_t *index_key, size_t index_key_len, privacy_record_cb cb,
                void *userdata);

    /** Delete every record of @subject_id in @collection; count in *@deleted. */
    int (*delete_subject)(void *conn, const char *collection, const char *subject_id,
                          uint64_t *deleted);

    /** Delete the records of @collection with 0 < expires <= @now; count in *@purged. */
    int (*purge_expired)(void *conn, const char *collection, int64_t now, uint64_t *purged);

    /* ---- end of version 1 ---- */
} privacy_backend;

/**
 * privacy_config_set_backend - store records through a caller's backend.
 *
 * @cfg: the configuration.
 * @backend: the vtable; its declared version's members are copied, so it
 *           may be freed after the call. Every member is required.
 * @uri: passed unchanged to @backend->open.
 *
 * Replaces an earlier storage or backend choice.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (NULL argument or member; the
 * message names the member), PRIVACY_E_VERSION (a version this library
 * does not know; the message names both) or PRIVACY_E_NOMEM.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_config_set_backend(privacy_config *cfg,
                                                          const privacy_backend *backend,
                                                          const char *uri);

#ifdef __cplusplus
}
#endif

#endif /* PRIVACY_BACKEND_H */
