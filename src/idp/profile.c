/* door-idp process context and profiles: defaults per kind, URLs after
 * binding, clock, clients, users and pairwise subjects. */
#include "idp/idp.h"

#include "idp/http.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STORE_MAX_CODES 100000
#define STORE_MAX_TOKENS 500000
#define STORE_MAX_SESSIONS 100000

static char *dup_str(const char *s) {
  size_t n;
  char *p;
  if (!s)
    return NULL;
  n = strlen(s) + 1;
  p = malloc(n);
  if (p)
    memcpy(p, s, n);
  return p;
}

const char *door__idp_kind_name(door_idp_kind kind) {
  switch (kind) {
  case DOOR_IDP_DACCOUNT:
    return "daccount";
  case DOOR_IDP_XMARKET:
    return "xmarket";
  case DOOR_IDP_GENERIC:
    return "generic";
  }
  return "unknown";
}

const char *door__idp_auth_name(door_idp_auth a) {
  switch (a) {
  case DOOR_IDP_AUTH_BASIC:
    return "client_secret_basic";
  case DOOR_IDP_AUTH_POST:
    return "client_secret_post";
  case DOOR_IDP_AUTH_NONE:
    return "none";
  case DOOR_IDP_AUTH_PRIVATE_KEY_JWT:
    return "private_key_jwt";
  }
  return "unknown";
}

static const char *const ep_names[DOOR_IDP_EP_COUNT_] = {
    "none",     "discovery", "authorization", "token",
    "userinfo", "jwks",      "tickets",       "end_session"};

const char *door__idp_ep_name(door_idp_ep ep) {
  return (unsigned)ep < DOOR_IDP_EP_COUNT_ ? ep_names[ep] : "none";
}

door_idp_ep door__idp_ep_from_name(const char *name) {
  unsigned i;
  for (i = 1; name && i < DOOR_IDP_EP_COUNT_; i++) {
    if (strcmp(ep_names[i], name) == 0)
      return (door_idp_ep)i;
  }
  return DOOR_IDP_EP_NONE;
}

/* ---- process context ----------------------------------------------------- */

door_err door__idp_init(door_idp *idp) {
  door_err err;
  memset(idp, 0, sizeof *idp);
  door__log_init(&idp->log, "door-idp");
  idp->threads = 2;
  err = door__idp_faults_init(&idp->faults);
  if (err)
    return err;
  err = door__idp_reqlog_init(&idp->reqlog, 10000);
  if (err) {
    door__idp_faults_free(&idp->faults);
    return err;
  }
  idp->attacker_origin = dup_str("https://attacker.invalid");
  idp->admin.host = dup_str("127.0.0.1");
  if (!idp->attacker_origin || !idp->admin.host) {
    door__idp_free(idp);
    return DOOR_ENOMEM;
  }
  memcpy(idp->admin.name, "admin", 6);
  idp->admin.plain = 1;
  idp->admin.idp = idp;
  return DOOR_OK;
}

static void listener_free(door_idp_listener *l) {
  free(l->host);
  free(l->origin);
  l->host = l->origin = NULL;
}

static void profile_free(door_idp_profile *p) {
  size_t i;
  if (!p)
    return;
  for (i = 0; i < p->nlisteners; i++)
    listener_free(&p->listeners[i]);
  for (i = 0; i < DOOR_IDP_EP_COUNT_; i++) {
    free(p->paths[i]);
    free(p->alias[i]);
    free(p->urls[i]);
  }
  for (i = 0; i < p->nclients; i++)
    door__idp_client_unref(p->clients[i]);
  free(p->clients);
  for (i = 0; i < p->nusers; i++)
    door__idp_user_unref(p->users[i]);
  free(p->users);
  for (i = 0; i < p->nkeys; i++)
    door__jwk_unref(p->keys[i].jwk);
  door__buf_free(&p->jwks_json);
  door__buf_free(&p->discovery_json);
  if (p->own_keys)
    door__jwks_unref(p->own_keys);
  door__idp_store_free(&p->codes);
  door__idp_store_free(&p->tokens);
  door__idp_store_free(&p->refresh);
  door__idp_store_free(&p->sessions);
  door__idp_store_free(&p->jtis);
  door__idp_rng_free(&p->jti_rng);
  pthread_mutex_destroy(&p->lock);
  free(p->issuer);
  free(p->scopes_supported);
  free(p->name);
  free(p);
}

