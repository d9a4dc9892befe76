#ifndef PRV_CORE_CONFIG_H
#define PRV_CORE_CONFIG_H

#include "crypto/kek.h"
#include "privacy/backend.h"
#include "privacy/context.h"

struct privacy_config {
    privacy_backend backend; /* zeroed when no storage is chosen */
    char *uri;
    privacy_clock_fn clock;
    void *clock_userdata;
    int64_t retry_budget_us;
    int retry_budget_set; /* privacy_config_set_retry_budget() was called */
    prv_keks keks;                    /* root keys; the last is primary */
    privacy_backend keystore_backend; /* zeroed: keys live with the data */
    char *keystore_uri;
    char *policy_json;      /* a validated policy document, or NULL for the default */
    size_t policy_json_len;
    int64_t keystore_backup_retention_us; /* how long keystore backups live */
};

#define PRV_RETRY_BUDGET_DEFAULT_US INT64_C(5000000)
#define PRV_BACKUP_RETENTION_MAX_US (INT64_C(100) * 366 * 86400 * 1000000)
#define PRV_RETRY_BUDGET_MAX_US (INT64_C(3600) * 1000000)

#endif
