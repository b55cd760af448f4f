/* Logout at the providers (internal): OpenID Connect Back-Channel Logout
 * 1.0 (validating a provider's logout token) and RP-Initiated Logout 1.0
 * (the end_session_endpoint and the URL to send a browser to), plus the
 * counters the broker's metrics read from a door_rp.
 *
 * Everything here reuses the door_rp's providers: their configuration,
 * discovery settings, pinned algorithms, HS256 client-secret key and JWKS
 * cache (a logout token is verified exactly like an ID token's signature).
 *
 * Threading: like door_login_finish, any number of threads at once on one
 * door_rp.
 */
#ifndef DOOR_OIDC_LOGOUT_H
#define DOOR_OIDC_LOGOUT_H

#include "doorauth/login.h"
#include "util/buf.h"

#include <stdint.h>

/* The event member a logout token's events claim must hold. */
#define DOOR_BCL_EVENT "http://schemas.openid.net/event/backchannel-logout"
/* Largest logout token accepted (bytes). */
#define DOOR_LOGOUT_TOKEN_MAX 16384
/* Caps on the claims kept (bytes): as the store's. */
#define DOOR_LOGOUT_SID_MAX 255
#define DOOR_LOGOUT_JTI_MAX 255

typedef struct door_logout_claims {
  char *issuer; /* the provider's issuer (equal to the token's iss) */
  char *sub;    /* NULL when absent */
  char *sid;    /* NULL when absent */
  char *jti;
  int64_t iat;
  int64_t exp; /* 0 when absent */
} door_logout_claims;

void door__logout_claims_clear(door_logout_claims *c);

/* Validates a logout token sent to the back-channel logout endpoint of
 * `provider` (Back-Channel Logout 1.0 section 2.6), in this order, each
 * failure with its own code:
 *   structure (the JOSE codes; over DOOR_LOGOUT_TOKEN_MAX: DOOR_ETOOBIG);
 *   typ, when present: "logout+jwt" or "application/logout+jwt"
 *     (LOGOUT_TOKEN_TYP);
 *   alg pinned for the provider (ALG_NOT_ALLOWED);
 *   signature: the provider's JWKS, or HS256 with the client secret when
 *     configured so (the JOSE codes);
 *   iss exactly the provider's issuer (LOGOUT_TOKEN_ISS);
 *   aud the client id, alone or in a list with nothing else
 *     (LOGOUT_TOKEN_AUD);
 *   iat present, not in the future, not older than the provider's
 *     id_token_max_age (LOGOUT_TOKEN_IAT); exp, when present, not passed
 *     (LOGOUT_TOKEN_EXP);
 *   jti a non-empty string (LOGOUT_TOKEN_JTI);
 *   events an object holding DOOR_BCL_EVENT with an object value
 *     (LOGOUT_TOKEN_EVENTS);
 *   no nonce (LOGOUT_TOKEN_NONCE);
 *   sid or sub (or both) as non-empty strings (LOGOUT_TOKEN_SUBJECT).
 * Times allow the configured clock_skew.  Replays (the jti) are the
 * caller's to refuse: it knows where one-time keys are kept.
 * DOOR_EPROVIDER_UNKNOWN: no such provider.  `out` is overwritten; clear
 * it after. */
door_err door__logout_token_validate(door_rp *rp, const char *provider,
                                     const char *token, door_logout_claims *out,
                                     door_detail *d);

/* The provider's end_session_endpoint: the configured one, else the one in
 * its discovery document (fetched now: callers cache the answer).  Appended
 * to `out`.  DOOR_ENOTFOUND when the provider has none; the endpoint is
 * checked like the others (https, or http to loopback when allowed). */
door_err door__rp_end_session_endpoint(door_rp *rp, const char *provider,
                                       door_buf *out, door_detail *d);

/* Appends the RP-initiated logout URL: `endpoint` with id_token_hint (may
 * be NULL), client_id, post_logout_redirect_uri (may be NULL) and state
 * (may be NULL) added to its query, through the outbound path (endpoint
 * end_session: a field the manifest does not list refuses the URL with
 * DOOR_EPRIVACY_UNLISTED); the redirect's record goes to tx (NULL: not
 * recorded). */
door_err door__rp_end_session_url(const door_rp *rp, const char *provider,
                                  const char *endpoint,
                                  const char *id_token_hint,
                                  const char *post_logout_redirect_uri,
                                  const char *state, door_txlog *tx,
                                  door_buf *out, door_detail *d);

/* Key-set fetches made so far for `provider` (0 for an unknown one). */
uint64_t door__rp_jwks_fetches(door_rp *rp, const char *provider);

#endif