void door__idp_free(door_idp *idp) {
  size_t i;
  for (i = 0; i < idp->nprofiles; i++)
    profile_free(idp->profiles[i]);
  free(idp->profiles);
  door__idp_faults_free(&idp->faults);
  door__idp_reqlog_free(&idp->reqlog);
  listener_free(&idp->admin);
  free(idp->scenario_dir);
  free(idp->tls_cert_file);
  free(idp->tls_key_file);
  free(idp->backchannel_ca);
  free(idp->attacker_origin);
  free(idp->tls_cert_pem);
  free(idp->tls_key_pem);
  memset(idp, 0, sizeof *idp);
}

door_idp_profile *door__idp_profile(door_idp *idp, const char *name) {
  size_t i;
  for (i = 0; name && i < idp->nprofiles; i++) {
    if (strcmp(idp->profiles[i]->name, name) == 0)
      return idp->profiles[i];
  }
  return NULL;
}

static door_err add_listener(door_idp_profile *p, const char *name,
                             const char *host, unsigned eps) {
  door_idp_listener *l = &p->listeners[p->nlisteners];
  size_t n = strlen(name);
  if (p->nlisteners == DOOR_IDP_MAX_LISTENERS || n >= sizeof l->name)
    return DOOR_EINTERNAL;
  memcpy(l->name, name, n + 1);
  l->host = dup_str(host);
  if (!l->host)
    return DOOR_ENOMEM;
  l->eps = eps;
  l->prof = p;
  l->idp = p->idp;
  p->nlisteners++;
  return DOOR_OK;
}

static door_err set_path(door_idp_profile *p, door_idp_ep ep, const char *path,
                         const char *alias) {
  p->paths[ep] = dup_str(path);
  if (!p->paths[ep])
    return DOOR_ENOMEM;
  if (alias && !(p->alias[ep] = dup_str(alias)))
    return DOOR_ENOMEM;
  return DOOR_OK;
}

#define EPB(e) (1u << DOOR_IDP_EP_##e)

