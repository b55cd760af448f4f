/* Anonymous event statistics (doorauth/broker_privacy.h): counting issued
 * participation tokens, the operators' token check, and the suppressed
 * table.  The suppression rule is written out in broker_privacy.h and
 * docs/privacy.md ("Statistics"). */
#include "broker/stats.h"
#include "doorauth/broker_privacy.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DOOR__HOUR 3600
#define DOOR__OTHER "other"
#define DOOR__MAX_TIERS 64

void door__broker_stats_count(door_broker *b, door__bgen *g,
                              const char *event_id, const char *tier) {
  door_detail d;
  door_detail_clear(&d);
  if (door__store_stats_add(b->store, event_id, door__broker_now(b),
                            tier && *tier ? tier : "general", &d))
    door__log_detail(&g->log, DOOR_LOG_WARN, "broker.stats_not_counted", &d);
}

/* ---- the operators' token ------------------------------------------------ */

door_err door_broker_stats_auth(door_broker *b, const char *authorization) {
  const door_config_secret *want;
  unsigned char hw[SHA256_DIGEST_LENGTH], hg[SHA256_DIGEST_LENGTH];
  const char *tok;
  door__bgen *g;
  door_err err = DOOR_EINVAL;
  if (!b)
    return DOOR_EINVAL;
  g = door__bgen_get(b);
  want = g->cfg->broker.stats_token;
  if (!want || !want->value || want->len == 0) {
    err = DOOR_ENOTFOUND;
    goto out;
  }
  /* RFC 9110: the scheme is case-insensitive; one space before the token. */
  if (!authorization || strlen(authorization) < 8 ||
      strncasecmp(authorization, "Bearer ", 7) != 0)
    goto out;
  tok = authorization + 7;
  /* Digests of both: equal length, so the comparison's time says nothing
   * about the configured token's length or contents. */
  SHA256((const unsigned char *)want->value, want->len, hw);
  SHA256((const unsigned char *)tok, strlen(tok), hg);
  if (CRYPTO_memcmp(hw, hg, sizeof hw) == 0)
    err = DOOR_OK;
  OPENSSL_cleanse(hw, sizeof hw);
  OPENSSL_cleanse(hg, sizeof hg);
out:
  door__bgen_put(g);
  return err;
}

/* ---- the table ------------------------------------------------------------
 */

typedef struct door__stab {
  const char *tiers[DOOR__MAX_TIERS + 1]; /* columns; the last is "other" */
  size_t nt;
  int64_t h0; /* first hour of the grid */
  size_t nh;
  int truncated;
  uint64_t *cells;   /* nh * nt */
  uint64_t *outside; /* per column: counts outside the grid */
  uint64_t k;
} door__stab;

static size_t door__col(const door__stab *t, const char *tier) {
  size_t i;
  for (i = 0; i + 1 < t->nt; i++)
    if (strcmp(t->tiers[i], tier) == 0)
      return i;
  return t->nt - 1; /* other */
}

static int door__has(const char *const *v, size_t n, const char *s) {
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp(v[i], s) == 0)
      return 1;
  return 0;
}

static int door__cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Columns: the event's DOOR tiers, or the tiers with an event total of at
 * least k; then "other". */
static void door__columns(door__stab *t, const door_event_config *ev,
                          const door_store_stat *rows, size_t n) {
  size_t i, j;
  t->nt = 0;
  if (ev->tiers.n) {
    for (i = 0; i < ev->tiers.n && t->nt < DOOR__MAX_TIERS; i++) {
      const char *it = ev->tiers.items[i], *eq = strchr(it, '=');
      const char *name = eq ? eq + 1 : it;
      if (strcmp(name, DOOR__OTHER) != 0 && !door__has(t->tiers, t->nt, name))
        t->tiers[t->nt++] = name;
    }
  } else {
    for (i = 0; i < n && t->nt < DOOR__MAX_TIERS; i++) {
      uint64_t sum = 0;
      if (strcmp(rows[i].tier, DOOR__OTHER) == 0 ||
          door__has(t->tiers, t->nt, rows[i].tier))
        continue;
      for (j = 0; j < n; j++)
        if (strcmp(rows[j].tier, rows[i].tier) == 0)
          sum += rows[j].count;
      if (sum >= t->k)
        t->tiers[t->nt++] = rows[i].tier;
    }
    qsort(t->tiers, t->nt, sizeof t->tiers[0], door__cmp_str);
  }
  t->tiers[t->nt++] = DOOR__OTHER;
}

