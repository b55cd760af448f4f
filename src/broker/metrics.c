/* Metrics: lock-free counters and histograms kept by the broker, written
 * in the Prometheus text exposition format (0.0.4). */
#include "broker/broker_int.h"
#include "oidc/logout.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 1 ms .. 10 s. */
const uint64_t door__m_bounds_us[DOOR_M_BUCKETS] = {
    1000,   2500,   5000,   10000,   25000,   50000,
    100000, 250000, 500000, 1000000, 2500000, 10000000};

static const char *const door__m_store_ops[] = {
    "login_identity", "link_identity",  "unlink_identity", "session_create",
    "session_get",    "session_delete", "account_get",     "state_consume",
    "audit_append",   "admin"};
/* A name for every operation: a new one must be named here too. */
_Static_assert(sizeof door__m_store_ops / sizeof door__m_store_ops[0] ==
                   DOOR_M_ST_COUNT_,
               "door__m_store_ops");

static const char *const door__m_ok_names[DOOR_M_OK_COUNT_] = {"ok", "created",
                                                               "linked"};

door_err door__metrics_init(door_metrics *m) {
  size_t i, j;
  memset(m, 0, sizeof *m);
  if (pthread_mutex_init(&m->mu, NULL))
    return DOOR_ENOMEM;
  /* The atomics of a zeroed struct are valid zero counters; initialise
   * them explicitly all the same. */
  for (i = 0; i < DOOR_M_PROVIDERS; i++) {
    door_m_provider *p = &m->providers[i];
    for (j = 0; j < DOOR_M_OK_COUNT_; j++)
      atomic_init(&p->ok[j], 0);
    for (j = 0; j < DOOR_ERR_COUNT_; j++)
      atomic_init(&p->failed[j], 0);
  }
  return DOOR_OK;
}

void door__metrics_destroy(door_metrics *m) { pthread_mutex_destroy(&m->mu); }

door_m_provider *door__metrics_provider(door_metrics *m, const char *name) {
  size_t i, n;
  door_m_provider *p = NULL;
  if (!name || !*name || (n = strlen(name)) > DOOR_STORE_PROVIDER_MAX)
    return NULL;
  pthread_mutex_lock(&m->mu);
  for (i = 0; i < DOOR_M_PROVIDERS; i++) {
    if (!m->providers[i].name[0]) {
      memcpy(m->providers[i].name, name, n + 1);
      p = &m->providers[i];
      break;
    }
    if (strcmp(m->providers[i].name, name) == 0) {
      p = &m->providers[i];
      break;
    }
  }
  pthread_mutex_unlock(&m->mu);
  return p;
}

void door__m_hist_observe(door_m_hist *h, uint64_t us) {
  size_t i;
  for (i = 0; i < DOOR_M_BUCKETS && us > door__m_bounds_us[i]; i++)
    ;
  atomic_fetch_add(&h->buckets[i], 1);
  atomic_fetch_add(&h->count, 1);
  atomic_fetch_add(&h->sum_us, us);
}

uint64_t door__m_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

door_err door__m_label(door_buf *out, const char *value) {
  door_err err = DOOR_OK;
  const char *s;
  for (s = value ? value : ""; !err && *s; s++) {
    if (*s == '\\')
      err = door__buf_puts(out, "\\\\");
    else if (*s == '"')
      err = door__buf_puts(out, "\\\"");
    else if (*s == '\n')
      err = door__buf_puts(out, "\\n");
    else
      err = door__buf_putc(out, *s);
  }
  return err;
}

door_err door__m_seconds(door_buf *out, uint64_t us) {
  char frac[7];
  uint64_t f = us % 1000000u;
  int i;
  door_err err = door__buf_put_u64(out, us / 1000000u);
  for (i = 5; i >= 0; i--) {
    frac[i] = (char)('0' + f % 10);
    f /= 10;
  }
  frac[6] = '\0';
  if (!err)
    err = door__buf_putc(out, '.');
  if (!err)
    err = door__buf_puts(out, frac);
  return err;
}

