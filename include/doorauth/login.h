/* doorauth — the relying-party login flow (OpenID Connect code flow).
 *
 * A login is two calls, with no HTTP server involved: the embedding program
 * (DOOR's login server, or door-broker) owns the routes and passes strings.
 *
 *   1. door_login_begin(rp, &params, &start, &d)
 *        -> 302 to start.authorization_url, with header
 *           Set-Cookie: start.set_cookie
 *   2. the browser returns to the provider's callback, whose URL is
 *      door_login_redirect_uri() ("<public_url>/callback/<provider>"):
 *      door_login_finish(rp, provider, raw_query, raw_cookie_header,
 *                        tx, &result, &d)
 *        -> always send Set-Cookie: result.clear_cookie when it is not NULL
 *           (also on failure); on success map (issuer, subject) to an
 *           account and go to result.return_to.
 *
 * Pending logins: a sealed cookie per login
 * ----------------------------------------
 * Begin makes 32 random bytes of `state` (base64url), a `nonce` and a PKCE
 * S256 code_verifier (32 random bytes), and seals them, with the provider,
 * the issuer expected, the redirect_uri, return_to, an opaque link_account
 * string and the creation time, into one cookie:
 *   - name  "__Host-door-login-<state>" when [broker] public_url is https,
 *           "door-login-<state>" otherwise (plain-http tests only);
 *   - value AES-256-GCM under a key derived with HKDF-SHA256 from
 *           [broker] cookie_key (info "doorauth pending-login v1"); the
 *           AAD holds the cookie name, so a value renamed to another state
 *           does not open;
 *   - Path=/, HttpOnly, SameSite=Lax, Secure (https), Max-Age = login
 *     timeout ([broker] login_timeout, default 10 minutes).
 * One cookie per login means any number of tabs can sign in in parallel,
 * and any broker instance with the same configuration can finish a login
 * another began: nothing is stored server-side until the callback.
 * One-time use is enforced at finish by a replay guard keyed by the state
 * (door_replay_guard below): the built-in one is in memory (one process);
 * several instances must plug a shared, store-backed guard.
 *
 * Finish checks, in this order, failing closed with one code each:
 *   query: size caps, no repeated parameter (LOGIN_DUP_PARAM), state
 *     (LOGIN_STATE_MISSING, LOGIN_CALLBACK), code or error
 *     (LOGIN_CODE_MISSING);
 *   pending login: a cookie for this state in this browser
 *     (LOGIN_NO_PENDING), it opens (LOGIN_SEAL), unused (LOGIN_REPLAYED),
 *     not expired (LOGIN_EXPIRED), began with this provider
 *     (LOGIN_PROVIDER_MISMATCH) and its configured issuer
 *     (LOGIN_ISSUER_MISMATCH);
 *   the provider's error answer (LOGIN_PROVIDER_ERROR);
 *   RFC 9207 iss: compared exactly when present; required when the
 *     provider's metadata declares authorization_response_iss_parameter_
 *     supported (ISS_PARAM_MISSING, ISS_PARAM_MISMATCH);
 *   the code exchange: TLS, the configured client authentication,
 *     redirect_uri and code_verifier (HTTP_*, TOKEN_ERROR);
 *   the token response (TOKEN_RESPONSE, TOKEN_TYPE, ID_TOKEN_MISSING,
 *     TOOBIG);
 *   the ID token (OIDC Core 3.1.3.7): IDT_ISS, IDT_AUD, IDT_AUD_UNTRUSTED,
 *     IDT_AZP, ALG_NOT_ALLOWED, the JOSE signature codes, IDT_EXP, IDT_IAT,
 *     IDT_NBF, IDT_TOO_OLD, IDT_NONCE, IDT_AT_HASH, IDT_SUB;
 *   userinfo when configured (bearer token in the header): USERINFO,
 *     USERINFO_SUB.
 *
 * Ownership: door_rp_new copies nothing from the configuration: the
 * door_config, the HTTP client, the logger and the replay guard passed in
 * must outlive the door_rp.  Results are owned by the caller and released
 * with door_login_start_clear / door_login_result_clear (which wipe the
 * secrets).
 *
 * Threading: after door_rp_new returns, door_login_begin,
 * door_login_finish, door_login_redirect_uri, door_rp_entitlement and
 * door_rp_refresh may be
 * called from any number of threads at once on one door_rp.  door_rp_free
 * must not race with any other call.  Caches (discovery, JWKS) are shared
 * by the threads; one fetch at a time per document.
 *
 * Secrets: the client secret, codes, code_verifiers, tokens and cookie
 * contents are never logged and never put in a door_detail.
 */
