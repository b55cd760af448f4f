/* The privacy audit of an end-to-end suite (issue 8): every request that
 * door-idp logged and the broker made is compared, field by field, with the
 * effective transmission manifest of the provider it went to.
 *
 * Which requests are the broker's:
 *   - back-channel calls: the User-Agent is the library's ("doorauth/...");
 *   - browser redirects (GET authorization, GET end_session): the query's
 *     client_id is the client_id of a configured provider of that profile.
 *     Only the query is the broker's there; the headers are the browser's.
 * The user's own pages at the provider (the picker, the consent form) and
 * the tests' own direct calls to door-idp are not transmissions by the
 * broker and are not audited.  The tests' browsers add login_hint to the
 * authorization URL at the provider (door-idp approves that user at once,
 * standing in for the person who picks an account on its page): a suite
 * names such parameters in `browser_added`, and they are skipped on browser
 * requests only (a back-channel call carrying one is still a violation).
 *
 * A request's provider: the configured providers whose issuer is the
 * profile's, narrowed to the one whose client_id the request names (query,
 * form or HTTP Basic user); a bearer-only request passes when one of the
 * profile's providers lists all its fields.
 * Endpoint: door-idp's endpoint name; token requests are "token" for
 * grant_type=authorization_code and "refresh" for grant_type=refresh_token
 * (any other grant is a violation).
 * Fields: every query and form parameter name; for back-channel calls also
 * every header except the transport ones (Host, User-Agent, Accept,
 * Content-Type, Content-Length, Expect, Connection), as "header:NAME".
 */
#ifndef DOOR_E2E_PRIVACY_AUDIT_H
#define DOOR_E2E_PRIVACY_AUDIT_H

#include "doorauth/login.h"
#include "doorauth/privacy.h"
#include "util/config.h"

#include <jansson.h>
#include <stddef.h>

typedef struct privacy_profile {
  const char *profile; /* door-idp profile name: "daccount" */
  const char *issuer;  /* its issuer, as the configuration names it */
} privacy_profile;

typedef struct privacy_audit_result {
  size_t audited;    /* requests of the broker that were checked */
  size_t violations; /* fields outside a manifest, or unmatched requests */
  size_t by_endpoint[DOOR_TX_ENDPOINT_COUNT];
} privacy_audit_result;

/* Audits `entries` (door-idp's GET /requests answer: an array, or an object
 * with a "requests" array).  Each violation is printed as a "# privacy: "
 * line naming the request's seq, profile, endpoint and field.  `rp` must be
 * built from `cfg`; `browser_added`: NULL-terminated, or NULL. */
void privacy_audit(const json_t *entries, const door_config *cfg,
                   const door_rp *rp, const privacy_profile *profiles,
                   size_t n_profiles, const char *const *browser_added,
                   privacy_audit_result *out);

/* Prints "# privacy: N ENDPOINT request(s) audited" lines. */
void privacy_audit_print(const privacy_audit_result *r);

/* For suites that run door_rp in-process (gate, login): fetches door-idp's
 * whole request log from `admin` (its admin origin, "http://127.0.0.1:PORT",
 * with idp_admin_call), checks that it answered 200 with a JSON array that
 * still starts at seq 1 (nothing pushed out of the ring), and audits it
 * against `cfg` and `rp`.  Returns 0 when it could run (the findings are in
 * *out), -1 with a "# privacy: " line saying why not.  *log (may be NULL)
 * gets the request log (a new reference; NULL on -1) for more checks. */
int privacy_audit_log(const char *admin, const door_config *cfg,
                      const door_rp *rp, const privacy_profile *profiles,
                      size_t n_profiles, const char *const *browser_added,
                      privacy_audit_result *out, json_t **log);

/* For suites that run door-broker as a program: loads the broker's
 * configuration file, builds a door_rp from it (no network I/O) and runs
 * privacy_audit_log with them.  Returns 0 when it could run (the findings
 * are in *out), -1 with a "# privacy: " line saying why not. */
int privacy_audit_file(const char *config_path, const char *admin,
                       const privacy_profile *profiles, size_t n_profiles,
                       const char *const *browser_added,
                       privacy_audit_result *out);

#endif
