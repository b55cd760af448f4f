/* door-idp scenario file: top level, profiles, listeners, keys. */
#include "idp/idp.h"
#include "idp/sc.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

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

static door_err set_str(char **slot, const char *s) {
  char *p = dup_str(s);
  if (s && !p)
    return DOOR_ENOMEM;
  free(*slot);
  *slot = p;
  return DOOR_OK;
}

static door_err need_object(door_idp_sc *sc, const json_t *j) {
  if (!json_is_object(j))
    return door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "must be an object", NULL);
  return DOOR_OK;
}

/* ---- listeners ------------------------------------------------------------
 */

static const char *const listener_keys[] = {"host", "port", "plain_http", NULL};

static door_err load_listener(door_idp_sc *sc, door_idp_listener *l,
                              const json_t *j) {
  const char *host = NULL;
  long long port = l->port;
  door_err err = need_object(sc, j);
  if (!err)
    err = door__idp_sc_known(sc, j, listener_keys);
  if (!err)
    err = door__idp_sc_str(sc, j, "host", &host);
  if (!err)
    err = door__idp_sc_int(sc, j, "port", 0, 65535, &port);
  if (!err)
    err = door__idp_sc_bool(sc, j, "plain_http", &l->plain);
  if (err)
    return err;
  if (host && strcmp(host, "127.0.0.1") && strcmp(host, "::1") &&
      strcmp(host, "localhost") && strncmp(host, "127.", 4)) {
    size_t old = door__idp_sc_key(sc, "host");
    err =
        door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "must be a loopback address",
                          "door-idp serves 127.0.0.0/8 and ::1 only");
    door__idp_sc_pop(sc, old);
    return err;
  }
  if (host && strcmp(host, "localhost") == 0)
    host = "127.0.0.1";
  l->port = (int)port;
  return host ? set_str(&l->host, host) : DOOR_OK;
}

static door_err load_listeners(door_idp_sc *sc, door_idp_profile *p,
                               const json_t *j) {
  const char *name;
  json_t *v;
  size_t i, old;
  door_err err = need_object(sc, j);
  if (err)
    return err;
  json_object_foreach((json_t *)j, name, v) {
    door_idp_listener *l = NULL;
    for (i = 0; i < p->nlisteners; i++) {
      if (strcmp(p->listeners[i].name, name) == 0)
        l = &p->listeners[i];
    }
    old = door__idp_sc_key(sc, name);
    if (!l)
      return door__idp_sc_fail(
          sc, DOOR_ECONFIG_UNKNOWN, "no listener of that name",
          p->kind == DOOR_IDP_DACCOUNT ? "authorization, token or jwks"
                                       : "main");
    err = load_listener(sc, l, v);
    if (err)
      return err;
    door__idp_sc_pop(sc, old);
  }
  return DOOR_OK;
}

static door_err load_paths(door_idp_sc *sc, door_idp_profile *p,
                           const json_t *j) {
  const char *name;
  json_t *v;
  size_t old;
  door_err err = need_object(sc, j);
  if (err)
    return err;
  json_object_foreach((json_t *)j, name, v) {
    door_idp_ep ep = door__idp_ep_from_name(name);
    const char *s;
    old = door__idp_sc_key(sc, name);
    if (ep == DOOR_IDP_EP_NONE || !p->paths[ep])
      return door__idp_sc_fail(sc, DOOR_ECONFIG_UNKNOWN,
                               "this profile serves no such endpoint", NULL);
    if (!json_is_string(v) || json_string_value(v)[0] != '/' ||
        strpbrk(json_string_value(v), "?# "))
      return door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                               "must be a path starting with /",
                               "no query, fragment or space");
    s = json_string_value(v);
    err = set_str(&p->paths[ep], s);
    if (err)
      return err;
    door__idp_sc_pop(sc, old);
  }
  return DOOR_OK;
}

/* ---- keys ---------------------------------------------------------------- */

static const char *const key_keys[] = {"alg",    "kid",      "published",
                                       "active", "pem_file", NULL};