/* "<k". */
static json_t *door__lt(uint64_t k) {
  char num[24], s[32];
  door__u64_to_str(k, num);
  s[0] = '<';
  memcpy(s + 1, num, strlen(num) + 1);
  return json_string(s);
}

static json_t *door__cell(uint64_t n, uint64_t k) {
  return n >= k ? json_integer((json_int_t)n) : door__lt(k);
}

/* A total: exact when nothing it adds is hidden; else "<k" or ">=shown". */
static json_t *door__total(uint64_t sum, uint64_t shown, int hidden,
                           uint64_t k) {
  char num[24], s[32];
  if (!hidden)
    return door__cell(sum, k);
  if (sum < k)
    return door__lt(k);
  door__u64_to_str(shown, num);
  s[0] = '>';
  s[1] = '=';
  memcpy(s + 2, num, strlen(num) + 1);
  return json_string(s);
}

static int door__iso_hour(int64_t t, char out[32]) {
  struct tm tm;
  time_t tt = (time_t)t;
  if (!gmtime_r(&tt, &tm))
    return -1;
  return strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) ? 0 : -1;
}

static int door__add(json_t *o, const char *k, json_t *v) {
  return v ? json_object_set_new(o, k, v) : -1;
}

static door_err door__stats_build(const door__stab *t, const char *event_id,
                                  const char *title, json_t **out) {
  json_t *root = json_object(), *hours = json_array(), *tiers = json_array();
  json_t *ttot = json_object();
  uint64_t *csum = calloc(t->nt, sizeof *csum);
  uint64_t *cshown = calloc(t->nt, sizeof *cshown);
  int *chid = calloc(t->nt, sizeof *chid);
  uint64_t gsum = 0, gshown = 0;
  int ghid = t->truncated, bad = 0;
  size_t h, c;
  if (!root || !hours || !tiers || !ttot || !csum || !cshown || !chid)
    bad = 1;
  for (c = 0; !bad && c < t->nt; c++) {
    bad |= json_array_append_new(tiers, json_string(t->tiers[c])) != 0;
    csum[c] = t->outside[c];
    chid[c] = t->truncated || t->outside[c] > 0;
  }
  for (h = 0; !bad && h < t->nh; h++) {
    json_t *row = json_object(), *counts = json_object();
    uint64_t rsum = 0, rshown = 0;
    int rhid = 0;
    char iso[32];
    bad |= !row || !counts ||
           door__iso_hour(t->h0 + (int64_t)h * DOOR__HOUR, iso) != 0;
    for (c = 0; !bad && c < t->nt; c++) {
      uint64_t n = t->cells[h * t->nt + c];
      int shown = n >= t->k;
      rsum += n;
      csum[c] += n;
      if (shown) {
        rshown += n;
        cshown[c] += n;
      } else {
        rhid = chid[c] = 1;
      }
      bad |= door__add(counts, t->tiers[c], door__cell(n, t->k)) != 0;
    }
    if (!bad)
      bad |=
          door__add(row, "hour", json_string(iso)) != 0 ||
          door__add(row, "at", json_integer(t->h0 + (int64_t)h * DOOR__HOUR)) !=
              0 ||
          json_object_set(row, "counts", counts) != 0 ||
          door__add(row, "total", door__total(rsum, rshown, rhid, t->k)) != 0 ||
          json_array_append(hours, row) != 0;
    json_decref(row);
    json_decref(counts);
  }
  for (c = 0; !bad && c < t->nt; c++) {
    gsum += csum[c];
    gshown += cshown[c];
    ghid |= chid[c];
    bad |= door__add(ttot, t->tiers[c],
                     door__total(csum[c], cshown[c], chid[c], t->k)) != 0;
  }
  if (!bad)
    bad =
        door__add(root, "event", json_string(event_id)) != 0 ||
        door__add(root, "title", json_string(title)) != 0 ||
        door__add(root, "k", json_integer((json_int_t)t->k)) != 0 ||
        door__add(root, "unit", json_string("participation tokens issued")) !=
            0 ||
        json_object_set(root, "tiers", tiers) != 0 ||
        json_object_set(root, "hours", hours) != 0 ||
        json_object_set(root, "tier_totals", ttot) != 0 ||
        door__add(root, "total", door__total(gsum, gshown, ghid, t->k)) != 0 ||
        door__add(root, "truncated", json_boolean(t->truncated)) != 0;
  json_decref(hours);
  json_decref(tiers);
  json_decref(ttot);
  free(csum);
  free(cshown);
  free(chid);
  if (bad) {
    json_decref(root);
    return DOOR_ENOMEM;
  }
  *out = root;
  return DOOR_OK;
}

