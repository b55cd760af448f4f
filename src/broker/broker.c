/* The broker: configuration generations, the store and its replay guard,
 * replies, provider listings and people-facing errors (see
 * doorauth/broker.h and broker/broker_int.h). */
#include "broker/broker_int.h"
#include "oidc/logout.h"
#include "util/url.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An end-session endpoint lookup is trusted this long; a failed first
 * lookup is retried after DOOR_ES_RETRY. */
#define DOOR_ES_TTL 3600
#define DOOR_ES_RETRY 60

/* ---- configuration for embedders ------------------------------------------
 */

door_err door_config_load(const char *path, door_config **out, door_detail *d) {
  door_errlist errs;
  size_t i;
  door_err err;
  if (!out)
    return DOOR_EINVAL;
  *out = NULL;
  if (!path)
    return door_detail_set(d, DOOR_EINVAL, "path", "no configuration file",
                           NULL);
  door__errlist_init(&errs);
  err = door__config_load(path, out, &errs);
  if (err) {
    for (i = 0; i < errs.n; i++) {
      if (errs.items[i].level == DOOR_DIAG_ERROR) {
        if (d)
          *d = errs.items[i].d;
        break;
      }
    }
    if (i == errs.n)
      door_detail_set(d, err, path, "the configuration could not be loaded",
                      "run door-broker --config FILE check");
  }
  door__errlist_free(&errs);
  return err;
}

void door_config_free(door_config *cfg) { door__config_free(cfg); }

/* ---- small things ---------------------------------------------------------
 */

void door_broker_options_init(door_broker_options *o) {
  if (o)
    memset(o, 0, sizeof *o);
}

int64_t door__broker_now(const door_broker *b) {
  if (b->opt.clock)
    return b->opt.clock(b->opt.clock_ud);
  return (int64_t)time(NULL);
}

void door_broker_reply_clear(door_broker_reply *r) {
  size_t i;
  if (!r)
    return;
  free(r->location);
  for (i = 0; i < r->n_set_cookie && i < DOOR_BROKER_MAX_COOKIES; i++) {
    if (r->set_cookie[i]) {
      OPENSSL_cleanse(r->set_cookie[i], strlen(r->set_cookie[i]));
      free(r->set_cookie[i]);
    }
  }
  memset(r, 0, sizeof *r);
}

door_err door__reply_cookie(door_broker_reply *r, door_buf *value) {
  char *v;
  if (r->n_set_cookie >= DOOR_BROKER_MAX_COOKIES)
    return DOOR_ETOOBIG;
  v = door__buf_detach(value);
  if (!v)
    return DOOR_ENOMEM;
  r->set_cookie[r->n_set_cookie++] = v;
  return DOOR_OK;
}

door_err door__st_done(door_broker *b, int op, uint64_t started, door_err err) {
  uint64_t now = door__m_now_us();
  if (op >= 0 && op < DOOR_M_ST_COUNT_)
    door__m_hist_observe(&b->metrics.store[op],
                         now > started ? now - started : 0);
  if (err == DOOR_ESTORE || err == DOOR_ESTORE_BUSY ||
      err == DOOR_ESTORE_UNAVAILABLE || err == DOOR_ESTORE_CORRUPT ||
      err == DOOR_EIO || err == DOOR_ENOMEM)
    atomic_fetch_add(&b->metrics.store_errors, 1);
  return err;
}

/* The replay guard of door_rp: the key joins the logins in flight and is
 * checked against the store's used_states (read only); the login commit
 * consumes it (login.c), so one-time use holds across every broker sharing
 * the store without a write of its own. */
static door_err door__replay_consume(void *ud, const char *key,
                                     int64_t expires_at) {
  door_broker *b = ud;
  uint64_t t0;
  int used = 0;
  door_err err =
      door__inflight_add(&b->inflight, key, expires_at, door__broker_now(b));
  if (err)
    return err;
  err = DOOR__ST(b, t0, DOOR_M_ST_STATE,
                 door__store_state_used(b->store, key, &used, NULL));
  if (err || used) {
    door__inflight_remove(&b->inflight, key);
    return err ? err : DOOR_ELOGIN_REPLAYED;
  }
  return DOOR_OK;
}

