/* doorauth — error codes.
 *
 * Every public function returns a door_err (DOOR_OK == 0 on success) or a
 * value its header documents.  The list is one X-macro so that the enum,
 * door_err_name() and door_strerror() can never disagree.  Codes are stable
 * names: a program may print door_err_name() and a script may match on it.
 *
 * A door_detail record optionally says what failed, where (a file:line, a
 * configuration key, a claim, an endpoint) and what to do.  Functions that
 * accept a `door_detail *` fill it on failure and leave it alone on success;
 * NULL is always allowed.  A detail never holds a secret.
 */
#ifndef DOORAUTH_ERROR_H
#define DOORAUTH_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* XX(NAME, "message").  Append new codes at the end of their group. */
#define DOOR_ERR_MAP(XX)                                                       \
  /* general */                                                                \
  XX(OK, "success")                                                            \
  XX(NOMEM, "out of memory")                                                   \
  XX(INVAL, "invalid argument")                                                \
  XX(TOOBIG, "input is larger than its size cap")                              \
  XX(IO, "input/output error")                                                 \
  XX(NOTFOUND, "not found")                                                    \
  XX(EXISTS, "already exists")                                                 \
  XX(INTERNAL, "internal error")                                               \
  XX(UNSUPPORTED, "not supported")                                             \
  XX(CRYPTO, "cryptographic library failure")                                  \
  XX(RANDOM, "random number generator failure")                                \
  /* text codecs */                                                            \
  XX(URL, "malformed URL")                                                     \
  XX(ENCODING, "malformed percent-encoding or form data")                      \
  XX(UTF8, "invalid UTF-8")                                                    \
  /* configuration */                                                          \
  XX(CONFIG, "configuration error")                                            \
  XX(CONFIG_SYNTAX, "configuration file syntax error")                         \
  XX(CONFIG_UNKNOWN, "unknown configuration section or key")                   \
  XX(CONFIG_VALUE, "bad configuration value")                                  \
  XX(CONFIG_MISSING, "required configuration key missing")                     \
  XX(CONFIG_SECRET, "secret could not be read")                                \
  XX(CONFIG_DUPLICATE, "configuration section or key given twice")             \
  XX(CONFIG_CONFLICT, "configuration keys contradict each other")              \
  XX(CONFIG_REFERENCE, "configuration names something not defined")            \
  /* JSON */                                                                   \
  XX(JSON, "malformed JSON")                                                   \
  XX(JSON_DUPKEY, "duplicate member name in JSON object")                      \
  XX(JSON_DEPTH, "JSON nested too deeply")                                     \
  XX(JSON_TYPE, "JSON value has the wrong type")                               \
  /* JOSE: encoding and structure */                                           \
  XX(B64, "malformed base64url")                                               \
  XX(JWS_SEGMENTS, "not a compact JWS: need exactly three segments")           \
  XX(JWS_HEADER, "malformed JWS protected header")                             \
  XX(JWS_PAYLOAD, "malformed JWS payload")                                     \
  XX(JWS_TOOBIG, "JWS or one of its segments is larger than its cap")          \
  XX(JWS_CRIT, "JWS header has crit: no extension is understood")              \
  XX(JWS_KEYREF, "JWS header tries to supply a key (jwk, jku, x5u, x5c)")      \
  /* JOSE: algorithms and keys */                                              \
  XX(ALG_NONE, "alg none is never accepted")                                   \
  XX(ALG_UNKNOWN, "unknown JWS algorithm")                                     \
  XX(ALG_NOT_ALLOWED, "JWS algorithm not allowed for this key or use")         \
  XX(ALG_KEY_MISMATCH, "JWS algorithm does not match the key type")            \
  XX(KID_UNKNOWN, "no key with that kid")                                      \
  XX(KID_AMBIGUOUS, "token has no kid and several keys could match")           \
  XX(JWK_INVALID, "malformed JWK")                                             \
  XX(JWK_PRIVATE, "JWK has private members where a public key is expected")    \
  XX(JWK_WEAK, "key too weak (RSA under 2048 bits)")                           \
  XX(JWK_KTY, "unsupported JWK key type or curve")                             \
  XX(JWKS_INVALID, "malformed JWK set")                                        \
  /* JOSE: signatures */                                                       \
  XX(SIG_LENGTH, "signature has the wrong length")                             \
  XX(SIG_RANGE, "ECDSA signature r or s out of range")                         \
  XX(SIG_INVALID, "signature does not verify")                                 \
  /* outbound HTTP */                                                          \
  XX(HTTP, "HTTP request failed")                                              \
  XX(HTTP_TLS, "TLS verification failed")                                      \
  XX(HTTP_TIMEOUT, "HTTP request timed out")                                   \
  XX(HTTP_STATUS, "unexpected HTTP status")                                    \
  XX(HTTP_REDIRECT, "redirect refused on a back-channel call")                 \
  XX(HTTP_URL_REFUSED, "URL not allowed for this request")                     \
  XX(HTTP_TOOBIG, "HTTP response body larger than its size cap")               \
  XX(HTTP_HEADERS_TOOBIG, "HTTP response headers larger than their size cap")  \
  /* serving */                                                                \
  XX(SERVER, "server could not start")                                         \
  /* test IdP (door-idp) */                                                    \
  XX(IDP_GRANT_EXPIRED, "authorization code or token has expired")             \
  XX(IDP_GRANT_USED, "authorization code was already redeemed")                \
  XX(IDP_GRANT_CLIENT, "grant was issued to another client")                   \
  XX(IDP_GRANT_REDIRECT, "redirect_uri differs from the authorize request's")  \
  XX(IDP_PKCE, "PKCE code_verifier does not match the code_challenge")         \
  XX(IDP_PKCE_MISSING, "PKCE code_verifier missing")                           \
  XX(IDP_PKCE_FORMAT, "PKCE code_verifier malformed")                          \
  XX(IDP_CLIENT_AUTH, "client authentication failed")                          \
  XX(IDP_FAULT_UNKNOWN, "no fault of that name in the registry")               \
  XX(IDP_FAULT_ARGS, "fault arguments are invalid")                            \
  /* login (oidc) */                                                           \
  XX(LOGIN_NO_PENDING, "no pending login for this callback's state")           \
  XX(LOGIN_SEAL, "pending-login cookie does not open (tampered or renamed)")   \
  XX(LOGIN_REPLAYED, "this login was already completed once")                  \
  XX(LOGIN_EXPIRED, "the login took longer than allowed")                      \
  XX(LOGIN_PROVIDER_MISMATCH, "callback provider differs from the login's")    \
  XX(LOGIN_ISSUER_MISMATCH, "pending login's issuer is not the provider's")    \
  XX(LOGIN_CALLBACK, "malformed callback query")                               \
  XX(LOGIN_DUP_PARAM, "a callback parameter is repeated")                      \
  XX(LOGIN_STATE_MISSING, "callback has no state")                             \
  XX(LOGIN_CODE_MISSING, "callback has neither code nor error")                \
  XX(LOGIN_PROVIDER_ERROR, "provider answered the login with an error")        \
  XX(PROVIDER_UNKNOWN, "no provider of that name is configured")               \
  XX(ISS_PARAM_MISSING, "callback lacks the iss parameter")                    \
  XX(ISS_PARAM_MISMATCH, "callback iss is not the provider's issuer")          \
  XX(TOKEN_ERROR, "token endpoint answered with an OAuth error")               \
  XX(TOKEN_RESPONSE, "malformed token response")                               \
  XX(TOKEN_TYPE, "token_type is not Bearer")                                   \
  XX(ID_TOKEN_MISSING, "token response has no id_token")                       \
  XX(IDT_ISS, "ID token iss is not the provider's issuer")                     \
  XX(IDT_AUD, "ID token aud does not contain the client id")                   \
  XX(IDT_AUD_UNTRUSTED, "ID token aud names an untrusted audience")            \
  XX(IDT_AZP, "ID token azp missing or not the client id")                     \
  XX(IDT_EXP, "ID token expired or has no exp")                                \
  XX(IDT_IAT, "ID token iat missing or in the future")                         \
  XX(IDT_TOO_OLD, "ID token was issued too long ago")                          \
  XX(IDT_NBF, "ID token is not valid yet (nbf)")                               \
  XX(IDT_NONCE, "ID token nonce does not match the login's")                   \
  XX(IDT_AT_HASH, "ID token at_hash does not match the access token")          \
  XX(IDT_SUB, "ID token sub missing or malformed")                             \
  XX(IDT_CLAIM_TYPE, "ID token claim has the wrong type")                      \
  XX(USERINFO, "malformed userinfo response")                                  \
  XX(USERINFO_SUB, "userinfo sub differs from the ID token's")                 \
  XX(DISCOVERY, "malformed discovery document")                                \
  XX(DISCOVERY_ISSUER, "discovery issuer is not the configured issuer")        \
  XX(DISCOVERY_INSECURE, "provider endpoint is not https")                     \
  XX(RETURN_TO_REFUSED, "return_to target is not allowed")                     \
  XX(ENTITLEMENT, "entitlement check failed")                                  \
  /* store */                                                                  \
  XX(STORE, "database error")                                                  \
  XX(STORE_BUSY, "database stayed locked past the busy timeout")               \
  XX(STORE_CORRUPT, "database file is corrupt or not a database")              \
  XX(STORE_SCHEMA, "database is not doorauth's or a migration failed")         \
  XX(STORE_SCHEMA_NEWER, "database schema is newer than this program")         \
  XX(STORE_DUPLICATE, "one-time key was already used")                         \
  XX(STORE_IDENTITY_TAKEN, "identity is linked to another account")            \
  XX(STORE_LAST_IDENTITY, "an account's last identity cannot be unlinked")     \
  XX(STORE_AMBIGUOUS, "several identities match: name one by issuer+subject")  \
  XX(STORE_EXPIRED, "session has expired")                                     \
  XX(STORE_UNAVAILABLE, "database server cannot be reached")                   \
  /* broker and daemon */                                                      \
  XX(BROKER_NO_SESSION, "not signed in, or the session has ended")             \
  XX(BROKER_CSRF, "form token or origin is missing or wrong")                  \
  XX(BROKER_LINK_SESSION, "linking must finish in the session that began it")  \
  XX(LOGOUT_TOKEN_TYP, "logout token typ is not logout+jwt")                   \
  XX(LOGOUT_TOKEN_ISS, "logout token iss is not the provider's issuer")        \
  XX(LOGOUT_TOKEN_AUD, "logout token aud does not contain the client id")      \
  XX(LOGOUT_TOKEN_IAT, "logout token iat missing, in the future or too old")   \
  XX(LOGOUT_TOKEN_EXP, "logout token has expired")                             \
  XX(LOGOUT_TOKEN_JTI, "logout token jti missing or malformed")                \
  XX(LOGOUT_TOKEN_EVENTS, "logout token lacks the back-channel logout event")  \
  XX(LOGOUT_TOKEN_NONCE, "logout token carries a nonce")                       \
  XX(LOGOUT_TOKEN_SUBJECT, "logout token names neither sid nor sub")           \
  XX(LOGOUT_TOKEN_REPLAYED, "logout token was already used")                   \
  /* tickets and gate */                                                       \
  XX(TICKETS_EVENT_UNKNOWN, "no event with that id is configured")             \
  XX(TICKETS_EVENT_NOT_STARTED, "the event has not started yet")               \
  XX(TICKETS_EVENT_CLOSED, "the event has ended")                              \
  XX(TICKETS_NO_PROVIDER, "no linked account at a provider this event takes")  \
  XX(TICKETS_NO_TICKET, "no ticket for this event")                            \
  XX(TICKETS_TIER, "the ticket's tier does not admit to this event")           \
  XX(TICKETS_NOT_PARTICIPANT, "not on this event's participant list")          \
  XX(TICKETS_RELOGIN_NEEDED, "sign in with the provider again to check")       \
  XX(TICKETS_NO_KEY, "no signing key is active")                               \
  XX(GATE_TYP, "token typ is not door-participation+jwt")                      \
  XX(GATE_HEADER, "token header has unexpected members or form")               \
  XX(GATE_CLAIMS, "token claims are missing, malformed or unexpected")         \
  XX(GATE_ISS, "token iss is not the expected broker")                         \
  XX(GATE_AUD, "token is for another event")                                   \
  XX(GATE_EXP, "token has expired")                                            \
  XX(GATE_NBF, "token is not valid yet")                                       \
  XX(GATE_IAT, "token iat is in the future")                                   \
  XX(GATE_REPLAYED, "single-use token was already admitted")                   \
  XX(TICKETS_KEY_SEAL,                                                         \
     "a signing key in the store does not open with this broker's secret")     \
  /* privacy */                                                                \
  XX(PRIVACY_UNLISTED,                                                         \
     "a field outside the provider's transmission manifest was to be sent")

