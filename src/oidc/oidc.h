/* Relying-party internals (internal): the pure parts of a login.
 *
 * Everything here is a function of its arguments (no network, no clock
 * reads): the sealed pending-login cookie, the callback query and Cookie
 * header, return_to targets, token responses, ID-token claims, discovery
 * documents and userinfo responses.  The network-facing parts (caches,
 * provider calls, begin and finish) are in "oidc/rp_int.h".
 *
 * Ownership: every struct filled by a function here owns its strings;
 * the matching *_clear function frees them (and wipes the secret ones).
 * Cleared (zeroed) structs may be cleared again.
 */
#ifndef DOOR_OIDC_H
#define DOOR_OIDC_H

#include "doorauth/error.h"
#include "jose/jose.h"
#include "util/buf.h"
#include "util/url.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* ---- small helpers (util.c) -------------------------------------------- */

/* strdup that maps NULL to NULL. */
char *door__oidc_strdup(const char *s);
/* Frees s after wiping it (for secrets); NULL is fine. */
void door__oidc_free_secret(char *s);

/* The replay-guard key of a login (finish.c): "login:" followed by the
 * base64url SHA-256 of its state, so a shared store never holds a live
 * state.  The broker derives the same key to find its login in flight. */
door_err door__login_replay_key(const char *state, door_buf *out);
/* 1 when a and b are equal strings, compared in constant time for equal
 * lengths (CRYPTO_memcmp); NULLs are never equal. */
int door__oidc_secret_eq(const char *a, const char *b);
/* base64url of `n` fresh random bytes (DOOR_ERANDOM when the CSPRNG fails). */
door_err door__oidc_random_b64(size_t n, door_buf *out);
/* Copies a provider-supplied text (an error code or description) keeping
 * only the characters RFC 6749 allows there (%x20-21 / %x23-5B / %x5D-7E),
 * replacing others with '?', at most cap - 1 bytes. */
void door__oidc_safe_text(const char *in, char *out, size_t cap);
/* 1 when s is a base64url string of exactly `len` characters. */
int door__oidc_is_b64url(const char *s, size_t len);

/* ---- sealed pending login (seal.c) ------------------------------------- */

#define DOOR_PENDING_VERSION 1
#define DOOR_PENDING_LABEL "doorauth pending-login v1"
/* 32 random bytes, base64url: 43 characters. */
#define DOOR_STATE_LEN 43
/* Largest cookie value we write or read (browsers keep 4096 per cookie). */
#define DOOR_PENDING_COOKIE_MAX 3800
#define DOOR_RETURN_TO_MAX 1024
#define DOOR_LINK_ACCOUNT_MAX 512

typedef struct door_pending {
  int version;
  char *provider;
  char *issuer;
  char *state;
  char *nonce;         /* secret */
  char *code_verifier; /* secret */
  char *redirect_uri;
  char *return_to;    /* "" when none */
  char *link_account; /* "" when none; opaque */
  int64_t created_at; /* seconds since the epoch */
} door_pending;

void door__pending_clear(door_pending *p);

typedef struct door_sealer {
  unsigned char key[32];
} door_sealer;

/* Derives the AES-256-GCM key: HKDF-SHA256(ikm, no salt,
 * info DOOR_PENDING_LABEL). */
door_err door__sealer_init(door_sealer *s, const void *ikm, size_t len);
void door__sealer_wipe(door_sealer *s);

/* "__Host-door-login-" + state when secure, else "door-login-" + state. */
door_err door__pending_cookie_name(int secure, const char *state,
                                   door_buf *out);

/* Appends the cookie value: base64url(0x01 | iv[12] | ciphertext | tag[16])
 * with AAD = DOOR_PENDING_LABEL "\0" cookie_name.  DOOR_ETOOBIG when the
 * value would exceed DOOR_PENDING_COOKIE_MAX. */
door_err door__pending_seal(const door_sealer *s, const door_pending *p,
                            const char *cookie_name, door_buf *out);
/* Opens a cookie value sealed under `cookie_name`.  DOOR_ELOGIN_SEAL when it
 * does not decrypt, is malformed, or its state is not the one in the name.
 * Does not look at the time (door__pending_check_time). */
