/* doorauth — the interface a login provider implements.
 *
 * A provider is one file in providers/ holding one `const
 * door_provider_ops` table, listed in the static registry of
 * providers/provider.c and enabled by the meson option `providers`.  Its
 * configuration is a `[provider "NAME"]` section whose `type` is the ops
 * table's `type`; type-specific keys are declared in the configuration
 * schema (src/util/config*.c) and read with door__config_provider_value().
 *
 * Its `manifest` lists every field the core or its hooks may send to each
 * of its endpoints, with what the field carries and why (docs/privacy.md):
 * a request with any other field is refused before it leaves.
 *
 * The core (src/oidc) does everything standard: discovery, PKCE, state and
 * nonce, the code exchange, ID-token validation, userinfo.  A provider only
 * says how it differs, through these hooks, all optional except
 * `configure`:
 *
 *   configure         read its section, adjust the common settings the core
 *                     filled in (door_provider_settings), fill its private
 *                     state (state_size bytes, zeroed by the core)
 *   authorize_params  add or replace parameters of the authorization URL
 *   token_request     change the token endpoint URL, the client
 *                     authentication method or the form before the code
 *                     exchange and the refresh grant (form grant_type
 *                     tells which)
 *   normalize_claims  rewrite provider-specific claim names in the merged
 *                     ID-token and userinfo claims
 *   describe_error    plain words for the provider's non-standard error
 *                     codes (authorization and token errors)
 *   entitlement       ticket check for an event (DOOR_PCAP_ENTITLEMENT),
 *                     sent through door_provider_call.send
 *   release           free what configure allocated in the state
 *
 * Threading: after configure, hooks receive a const state and may be called
 * from many threads at once; they must not modify it.
 * Secrets: hooks never log tokens or the client secret.
 */
#ifndef DOORAUTH_PROVIDER_H
#define DOORAUTH_PROVIDER_H

#include "doorauth/error.h"
#include "doorauth/login.h"
#include "doorauth/privacy.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct door_provider_config; /* the [provider "NAME"] section */
struct door_kvlist;          /* decoded name/value pairs (util/url.h) */
struct door_buf;             /* a capped buffer (util/buf.h) */
struct door_log;

/* Capabilities. */
#define DOOR_PCAP_OIDC 1u         /* sends an id_token; the core requires it */
#define DOOR_PCAP_DISCOVERY 2u    /* publishes a discovery document */
#define DOOR_PCAP_PKCE 4u         /* accepts PKCE S256 (sent whenever pkce) */
#define DOOR_PCAP_REFRESH 8u      /* refresh grant */
#define DOOR_PCAP_ENTITLEMENT 16u /* has an entitlement (tickets) check */

/* Client authentication at the token endpoint (same values as the
 * configuration's token_auth_method). */
typedef enum door_client_auth {
  DOOR_CLIENT_SECRET_BASIC = 0,
  DOOR_CLIENT_SECRET_POST = 1,
  DOOR_PRIVATE_KEY_JWT = 2,
} door_client_auth;

/* Common settings, filled by the core from the section before configure
 * runs; configure may change them (strings must then point to storage that
 * lives as long as the configuration or the provider's state). */
typedef struct door_provider_settings {
  const char *name;         /* section NAME */
  const char *display_name; /* for people; defaults to NAME */
  const char *issuer;
  const char *client_id;
  const char *client_secret; /* NULL when none is configured */
  size_t client_secret_len;
  unsigned allowed_algs; /* mask of door_alg (jose): pinned algorithms */
  door_client_auth client_auth;
  int userinfo;             /* call the userinfo endpoint */
  int pkce;                 /* send PKCE S256 */
  int discovery;            /* fetch the discovery document */
  int hs256_client_secret;  /* verify HS256 ID tokens with the secret */
  int64_t id_token_max_age; /* seconds; 0: no limit */
} door_provider_settings;

/* The code exchange as the core is about to send it. */
typedef struct door_token_request {
  /* The endpoint URL; a hook may write a replacement into endpoint_out
   * (empty: keep `endpoint`). */
  const char *endpoint;
  struct door_buf *endpoint_out;
  door_client_auth client_auth;
  /* grant_type, code, redirect_uri, code_verifier (and client_id for
   * client_secret_post); a hook may add or replace entries. */
  struct door_kvlist *form;
} door_token_request;

/* A request a hook asks the core to send (a GET): the core checks every
 * field against the provider's manifest for `endpoint` (the query's names
 * and "header:Authorization" for the bearer token), refuses an unlisted one
 * with DOOR_EPRIVACY_UNLISTED before anything leaves, and records it. */
typedef struct door_provider_request {
  door_tx_endpoint endpoint;
  const char *url;                 /* without the query parameters */
  const struct door_kvlist *query; /* query parameters; NULL: none */
  const char *bearer_token;        /* Authorization: Bearer; NULL: none */
} door_provider_request;

/* What a hook that calls the provider gets to call it with.  Hooks never
 * see the HTTP client: `send` is the core's outbound path. */
typedef struct door_provider_call door_provider_call;
struct door_provider_call {
  /* Sends rq; *status gets the HTTP status (0: no answer), the body is
   * appended to `body` (capped by its max).  DOOR_OK when an answer came,
   * whatever its status; DOOR_EPRIVACY_UNLISTED, the HTTP_* codes. */
  door_err (*send)(const door_provider_call *call,
                   const door_provider_request *rq, long *status,
                   struct door_buf *body, door_detail *d);
  void *send_ud; /* the core's */
  const struct door_log *log;
  const door_provider_settings *settings;
  int64_t now;
};

