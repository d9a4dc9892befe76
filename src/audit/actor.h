/* Actors, for the modules that act on their behalf. */
#ifndef PRV_AUDIT_ACTOR_H
#define PRV_AUDIT_ACTOR_H

#include "privacy/audit.h"

const char *prv_actor_id(const privacy_actor *actor);
const char *prv_actor_role(const privacy_actor *actor);

#endif