#ifndef DOORAUTH_LOGIN_H
#define DOORAUTH_LOGIN_H

#include "doorauth/error.h"
#include "doorauth/privacy.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct door_config; /* a loaded configuration (src/util/config.h) */
struct door_http;   /* the outbound HTTP client (src/http/http.h) */
struct door_log;    /* a logger (src/util/log.h) */

/* ---- replay guard --------------------------------------------------------
 * consume() records `key` until `expires_at` (Unix time) and returns DOOR_OK
 * the first time it sees the key, DOOR_ELOGIN_REPLAYED afterwards (or
 * another error if it cannot tell: finish then fails closed).  It must be
 * safe to call from several threads at once. */
typedef struct door_replay_guard {
  door_err (*consume)(void *ud, const char *key, int64_t expires_at);
  void *ud;
} door_replay_guard;

typedef struct door_replay_mem door_replay_mem;

/* The built-in guard: a mutex-protected table in memory, pruned of expired
 * keys as it goes, holding at most `max_keys` live keys (0: 100000; past it
 * consume() fails with DOOR_ETOOBIG).  `clock` may be NULL (time()). */
door_err door_replay_mem_new(size_t max_keys, int64_t (*clock)(void *),
                             void *clock_ud, door_replay_mem **out);
void door_replay_mem_free(door_replay_mem *m);
/* A guard backed by `m` (which must outlive its users). */
door_replay_guard door_replay_mem_guard(door_replay_mem *m);

/* ---- the relying-party context ------------------------------------------ */

typedef struct door_rp door_rp;

typedef struct door_rp_options {
  /* NULL: the door_rp makes its own client (trusting [broker] ca_file, and
   * plain http to loopback only with allow_insecure_loopback). */
  struct door_http *http;
  const struct door_log *log; /* NULL: no logging */
  /* NULL: a built-in in-memory guard owned by the door_rp. */
  const door_replay_guard *replay;
  /* Seconds since the epoch; NULL: time().  For tests. */
  int64_t (*clock)(void *ud);
  void *clock_ud;
  /* Called with the record of every request to a provider made without a
   * caller's door_txlog: the discovery and JWKS fetches of the shared
   * caches (made for no one in particular), and any call given tx NULL.
   * NULL: such requests are not recorded.  Called from the thread that
   * made the request; it must not call back into the door_rp. */
  void (*transmitted)(void *ud, const door_transmission *t);
  void *transmitted_ud;
} door_rp_options;

/* Zeroes the options: every field takes its default. */
void door_rp_options_init(door_rp_options *o);

/* Creates the context: configures every [provider] of `cfg` (unknown or
 * not-built types: DOOR_EUNSUPPORTED) and derives the cookie key
 * ([broker] cookie_key required: DOOR_ECONFIG_MISSING).  No network I/O:
 * discovery and key sets are fetched on first use. */
door_err door_rp_new(const struct door_config *cfg, const door_rp_options *o,
                     door_rp **out, door_detail *d);
void door_rp_free(door_rp *rp);

/* ---- begin ----------------------------------------------------------------
 */

typedef struct door_login_params {
  const char *provider;     /* [provider "NAME"] */
  const char *return_to;    /* NULL: "/"; checked (RETURN_TO_REFUSED) */
  const char *link_account; /* opaque, sealed with the login; NULL: none */
  const char *login_hint;   /* optional OIDC login_hint */
  const char *prompt;       /* optional OIDC prompt ("login", ...) */
  /* The authorization redirect's record is appended here (field names,
   * never values; doorauth/privacy.h).  NULL: not recorded. */
  door_txlog *tx;
} door_login_params;

typedef struct door_login_start {
  char *authorization_url; /* send a 302 with this Location */
  char *set_cookie;        /* a Set-Cookie header value */
  char *cookie_name;
} door_login_start;

door_err door_login_begin(door_rp *rp, const door_login_params *p,
                          door_login_start *out, door_detail *d);
void door_login_start_clear(door_login_start *s);

/* The redirect_uri to register at the provider for `provider`, written
 * into out (NUL-terminated).  DOOR_ETOOBIG when it does
 * not fit, DOOR_EPROVIDER_UNKNOWN. */