static door_err kind_defaults(door_idp_profile *p) {
  door_err err = DOOR_OK;
  const char *wk = "/.well-known/openid-configuration";
  p->code_ttl = 60;
  p->access_ttl = 3600;
  p->id_ttl = 3600;
  p->refresh_ttl = 30 * 86400;
  p->refresh_rotate = 1;
  switch (p->kind) {
  case DOOR_IDP_DACCOUNT:
    /* Three origins, like id.smt.docomo.ne.jp (authorization),
     * conf.uw.docomo.ne.jp (issuer, token, userinfo) and
     * fr-end.oidc.if.cilite.docomo.ne.jp (JWKS). */
    err = add_listener(p, "authorization", "127.0.0.1", EPB(AUTHORIZE));
    if (!err)
      err = add_listener(p, "token", "127.0.0.2",
                         EPB(DISCOVERY) | EPB(TOKEN) | EPB(USERINFO));
    if (!err)
      err = add_listener(p, "jwks", "127.0.0.3", EPB(JWKS));
    if (!err)
      err = set_path(p, DOOR_IDP_EP_DISCOVERY, wk, NULL);
    if (!err)
      err = set_path(p, DOOR_IDP_EP_AUTHORIZE, "/cgi8/oidc/authorize", NULL);
    if (!err)
      err = set_path(p, DOOR_IDP_EP_TOKEN, "/token", "/common/token");
    if (!err)
      err = set_path(p, DOOR_IDP_EP_USERINFO, "/userinfo", "/common/userinfo");
    if (!err)
      err = set_path(p, DOOR_IDP_EP_JWKS, "/oft/external/ofrnt/v1.0/jwksget",
                     NULL);
    p->issuer_slash = 1;
    p->pkce = DOOR_IDP_PKCE_IGNORE;
    p->pairwise = 1;
    p->jwks_flags =
        DOOR_JWK_OUT_OMIT_KID | DOOR_JWK_OUT_OMIT_ALG | DOOR_JWK_OUT_PAD_N;
    p->id_algs = DOOR_ALG_HS256 | DOOR_ALG_RS256;
    p->default_alg = DOOR_ALG_RS256;
    p->access_alg = DOOR_ALG_RS256;
    p->scopes_supported = dup_str("openid");
    break;
  case DOOR_IDP_XMARKET:
    err = add_listener(p, "main", "127.0.0.1",
                       EPB(DISCOVERY) | EPB(AUTHORIZE) | EPB(TOKEN) |
                           EPB(USERINFO) | EPB(JWKS) | EPB(TICKETS));
    if (!err)
      err = set_path(p, DOOR_IDP_EP_DISCOVERY, wk, NULL);
    if (!err)
      err = set_path(p, DOOR_IDP_EP_AUTHORIZE, "/oauth2/authorize", NULL);
    if (!err)
      err = set_path(p, DOOR_IDP_EP_TOKEN, "/oauth2/token", NULL);
    if (!err)
      err = set_path(p, DOOR_IDP_EP_USERINFO, "/oauth2/userinfo", NULL);
    if (!err)
      err = set_path(p, DOOR_IDP_EP_JWKS, "/oauth2/jwks", NULL);
    if (!err)
      err = set_path(p, DOOR_IDP_EP_TICKETS, "/api/v1/tickets", NULL);
    p->pkce = DOOR_IDP_PKCE_REQUIRE;
    p->iss_param = 1;
    p->access_jwt = 1;
    p->id_algs = DOOR_ALG_ES256;
    p->default_alg = DOOR_ALG_ES256;
    p->access_alg = DOOR_ALG_ES256;
    p->scopes_supported =
        dup_str("openid profile email tickets offline_access");
    break;
  case DOOR_IDP_GENERIC:
    err = add_listener(p, "main", "127.0.0.1",
                       EPB(DISCOVERY) | EPB(AUTHORIZE) | EPB(TOKEN) |
                           EPB(USERINFO) | EPB(JWKS) | EPB(END_SESSION));
    if (!err)
      err = set_path(p, DOOR_IDP_EP_DISCOVERY, wk, NULL);
    if (!err)
      err = set_path(p, DOOR_IDP_EP_AUTHORIZE, "/authorize", NULL);
    if (!err)
      err = set_path(p, DOOR_IDP_EP_TOKEN, "/token", NULL);
    if (!err)
      err = set_path(p, DOOR_IDP_EP_USERINFO, "/userinfo", NULL);
    if (!err)
      err = set_path(p, DOOR_IDP_EP_JWKS, "/jwks", NULL);
    if (!err)
      err = set_path(p, DOOR_IDP_EP_END_SESSION, "/end_session", NULL);
    p->pkce = DOOR_IDP_PKCE_REQUIRE;
    p->iss_param = 1;
    p->id_algs = DOOR_ALG_RS256 | DOOR_ALG_ES256;
    p->default_alg = DOOR_ALG_RS256;
    p->access_alg = DOOR_ALG_ES256;
    p->scopes_supported = dup_str("openid profile email offline_access");
    break;
  }
  if (!err && !p->scopes_supported)
    err = DOOR_ENOMEM;
  return err;
}

#undef EPB

