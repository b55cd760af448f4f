/* door-idp's admin API for the end-to-end suites (docs/door-idp.md): one
 * call over plain HTTP on loopback, for the suites on the door-idp harness
 * (tests/e2e/idp/harness.h: e2e_admin_call), the door-broker harness
 * (tests/e2e/broker/bh.h) and the privacy audit's request-log fetch
 * (privacy_audit.h).
 *
 * Each call uses an easy handle of its own (no shared state: callable from
 * any thread once curl_global_init has run, as both harnesses do at start).
 */
#ifndef DOOR_E2E_IDP_ADMIN_H
#define DOOR_E2E_IDP_ADMIN_H

#include <jansson.h>

/* METHOD admin + path: `admin` is door-idp's admin origin
 * ("http://127.0.0.1:PORT", its ready file's "admin"), `path` e.g.
 * "/faults" or "/requests?profile=xmarket", `json` a JSON body or NULL.
 * Answers the HTTP status, or -1 when no response arrived (said on a
 * "# admin " line).  *out (may be NULL) gets the parsed body (a new
 * reference; NULL when the body is not JSON).  An answer of 400 or more is
 * printed with its body as a TAP comment.  Bodies up to 256 MiB (the whole
 * request log of a long suite). */
long idp_admin_call(const char *admin, const char *method, const char *path,
                    const char *json, json_t **out);

#endif