door_err door_login_redirect_uri(const door_rp *rp, const char *provider,
                                 char *out, size_t cap);

/* ---- finish ---------------------------------------------------------------
 */

typedef struct door_login_tokens {
  char *access_token;  /* secret */
  char *refresh_token; /* secret; NULL when none */
  char *id_token;      /* secret; NULL for plain OAuth providers */
  char *scope;         /* granted scope; NULL when the provider said none */
  int64_t expires_at;  /* Unix time; 0 when unknown */
} door_login_tokens;

typedef struct door_login_result {
  char *provider; /* [provider "NAME"] */
  char *issuer;
  char *subject;      /* the ID token's sub */
  char *claims_json;  /* compact JSON object of the kept claims */
  char *return_to;    /* checked at begin; "/" when none was given */
  char *link_account; /* as given to begin; NULL when none */
  door_login_tokens tokens;
  /* Set-Cookie value deleting the pending-login cookie.  Set whenever the
   * callback's state was readable, also when finish fails. */
  char *clear_cookie;
} door_login_result;

/* `query`: the raw query string of the callback, without '?'.
 * `cookie_header`: the raw Cookie request header (NULL: none).
 * `tx`: the records of the calls made to the provider (token, userinfo;
 * doorauth/privacy.h) are appended here; NULL: not recorded. */
door_err door_login_finish(door_rp *rp, const char *provider, const char *query,
                           const char *cookie_header, door_txlog *tx,
                           door_login_result *out, door_detail *d);
void door_login_result_clear(door_login_result *r);

/* ---- entitlement (ticketed events) ------------------------------------------
 * Asks `provider` whether the holder of `access_token` has a ticket for
 * `event_id`.  DOOR_OK with out->entitled 1 (and the ticket's id and tier)
 * or 0; DOOR_EUNSUPPORTED for providers without an entitlement check;
 * DOOR_EENTITLEMENT (or an HTTP code) when the check itself failed. */
typedef struct door_entitlement {
  int entitled;
  char ticket_id[128]; /* "" when not entitled */
  char tier[64];       /* "" when not entitled or not given */
  int64_t valid_until; /* Unix time; 0 when not given */
} door_entitlement;

door_err door_rp_entitlement(door_rp *rp, const char *provider,
                             const char *access_token, const char *event_id,
                             door_txlog *tx, door_entitlement *out,
                             door_detail *d);

/* ---- refresh (RFC 6749 section 6) ---------------------------------------
 * Trades `refresh_token` for new tokens at the provider's token endpoint
 * (grant_type=refresh_token, the client authentication of the code
 * exchange, the provider's token_request hook applied), through the
 * outbound path (endpoint "refresh").  `out` gets the new access token,
 * expires_at, scope, and the refresh token: the rotated one when the
 * provider sent one, else a copy of `refresh_token`.  An ID token in the
 * answer is validated (OIDC Core 12.2): signature with the pinned
 * algorithms, iss, aud, azp, exp, iat, no nonce requirement, and with
 * door_rp_refresh_expect its sub must be `subject` (IDT_SUB otherwise).
 * Errors: TOKEN_ERROR (invalid_grant: the refresh token is expired or
 * revoked: sign in again), the HTTP codes, TOKEN_RESPONSE, the ID-token
 * codes, PRIVACY_UNLISTED.  Release `out` with door_login_tokens_clear. */
door_err door_rp_refresh(door_rp *rp, const char *provider,
                         const char *refresh_token, door_txlog *tx,
                         door_login_tokens *out, door_detail *d);
door_err door_rp_refresh_expect(door_rp *rp, const char *provider,
                                const char *refresh_token, const char *subject,
                                door_txlog *tx, door_login_tokens *out,
                                door_detail *d);
/* Wipes and frees the tokens. */
void door_login_tokens_clear(door_login_tokens *t);

/* ---- messages for people ----------------------------------------------------
 * Writes a sentence for the person at the browser about `err`, naming the
 * provider by its display name ("d-account"), in `lang` ("en" or "ja";
 * anything else: "en"): what went wrong in plain words and what to try.
 * Never includes provider-supplied text.  Returns the length written
 * (out is always NUL-terminated when cap > 0). */
size_t door_login_error_message(door_err err, const char *provider_display,
                                const char *lang, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
