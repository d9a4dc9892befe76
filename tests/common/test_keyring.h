/* A keyring for tests: a "key service" whose root key is a secretbox key
 * in memory, which can be made to fail like an unreachable service. */
#ifndef TEST_KEYRING_H
#define TEST_KEYRING_H

#include <privacy/keyring.h>
#include <sodium.h>

typedef struct tu_ring {
    uint8_t key[crypto_secretbox_KEYBYTES];
    const char *id;  /* the key's id (default "kms:shop/root") */
    uint32_t version;
    int fail_wrap;   /* the service is unreachable when wrapping */
    int fail_unwrap; /* ... when unwrapping */
    int wraps;       /* calls to wrap */
} tu_ring;

/* The vtable over r (which must outlive every context using it). */
privacy_keyring tu_keyring(tu_ring *r);

#endif
