/*
 * libprivacy — the umbrella header: include this one.
 *
 * libprivacy lets web-shop software keep the promises of its privacy policy:
 * consent, cookie tokens without personal data, field-level encryption,
 * subject rights, need-to-know access and a tamper-evident audit log.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PRIVACY_PRIVACY_H
#define PRIVACY_PRIVACY_H

#include "common.h"
#include "context.h"
#include "audit.h"
#include "backend.h"
#include "keyring.h"
#include "keys.h"
#include "subject.h"
#include "policy.h"

#endif /* PRIVACY_PRIVACY_H */