/* NAME{LABELS[,extra]} */
static door_err door__m_series(door_buf *out, const char *name,
                               const char *suffix, const char *labels,
                               const char *extra) {
  door_err err = door__buf_puts(out, name);
  int any = labels && *labels;
  if (!err)
    err = door__buf_puts(out, suffix);
  if (!err && (any || extra))
    err = door__buf_putc(out, '{');
  if (!err && any)
    err = door__buf_puts(out, labels);
  if (!err && extra && any)
    err = door__buf_putc(out, ',');
  if (!err && extra)
    err = door__buf_puts(out, extra);
  if (!err && (any || extra))
    err = door__buf_putc(out, '}');
  return err;
}

door_err door__m_hist_write(door_buf *out, const char *name, const char *labels,
                            const door_m_hist *h) {
  uint64_t cum = 0, count = atomic_load(&h->count);
  door_buf le;
  size_t i;
  door_err err = DOOR_OK;
  door__buf_init(&le, 64);
  for (i = 0; !err && i <= DOOR_M_BUCKETS; i++) {
    cum += atomic_load(&h->buckets[i]);
    door__buf_reset(&le);
    err = door__buf_puts(&le, "le=\"");
    if (!err && i < DOOR_M_BUCKETS)
      err = door__m_seconds(&le, door__m_bounds_us[i]);
    else if (!err)
      err = door__buf_puts(&le, "+Inf");
    if (!err)
      err = door__buf_putc(&le, '"');
    if (!err)
      err = door__m_series(out, name, "_bucket", labels, door__buf_str(&le));
    if (!err)
      err = door__buf_putc(out, ' ');
    /* Counts taken one by one may lag: never let +Inf drop below the
     * finite buckets. */
    if (!err)
      err = door__buf_put_u64(out,
                              i == DOOR_M_BUCKETS && count > cum ? count : cum);
    if (!err)
      err = door__buf_putc(out, '\n');
  }
  if (!err)
    err = door__m_series(out, name, "_sum", labels, NULL);
  if (!err)
    err = door__buf_putc(out, ' ');
  if (!err)
    err = door__m_seconds(out, atomic_load(&h->sum_us));
  if (!err)
    err = door__buf_putc(out, '\n');
  if (!err)
    err = door__m_series(out, name, "_count", labels, NULL);
  if (!err)
    err = door__buf_putc(out, ' ');
  if (!err)
    err = door__buf_put_u64(out, count > cum ? count : cum);
  if (!err)
    err = door__buf_putc(out, '\n');
  door__buf_free(&le);
  return err;
}

static door_err door__m_head(door_buf *out, const char *name, const char *type,
                             const char *help) {
  door_err err = door__buf_puts(out, "# HELP ");
  if (!err)
    err = door__buf_puts(out, name);
  if (!err)
    err = door__buf_putc(out, ' ');
  if (!err)
    err = door__buf_puts(out, help);
  if (!err)
    err = door__buf_puts(out, "\n# TYPE ");
  if (!err)
    err = door__buf_puts(out, name);
  if (!err)
    err = door__buf_putc(out, ' ');
  if (!err)
    err = door__buf_puts(out, type);
  if (!err)
    err = door__buf_putc(out, '\n');
  return err;
}

/* NAME{k1="v1"[,k2="v2"]} N */
static door_err door__m_sample(door_buf *out, const char *name, const char *k1,
                               const char *v1, const char *k2, const char *v2,
                               uint64_t n) {
  door_err err = door__buf_puts(out, name);
  if (!err && k1) {
    if ((err = door__buf_putc(out, '{')) || (err = door__buf_puts(out, k1)) ||
        (err = door__buf_puts(out, "=\"")) || (err = door__m_label(out, v1)) ||
        (err = door__buf_putc(out, '"')))
      return err;
    if (k2 &&
        ((err = door__buf_putc(out, ',')) || (err = door__buf_puts(out, k2)) ||
         (err = door__buf_puts(out, "=\"")) || (err = door__m_label(out, v2)) ||
         (err = door__buf_putc(out, '"'))))
      return err;
    err = door__buf_putc(out, '}');
  }
  if (!err)
    err = door__buf_putc(out, ' ');
  if (!err)
    err = door__buf_put_u64(out, n);
  if (!err)
    err = door__buf_putc(out, '\n');
  return err;
}