typedef enum door_err {
#define DOOR__ERR_ENUM(name, msg) DOOR_E##name,
  DOOR_ERR_MAP(DOOR__ERR_ENUM)
#undef DOOR__ERR_ENUM
      DOOR_ERR_COUNT_
} door_err;

/* DOOR_OK is the conventional spelling of success. */
#define DOOR_OK DOOR_EOK

/* "SIG_INVALID" for DOOR_ESIG_INVALID; "UNKNOWN" for a value out of range. */
const char *door_err_name(door_err err);
/* A short English sentence; never NULL. */
const char *door_strerror(door_err err);

/* Optional detail of a failure.  Fixed size: filling it never allocates. */
typedef struct door_detail {
  door_err code;
  char what[192];  /* what failed, in plain words */
  char where[192]; /* file:line, config key, claim or endpoint */
  char hint[192];  /* what to do about it */
} door_detail;

/* Clears a detail record (code = DOOR_OK, empty strings). */
void door_detail_clear(door_detail *d);

/* Fills `d` (if not NULL) and returns `code`, so callers can write
 *   return door_detail_set(d, DOOR_EJWK_WEAK, "jwks[0]", "RSA key of 1024
 * bits", "publish a key of 2048 bits or more"); Strings are truncated to fit;
 * NULL strings are stored as "". */
door_err door_detail_set(door_detail *d, door_err code, const char *where,
                         const char *what, const char *hint);

/* printf-free formatting of a detail into `out` (always NUL-terminated when
 * cap > 0): "NAME: what (at where); hint".  Returns the length written. */
size_t door_detail_format(const door_detail *d, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