static void door__broker_sink(void *ud, door_log_level level, const char *line,
                              size_t len) {
  door_broker *b = ud;
  b->opt.log_sink(b->opt.log_ud, (int)level, line, len);
}

static void door__log_setup(door_broker *b, door_log *lg,
                            const door_config *cfg) {
  door__log_init(lg, b->opt.log_program ? b->opt.log_program : "doorauth");
  lg->min_level = (door_log_level)cfg->broker.log_level;
  lg->format = (door_log_format)cfg->broker.log_format;
  if (b->opt.log_sink) {
    lg->sink = door__broker_sink;
    lg->sink_ud = b;
  }
}

/* ---- generations ------------------------------------------------------------
 */

static void door__bgen_free(door__bgen *g) {
  size_t i;
  if (!g)
    return;
  door_rp_free(g->rp);
  for (i = 0; i < g->nes; i++) {
    pthread_mutex_destroy(&g->es[i].mu);
    free(g->es[i].url);
  }
  free(g->es);
  free(g->base);
  free(g->origin);
  OPENSSL_cleanse(g->hint_key, sizeof g->hint_key);
  door__config_free(g->cfg);
  free(g);
}

door__bgen *door__bgen_get(door_broker *b) {
  door__bgen *g;
  pthread_mutex_lock(&b->mu);
  g = b->gen;
  atomic_fetch_add(&g->refs, 1);
  pthread_mutex_unlock(&b->mu);
  return g;
}

void door__bgen_put(door__bgen *g) {
  if (g && atomic_fetch_sub(&g->refs, 1) == 1)
    door__bgen_free(g);
}

static door_err door__bgen_urls(door__bgen *g, door_detail *d) {
  const char *pu = g->cfg->broker.public_url;
  door_url u;
  door_buf b;
  size_t n;
  door_err err;
  if (!pu)
    return door_detail_set(d, DOOR_ECONFIG_MISSING, "public_url",
                           "[broker] public_url is needed", NULL);
  if ((err = door__url_parse(pu, &u, d)))
    return err;
  g->secure = strcmp(u.scheme, "https") == 0;
  door__buf_init(&b, 2048);
  err = door__url_origin(&u, &b);
  door__url_free(&u);
  if (!err && !(g->origin = door__buf_detach(&b)))
    err = DOOR_ENOMEM;
  door__buf_free(&b);
  if (err)
    return err;
  n = strlen(pu);
  while (n && pu[n - 1] == '/')
    n--;
  g->base = strndup(pu, n);
  return g->base ? DOOR_OK : DOOR_ENOMEM;
}

/* Builds a generation from cfg (taken, also on failure). */
static door_err door__bgen_new(door_broker *b, door_config *cfg,
                               door__bgen **out, door_detail *d) {
  door__bgen *g = calloc(1, sizeof *g);
  door_rp_options ro;
  size_t i;
  door_err err;
  *out = NULL;
  if (!g) {
    door__config_free(cfg);
    return DOOR_ENOMEM;
  }
  atomic_init(&g->refs, 1);
  g->cfg = cfg;
  door__log_setup(b, &g->log, cfg);
  if ((err = door__bgen_urls(g, d)))
    goto out;
  if ((err = door__hint_key(cfg, g->hint_key))) {
    door_detail_set(d, err, "cookie_key",
                    "[broker] cookie_key is missing or not 32 bytes",
                    "generate one with: openssl rand -hex 32");
    goto out;
  }
  if (cfg->nproviders) {
    g->es = calloc(cfg->nproviders, sizeof *g->es);
    if (!g->es) {
      err = DOOR_ENOMEM;
      goto out;
    }
    for (i = 0; i < cfg->nproviders; i++) {
      pthread_mutex_init(&g->es[i].mu, NULL);
      g->nes = i + 1;
    }
  }
  door_rp_options_init(&ro);
  ro.log = &g->log;
  ro.replay = &b->replay;
  ro.clock = b->opt.clock;
  ro.clock_ud = b->opt.clock_ud;
  g->b = b; /* the broker outlives its generations */
  ro.transmitted = door__broker_transmitted;
  ro.transmitted_ud = g;
  err = door_rp_new(cfg, &ro, &g->rp, d);
  if (err)
    goto out;
  *out = g;
  g = NULL;
out:
  door__bgen_free(g);
  return err;
}