/* Lowercase error name as an outcome label. */
static void door__m_outcome(door_err e, char *out, size_t cap) {
  const char *s = door_err_name(e);
  size_t i;
  for (i = 0; s[i] && i + 1 < cap; i++)
    out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
  out[i] = '\0';
}

static door_err door__m_logins(door_buf *out, door_metrics *m) {
  char oc[64];
  size_t i, j;
  door_err err = door__m_head(out, "door_logins_total", "counter",
                              "Finished logins by provider and outcome "
                              "(ok, created, linked, or the error).");
  for (i = 0; !err && i < DOOR_M_PROVIDERS && m->providers[i].name[0]; i++) {
    door_m_provider *p = &m->providers[i];
    for (j = 0; !err && j < DOOR_M_OK_COUNT_; j++)
      err = door__m_sample(out, "door_logins_total", "provider", p->name,
                           "outcome", door__m_ok_names[j],
                           atomic_load(&p->ok[j]));
    for (j = 1; !err && j < DOOR_ERR_COUNT_; j++) {
      uint64_t n = atomic_load(&p->failed[j]);
      if (!n)
        continue;
      door__m_outcome((door_err)j, oc, sizeof oc);
      err = door__m_sample(out, "door_logins_total", "provider", p->name,
                           "outcome", oc, n);
    }
  }
  if (!err)
    err = door__m_head(out, "door_login_begins_total", "counter",
                       "Logins begun by provider and outcome.");
  for (i = 0; !err && i < DOOR_M_PROVIDERS && m->providers[i].name[0]; i++) {
    door_m_provider *p = &m->providers[i];
    err = door__m_sample(out, "door_login_begins_total", "provider", p->name,
                         "outcome", "ok", atomic_load(&p->begins));
    if (!err)
      err = door__m_sample(out, "door_login_begins_total", "provider", p->name,
                           "outcome", "failed", atomic_load(&p->begin_failed));
  }
  if (!err)
    err = door__m_head(out, "door_login_finish_seconds", "histogram",
                       "Time to finish a login (code exchange, token "
                       "checks, account mapping, session).");
  for (i = 0; !err && i < DOOR_M_PROVIDERS && m->providers[i].name[0]; i++) {
    door_buf lab;
    door__buf_init(&lab, 256);
    err = door__buf_puts(&lab, "provider=\"");
    if (!err)
      err = door__m_label(&lab, m->providers[i].name);
    if (!err)
      err = door__buf_putc(&lab, '"');
    if (!err)
      err = door__m_hist_write(out, "door_login_finish_seconds",
                               door__buf_str(&lab), &m->providers[i].finish);
    door__buf_free(&lab);
  }
  return err;
}

static door_err door__m_logouts(door_buf *out, door_metrics *m) {
  size_t i;
  door_err err = door__m_head(out, "door_logouts_total", "counter",
                              "Sessions ended by a logout here.");
  if (!err)
    err = door__m_sample(out, "door_logouts_total", NULL, NULL, NULL, NULL,
                         atomic_load(&m->logouts));
  if (!err)
    err = door__m_head(out, "door_backchannel_logouts_total", "counter",
                       "Back-channel logout requests by provider and "
                       "outcome.");
  for (i = 0; !err && i < DOOR_M_PROVIDERS && m->providers[i].name[0]; i++) {
    door_m_provider *p = &m->providers[i];
    err = door__m_sample(out, "door_backchannel_logouts_total", "provider",
                         p->name, "outcome", "ok", atomic_load(&p->bcl_ok));
    if (!err)
      err = door__m_sample(out, "door_backchannel_logouts_total", "provider",
                           p->name, "outcome", "refused",
                           atomic_load(&p->bcl_failed));
  }
  if (!err)
    err = door__m_head(out, "door_backchannel_sessions_ended_total", "counter",
                       "Sessions ended by back-channel logouts.");
  for (i = 0; !err && i < DOOR_M_PROVIDERS && m->providers[i].name[0]; i++)
    err = door__m_sample(out, "door_backchannel_sessions_ended_total",
                         "provider", m->providers[i].name, NULL, NULL,
                         atomic_load(&m->providers[i].bcl_sessions));
  return err;
}