static door_err load_key(door_idp_sc *sc, door_idp_profile *p,
                         const json_t *j) {
  const char *alg_s = NULL, *kid = NULL, *pem_file = NULL;
  int published = 1, active = 1;
  door_alg alg;
  door_jwk *jwk = NULL;
  door_buf pem;
  door_detail kd;
  door_err err = need_object(sc, j);
  size_t old;
  door__buf_init(&pem, 65536);
  if (!err)
    err = door__idp_sc_known(sc, j, key_keys);
  if (!err)
    err = door__idp_sc_str(sc, j, "alg", &alg_s);
  if (!err)
    err = door__idp_sc_str(sc, j, "kid", &kid);
  if (!err)
    err = door__idp_sc_str(sc, j, "pem_file", &pem_file);
  if (!err)
    err = door__idp_sc_bool(sc, j, "published", &published);
  if (!err)
    err = door__idp_sc_bool(sc, j, "active", &active);
  if (err)
    goto out;
  old = door__idp_sc_key(sc, "alg");
  alg = alg_s ? door__alg_from_name(alg_s, strlen(alg_s)) : DOOR_ALG_UNKNOWN;
  if (alg != DOOR_ALG_RS256 && alg != DOOR_ALG_ES256) {
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "must be RS256 or ES256",
                            NULL);
    goto out;
  }
  door__idp_sc_pop(sc, old);
  if (kid && (p->jwks_flags & DOOR_JWK_OUT_OMIT_KID)) {
    old = door__idp_sc_key(sc, "kid");
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                            "this profile publishes keys without kid", NULL);
    goto out;
  }
  if (pem_file) {
    old = door__idp_sc_key(sc, "pem_file");
    err = door__idp_sc_read_file(sc, pem_file, 65536, &pem);
    if (err)
      goto out;
    err = door__jwk_from_pem(
        pem.data, pem.len, (p->jwks_flags & DOOR_JWK_OUT_OMIT_KID) ? NULL : kid,
        &jwk, &kd);
    if (!err && !door__jwk_is_private(jwk))
      err = DOOR_EJWK_INVALID;
    if (!err && !(door__jwk_algs(jwk) & alg))
      err = DOOR_EALG_KEY_MISMATCH;
    if (err) {
      err = door__idp_sc_fail(
          sc, err, "not a private key of that algorithm in PEM", NULL);
      goto out;
    }
    door__idp_sc_pop(sc, old);
    if (!kid && !(p->jwks_flags & DOOR_JWK_OUT_OMIT_KID)) {
      err = door__idp_sc_fail(sc, DOOR_ECONFIG_MISSING,
                              "a key from pem_file needs a kid", NULL);
      goto out;
    }
  }
  err = door__idp_key_add(p, alg, kid, published, active, jwk, NULL, 0);
  if (err)
    err = door__idp_sc_fail(sc, err, "key could not be added",
                            err == DOOR_EEXISTS ? "kids must be unique" : NULL);
out:
  if (jwk)
    door__jwk_unref(jwk);
  door__buf_free(&pem);
  return err;
}

static door_err default_keys(door_idp_profile *p) {
  door_err err = DOOR_OK;
  if (p->id_algs & DOOR_ALG_RS256)
    err = door__idp_key_add(p, DOOR_ALG_RS256, NULL, 1, 1, NULL, NULL, 0);
  if (!err &&
      ((p->id_algs & DOOR_ALG_ES256) || p->access_alg == DOOR_ALG_ES256) &&
      p->kind != DOOR_IDP_DACCOUNT)
    err = door__idp_key_add(p, DOOR_ALG_ES256, NULL, 1, 1, NULL, NULL, 0);
  return err;
}

/* ---- profiles ------------------------------------------------------------ */

static const char *const profile_keys[] = {"kind",
                                           "description",
                                           "listeners",
                                           "paths",
                                           "pkce",
                                           "pairwise",
                                           "pairwise_salt",
                                           "iss_parameter",
                                           "access_tokens",
                                           "clock",
                                           "ttl",
                                           "refresh_rotation",
                                           "keys",
                                           "users",
                                           "clients",
                                           "scopes_supported",
                                           NULL};

static const char *const ttl_keys[] = {"code", "access_token", "id_token",
                                       "refresh_token", NULL};
static const char *const clock_keys[] = {"fixed", "offset", NULL};