door_err door__idp_profile_add(door_idp *idp, const char *name,
                               door_idp_kind kind, door_idp_profile **out) {
  door_idp_profile *p, **np;
  door_err err;
  if (door__idp_profile(idp, name))
    return DOOR_EEXISTS;
  p = calloc(1, sizeof *p);
  if (!p)
    return DOOR_ENOMEM;
  if (pthread_mutex_init(&p->lock, NULL) != 0) {
    free(p);
    return DOOR_EINTERNAL;
  }
  if (door__idp_rng_init(&p->jti_rng) != DOOR_OK) {
    pthread_mutex_destroy(&p->lock);
    free(p);
    return DOOR_EINTERNAL;
  }
  p->idp = idp;
  p->kind = kind;
  door__buf_init(&p->jwks_json, DOOR_BUF_DEFAULT_MAX);
  door__buf_init(&p->discovery_json, DOOR_BUF_DEFAULT_MAX);
  atomic_init(&p->clock_is_fixed, 0);
  atomic_init(&p->clock_fixed, 0);
  atomic_init(&p->clock_offset, 0);
  err = door__idp_store_init(&p->codes, STORE_MAX_CODES);
  if (!err)
    err = door__idp_store_init(&p->tokens, STORE_MAX_TOKENS);
  if (!err)
    err = door__idp_store_init(&p->refresh, STORE_MAX_TOKENS);
  if (!err)
    err = door__idp_store_init(&p->sessions, STORE_MAX_SESSIONS);
  if (!err)
    err = door__idp_store_init(&p->jtis, STORE_MAX_CODES);
  if (!err && !(p->name = dup_str(name)))
    err = DOOR_ENOMEM;
  if (!err && RAND_bytes(p->pairwise_key, sizeof p->pairwise_key) != 1)
    err = DOOR_ERANDOM;
  if (!err)
    err = kind_defaults(p);
  if (!err) {
    np = realloc(idp->profiles, (idp->nprofiles + 1) * sizeof *np);
    if (!np)
      err = DOOR_ENOMEM;
    else
      idp->profiles = np;
  }
  if (err) {
    profile_free(p);
    return err;
  }
  idp->profiles[idp->nprofiles++] = p;
  if (out)
    *out = p;
  return DOOR_OK;
}

static const door_idp_listener *serving(const door_idp_profile *p,
                                        door_idp_ep ep) {
  size_t i;
  for (i = 0; i < p->nlisteners; i++) {
    if (p->listeners[i].eps & (1u << ep))
      return &p->listeners[i];
  }
  return NULL;
}

door_err door__idp_profile_publish(door_idp_profile *p) {
  const door_idp_listener *l;
  door_buf b;
  door_err err = DOOR_OK;
  unsigned ep;
  door__buf_init(&b, 4096);
  l = serving(p, DOOR_IDP_EP_DISCOVERY);
  if (!l || !l->origin) {
    err = DOOR_EINTERNAL;
    goto out;
  }
  err = door__buf_puts(&b, l->origin);
  if (!err && p->issuer_slash)
    err = door__buf_putc(&b, '/');
  if (err)
    goto out;
  free(p->issuer);
  p->issuer = door__buf_detach(&b);
  if (!p->issuer) {
    err = DOOR_ENOMEM;
    goto out;
  }
  for (ep = 1; ep < DOOR_IDP_EP_COUNT_; ep++) {
    free(p->urls[ep]);
    p->urls[ep] = NULL;
    l = serving(p, (door_idp_ep)ep);
    if (!l || !p->paths[ep])
      continue;
    door__buf_reset(&b);
    err = door__buf_puts(&b, l->origin);
    if (!err)
      err = door__buf_puts(&b, p->paths[ep]);
    if (err)
      goto out;
    p->urls[ep] = door__buf_detach(&b);
    if (!p->urls[ep]) {
      err = DOOR_ENOMEM;
      goto out;
    }
  }
  err = door__idp_discovery_build(p);
out:
  door__buf_free(&b);
  return err;
}

/* ---- clock --------------------------------------------------------------- */

int64_t door__idp_now(door_idp_profile *p) {
  if (atomic_load(&p->clock_is_fixed))
    return (int64_t)atomic_load(&p->clock_fixed);
  return (int64_t)time(NULL) + (int64_t)atomic_load(&p->clock_offset);
}

void door__idp_clock_set_fixed(door_idp_profile *p, int64_t t) {
  atomic_store(&p->clock_fixed, t);
  atomic_store(&p->clock_is_fixed, 1);
}

void door__idp_clock_set_offset(door_idp_profile *p, int64_t off) {
  atomic_store(&p->clock_offset, off);
  atomic_store(&p->clock_is_fixed, 0);
}

