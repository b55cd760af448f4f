/* A configured provider at run time: settings, effective metadata (the
 * discovery document with configured endpoints winning) and key sets. */
#include "oidc/rp_int.h"

#include <stdlib.h>
#include <string.h>

door_meta *door__meta_ref(door_meta *m) {
  if (m)
    atomic_fetch_add(&m->refs, 1);
  return m;
}

void door__meta_unref(door_meta *m) {
  if (m && atomic_fetch_sub(&m->refs, 1) == 1) {
    door__metadata_clear(&m->m);
    free(m);
  }
}

static void *door__meta_cache_ref(void *v) { return door__meta_ref(v); }
static void door__meta_cache_unref(void *v) { door__meta_unref(v); }

static int64_t door__provider_clock(void *ud) {
  return door__rp_now((const door_rp *)ud);
}

/* Replaces *slot with a copy of `url` when the configuration gives one. */
static door_err door__override(char **slot, const char *url) {
  char *c;
  if (!url)
    return DOOR_OK;
  c = strdup(url);
  if (!c)
    return DOOR_ENOMEM;
  free(*slot);
  *slot = c;
  return DOOR_OK;
}

static door_err door__apply_config(door_provider *p, door_metadata *m,
                                   door_detail *d) {
  const door_provider_config *c = p->cfg;
  door_err err;
  if ((err = door__override(&m->authorization_endpoint,
                            c->authorization_endpoint)) ||
      (err = door__override(&m->token_endpoint, c->token_endpoint)) ||
      (err = door__override(&m->userinfo_endpoint, c->userinfo_endpoint)) ||
      (err = door__override(&m->jwks_uri, c->jwks_uri)))
    return err;
  if (!m->authorization_endpoint || !m->token_endpoint)
    return door_detail_set(d, DOOR_EDISCOVERY, p->s.name,
                           "the provider has no authorization or token "
                           "endpoint",
                           "configure authorization_endpoint and "
                           "token_endpoint, or turn discovery on");
  if (!m->jwks_uri && (p->s.allowed_algs & ~(unsigned)DOOR_ALG_HS256))
    return door_detail_set(d, DOOR_EDISCOVERY, p->s.name,
                           "the provider publishes no key set (jwks_uri)",
                           "configure jwks_uri");
  if (p->s.userinfo && !m->userinfo_endpoint)
    return door_detail_set(d, DOOR_EDISCOVERY, p->s.name,
                           "userinfo is on but the provider has no userinfo "
                           "endpoint",
                           "configure userinfo_endpoint or set userinfo = no");
  return DOOR_OK;
}

static door_err door__discovery_url(const door_provider *p, door_buf *url) {
  const char *iss = p->s.issuer;
  size_t n = strlen(iss);
  door_err err;
  /* OIDC Discovery 4.1: remove a terminating '/', then append. */
  if (n && iss[n - 1] == '/')
    n--;
  err = door__buf_append(url, iss, n);
  if (!err)
    err = door__buf_puts(url, "/.well-known/openid-configuration");
  return err;
}

static door_err door__meta_fetch(void *ud, void **out, int64_t *max_age,
                                 door_detail *d) {
  door_provider *p = ud;
  door_meta *m = calloc(1, sizeof *m);
  door_buf url, body;
  door_err err;
  if (!m)
    return DOOR_ENOMEM;
  atomic_init(&m->refs, 1);
  m->m.max_age = -1;
  door__buf_init(&url, 4096);
  door__buf_init(&body, DOOR_HTTP_MAX_RESPONSE_BYTES);
  if (p->s.discovery) {
    err = door__discovery_url(p, &url);
    if (!err)
      err = door__fetch_json_doc(p, DOOR_TX_DISCOVERY, door__buf_str(&url),
                                 "discovery", &body, max_age, d);
    if (!err)
      err = door__discovery_parse(
          body.data ? body.data : "", body.len, p->s.issuer,
          p->rp->cfg->broker.allow_insecure_loopback, &m->m, d);
    if (err)
      goto out;
  } else {
    m->m.issuer = strdup(p->s.issuer);
    if (!m->m.issuer) {
      err = DOOR_ENOMEM;
      goto out;
    }
    *max_age = INT64_MAX / 4; /* configuration only: never stale */
  }
  err = door__apply_config(p, &m->m, d);
  if (err)
    goto out;
  *out = m;
  m = NULL;
out:
  door__meta_unref(m);
  door__buf_free(&url);
  door__buf_free(&body);
  return err;
}

