/* The relying-party context: configuration, HTTP client, replay guard,
 * cookie key and the configured providers. */
#include "oidc/outbound.h"
#include "oidc/rp_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void door_rp_options_init(door_rp_options *o) {
  if (o)
    memset(o, 0, sizeof *o);
}

int64_t door__rp_now(const door_rp *rp) {
  if (rp->clock)
    return rp->clock(rp->clock_ud);
  return (int64_t)time(NULL);
}

door_provider *door__rp_provider(const door_rp *rp, const char *name) {
  size_t i;
  if (!name)
    return NULL;
  for (i = 0; i < rp->nproviders; i++)
    if (strcmp(rp->providers[i].s.name, name) == 0)
      return &rp->providers[i];
  return NULL;
}

void door__login_log_fail(const door_rp *rp, const char *event,
                          const char *provider, const door_detail *d) {
  door__log(rp->log, DOOR_LOG_WARN, event, "provider", provider, "err",
            door_err_name(d->code), "what", d->what, "where", d->where, NULL);
}

static door_err door__rp_public_url(door_rp *rp, door_detail *d) {
  const char *pu = rp->cfg->broker.public_url;
  door_url u;
  door_buf b;
  size_t n;
  door_err err;
  if (!pu)
    return door_detail_set(d, DOOR_ECONFIG_MISSING, "public_url",
                           "[broker] public_url is needed for logins", NULL);
  err = door__url_parse(pu, &u, d);
  if (err)
    return err;
  door__buf_init(&b, 2048);
  rp->secure = strcmp(u.scheme, "https") == 0;
  err = door__url_origin(&u, &b);
  door__url_free(&u);
  if (!err) {
    rp->own_origin = door__buf_detach(&b);
    if (!rp->own_origin)
      err = DOOR_ENOMEM;
  }
  door__buf_free(&b);
  if (err)
    return err;
  n = strlen(pu);
  while (n && pu[n - 1] == '/')
    n--;
  rp->base = strndup(pu, n);
  return rp->base ? DOOR_OK : DOOR_ENOMEM;
}