typedef struct door_provider_ops {
  const char *type; /* the configuration's `type` value */
  unsigned caps;    /* DOOR_PCAP_* */
  size_t state_size;
  /* What may be sent to each endpoint of this provider and why (the
   * defaults; see doorauth/privacy.h for the configuration's overrides).
   * organisation or service NULL: taken from the configuration.  Token
   * and refresh list every client-authentication field; the core keeps
   * those of the configured method.  A field not listed is never sent. */
  const door_tx_manifest *manifest;

  door_err (*configure)(void *state, const struct door_provider_config *cfg,
                        door_provider_settings *s, door_detail *d);
  door_err (*authorize_params)(const void *state,
                               const door_provider_settings *s,
                               struct door_kvlist *params, door_detail *d);
  door_err (*token_request)(const void *state, const door_provider_settings *s,
                            door_token_request *req, door_detail *d);
  door_err (*normalize_claims)(const void *state, json_t *claims,
                               door_detail *d);
  /* Returns 1 and sets *what and *hint (static text) when it knows the
   * error code, else 0. */
  int (*describe_error)(const void *state, const char *error, const char **what,
                        const char **hint);
  door_err (*entitlement)(const void *state, const door_provider_call *call,
                          const char *access_token, const char *event_id,
                          door_entitlement *out, door_detail *d);
  void (*release)(void *state);
} door_provider_ops;

/* Building blocks of a provider's default manifest (door_provider_ops
 * .manifest, doorauth/privacy.h): the fields of the standard code flow,
 * each with the purpose `why`.  A provider file lists these and its own
 * extras in one static table. */
#define DOOR_TX_OIDC_AUTHORIZE(why)                                            \
  {DOOR_TX_AUTHORIZE, "response_type", DOOR_TXD_PROTOCOL, why},                \
      {DOOR_TX_AUTHORIZE, "client_id", DOOR_TXD_PROTOCOL, why},                \
      {DOOR_TX_AUTHORIZE, "redirect_uri", DOOR_TXD_PROTOCOL, why},             \
      {DOOR_TX_AUTHORIZE, "scope", DOOR_TXD_PROTOCOL, why},                    \
      {DOOR_TX_AUTHORIZE, "state", DOOR_TXD_PROTOCOL, why},                    \
      {DOOR_TX_AUTHORIZE, "nonce", DOOR_TXD_PROTOCOL, why},                    \
      {DOOR_TX_AUTHORIZE, "code_challenge", DOOR_TXD_PROTOCOL, why},           \
      {DOOR_TX_AUTHORIZE, "code_challenge_method", DOOR_TXD_PROTOCOL, why}, {  \
    DOOR_TX_AUTHORIZE, "prompt", DOOR_TXD_PROTOCOL, why                        \
  }
/* The code exchange's own fields (client authentication apart). */
#define DOOR_TX_OIDC_CODE(why)                                                 \
  {DOOR_TX_TOKEN, "grant_type", DOOR_TXD_PROTOCOL, why},                       \
      {DOOR_TX_TOKEN, "code", DOOR_TXD_USER_IDENTIFIER, why},                  \
      {DOOR_TX_TOKEN, "redirect_uri", DOOR_TXD_PROTOCOL, why}, {               \
    DOOR_TX_TOKEN, "code_verifier", DOOR_TXD_PROTOCOL, why                     \
  }
/* The refresh grant's own fields (client authentication apart). */
#define DOOR_TX_OIDC_REFRESH(why)                                              \
  {DOOR_TX_REFRESH, "grant_type", DOOR_TXD_PROTOCOL, why}, {                   \
    DOOR_TX_REFRESH, "refresh_token", DOOR_TXD_USER_IDENTIFIER, why            \
  }
/* Every client authentication method's fields at `ep` (token or refresh);
 * the effective manifest keeps those of the configured method only. */
#define DOOR_TX_CLIENT_AUTH(ep, why)                                           \
  {ep, "client_id", DOOR_TXD_PROTOCOL, why},                                   \
      {ep, "client_secret", DOOR_TXD_CLIENT_CREDENTIAL, why},                  \
      {ep, "client_assertion_type", DOOR_TXD_PROTOCOL, why},                   \
      {ep, "client_assertion", DOOR_TXD_CLIENT_CREDENTIAL, why}, {             \
    ep, "header:Authorization", DOOR_TXD_CLIENT_CREDENTIAL, why                \
  }
/* RP-initiated logout (purpose logout) and the userinfo bearer token. */
#define DOOR_TX_OIDC_END_SESSION                                               \
  {DOOR_TX_END_SESSION, "id_token_hint", DOOR_TXD_USER_IDENTIFIER,             \
   DOOR_TXP_LOGOUT},                                                           \
      {DOOR_TX_END_SESSION, "client_id", DOOR_TXD_PROTOCOL, DOOR_TXP_LOGOUT},  \
      {DOOR_TX_END_SESSION, "post_logout_redirect_uri", DOOR_TXD_PROTOCOL,     \
       DOOR_TXP_LOGOUT},                                                       \
  {                                                                            \
    DOOR_TX_END_SESSION, "state", DOOR_TXD_PROTOCOL, DOOR_TXP_LOGOUT           \
  }
#define DOOR_TX_OIDC_USERINFO(why)                                             \
  { DOOR_TX_USERINFO, "header:Authorization", DOOR_TXD_USER_IDENTIFIER, why }

/* Sets `name` to `value` in a parameter list, replacing an earlier entry of
 * that name (OAuth parameters never repeat). */
door_err door_provider_param_set(struct door_kvlist *l, const char *name,
                                 const char *value);

/* The ops table for a configuration `type`, or NULL when no provider of
 * that type was built. */
const door_provider_ops *door_provider_find(const char *type);
/* The built providers, for listings: *n receives the count. */
const door_provider_ops *const *door_provider_list(size_t *n);

#ifdef __cplusplus
}
#endif
#endif