/* ---- clients and users --------------------------------------------------- */

door_idp_client *door__idp_client_ref(door_idp_client *c) {
  if (c)
    atomic_fetch_add(&c->refs, 1);
  return c;
}

static void free_strv(char **v, size_t n) {
  size_t i;
  for (i = 0; v && i < n; i++)
    free(v[i]);
  free(v);
}

void door__idp_client_unref(door_idp_client *c) {
  if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
    return;
  free(c->client_id);
  free(c->client_secret);
  free(c->name);
  free_strv(c->redirect_uris, c->n_redirect_uris);
  free_strv(c->post_logout_uris, c->n_post_logout_uris);
  free(c->scope);
  free(c->backchannel_logout_uri);
  free(c->sector);
  if (c->hs_key)
    door__jwk_unref(c->hs_key);
  if (c->jwks)
    door__jwks_unref(c->jwks);
  json_decref(c->json);
  free(c);
}

door_idp_user *door__idp_user_ref(door_idp_user *u) {
  if (u)
    atomic_fetch_add(&u->refs, 1);
  return u;
}

void door__idp_user_unref(door_idp_user *u) {
  if (!u || atomic_fetch_sub(&u->refs, 1) != 1)
    return;
  free(u->id);
  json_decref(u->claims);
  json_decref(u->tickets);
  json_decref(u->json);
  free(u);
}

door_idp_client *door__idp_client_get(door_idp_profile *p, const char *id) {
  door_idp_client *c = NULL;
  size_t i;
  if (!id)
    return NULL;
  pthread_mutex_lock(&p->lock);
  for (i = 0; i < p->nclients; i++) {
    if (strcmp(p->clients[i]->client_id, id) == 0) {
      c = door__idp_client_ref(p->clients[i]);
      break;
    }
  }
  pthread_mutex_unlock(&p->lock);
  return c;
}

door_idp_user *door__idp_user_get(door_idp_profile *p, const char *id) {
  door_idp_user *u = NULL;
  size_t i;
  if (!id)
    return NULL;
  pthread_mutex_lock(&p->lock);
  for (i = 0; i < p->nusers; i++) {
    if (strcmp(p->users[i]->id, id) == 0) {
      u = door__idp_user_ref(p->users[i]);
      break;
    }
  }
  pthread_mutex_unlock(&p->lock);
  return u;
}

/* Adds or replaces in an array of refcounted pointers, under the lock. */
#define PUT_IMPL(arr, n, item, idfield, unref)                                 \
  do {                                                                         \
    size_t i_;                                                                 \
    void *old_ = NULL;                                                         \
    pthread_mutex_lock(&p->lock);                                              \
    for (i_ = 0; i_ < p->n; i_++) {                                            \
      if (strcmp(p->arr[i_]->idfield, item->idfield) == 0) {                   \
        old_ = p->arr[i_];                                                     \
        p->arr[i_] = item;                                                     \
        break;                                                                 \
      }                                                                        \
    }                                                                          \
    if (!old_) {                                                               \
      void *np_ = realloc(p->arr, (p->n + 1) * sizeof *p->arr);                \
      if (!np_) {                                                              \
        pthread_mutex_unlock(&p->lock);                                        \
        unref(item);                                                           \
        return DOOR_ENOMEM;                                                    \
      }                                                                        \
      p->arr = np_;                                                            \
      p->arr[p->n++] = item;                                                   \
    }                                                                          \
    pthread_mutex_unlock(&p->lock);                                            \
    if (old_)                                                                  \
      unref(old_);                                                             \
    return DOOR_OK;                                                            \
  } while (0)

door_err door__idp_client_put(door_idp_profile *p, door_idp_client *c) {
  PUT_IMPL(clients, nclients, c, client_id, door__idp_client_unref);
}

door_err door__idp_user_put(door_idp_profile *p, door_idp_user *u) {
  PUT_IMPL(users, nusers, u, id, door__idp_user_unref);
}

#undef PUT_IMPL