static door_err load_settings(door_idp_sc *sc, door_idp_profile *p,
                              const json_t *j) {
  const char *pkce = NULL, *salt = NULL, *at = NULL;
  json_t *v;
  long long n;
  size_t old;
  door_err err = door__idp_sc_str(sc, j, "pkce", &pkce);
  if (!err)
    err = door__idp_sc_str(sc, j, "pairwise_salt", &salt);
  if (!err)
    err = door__idp_sc_str(sc, j, "access_tokens", &at);
  if (!err)
    err = door__idp_sc_bool(sc, j, "pairwise", &p->pairwise);
  if (!err)
    err = door__idp_sc_bool(sc, j, "iss_parameter", &p->iss_param);
  if (!err)
    err = door__idp_sc_bool(sc, j, "refresh_rotation", &p->refresh_rotate);
  if (err)
    return err;
  if (pkce) {
    old = door__idp_sc_key(sc, "pkce");
    if (strcmp(pkce, "ignore") == 0)
      p->pkce = DOOR_IDP_PKCE_IGNORE;
    else if (strcmp(pkce, "verify") == 0)
      p->pkce = DOOR_IDP_PKCE_VERIFY;
    else if (strcmp(pkce, "require") == 0)
      p->pkce = DOOR_IDP_PKCE_REQUIRE;
    else
      return door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                               "must be ignore, verify or require", NULL);
    door__idp_sc_pop(sc, old);
  }
  if (at) {
    old = door__idp_sc_key(sc, "access_tokens");
    if (strcmp(at, "jwt") == 0)
      p->access_jwt = 1;
    else if (strcmp(at, "opaque") == 0)
      p->access_jwt = 0;
    else
      return door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                               "must be \"opaque\" or \"jwt\"", NULL);
    door__idp_sc_pop(sc, old);
  }
  if (salt) {
    unsigned int len = 0;
    if (!EVP_Digest(salt, strlen(salt), p->pairwise_key, &len, EVP_sha256(),
                    NULL))
      return DOOR_ECRYPTO;
  }
  if ((v = json_object_get(j, "ttl")) != NULL) {
    old = door__idp_sc_key(sc, "ttl");
    err = need_object(sc, v);
    if (!err)
      err = door__idp_sc_known(sc, v, ttl_keys);
    if (!err)
      err = door__idp_sc_int(sc, v, "code", 1, 86400, &p->code_ttl);
    if (!err)
      err =
          door__idp_sc_int(sc, v, "access_token", 1, 31536000, &p->access_ttl);
    if (!err)
      err = door__idp_sc_int(sc, v, "id_token", 1, 31536000, &p->id_ttl);
    if (!err)
      err = door__idp_sc_int(sc, v, "refresh_token", 1, 315360000,
                             &p->refresh_ttl);
    if (err)
      return err;
    door__idp_sc_pop(sc, old);
  }
  if ((v = json_object_get(j, "clock")) != NULL) {
    old = door__idp_sc_key(sc, "clock");
    err = need_object(sc, v);
    if (!err)
      err = door__idp_sc_known(sc, v, clock_keys);
    if (!err && json_object_get(v, "fixed") && json_object_get(v, "offset"))
      err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                              "give fixed or offset, not both", NULL);
    n = 0;
    if (!err && json_object_get(v, "fixed")) {
      err = door__idp_sc_int(sc, v, "fixed", 0, 253402300799LL, &n);
      if (!err)
        door__idp_clock_set_fixed(p, n);
    } else if (!err) {
      err = door__idp_sc_int(sc, v, "offset", -3153600000LL, 3153600000LL, &n);
      if (!err)
        door__idp_clock_set_offset(p, n);
    }
    if (err)
      return err;
    door__idp_sc_pop(sc, old);
  }
  return DOOR_OK;
}

static door_err load_scopes(door_idp_sc *sc, door_idp_profile *p,
                            const json_t *j) {
  char **v = NULL;
  size_t n = 0, i;
  door_buf b;
  door_err err =
      door__idp_sc_strv(sc, j, "scopes_supported", NULL, NULL, &v, &n);
  if (err || !v)
    return err;
  door__buf_init(&b, 65536);
  for (i = 0; !err && i < n; i++) {
    if (i)
      err = door__buf_putc(&b, ' ');
    if (!err)
      err = door__buf_puts(&b, v[i]);
  }
  for (i = 0; i < n; i++)
    free(v[i]);
  free(v);
  if (!err) {
    free(p->scopes_supported);
    p->scopes_supported = door__buf_detach(&b);
    if (!p->scopes_supported)
      err = DOOR_ENOMEM;
  }
  door__buf_free(&b);
  return err;
}

