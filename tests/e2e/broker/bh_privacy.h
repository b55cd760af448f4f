/* Issue 8's proof for suites that run door-broker on the bh harness: every
 * request door-idp logged from the broker (the whole suite so far) carried
 * only fields of the provider's effective manifest
 * (tests/e2e/common/privacy_audit.h).  Call it from the suite's last case:
 * it asserts (T_ macros) that the audit ran, that each endpoint of
 * `expect` was seen at least once, and that there was no violation. */
#ifndef DOOR_E2E_BROKER_BH_PRIVACY_H
#define DOOR_E2E_BROKER_BH_PRIVACY_H

#include "bh.h"
#include "doorauth/privacy.h"

#include <stddef.h>

void bh_privacy_audit(bh_env *e, const door_tx_endpoint *expect,
                      size_t n_expect);

#endif