door_err door__pending_open(const door_sealer *s, const char *cookie_name,
                            const char *value, size_t len, door_pending *out,
                            door_detail *d);
/* DOOR_ELOGIN_EXPIRED when now is past created_at + timeout, or when the
 * record was created more than `skew` seconds in the future. */
door_err door__pending_check_time(const door_pending *p, int64_t now,
                                  int64_t timeout, int64_t skew,
                                  door_detail *d);

/* Set-Cookie values.  Path=/, HttpOnly, SameSite=Lax; Secure when secure. */
door_err door__pending_set_cookie(const char *name, const char *value,
                                  int secure, int64_t max_age, door_buf *out);
door_err door__pending_delete_cookie(const char *name, int secure,
                                     door_buf *out);

/* ---- callback (callback.c) --------------------------------------------- */

#define DOOR_CALLBACK_MAX_QUERY 8192
#define DOOR_CALLBACK_MAX_PAIRS 32
#define DOOR_CALLBACK_MAX_VALUE 4096
#define DOOR_COOKIE_HEADER_MAX 16384

typedef struct door_callback {
  door_kvlist kv;
  /* Borrowed from kv; NULL when absent. */
  const char *state;
  const char *code;
  const char *iss;
  const char *error;
  const char *error_description;
} door_callback;

/* Parses the raw query of the callback (without '?').  Every parameter at
 * most once (DOOR_ELOGIN_DUP_PARAM), sizes capped (DOOR_ETOOBIG), state
 * present (DOOR_ELOGIN_STATE_MISSING) and of the shape doorauth makes
 * (DOOR_ELOGIN_CALLBACK), code or error present (DOOR_ELOGIN_CODE_MISSING).
 */
door_err door__callback_parse(const char *query, door_callback *out,
                              door_detail *d);
void door__callback_clear(door_callback *cb);

/* Finds the cookie called `name` in a Cookie request header.  *value points
 * into `header`.  DOOR_ELOGIN_NO_PENDING when absent, DOOR_ELOGIN_SEAL when
 * it occurs twice, DOOR_ETOOBIG for an oversized header. */
door_err door__cookie_find(const char *header, const char *name,
                           const char **value, size_t *len, door_detail *d);

/* ---- return_to (return_to.c) ------------------------------------------- */

/* Checks a return_to target.  Accepted: a relative path beginning with one
 * '/' (on the broker's own origin), or an absolute https/http URL without
 * userinfo whose origin is `own_origin` or an entry of `allow`.  An entry is
 * an origin ("https://door.example") or an origin with a path prefix
 * ("https://door.example/app/"), matched at a '/' boundary.  Refused
 * (DOOR_ERETURN_TO_REFUSED): control characters, backslashes, whitespace,
 * "//" or "/\" starts, encoded '/', '\' or '.' tricks in the authority,
 * other schemes, userinfo, other origins, over DOOR_RETURN_TO_MAX bytes. */
door_err door__return_to_check(const char *target, const char *own_origin,
                               const char *const *allow, size_t n_allow,
                               door_detail *d);

/* ---- token response (token_response.c) -------------------------------- */

#define DOOR_TOKEN_RESPONSE_MAX 65536
#define DOOR_TOKEN_MAX 16384

typedef struct door_token_response {
  char *access_token;  /* secret */
  char *token_type;    /* as sent */
  char *id_token;      /* secret; NULL when absent */
  char *refresh_token; /* secret; NULL when absent */
  char *scope;         /* NULL when absent */
  int64_t expires_in;  /* -1 when absent */
} door_token_response;

/* Parses a successful (HTTP 200) token response.  Size caps (DOOR_ETOOBIG),
 * JSON object with string access_token (DOOR_ETOKEN_RESPONSE), token_type
 * "Bearer" in any letter case (DOOR_ETOKEN_TYPE), id_token when
 * `require_id_token` (DOOR_EID_TOKEN_MISSING). */
door_err door__token_response_parse(const char *body, size_t len,
                                    int require_id_token,
                                    door_token_response *out, door_detail *d);