#define DEL_IMPL(arr, n, id, idfield, unref)                                   \
  do {                                                                         \
    size_t i_;                                                                 \
    void *old_ = NULL;                                                         \
    pthread_mutex_lock(&p->lock);                                              \
    for (i_ = 0; i_ < p->n; i_++) {                                            \
      if (strcmp(p->arr[i_]->idfield, id) == 0) {                              \
        old_ = p->arr[i_];                                                     \
        memmove(&p->arr[i_], &p->arr[i_ + 1],                                  \
                (p->n - i_ - 1) * sizeof *p->arr);                             \
        p->n--;                                                                \
        break;                                                                 \
      }                                                                        \
    }                                                                          \
    pthread_mutex_unlock(&p->lock);                                            \
    if (!old_)                                                                 \
      return DOOR_ENOTFOUND;                                                   \
    unref(old_);                                                               \
    return DOOR_OK;                                                            \
  } while (0)

door_err door__idp_client_del(door_idp_profile *p, const char *id) {
  DEL_IMPL(clients, nclients, id, client_id, door__idp_client_unref);
}

door_err door__idp_user_del(door_idp_profile *p, const char *id) {
  DEL_IMPL(users, nusers, id, id, door__idp_user_unref);
}

#undef DEL_IMPL

json_t *door__idp_clients_json(door_idp_profile *p) {
  json_t *arr = json_array();
  size_t i;
  pthread_mutex_lock(&p->lock);
  for (i = 0; arr && i < p->nclients; i++)
    json_array_append_new(arr, json_deep_copy(p->clients[i]->json));
  pthread_mutex_unlock(&p->lock);
  return arr;
}

json_t *door__idp_users_json(door_idp_profile *p) {
  json_t *arr = json_array();
  size_t i;
  pthread_mutex_lock(&p->lock);
  for (i = 0; arr && i < p->nusers; i++)
    json_array_append_new(arr, json_deep_copy(p->users[i]->json));
  pthread_mutex_unlock(&p->lock);
  return arr;
}

int door__idp_client_redirect_ok(const door_idp_client *c, const char *uri) {
  size_t i;
  for (i = 0; uri && i < c->n_redirect_uris; i++) {
    if (strcmp(c->redirect_uris[i], uri) == 0)
      return 1;
  }
  return 0;
}

int door__idp_client_post_logout_ok(const door_idp_client *c, const char *uri) {
  size_t i;
  for (i = 0; uri && i < c->n_post_logout_uris; i++) {
    if (strcmp(c->post_logout_uris[i], uri) == 0)
      return 1;
  }
  return 0;
}

/* ---- subjects ------------------------------------------------------------ */

door_err door__idp_pairwise_sub(const unsigned char key[32], const char *sector,
                                const char *user_id, door_buf *out) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t maclen = 0, ns = strlen(sector), nu = strlen(user_id);
  door_buf msg;
  door_err err;
  door__buf_init(&msg, 8192);
  /* sector || 0x00 || user id: the NUL keeps ("ab","c") and ("a","bc")
   * apart. */
  err = door__buf_append(&msg, sector, ns);
  if (!err)
    err = door__buf_append(&msg, "", 1);
  if (!err)
    err = door__buf_append(&msg, user_id, nu);
  if (err)
    goto out;
  if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 32,
                 (const unsigned char *)msg.data, msg.len, mac, sizeof mac,
                 &maclen)) {
    err = DOOR_ECRYPTO;
    goto out;
  }
  err = door__b64url_encode(mac, maclen, out);
out:
  door__buf_free(&msg);
  return err;
}

door_err door__idp_subject(const door_idp_profile *p, const door_idp_client *c,
                           const door_idp_user *u, door_buf *out) {
  json_t *sub;
  if (p->pairwise)
    return door__idp_pairwise_sub(
        p->pairwise_key, c->sector ? c->sector : c->client_id, u->id, out);
  sub = json_object_get(u->claims, "sub");
  return door__buf_puts(out,
                        json_is_string(sub) ? json_string_value(sub) : u->id);
}