door_err door__provider_meta(door_provider *p, door_meta **out,
                             door_detail *d) {
  void *v = NULL;
  door_err err = door__cache_get(&p->meta, &v, d);
  *out = v;
  return err;
}

static door_err door__jwks_fetch(void *ud, void **out, int64_t *max_age,
                                 door_detail *d) {
  door_provider *p = ud;
  door_meta *m = NULL;
  door_jwks *set = NULL;
  door_buf body;
  door_err err;
  door__buf_init(&body, DOOR_HTTP_MAX_RESPONSE_BYTES);
  err = door__provider_meta(p, &m, d);
  if (err)
    goto out;
  if (!m->m.jwks_uri) {
    err = door_detail_set(d, DOOR_EDISCOVERY, "jwks_uri",
                          "the provider publishes no key set",
                          "configure jwks_uri");
    goto out;
  }
  err = door__fetch_json_doc(p, DOOR_TX_JWKS, m->m.jwks_uri, "jwks_uri", &body,
                             max_age, d);
  if (!err)
    err = door__jwks_parse(body.data ? body.data : "", body.len, &set, d);
  if (!err)
    *out = set;
out:
  door__meta_unref(m);
  door__buf_free(&body);
  return err;
}

door_err door__provider_verify(void *ud, const door_jws *jws, door_detail *d) {
  door_provider *p = ud;
  if (jws->alg == DOOR_ALG_HS256) {
    door_err err;
    /* HS256: the client secret, never a key from the JWKS. */
    if (!p->hs_key)
      return door_detail_set(d, DOOR_EALG_NOT_ALLOWED, "alg",
                             "HS256 is not accepted from this provider", NULL);
    err = door__jws_verify(jws, p->hs_key, DOOR_ALG_HS256);
    if (err)
      door_detail_set(d, err, "signature",
                      "the ID token's HS256 signature does not verify with "
                      "the client secret",
                      "check client_secret for this provider");
    return err;
  }
  return door__jwks_cache_verify(&p->jwks_home->jwks, jws,
                                 p->s.allowed_algs & ~(unsigned)DOOR_ALG_HS256,
                                 d);
}

static door_err door__settings_from_config(door_provider *p, door_detail *d) {
  const door_provider_config *c = p->cfg;
  door_provider_settings *s = &p->s;
  size_t i;
  memset(s, 0, sizeof *s);
  s->name = c->name;
  s->display_name = c->display_name ? c->display_name : c->name;
  s->issuer = c->issuer;
  s->client_id = c->client_id;
  if (c->client_secret && c->client_secret->value) {
    s->client_secret = c->client_secret->value;
    s->client_secret_len = c->client_secret->len;
  }
  for (i = 0; i < c->allowed_algs.n; i++) {
    const char *a = c->allowed_algs.items[i];
    door_alg alg = door__alg_from_name(a, strlen(a));
    if (alg == DOOR_ALG_UNKNOWN)
      return door_detail_set(d, DOOR_ECONFIG_VALUE, "allowed_algs",
                             "an algorithm in allowed_algs is unknown", NULL);
    s->allowed_algs |= (unsigned)alg;
  }
  s->client_auth = (door_client_auth)c->token_auth_method;
  s->userinfo = c->userinfo;
  s->pkce = c->pkce;
  s->discovery = c->discovery;
  s->hs256_client_secret =
      (s->allowed_algs & DOOR_ALG_HS256) && s->client_secret != NULL;
  s->id_token_max_age = c->id_token_max_age;
  return DOOR_OK;
}