door_err door_broker_stats_json(door_broker *b, const char *event_id,
                                char **out, door_detail *d) {
  const door_event_config *ev;
  door_store_stat *rows = NULL;
  door__stab t;
  door__bgen *g;
  json_t *j = NULL;
  size_t n = 0, i;
  int64_t hlast;
  door_err err;
  if (!out)
    return door_detail_set(d, DOOR_EINVAL, "stats", "no output", NULL);
  *out = NULL;
  if (!b || !event_id)
    return door_detail_set(d, DOOR_EINVAL, "stats", "no broker or event", NULL);
  memset(&t, 0, sizeof t);
  g = door__bgen_get(b);
  ev = door__config_event(g->cfg, event_id);
  if (!ev) {
    err = door_detail_set(d, DOOR_ENOTFOUND, event_id,
                          "no such event in the configuration",
                          "name an [event \"ID\"] of the configuration");
    goto out;
  }
  err = door__store_stats_list(b->store, event_id, &rows, &n, d);
  if (err)
    goto out;
  t.k = g->cfg->broker.stats_k > 0 ? (uint64_t)g->cfg->broker.stats_k : 10;
  door__columns(&t, ev, rows, n);
  t.h0 = ev->start - ((ev->start % DOOR__HOUR) + DOOR__HOUR) % DOOR__HOUR;
  hlast = ev->end > ev->start ? ev->end - 1 : ev->start;
  hlast -= ((hlast % DOOR__HOUR) + DOOR__HOUR) % DOOR__HOUR;
  t.nh = (size_t)((hlast - t.h0) / DOOR__HOUR) + 1;
  if (t.nh > DOOR_BROKER_STATS_MAX_HOURS) {
    /* A long event: its last hours up to now. */
    int64_t now = door__broker_now(b), last;
    now -= ((now % DOOR__HOUR) + DOOR__HOUR) % DOOR__HOUR;
    last = now < hlast ? now : hlast;
    if (last - t.h0 >= (int64_t)DOOR_BROKER_STATS_MAX_HOURS * DOOR__HOUR)
      t.h0 = last - (int64_t)(DOOR_BROKER_STATS_MAX_HOURS - 1) * DOOR__HOUR;
    t.nh = DOOR_BROKER_STATS_MAX_HOURS;
    t.truncated = 1;
  }
  t.cells = calloc(t.nh * t.nt, sizeof *t.cells);
  t.outside = calloc(t.nt, sizeof *t.outside);
  if (!t.cells || !t.outside) {
    err = DOOR_ENOMEM;
    goto out;
  }
  for (i = 0; i < n; i++) {
    size_t c = door__col(&t, rows[i].tier);
    int64_t off = rows[i].hour - t.h0;
    if (off >= 0 && off % DOOR__HOUR == 0 &&
        (uint64_t)(off / DOOR__HOUR) < t.nh)
      t.cells[(size_t)(off / DOOR__HOUR) * t.nt + c] += rows[i].count;
    else
      t.outside[c] += rows[i].count;
  }
  err = door__stats_build(&t, event_id, ev->title ? ev->title : event_id, &j);
  if (!err && !(*out = json_dumps(j, JSON_COMPACT)))
    err = DOOR_ENOMEM;
out:
  json_decref(j);
  free(t.cells);
  free(t.outside);
  door__store_stats_free(rows, n);
  door__bgen_put(g);
  return err;
}