static int door__same_opt(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Key sets are cached per issuer: a provider whose issuer and jwks_uri
 * setting equal an earlier provider's uses that provider's JWKS cache. */
static void door__rp_share_jwks(door_rp *rp) {
  size_t i, j;
  for (i = 0; i < rp->nproviders; i++) {
    door_provider *p = &rp->providers[i];
    p->jwks_home = p;
    for (j = 0; j < i; j++) {
      const door_provider_config *a = rp->providers[j].cfg;
      if (strcmp(a->issuer, p->cfg->issuer) == 0 &&
          door__same_opt(a->jwks_uri, p->cfg->jwks_uri)) {
        p->jwks_home = rp->providers[j].jwks_home;
        break;
      }
    }
  }
}

door_err door_rp_new(const struct door_config *cfg, const door_rp_options *o,
                     door_rp **out, door_detail *d) {
  door_rp *rp;
  unsigned char key[32];
  size_t i;
  door_err err;
  *out = NULL;
  if (!cfg)
    return DOOR_EINVAL;
  rp = calloc(1, sizeof *rp);
  if (!rp)
    return DOOR_ENOMEM;
  rp->cfg = cfg;
  if (o) {
    rp->http = o->http;
    rp->log = o->log;
    rp->clock = o->clock;
    rp->clock_ud = o->clock_ud;
    rp->transmitted = o->transmitted;
    rp->transmitted_ud = o->transmitted_ud;
    if (o->replay)
      rp->replay = *o->replay;
  }
  rp->login_timeout =
      cfg->broker.login_timeout > 0 ? cfg->broker.login_timeout : 600;
  rp->leeway = cfg->broker.clock_skew >= 0 ? cfg->broker.clock_skew : 60;
  err = door__rp_public_url(rp, d);
  if (err)
    goto out;
  if (!cfg->broker.cookie_key) {
    err = door_detail_set(d, DOOR_ECONFIG_MISSING, "cookie_key",
                          "[broker] cookie_key is needed to seal logins",
                          "generate 32 random bytes, base64url-encoded");
    goto out;
  }
  err = door__config_key32(cfg->broker.cookie_key, key);
  if (!err)
    err = door__sealer_init(&rp->sealer, key, sizeof key);
  OPENSSL_cleanse(key, sizeof key);
  if (err) {
    door_detail_set(d, err, "cookie_key", "cookie_key is not usable",
                    "use 32 bytes in base64url or hex");
    goto out;
  }
  if (!rp->http) {
    door_http_options ho;
    door__http_options_init(&ho);
    ho.ca_file = cfg->broker.ca_file;
    ho.allow_insecure_loopback = cfg->broker.allow_insecure_loopback;
    ho.log = rp->log;
    err = door__http_new(&ho, &rp->own_http, d);
    if (err)
      goto out;
    rp->http = rp->own_http;
  }
  if (!rp->replay.consume) {
    err = door_replay_mem_new(0, rp->clock, rp->clock_ud, &rp->own_replay);
    if (err)
      goto out;
    rp->replay = door_replay_mem_guard(rp->own_replay);
  }
  if (cfg->nproviders) {
    rp->providers = calloc(cfg->nproviders, sizeof *rp->providers);
    if (!rp->providers) {
      err = DOOR_ENOMEM;
      goto out;
    }
  }
  for (i = 0; i < cfg->nproviders; i++) {
    rp->nproviders = i + 1;
    err = door__provider_init(rp, &rp->providers[i], &cfg->providers[i], d);
    if (err)
      goto out;
  }
  door__rp_share_jwks(rp);
  *out = rp;
  rp = NULL;
out:
  door_rp_free(rp);
  return err;
}

void door_rp_free(door_rp *rp) {
  size_t i;
  if (!rp)
    return;
  for (i = 0; i < rp->nproviders; i++)
    door__provider_free(&rp->providers[i]);
  free(rp->providers);
  door__http_free(rp->own_http);
  door_replay_mem_free(rp->own_replay);
  door__sealer_wipe(&rp->sealer);
  free(rp->own_origin);
  free(rp->base);
  free(rp);
}

door_err door_login_redirect_uri(const door_rp *rp, const char *provider,
                                 char *out, size_t cap) {
  const door_provider *p = door__rp_provider(rp, provider);
  size_t n;
  if (!p)
    return DOOR_EPROVIDER_UNKNOWN;
  n = strlen(p->redirect_uri);
  if (n >= cap)
    return DOOR_ETOOBIG;
  memcpy(out, p->redirect_uri, n + 1);
  return DOOR_OK;
}

door_err door_rp_entitlement(door_rp *rp, const char *provider,
                             const char *access_token, const char *event_id,
                             door_txlog *tx, door_entitlement *out,
                             door_detail *d) {
  door_provider *p = rp ? door__rp_provider(rp, provider) : NULL;
  door_provider_call call;
  door_outbound_hook hook;
  door_err err;
  if (out)
    memset(out, 0, sizeof *out);
  if (!rp || !out || !access_token || !event_id)
    return DOOR_EINVAL;
  if (!p)
    return door_detail_set(d, DOOR_EPROVIDER_UNKNOWN, provider,
                           "no provider of that name is configured", NULL);
  if (!p->ops->entitlement || !(p->ops->caps & DOOR_PCAP_ENTITLEMENT))
    return door_detail_set(d, DOOR_EUNSUPPORTED, provider,
                           "this provider has no ticket check", NULL);
  hook.p = p;
  hook.tx = tx;
  memset(&call, 0, sizeof call);
  call.send = door__outbound_hook_send;
  call.send_ud = &hook;
  call.log = rp->log;
  call.settings = &p->s;
  call.now = door__rp_now(rp);
  err = p->ops->entitlement(p->state, &call, access_token, event_id, out, d);
  if (err) {
    memset(out, 0, sizeof *out);
    if (d)
      door__login_log_fail(rp, "entitlement.fail", provider, d);
  }
  return err;
}