static door_err door__m_store(door_buf *out, door_metrics *m) {
  size_t i;
  door_err err = door__m_head(out, "door_store_call_seconds", "histogram",
                              "Latency of store calls by operation.");
  for (i = 0; !err && i < DOOR_M_ST_COUNT_; i++) {
    door_buf lab;
    door__buf_init(&lab, 128);
    err = door__buf_puts(&lab, "op=\"");
    if (!err)
      err = door__buf_puts(&lab, door__m_store_ops[i]);
    if (!err)
      err = door__buf_putc(&lab, '"');
    if (!err)
      err = door__m_hist_write(out, "door_store_call_seconds",
                               door__buf_str(&lab), &m->store[i]);
    door__buf_free(&lab);
  }
  if (!err)
    err = door__m_head(out, "door_store_errors_total", "counter",
                       "Store calls that failed for a reason other than "
                       "the answer (busy, I/O, corrupt...).");
  if (!err)
    err = door__m_sample(out, "door_store_errors_total", NULL, NULL, NULL, NULL,
                         atomic_load(&m->store_errors));
  return err;
}

static door_err door__m_gauges(door_buf *out, door_broker *b, door__bgen *g) {
  door_store_counts c;
  size_t i;
  door_err err;
  err = door__m_head(out, "door_jwks_fetches_total", "counter",
                     "Key-set fetches per provider since the configuration "
                     "was loaded.");
  for (i = 0; !err && i < g->cfg->nproviders; i++) {
    const char *name = g->cfg->providers[i].name;
    err = door__m_sample(out, "door_jwks_fetches_total", "provider", name, NULL,
                         NULL, door__rp_jwks_fetches(g->rp, name));
  }
  if (!err)
    err = door__m_head(out, "door_transmissions_refused_total", "counter",
                       "Requests to a provider refused because a field was "
                       "not in its transmission manifest (docs/privacy.md).");
  for (i = 0; !err && i < g->cfg->nproviders; i++) {
    const char *name = g->cfg->providers[i].name;
    int e;
    for (e = 0; !err && e < DOOR_TX_ENDPOINT_COUNT; e++)
      err = door__m_sample(
          out, "door_transmissions_refused_total", "provider", name, "endpoint",
          door_tx_endpoint_name((door_tx_endpoint)e),
          door_rp_tx_refused(g->rp, name, (door_tx_endpoint)e));
  }
  if (err)
    return err;
  memset(&c, 0, sizeof c);
  if (door__store_counts(b->store, door__broker_now(b), &c, NULL) != DOOR_OK) {
    atomic_fetch_add(&b->metrics.store_errors, 1);
    return DOOR_OK; /* the counters above still go out */
  }
  if ((err = door__m_head(out, "door_sessions", "gauge",
                          "Live sessions in the store.")) ||
      (err = door__m_sample(out, "door_sessions", NULL, NULL, NULL, NULL,
                            c.sessions)) ||
      (err = door__m_head(out, "door_accounts", "gauge",
                          "DOOR accounts in the store.")) ||
      (err = door__m_sample(out, "door_accounts", NULL, NULL, NULL, NULL,
                            c.accounts)) ||
      (err = door__m_head(out, "door_identities", "gauge",
                          "Linked identities in the store.")))
    return err;
  return door__m_sample(out, "door_identities", NULL, NULL, NULL, NULL,
                        c.identities);
}

door_err door_broker_metrics(door_broker *b, char **out) {
  door__bgen *g;
  door_buf t;
  door_err err;
  if (!b || !out)
    return DOOR_EINVAL;
  *out = NULL;
  g = door__bgen_get(b);
  door__buf_init(&t, (size_t)4 << 20);
  if (!(err = door__m_logins(&t, &b->metrics)) &&
      !(err = door__m_logouts(&t, &b->metrics)) &&
      !(err = door__m_store(&t, &b->metrics)))
    err = door__m_gauges(&t, b, g);
  door__bgen_put(g);
  if (!err && !(*out = door__buf_detach(&t)))
    err = DOOR_ENOMEM;
  door__buf_free(&t);
  return err;
}