void door__token_response_clear(door_token_response *t);

/* Reads an OAuth error body ({"error": ..., "error_description": ...}) into
 * safe text.  DOOR_OK with error[0] == '\0' when the body has no error. */
door_err door__oauth_error_parse(const char *body, size_t len, char *error,
                                 size_t error_cap, char *description,
                                 size_t description_cap);

/* ---- ID token (idtoken.c) ---------------------------------------------- */

typedef struct door_idt_expect {
  const char *issuer;
  const char *client_id;
  const char *const *trusted_aud; /* other audiences allowed next to ours */
  size_t n_trusted_aud;
  unsigned allowed_algs; /* door_alg mask pinned for this provider */
  const char *nonce;
  const char *access_token; /* for at_hash; NULL when none */
  int64_t now;
  int64_t leeway;  /* seconds, for exp, iat and nbf */
  int64_t max_age; /* iat not older than this; 0: no limit */
  /* An ID token of a refresh answer (OIDC Core 12.2): nonce may be NULL,
   * then a nonce in the token is not compared. */
  int refresh;
} door_idt_expect;

/* Verifies the signature of a parsed JWS (the token's alg is already known
 * to be allowed).  Implemented by the JWKS cache or the HS256 secret. */
typedef door_err (*door_idt_verify_fn)(void *ud, const door_jws *jws,
                                       door_detail *d);

/* Validates an ID token, in this order, each failure with its own code:
 * structure (JOSE codes), iss exact (IDT_ISS), aud contains client_id
 * (IDT_AUD) and nothing untrusted (IDT_AUD_UNTRUSTED), azp (IDT_AZP), alg
 * pinned (ALG_NOT_ALLOWED), signature (verify callback), exp (IDT_EXP), iat
 * (IDT_IAT), nbf (IDT_NBF), iat age (IDT_TOO_OLD), nonce (IDT_NONCE),
 * at_hash when present (IDT_AT_HASH), sub (IDT_SUB); wrong claim types are
 * IDT_CLAIM_TYPE.  On success *claims (if not NULL) gets a new reference to
 * the payload. */
door_err door__idtoken_validate(const char *token, const door_idt_expect *e,
                                door_idt_verify_fn verify, void *verify_ud,
                                json_t **claims, door_detail *d);

/* ---- discovery document (discovery.c) ---------------------------------- */

typedef struct door_metadata {
  char *issuer;
  char *authorization_endpoint;
  char *token_endpoint;
  char *userinfo_endpoint; /* NULL when none */
  char *jwks_uri;          /* NULL when none */
  unsigned id_token_algs;  /* door_alg mask of the declared algs; 0: none */
  int iss_parameter_supported;
  int pkce_s256_supported; /* 1 declared, 0 not declared */
  int64_t max_age;         /* Cache-Control max-age of the fetch, -1 */
} door_metadata;

void door__metadata_clear(door_metadata *m);

/* Parses a discovery document.  `issuer` must equal the configured one
 * exactly (DOOR_EDISCOVERY_ISSUER); the endpoints must be https URLs
 * (DOOR_EDISCOVERY_INSECURE; http allowed for loopback hosts only when
 * allow_insecure_loopback); other problems are DOOR_EDISCOVERY. */
door_err door__discovery_parse(const char *body, size_t len,
                               const char *expected_issuer,
                               int allow_insecure_loopback, door_metadata *out,
                               door_detail *d);
/* Checks one endpoint URL the same way (`what` names it in the detail). */
door_err door__endpoint_check(const char *url, const char *what,
                              int allow_insecure_loopback, door_detail *d);

/* ---- userinfo (userinfo.c) --------------------------------------------- */

#define DOOR_USERINFO_MAX 65536

/* Parses a userinfo JSON response and checks its sub equals `sub`
 * (DOOR_EUSERINFO_SUB); other problems DOOR_EUSERINFO.  *out gets the
 * object. */
door_err door__userinfo_parse(const char *body, size_t len, const char *sub,
                              json_t **out, door_detail *d);

#endif
