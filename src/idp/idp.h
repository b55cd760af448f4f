/* door-idp internals: the process context, profiles, clients, users, keys.
 *
 * door-idp is a test OpenID provider.  One process serves several profiles
 * (daccount, xmarket, generic), each with its own issuer, listeners, keys,
 * clients, users, clock and grant stores.  Everything here is free of the
 * server library: server.c and server_req.c (h2o's libh2o-evloop, TLS by
 * OpenSSL) adapt h2o requests to door_idp_req and door_idp_resp (http.h), so
 * the handlers can be unit tested.
 *
 * Threading: handlers run concurrently on the server's loop threads
 * (`threads` of them serve every profile listener, one the admin listener)
 * and on the worker threads of the handlers that POST back-channel logout
 * tokens (server_ev.h).  A profile's mutable state (clients, users, keys,
 * JWKS cache) is guarded by its `lock`;
 * clients and users are immutable, reference-counted objects: a handler takes
 * a reference under the lock and uses the object without it, so the admin API
 * can replace a client while a token is being issued to it.  Keys are
 * reference-counted door_jwk, so a rotation never races a signature.  The
 * clock is two atomics.  The grant stores, the fault registry and the request
 * log each have their own lock.
 */
#ifndef DOOR_IDP_IDP_H
#define DOOR_IDP_IDP_H

#include "doorauth/error.h"
#include "idp/ep.h"
#include "idp/faults.h"
#include "idp/reqlog.h"
#include "idp/store.h"
#include "jose/jose.h"
#include "util/buf.h"
#include "util/log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef enum door_idp_kind {
  DOOR_IDP_DACCOUNT = 1,
  DOOR_IDP_XMARKET = 2,
  DOOR_IDP_GENERIC = 3,
} door_idp_kind;

const char *door__idp_kind_name(door_idp_kind kind);

/* How a profile treats PKCE. */
typedef enum door_idp_pkce {
  DOOR_IDP_PKCE_IGNORE = 0,  /* code_challenge accepted and ignored */
  DOOR_IDP_PKCE_VERIFY = 1,  /* verified when the authorize request had one */
  DOOR_IDP_PKCE_REQUIRE = 2, /* S256 required on every authorize request */
} door_idp_pkce;

typedef enum door_idp_auth {
  DOOR_IDP_AUTH_BASIC = 1,           /* client_secret_basic */
  DOOR_IDP_AUTH_POST = 2,            /* client_secret_post */
  DOOR_IDP_AUTH_NONE = 3,            /* public client (PKCE) */
  DOOR_IDP_AUTH_PRIVATE_KEY_JWT = 4, /* RFC 7523 assertion (generic only) */
} door_idp_auth;

const char *door__idp_auth_name(door_idp_auth a);

/* Grant types a client may use (bit mask). */
#define DOOR_IDP_GRANT_CODE 1u
#define DOOR_IDP_GRANT_REFRESH 2u
#define DOOR_IDP_GRANT_CLIENT_CREDENTIALS 4u

typedef struct door_idp_client {
  atomic_int refs;
  char *client_id;
  char *client_secret; /* NULL for public clients */
  char *name;
  char **redirect_uris;
  size_t n_redirect_uris;
  char **post_logout_uris;
  size_t n_post_logout_uris;
  door_idp_auth auth;
  door_alg id_token_alg;
  unsigned grants;
  char *scope; /* scopes the client may ask for, space-separated; NULL: any */
  char *backchannel_logout_uri;
  int backchannel_session_required;
  char *sector;     /* pairwise sector; NULL: the client_id */
  int access_jwt;   /* -1: the profile's default */
  door_jwk *hs_key; /* HS256 key from the secret, or NULL */
  door_jwks *jwks;  /* private_key_jwt: the client's public keys */
  json_t *json;     /* normalized form, for the admin API (read only) */
} door_idp_client;

door_idp_client *door__idp_client_ref(door_idp_client *c);
void door__idp_client_unref(door_idp_client *c);

typedef struct door_idp_user {
  atomic_int refs;
  char *id;
  json_t *claims;  /* object, read only once published */
  json_t *tickets; /* array of ticket objects, read only once published */
  json_t *json;    /* normalized form, for the admin API (read only) */
} door_idp_user;

door_idp_user *door__idp_user_ref(door_idp_user *u);
void door__idp_user_unref(door_idp_user *u);

/* A signing key of a profile. */
typedef struct door_idp_key {
  char id[48]; /* the kid; for kid-less profiles an internal name */
  door_jwk *jwk;
  door_alg alg;
  int published; /* in the JWKS */
  int active;    /* the signing key of its family (RSA or EC) */
} door_idp_key;

#define DOOR_IDP_MAX_LISTENERS 3
#define DOOR_IDP_MAX_KEYS 32

