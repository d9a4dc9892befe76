/* The root-key and keystore setters of the configuration. */
#include <stddef.h>
#include <string.h>

#include "core/alloc.h"
#include "core/config.h"
#include "core/error.h"
#include "kek.h"

/* Where each version of privacy_keyring ends. */
#define RING_END(m) (offsetof(privacy_keyring, m) + sizeof(((privacy_keyring *)0)->m))
static const size_t ring_size[PRIVACY_KEYRING_VERSION + 1] = {
    [1] = RING_END(unwrap),
};

static prv_err *enter(void)
{
    prv_err *err = prv_err_tls();
    prv_err_clear(err);
    return err;
}

int privacy_config_set_root_key(privacy_config *cfg, const uint8_t *key, size_t len)
{
    prv_err *err = enter();
    if (cfg == NULL || key == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "privacy_config_set_root_key: cfg and key must not be NULL");
    if (len != PRIVACY_ROOT_KEY_BYTES)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "privacy_config_set_root_key: a root key is %d bytes, not %zu",
                           PRIVACY_ROOT_KEY_BYTES, len);
    return prv_keks_add_raw(&cfg->keks, key, err);
}

int privacy_config_add_root_key_file(privacy_config *cfg, const char *path)
{
    prv_err *err = enter();
    if (cfg == NULL || path == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "privacy_config_add_root_key_file: cfg and path must not be NULL");
    unsigned char *key = NULL;
    int rc = prv_keyfile_read(path, &key, err);
    if (rc == PRIVACY_OK)
        rc = prv_keks_add_raw(&cfg->keks, key, err);
    prv_secure_free(key);
    return rc;
}

int privacy_config_set_keyring(privacy_config *cfg, const privacy_keyring *keyring)
{
    prv_err *err = enter();
    if (cfg == NULL || keyring == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "privacy_config_set_keyring: cfg and keyring must not be NULL");
    if (keyring->version < 1 || keyring->version > PRIVACY_KEYRING_VERSION)
        return prv_err_set(err, PRIVACY_E_VERSION,
                           "privacy_config_set_keyring: keyring version %d is not supported;"
                           " this library knows versions 1 to %d",
                           keyring->version, PRIVACY_KEYRING_VERSION);
    privacy_keyring copy;
    memset(&copy, 0, sizeof copy);
    memcpy(&copy, keyring, ring_size[keyring->version]);
    const char *missing = copy.key_id == NULL ? "key_id"
                          : copy.wrap == NULL ? "wrap"
                          : copy.unwrap == NULL ? "unwrap"
                                                : NULL;
    if (missing != NULL)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "privacy_config_set_keyring: required member '%s' is NULL", missing);
    return prv_keks_add_ring(&cfg->keks, &copy, err);
}
