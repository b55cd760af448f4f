/* The relying-party context and its providers (internal). */
#ifndef DOOR_OIDC_RP_INT_H
#define DOOR_OIDC_RP_INT_H

#include "doorauth/login.h"
#include "doorauth/provider.h"
#include "http/http.h"
#include "oidc/cache.h"
#include "oidc/oidc.h"
#include "util/config.h"
#include "util/log.h"

#include <stdatomic.h>

/* Effective metadata of a provider: the discovery document (when on) with
 * the configured endpoints winning.  Immutable, reference counted. */
typedef struct door_meta {
  atomic_uint refs;
  door_metadata m;
} door_meta;

door_meta *door__meta_ref(door_meta *m);
void door__meta_unref(door_meta *m);

typedef struct door_provider {
  struct door_rp *rp;
  const door_provider_ops *ops;
  const door_provider_config *cfg;
  door_provider_settings s;
  void *state;     /* ops->state_size bytes, zeroed */
  door_cache meta; /* door_meta values */
  door_cache jwks; /* door_jwks values */
  /* The provider whose JWKS cache serves this one: key sets are cached per
   * issuer, so providers with the same issuer (and the same jwks_uri
   * setting) share the first one's cache, its cooldown and its fetches. */
  struct door_provider *jwks_home;
  door_jwk *hs_key;        /* HS256 key from the client secret, or NULL */
  door_jwk *client_key;    /* private_key_jwt: the signing key, or NULL */
  door_alg client_key_alg; /* and its algorithm */
  char *redirect_uri;
  int cache_ready;
  /* The effective transmission manifest (manifest.c) and what it owns. */
  door_tx_manifest manifest;
  door_tx_field *tx_fields;
  char **tx_names;
  size_t n_tx_names;
  /* Requests refused by the manifest, per door_tx_endpoint. */
  atomic_uint_fast64_t tx_refused[DOOR_TX_ENDPOINT_COUNT];
} door_provider;

struct door_rp {
  const door_config *cfg;
  door_http *http;
  door_http *own_http;
  const door_log *log;
  door_replay_guard replay;
  door_replay_mem *own_replay;
  int64_t (*clock)(void *ud);
  void *clock_ud;
  void (*transmitted)(void *ud, const door_transmission *t);
  void *transmitted_ud;
  door_sealer sealer;
  door_provider *providers;
  size_t nproviders;
  char *own_origin; /* scheme://host[:port] of public_url */
  char *base;       /* public_url without a trailing '/' */
  int secure;       /* public_url is https: __Host- cookies, Secure */
  int64_t login_timeout;
  int64_t leeway;
};

int64_t door__rp_now(const door_rp *rp);
door_provider *door__rp_provider(const door_rp *rp, const char *name);

/* provider_rt.c: setting a provider up and tearing it down. */
door_err door__provider_init(door_rp *rp, door_provider *p,
                             const door_provider_config *cfg, door_detail *d);
void door__provider_free(door_provider *p);
/* A reference to the effective metadata (fetched or cached). */
door_err door__provider_meta(door_provider *p, door_meta **out, door_detail *d);
/* door_idt_verify_fn for this provider: HS256 with the secret, anything
 * else with the JWKS cache. */
door_err door__provider_verify(void *ud, const door_jws *jws, door_detail *d);

/* manifest.c: the effective manifest of p (after configure), checked
 * against p's configuration (errors name FILE:LINE); freed with p. */
door_err door__manifest_build(door_provider *p, door_detail *d);
void door__manifest_free(door_provider *p);
/* The field `name` of endpoint e in m, or NULL. */
const door_tx_field *door__manifest_find(const door_tx_manifest *m,
                                         door_tx_endpoint e, const char *name);

/* client_auth.c: private_key_jwt.  Loads client_key_file (a PEM private
 * key able to sign with client_key_alg). */
door_err door__client_key_load(door_provider *p, door_detail *d);
/* Sets client_id, client_assertion_type and client_assertion (a JWS with
 * iss = sub = client_id, aud = token_url, a random jti, iat, exp = iat +
 * 60 s) in the token request's form. */
door_err door__client_assertion(door_provider *p, const char *token_url,
                                door_kvlist *form, door_detail *d);

/* token.c: the code exchange, the refresh grant's POST and userinfo,
 * recorded in tx (NULL: not recorded). */
door_err door__token_exchange(door_provider *p, const door_meta *meta,
                              const char *code, const door_pending *pend,
                              door_txlog *tx, door_token_response *out,
                              door_detail *d);
/* Client authentication, the token_request hook and the POST of `form` to
 * the token endpoint as outbound endpoint e; parses a 200 answer. */
door_err door__token_post(door_provider *p, const door_meta *meta,
                          door_tx_endpoint e, door_kvlist *form,
                          int require_id_token, door_txlog *tx,
                          door_token_response *out, door_detail *d);
door_err door__userinfo_fetch(door_provider *p, const door_meta *meta,
                              const char *access_token, const char *sub,
                              door_txlog *tx, json_t **out, door_detail *d);
/* Fetches a JSON document with GET (discovery, JWKS: endpoint e). */
door_err door__fetch_json_doc(door_provider *p, door_tx_endpoint e,
                              const char *url, const char *what, door_buf *body,
                              int64_t *max_age, door_detail *d);

/* A failure of the login, logged with its detail (never secrets). */
void door__login_log_fail(const door_rp *rp, const char *event,
                          const char *provider, const door_detail *d);

#endif