const door_provider_config *door__bgen_provider(const door__bgen *g,
                                                const char *name) {
  return name ? door__config_provider(g->cfg, name) : NULL;
}

const char *door__bgen_display(const door__bgen *g, const char *name) {
  const door_provider_config *p = door__bgen_provider(g, name);
  if (!p)
    return name ? name : "";
  return p->display_name ? p->display_name : p->name;
}

/* ---- the broker
 * ---------------------------------------------------------------
 */

door_err door_broker_new(door_config *cfg, const door_broker_options *o,
                         door_broker **out, door_detail *d) {
  door_broker *b;
  door_store_options so;
  door_err err;
  if (!out) {
    door__config_free(cfg);
    return DOOR_EINVAL;
  }
  *out = NULL;
  if (!cfg)
    return DOOR_EINVAL;
  b = calloc(1, sizeof *b);
  if (!b) {
    door__config_free(cfg);
    return DOOR_ENOMEM;
  }
  if (o)
    b->opt = *o;
  if (pthread_mutex_init(&b->mu, NULL)) {
    free(b);
    door__config_free(cfg);
    return DOOR_ENOMEM;
  }
  if ((err = door__metrics_init(&b->metrics))) {
    pthread_mutex_destroy(&b->mu);
    free(b);
    door__config_free(cfg);
    return err;
  }
  if ((err = door__inflight_init(&b->inflight))) {
    door__metrics_destroy(&b->metrics);
    pthread_mutex_destroy(&b->mu);
    free(b);
    door__config_free(cfg);
    return err;
  }
  door__log_setup(b, &b->log, cfg);
  b->replay.consume = door__replay_consume;
  b->replay.ud = b;
  if (!cfg->store.url) {
    door__config_free(cfg);
    err = door_detail_set(d, DOOR_ECONFIG_MISSING, "[store] url",
                          "the broker needs a store", "set [store] url");
    goto fail;
  }
  door__store_options_init(&so);
  so.log = &b->log;
  if (cfg->store.pool_size > 0)
    so.max_connections = (size_t)cfg->store.pool_size;
  err = door__store_open(cfg->store.url, &so, &b->store, d);
  if (err) {
    door__config_free(cfg);
    goto fail;
  }
  err = door__bgen_new(b, cfg, &b->gen, d);
  if (err)
    goto fail;
  *out = b;
  return DOOR_OK;
fail:
  door_broker_free(b);
  return err;
}

door_err door_broker_reload(door_broker *b, door_config *cfg, door_detail *d) {
  door__bgen *g = NULL, *old;
  door_detail local;
  door_err err;
  if (!d)
    d = &local;
  door_detail_clear(d);
  if (!b || !cfg) {
    door__config_free(cfg);
    return DOOR_EINVAL;
  }
  old = door__bgen_get(b);
  if (cfg->store.url && old->cfg->store.url &&
      strcmp(cfg->store.url, old->cfg->store.url) != 0)
    door__log(&b->log, DOOR_LOG_WARN, "broker.reload_store_ignored", "hint",
              "[store] url changes take effect after a restart", NULL);
  door__bgen_put(old);
  err = door__bgen_new(b, cfg, &g, d);
  if (err) {
    door__log_detail(&b->log, DOOR_LOG_ERROR, "broker.reload_failed", d);
    return err;
  }
  pthread_mutex_lock(&b->mu);
  old = b->gen;
  b->gen = g;
  pthread_mutex_unlock(&b->mu);
  door__bgen_put(old);
  door__log(&g->log, DOOR_LOG_INFO, "broker.reloaded", NULL);
  return DOOR_OK;
}

void door_broker_free(door_broker *b) {
  if (!b)
    return;
  door__bgen_put(b->gen);
  door__store_close(b->store);
  door__metrics_destroy(&b->metrics);
  door__inflight_destroy(&b->inflight);
  pthread_mutex_destroy(&b->mu);
  free(b);
}

/* ---- providers and URLs
 * -------------------------------------------------------
 */