typedef struct door_idp_profile door_idp_profile;
typedef struct door_idp door_idp;

typedef struct door_idp_listener {
  char name[16]; /* "main", "authorization", "token", "jwks", "admin" */
  char *host;
  int port;     /* configured (0: ephemeral); the bound port after start */
  int plain;    /* plain HTTP instead of HTTPS */
  unsigned eps; /* bit (1u << ep) for each endpoint served */
  char *origin; /* "https://127.0.0.1:43123", set after binding */
  int fd;       /* the bound, listening socket (bound: 1); each loop thread
                   accepts on a dup() of it; closed by server_stop */
  int bound;
  door_idp_profile *prof; /* NULL for the admin listener */
  door_idp *idp;
} door_idp_listener;

struct door_idp_profile {
  door_idp *idp;
  char *name;
  door_idp_kind kind;
  door_idp_listener listeners[DOOR_IDP_MAX_LISTENERS];
  size_t nlisteners;
  char *paths[DOOR_IDP_EP_COUNT_]; /* NULL: not served */
  char *alias[DOOR_IDP_EP_COUNT_]; /* a second path, or NULL */
  int issuer_slash;                /* issuer ends with "/" */
  /* Set by door__idp_profile_publish() once the listeners are bound. */
  char *issuer;
  char *urls[DOOR_IDP_EP_COUNT_];
  door_buf discovery_json; /* the discovery document (only fixed settings) */

  /* Settings, fixed after loading. */
  door_idp_pkce pkce;
  int iss_param;  /* RFC 9207 iss in authorization responses */
  int access_jwt; /* access tokens are JWTs (else opaque) */
  int pairwise;   /* sub is pairwise per client sector */
  unsigned char pairwise_key[32];
  unsigned jwks_flags; /* door__jwk_public_json flags */
  unsigned id_algs;    /* id_token algorithms offered (discovery) */
  door_alg default_alg;
  door_alg access_alg; /* JWT access tokens */
  int refresh_rotate;  /* a refresh grant returns a new refresh token */
  long long code_ttl, access_ttl, id_ttl, refresh_ttl;
  char *scopes_supported; /* space-separated, for discovery */

  /* Mutable state under `lock`. */
  pthread_mutex_t lock;
  door_idp_client **clients;
  size_t nclients;
  door_idp_user **users;
  size_t nusers;
  door_idp_key keys[DOOR_IDP_MAX_KEYS];
  size_t nkeys;
  unsigned key_serial;
  door_buf jwks_json;  /* the published JWKS document */
  door_jwks *own_keys; /* every key, published or not: verifies our tokens */

  /* Clock: fixed time when clock_fixed is set, else now + offset. */
  atomic_int clock_is_fixed;
  atomic_llong clock_fixed;
  atomic_llong clock_offset;

  door_idp_store codes;
  door_idp_store tokens;   /* opaque access tokens */
  door_idp_store refresh;  /* refresh tokens */
  door_idp_store sessions; /* sid -> user, clients */
  door_idp_store jtis;     /* client assertions seen: "client_id jti" */
  door_idp_rng jti_rng;    /* random bytes for access-token jtis */
};

struct door_idp {
  door_idp_profile **profiles;
  size_t nprofiles;
  door_idp_faults faults;
  door_idp_reqlog reqlog;
  door_log log;
  int auto_approve;
  unsigned threads;
  int plain_http; /* every profile listener over plain HTTP */
  char *scenario_dir;
  char *tls_cert_file;
  char *tls_key_file;
  char *backchannel_ca;
  char *attacker_origin; /* default target of the redirect faults */
  door_idp_listener admin;
  struct door_idp_server *server; /* loops and TLS context (server.c); NULL
                                     when not serving */
  struct door_idp_bcl *bcl;       /* back-channel logout sender (bcl_post.h);
                                     may be NULL */
  char *tls_cert_pem;             /* loaded by main.c, alive while serving */
  char *tls_key_pem;
};

/* ---- process context (profile.c) ----------------------------------------- */

door_err door__idp_init(door_idp *idp);
void door__idp_free(door_idp *idp);
door_idp_profile *door__idp_profile(door_idp *idp, const char *name);

/* A profile with the defaults of its kind (paths, listeners, settings), no
 * keys, clients or users yet.  Added to idp->profiles. */
door_err door__idp_profile_add(door_idp *idp, const char *name,
                               door_idp_kind kind, door_idp_profile **out);
/* Builds the issuer and endpoint URLs from the bound listeners. */
door_err door__idp_profile_publish(door_idp_profile *p);

/* ---- clock --------------------------------------------------------------- */

int64_t door__idp_now(door_idp_profile *p);
void door__idp_clock_set_fixed(door_idp_profile *p, int64_t t);
void door__idp_clock_set_offset(door_idp_profile *p, int64_t off);

/* ---- clients and users (profile.c) -------------------------------------- */