static door_err load_array(door_idp_sc *sc, door_idp_profile *p,
                           const json_t *j, const char *key) {
  json_t *arr = json_object_get(j, key), *v;
  size_t i, old = door__idp_sc_key(sc, key), old2;
  door_err err = DOOR_OK;
  if (!arr)
    goto out;
  if (!json_is_array(arr))
    return door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "must be an array", NULL);
  json_array_foreach(arr, i, v) {
    old2 = door__idp_sc_index(sc, i);
    if (strcmp(key, "keys") == 0) {
      err = load_key(sc, p, v);
    } else if (strcmp(key, "users") == 0) {
      door_idp_user *u = NULL, *dup;
      err = door__idp_user_from_json(p, v, door__buf_str(&sc->path), &u, sc->d);
      if (!err && (dup = door__idp_user_get(p, u->id)) != NULL) {
        door__idp_user_unref(dup);
        door__idp_user_unref(u);
        err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "duplicate user id",
                                NULL);
      } else if (!err) {
        err = door__idp_user_put(p, u);
      }
    } else {
      door_idp_client *c = NULL, *dup;
      err =
          door__idp_client_from_json(p, v, door__buf_str(&sc->path), &c, sc->d);
      if (!err && (dup = door__idp_client_get(p, c->client_id)) != NULL) {
        door__idp_client_unref(dup);
        door__idp_client_unref(c);
        err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "duplicate client_id",
                                NULL);
      } else if (!err) {
        err = door__idp_client_put(p, c);
      }
    }
    if (err)
      return err;
    door__idp_sc_pop(sc, old2);
  }
out:
  door__idp_sc_pop(sc, old);
  return err;
}

/* Every algorithm in use must have an active key. */
static door_err check_keys(door_idp_sc *sc, door_idp_profile *p) {
  door_alg need[2] = {DOOR_ALG_RS256, DOOR_ALG_ES256};
  size_t i, k;
  for (i = 0; i < 2; i++) {
    int used = p->access_jwt && p->access_alg == need[i];
    door_jwk *key = NULL;
    pthread_mutex_lock(&p->lock);
    for (k = 0; k < p->nclients; k++)
      used |= p->clients[k]->id_token_alg == need[i];
    pthread_mutex_unlock(&p->lock);
    used |= p->default_alg == need[i];
    if (!used)
      continue;
    if (door__idp_key_signing(p, need[i], &key)) {
      size_t old = door__idp_sc_key(sc, "keys");
      door_err err =
          door__idp_sc_fail(sc, DOOR_ECONFIG_MISSING,
                            need[i] == DOOR_ALG_RS256 ? "no active RS256 key"
                                                      : "no active ES256 key",
                            "add one, or leave keys out for the defaults");
      door__idp_sc_pop(sc, old);
      return err;
    }
    door__jwk_unref(key);
  }
  return DOOR_OK;
}

static door_err load_profile(door_idp_sc *sc, door_idp *idp, const char *name,
                             const json_t *j) {
  const char *kind_s = name;
  door_idp_kind kind;
  door_idp_profile *p;
  json_t *v;
  size_t old;
  door_err err = need_object(sc, j);
  if (!err)
    err = door__idp_sc_known(sc, j, profile_keys);
  if (!err)
    err = door__idp_sc_str(sc, j, "kind", &kind_s);
  if (err)
    return err;
  if (strcmp(kind_s, "daccount") == 0)
    kind = DOOR_IDP_DACCOUNT;
  else if (strcmp(kind_s, "xmarket") == 0)
    kind = DOOR_IDP_XMARKET;
  else if (strcmp(kind_s, "generic") == 0)
    kind = DOOR_IDP_GENERIC;
  else {
    old = door__idp_sc_key(sc, "kind");
    return door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                             json_object_get(j, "kind")
                                 ? "unknown kind"
                                 : "profile name is no kind: give \"kind\"",
                             "daccount, xmarket or generic");
  }
  err = door__idp_profile_add(idp, name, kind, &p);
  if (err)
    return door__idp_sc_fail(sc, err, "profile could not be created", NULL);
  if ((v = json_object_get(j, "listeners")) != NULL) {
    old = door__idp_sc_key(sc, "listeners");
    err = load_listeners(sc, p, v);
    if (err)
      return err;
    door__idp_sc_pop(sc, old);
  }
  if ((v = json_object_get(j, "paths")) != NULL) {
    old = door__idp_sc_key(sc, "paths");
    err = load_paths(sc, p, v);
    if (err)
      return err;
    door__idp_sc_pop(sc, old);
  }
  err = load_settings(sc, p, j);
  if (!err)
    err = load_scopes(sc, p, j);
  if (!err)
    err = load_array(sc, p, j, "users");
  if (!err)
    err = load_array(sc, p, j, "clients");
  /* Keys last: a mistake above is reported before any RSA key is made. */
  if (!err && json_object_get(j, "keys"))
    err = load_array(sc, p, j, "keys");
  else if (!err)
    err = default_keys(p);
  if (!err)
    err = check_keys(sc, p);
  return err;
}