static const char *door__type_name(const door_provider_config *c) {
  if (c->type < 0 || (size_t)c->type >= door__config_nprovider_types)
    return "";
  return door__config_provider_types[c->type].name;
}

door_err door__provider_init(door_rp *rp, door_provider *p,
                             const door_provider_config *cfg, door_detail *d) {
  door_cache_config cc;
  door_buf uri;
  door_err err;
  memset(p, 0, sizeof *p);
  p->rp = rp;
  p->cfg = cfg;
  p->ops = door_provider_find(door__type_name(cfg));
  if (!p->ops)
    return door_detail_set(d, DOOR_EUNSUPPORTED, cfg->name,
                           "this provider type was not built into doorauth",
                           "rebuild with it in the meson option providers");
  err = door__settings_from_config(p, d);
  if (err)
    return err;
  if (p->ops->state_size) {
    p->state = calloc(1, p->ops->state_size);
    if (!p->state)
      return DOOR_ENOMEM;
  }
  err = p->ops->configure(p->state, cfg, &p->s, d);
  if (err)
    return err;
  if (p->s.client_auth == DOOR_PRIVATE_KEY_JWT) {
    err = door__client_key_load(p, d);
    if (err)
      return err;
  } else if (!p->s.client_secret)
    return door_detail_set(d, DOOR_ECONFIG_MISSING, "client_secret",
                           "this provider needs a client secret", NULL);
  err = door__manifest_build(p, d);
  if (err)
    return err;
  if (!p->s.hs256_client_secret)
    p->s.allowed_algs &= ~(unsigned)DOOR_ALG_HS256;
  if (!p->s.allowed_algs)
    return door_detail_set(d, DOOR_ECONFIG_VALUE, "allowed_algs",
                           "no ID-token algorithm is left to accept",
                           "list RS256, PS256 or ES256 in allowed_algs");
  if (p->s.hs256_client_secret) {
    err = door__jwk_from_secret(p->s.client_secret, p->s.client_secret_len,
                                NULL, &p->hs_key);
    if (err)
      return door_detail_set(d, err, "client_secret",
                             "the client secret cannot key HS256", NULL);
  }
  door__buf_init(&uri, 2048);
  err = door__buf_puts(&uri, rp->base);
  if (!err)
    err = door__buf_puts(&uri, "/callback/");
  if (!err)
    err = door__buf_puts(&uri, cfg->name);
  if (!err) {
    p->redirect_uri = door__buf_detach(&uri);
    if (!p->redirect_uri)
      err = DOOR_ENOMEM;
  }
  door__buf_free(&uri);
  if (err)
    return err;
  memset(&cc, 0, sizeof cc);
  cc.fetch = door__meta_fetch;
  cc.fetch_ud = p;
  cc.ref = door__meta_cache_ref;
  cc.unref = door__meta_cache_unref;
  cc.clock = door__provider_clock;
  cc.clock_ud = rp;
  err = door__cache_init(&p->meta, &cc);
  if (err)
    return err;
  cc.fetch = door__jwks_fetch;
  cc.ref = door__jwks_cache_ref;
  cc.unref = door__jwks_cache_unref;
  err = door__cache_init(&p->jwks, &cc);
  if (err) {
    door__cache_destroy(&p->meta);
    return err;
  }
  p->cache_ready = 1;
  return DOOR_OK;
}

void door__provider_free(door_provider *p) {
  if (!p)
    return;
  if (p->cache_ready) {
    door__cache_destroy(&p->jwks);
    door__cache_destroy(&p->meta);
  }
  if (p->ops && p->ops->release && p->state)
    p->ops->release(p->state);
  free(p->state);
  door__jwk_unref(p->hs_key);
  door__jwk_unref(p->client_key);
  free(p->redirect_uri);
  door__manifest_free(p);
  memset(p, 0, sizeof *p);
}