/* A new reference, or NULL. */
door_idp_client *door__idp_client_get(door_idp_profile *p, const char *id);
door_idp_user *door__idp_user_get(door_idp_profile *p, const char *id);
/* Adds or replaces (by id); takes over the caller's reference. */
door_err door__idp_client_put(door_idp_profile *p, door_idp_client *c);
door_err door__idp_user_put(door_idp_profile *p, door_idp_user *u);
door_err door__idp_client_del(door_idp_profile *p, const char *id);
door_err door__idp_user_del(door_idp_profile *p, const char *id);
/* JSON arrays of the normalized objects (new references). */
json_t *door__idp_clients_json(door_idp_profile *p);
json_t *door__idp_users_json(door_idp_profile *p);
/* 1 when `uri` is one of the client's redirect URIs (exact match). */
int door__idp_client_redirect_ok(const door_idp_client *c, const char *uri);
int door__idp_client_post_logout_ok(const door_idp_client *c, const char *uri);

/* The subject for `user` as seen by `client`: pairwise
 * base64url(HMAC-SHA256(pairwise key, sector || 0x00 || user id)) for
 * pairwise profiles, else the user's "sub" claim or its id. */
door_err door__idp_subject(const door_idp_profile *p, const door_idp_client *c,
                           const door_idp_user *u, door_buf *out);
/* The pairwise derivation alone (for tests and the admin API). */
door_err door__idp_pairwise_sub(const unsigned char key[32], const char *sector,
                                const char *user_id, door_buf *out);

/* ---- keys (keys.c) ------------------------------------------------------- */

/* Generates a key for `alg` (kid: `kid`, or a fresh one when NULL and the
 * profile uses kids) and adds it; `active` makes it the signing key of its
 * family.  Rebuilds the JWKS. */
door_err door__idp_key_add(door_idp_profile *p, door_alg alg, const char *kid,
                           int published, int active, door_jwk *jwk,
                           char *id_out, size_t id_cap);
/* Rotation: a new published key for the family of `alg`, made active. */
door_err door__idp_key_rotate(door_idp_profile *p, door_alg alg, char *id_out,
                              size_t id_cap);
door_err door__idp_key_drop(door_idp_profile *p, const char *id);
door_err door__idp_key_set(door_idp_profile *p, const char *id, int published,
                           int active);
/* The active signing key for `alg` (a new reference). */
door_err door__idp_key_signing(door_idp_profile *p, door_alg alg,
                               door_jwk **out);
/* Every key (a new reference to the set). */
door_jwks *door__idp_own_keys(door_idp_profile *p);
/* Copies the published JWKS document. */
door_err door__idp_jwks_copy(door_idp_profile *p, door_buf *out);
/* The key list for the admin API. */
json_t *door__idp_keys_json(door_idp_profile *p);
/* Rebuilds jwks_json and own_keys; call with `lock` held. */
door_err door__idp_keys_rebuild_locked(door_idp_profile *p);

/* ---- scenario (scenario.c) ---------------------------------------------- */

/* Loads a scenario document into `idp`.  `name` prefixes nothing: errors go
 * to `d` with `where` set to the JSON path (profiles.daccount.clients[0]...).
 * `dir` resolves relative file names (may be NULL: the working directory). */
door_err door__idp_scenario_load(door_idp *idp, const json_t *doc,
                                 const char *dir, door_detail *d);
/* A client or user from its JSON form (admin API and scenario).  `where` is
 * the JSON path of `j` for messages. */
door_err door__idp_client_from_json(door_idp_profile *p, const json_t *j,
                                    const char *where, door_idp_client **out,
                                    door_detail *d);
door_err door__idp_user_from_json(door_idp_profile *p, const json_t *j,
                                  const char *where, door_idp_user **out,
                                  door_detail *d);

/* ---- private_key_jwt (client_jwt.c) --------------------------------------
 */

#define DOOR_IDP_ASSERTION_TYPE                                                \
  "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/* The `sub` of a client assertion, unverified, into `out` (to find the
 * client when the form has no client_id).  DOOR_EINVAL when unreadable. */
door_err door__idp_assertion_sub(const char *assertion, door_buf *out);
/* Verifies a client assertion (RFC 7523 section 3, OpenID Connect Core 9)
 * for client `c`: RS256, PS256 or ES256 signature by a key of the client's
 * `jwks`; iss and sub the client_id; aud the token endpoint URL (or a list
 * holding it); exp in the future and at most an hour away; nbf and iat not
 * in the future (60 s leeway); jti present and never seen before from this
 * client (remembered until exp).  DOOR_OK, or an error with *desc the
 * invalid_client description (static text). */
door_err door__idp_client_assertion(door_idp_profile *p,
                                    const door_idp_client *c,
                                    const char *assertion, const char **desc);

#endif