/* ---- top level ------------------------------------------------------------
 */

static const char *const top_keys[] = {
    "description",     "threads", "auto_approve",
    "plain_http",      "tls",     "backchannel_ca_file",
    "attacker_origin", "admin",   "request_log_max",
    "profiles",        NULL};
static const char *const tls_keys[] = {"cert", "key", NULL};

static door_err load_top(door_idp_sc *sc, door_idp *idp, const json_t *doc) {
  const char *ca = NULL, *attacker = NULL, *cert = NULL, *key = NULL;
  long long threads = idp->threads, logmax = (long long)idp->reqlog.max;
  json_t *v;
  size_t old;
  door_err err = door__idp_sc_known(sc, doc, top_keys);
  if (!err)
    err = door__idp_sc_int(sc, doc, "threads", 1, 64, &threads);
  if (!err)
    err = door__idp_sc_int(sc, doc, "request_log_max", 0, 1000000, &logmax);
  if (!err)
    err = door__idp_sc_bool(sc, doc, "auto_approve", &idp->auto_approve);
  if (!err)
    err = door__idp_sc_bool(sc, doc, "plain_http", &idp->plain_http);
  if (!err)
    err = door__idp_sc_str(sc, doc, "backchannel_ca_file", &ca);
  if (!err)
    err = door__idp_sc_str(sc, doc, "attacker_origin", &attacker);
  if (err)
    return err;
  idp->threads = (unsigned)threads;
  if ((size_t)logmax != idp->reqlog.max) {
    door__idp_reqlog_free(&idp->reqlog);
    err = door__idp_reqlog_init(&idp->reqlog, (size_t)logmax);
    if (err)
      return err;
  }
  if ((v = json_object_get(doc, "tls")) != NULL) {
    old = door__idp_sc_key(sc, "tls");
    err = need_object(sc, v);
    if (!err)
      err = door__idp_sc_known(sc, v, tls_keys);
    if (!err)
      err = door__idp_sc_str(sc, v, "cert", &cert);
    if (!err)
      err = door__idp_sc_str(sc, v, "key", &key);
    if (err)
      return err;
    door__idp_sc_pop(sc, old);
    if (cert && !(idp->tls_cert_file = door__idp_sc_resolve(sc->dir, cert)))
      return DOOR_ENOMEM;
    if (key && !(idp->tls_key_file = door__idp_sc_resolve(sc->dir, key)))
      return DOOR_ENOMEM;
  }
  if (ca && !(idp->backchannel_ca = door__idp_sc_resolve(sc->dir, ca)))
    return DOOR_ENOMEM;
  if (attacker && (err = set_str(&idp->attacker_origin, attacker)) != DOOR_OK)
    return err;
  if ((v = json_object_get(doc, "admin")) != NULL) {
    old = door__idp_sc_key(sc, "admin");
    err = load_listener(sc, &idp->admin, v);
    if (err)
      return err;
    door__idp_sc_pop(sc, old);
    idp->admin.plain = 1;
  }
  return DOOR_OK;
}

door_err door__idp_scenario_load(door_idp *idp, const json_t *doc,
                                 const char *dir, door_detail *d) {
  door_idp_sc sc;
  const char *name;
  json_t *profiles, *v;
  size_t old;
  door_err err;
  door__idp_sc_init(&sc, d, dir, NULL);
  err = need_object(&sc, doc);
  if (!err)
    err = load_top(&sc, idp, doc);
  if (err)
    goto out;
  profiles = json_object_get(doc, "profiles");
  old = door__idp_sc_key(&sc, "profiles");
  if (!json_is_object(profiles) || json_object_size(profiles) == 0) {
    err = door__idp_sc_fail(
        &sc, profiles ? DOOR_ECONFIG_VALUE : DOOR_ECONFIG_MISSING,
        "must be an object with at least one profile",
        "e.g. {\"daccount\": {}}");
    goto out;
  }
  json_object_foreach(profiles, name, v) {
    size_t old2 = door__idp_sc_key(&sc, name);
    if (!*name || strpbrk(name, "/?#. ")) {
      err =
          door__idp_sc_fail(&sc, DOOR_ECONFIG_VALUE,
                            "profile names are words (no / ? # . space)", NULL);
      goto out;
    }
    err = load_profile(&sc, idp, name, v);
    if (err)
      goto out;
    door__idp_sc_pop(&sc, old2);
  }
  door__idp_sc_pop(&sc, old);
out:
  door__idp_sc_free(&sc);
  return err;
}