static void door__copy(char *dst, size_t cap, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, src ? src : "", n);
  dst[n] = '\0';
}

size_t door_broker_providers(door_broker *b, door_broker_provider_info *out,
                             size_t cap) {
  door__bgen *g;
  size_t i, n;
  if (!b)
    return 0;
  g = door__bgen_get(b);
  n = g->cfg->nproviders;
  for (i = 0; out && i < n && i < cap; i++) {
    const door_provider_config *p = &g->cfg->providers[i];
    door__copy(out[i].name, sizeof out[i].name, p->name);
    door__copy(out[i].display_name, sizeof out[i].display_name,
               p->display_name ? p->display_name : p->name);
    door__copy(out[i].type, sizeof out[i].type,
               p->type >= 0 && (size_t)p->type < door__config_nprovider_types
                   ? door__config_provider_types[p->type].name
                   : "");
  }
  door__bgen_put(g);
  return n;
}

size_t door_broker_events(door_broker *b, door_broker_event_info *out,
                          size_t cap) {
  door__bgen *g;
  size_t i, n;
  if (!b)
    return 0;
  g = door__bgen_get(b);
  n = g->cfg->nevents;
  for (i = 0; out && i < n && i < cap; i++) {
    const door_event_config *e = &g->cfg->events[i];
    door__copy(out[i].id, sizeof out[i].id, e->id);
    door__copy(out[i].title, sizeof out[i].title,
               e->title && *e->title ? e->title : e->id);
  }
  door__bgen_put(g);
  return n;
}

door_err door_broker_redirect_uri(door_broker *b, const char *provider,
                                  char *out, size_t cap) {
  door__bgen *g;
  door_err err;
  if (!b || !out)
    return DOOR_EINVAL;
  g = door__bgen_get(b);
  err = door_login_redirect_uri(g->rp, provider, out, cap);
  door__bgen_put(g);
  return err;
}

int door_broker_is_secure(door_broker *b) {
  door__bgen *g;
  int s;
  if (!b)
    return 0;
  g = door__bgen_get(b);
  s = g->secure;
  door__bgen_put(g);
  return s;
}

door_err door_broker_origin_check(door_broker *b, const char *origin) {
  door__bgen *g;
  door_err err = DOOR_OK;
  if (!b)
    return DOOR_EINVAL;
  if (!origin)
    return DOOR_OK;
  g = door__bgen_get(b);
  if (strcmp(origin, g->origin) != 0)
    err = DOOR_EBROKER_CSRF;
  door__bgen_put(g);
  return err;
}

door_err door__end_session_endpoint(door_broker *b, door__bgen *g,
                                    const char *provider, char **url,
                                    door_detail *d) {
  const door_provider_config *p = door__bgen_provider(g, provider);
  door__es_entry *e;
  int64_t now = door__broker_now(b);
  door_buf u;
  door_err err = DOOR_OK;
  *url = NULL;
  if (!p)
    return DOOR_EPROVIDER_UNKNOWN;
  e = &g->es[p - g->cfg->providers];
  pthread_mutex_lock(&e->mu);
  if (!e->state || now - e->checked_at >= DOOR_ES_TTL) {
    door__buf_init(&u, 8192);
    err = door__rp_end_session_endpoint(g->rp, provider, &u, d);
    if (!err) {
      char *c = door__buf_detach(&u);
      if (c) {
        free(e->url);
        e->url = c;
        e->state = 1;
        e->checked_at = now;
      } else {
        err = DOOR_ENOMEM;
      }
    } else if (err == DOOR_ENOTFOUND) {
      e->state = 2;
      e->checked_at = now;
    } else if (e->state) {
      err = DOOR_OK; /* keep the last answer for now */
    } else {
      /* Never known: retry in a minute, not at every login. */
      e->state = 3;
      e->checked_at = now - DOOR_ES_TTL + DOOR_ES_RETRY;
    }
    door__buf_free(&u);
  }
  if (!err && (e->state == 2 || e->state == 3))
    err = DOOR_ENOTFOUND;
  if (!err && e->state == 1 && !(*url = strdup(e->url)))
    err = DOOR_ENOMEM;
  pthread_mutex_unlock(&e->mu);
  return err;
}
