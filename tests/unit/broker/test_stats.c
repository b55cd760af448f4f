/* Anonymous event statistics: counting into the store's event_stats,
 * k-suppression of cells (0, k-1, k) and of totals (no total gives back a
 * suppressed cell), columns by tier, the operators' bearer token. */
#include "t_broker.h"

#include "broker/stats.h"
#include "doorauth/broker_privacy.h"
#include "util/json.h"

#include <jansson.h>

/* 2025-03-01T09:00:00Z .. 12:00:00Z: three hours. */
#define T0 1740819600LL

static const char ev_tiers[] =
    "stats_k = 10\n"
    "stats_token = planted-secret-stats-token-0123456789\n"
    "[event \"live\"]\ntitle = Live\n"
    "start = 2025-03-01T09:00:00Z\nend = 2025-03-01T12:00:00Z\n"
    "tiers = general vip XM_GOLD=vip\n"
    "[event \"open\"]\ntitle = Open\n"
    "start = 2025-03-01T09:00:00Z\nend = 2025-03-01T10:00:00Z\n"
    "[event \"empty\"]\ntitle = Empty\n"
    "start = 2025-03-01T09:00:00Z\nend = 2025-03-01T11:00:00Z\n"
    "tiers = general\n"
    "[event \"long\"]\ntitle = Long\n"
    "start = 2020-01-01T00:00:00Z\nend = 2099-01-01T00:00:00Z\n"
    "tiers = general\n";

static void env(t_env *e, const char *extra) {
  const char *tmp = getenv("TMPDIR");
  door_broker_options o;
  door_detail d;
  door_config *cfg;
  memset(e, 0, sizeof *e);
  snprintf(e->dir, sizeof e->dir, "%s/door-stats-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(e->dir))
    abort();
  snprintf(e->db, sizeof e->db, "%s/door.db", e->dir);
  e->now = T0;
  cfg = t_config(e, "http://127.0.0.1:8080/", "d-account", extra);
  if (!cfg)
    abort();
  door_broker_options_init(&o);
  o.clock = t_clock;
  o.clock_ud = e;
  door_detail_clear(&d);
  if (door_broker_new(cfg, &o, &e->b, &d))
    abort();
}

/* Issues `n` tokens of `tier` at `event` in the hour starting at `at`. */
static void count(t_env *e, const char *event, const char *tier, int64_t at,
                  int n) {
  door__bgen *g = door__bgen_get(e->b);
  int i;
  for (i = 0; i < n; i++) {
    e->now = at + i; /* spread inside the hour */
    door__broker_stats_count(e->b, g, event, tier);
  }
  door__bgen_put(g);
}

static json_t *stats(t_env *e, const char *event) {
  char *text = NULL;
  json_t *j = NULL;
  T_EQ_ERR(door_broker_stats_json(e->b, event, &text, NULL), DOOR_OK);
  if (text) {
    if (strlen(text) < 2048) /* the long event's table is not printed */
      printf("# %s\n", text);
    T_EQ_ERR(door__json_parse(text, strlen(text), 16, &j, NULL), DOOR_OK);
  }
  free(text);
  return j;
}

/* A value as text: numbers as digits, strings as they are. */
static const char *v(const json_t *x, char buf[32]) {
  if (json_is_integer(x)) {
    door__u64_to_str((uint64_t)json_integer_value(x), buf);
    return buf;
  }
  return json_is_string(x) ? json_string_value(x) : "(absent)";
}

static const char *cell(const json_t *j, size_t hour, const char *tier,
                        char buf[32]) {
  return v(json_object_get(
               json_object_get(
                   json_array_get(json_object_get(j, "hours"), hour), "counts"),
               tier),
           buf);
}

static const char *rowtot(const json_t *j, size_t hour, char buf[32]) {
  return v(json_object_get(json_array_get(json_object_get(j, "hours"), hour),
                           "total"),
           buf);
}

static const char *coltot(const json_t *j, const char *tier, char buf[32]) {
  return v(json_object_get(json_object_get(j, "tier_totals"), tier), buf);
}

static void test_cells_and_totals(void) {
  t_env e;
  json_t *j;
  char b[32];
  env(&e, ev_tiers);
  count(&e, "live", "general", T0, 10); /* k: shown */
  count(&e, "live", "vip", T0 + 60, 9); /* k-1: suppressed */
  count(&e, "live", "general", T0 + 7200, 12);
  count(&e, "live", "vip", T0 + 7200, 10);
  j = stats(&e, "live");
  T_OK(j != NULL);
  T_EQ_INT(json_integer_value(json_object_get(j, "k")), 10);
  T_EQ_INT(json_array_size(json_object_get(j, "hours")), 3);
  T_EQ_INT(json_array_size(json_object_get(j, "tiers")), 3); /* +other */
  T_EQ_STR(v(json_array_get(json_object_get(j, "tiers"), 2), b), "other");
  T_EQ_STR(
      v(json_object_get(json_array_get(json_object_get(j, "hours"), 0), "hour"),
        b),
      "2025-03-01T09:00:00Z");
  T_EQ_STR(cell(j, 0, "general", b), "10");
  T_EQ_STR(cell(j, 0, "vip", b), "<10");
  /* 0 is suppressed like 1..k-1. */
  T_EQ_STR(cell(j, 1, "general", b), "<10");
  T_EQ_STR(cell(j, 1, "vip", b), "<10");
  T_EQ_STR(cell(j, 2, "general", b), "12");
  T_EQ_STR(cell(j, 2, "vip", b), "10");
  T_EQ_STR(cell(j, 2, "other", b), "<10");
  /* Hour 9: 10 shown + 9 hidden: not 19 (19 - 10 would give the 9). */
  T_EQ_STR(rowtot(j, 0, b), ">=10");
  /* Hour 10: all zero: below k. */
  T_EQ_STR(rowtot(j, 1, b), "<10");
  /* Hour 11: "other" is a suppressed 0, so not exact either. */
  T_EQ_STR(rowtot(j, 2, b), ">=22");
  T_EQ_STR(coltot(j, "general", b), ">=22");
  T_EQ_STR(coltot(j, "vip", b), ">=10");
  T_EQ_STR(coltot(j, "other", b), "<10");
  T_EQ_STR(v(json_object_get(j, "total"), b), ">=32");
  T_OK(json_is_false(json_object_get(j, "truncated")));
  json_decref(j);
  t_env_free(&e);
}

/* Totals are exact when every cell they add is shown. */
static void test_exact_totals(void) {
  t_env e;
  json_t *j;
  char b[32];
  env(&e, ev_tiers);
  /* "open" takes any tier: columns are the tiers with 10 or more. */
  count(&e, "open", "gold", T0, 15);
  j = stats(&e, "open");
  T_EQ_INT(json_array_size(json_object_get(j, "tiers")), 2);
  T_EQ_STR(cell(j, 0, "gold", b), "15");
  T_EQ_STR(cell(j, 0, "other", b), "<10"); /* 0 */
  T_EQ_STR(rowtot(j, 0, b), ">=15");
  json_decref(j);
  count(&e, "open", "silver", T0 + 100, 3); /* below k: into "other" */
  count(&e, "open", "bronze", T0 + 200, 8);
  j = stats(&e, "open");
  T_EQ_INT(json_array_size(json_object_get(j, "tiers")), 2);
  T_EQ_STR(cell(j, 0, "other", b), "11"); /* 3 + 8 */
  T_EQ_STR(cell(j, 0, "silver", b), "(absent)");
  T_EQ_STR(rowtot(j, 0, b), "26");
  T_EQ_STR(coltot(j, "gold", b), "15");
  T_EQ_STR(v(json_object_get(j, "total"), b), "26");
  json_decref(j);
  t_env_free(&e);
}

static void test_no_counts_and_unknown_event(void) {
  t_env e;
  json_t *j;
  char b[32], *text = (char *)"x";
  door_detail d;
  env(&e, ev_tiers);
  j = stats(&e, "empty");
  T_EQ_INT(json_array_size(json_object_get(j, "hours")), 2);
  T_EQ_STR(cell(j, 0, "general", b), "<10");
  T_EQ_STR(rowtot(j, 1, b), "<10");
  T_EQ_STR(v(json_object_get(j, "total"), b), "<10");
  json_decref(j);
  T_EQ_ERR(door_broker_stats_json(e.b, "nope", &text, &d), DOOR_ENOTFOUND);
  T_OK(text == NULL);
  /* Counts of one event never show in another's table. */
  count(&e, "live", "general", T0, 30);
  j = stats(&e, "empty");
  T_EQ_STR(v(json_object_get(j, "total"), b), "<10");
  json_decref(j);
  t_env_free(&e);
}

/* The store keeps only (event, hour, tier, count). */
static void test_store_rows_have_no_identifier(void) {
  t_env e;
  door_store_stat *rows = NULL;
  size_t n = 0;
  env(&e, ev_tiers);
  count(&e, "live", "vip", T0 + 1234, 2);
  T_EQ_ERR(door__store_stats_list(e.b->store, "live", &rows, &n, NULL),
           DOOR_OK);
  T_EQ_INT(n, 1);
  if (n == 1) {
    T_EQ_INT(rows[0].hour, T0);
    T_EQ_STR(rows[0].tier, "vip");
    T_EQ_INT(rows[0].count, 2);
  }
  door__store_stats_free(rows, n);
  t_env_free(&e);
}

/* A long event shows its last DOOR_BROKER_STATS_MAX_HOURS hours up to
 * now; the hours before count as suppressed in the totals. */
static void test_long_event(void) {
  t_env e;
  json_t *j;
  char b[32];
  size_t last = DOOR_BROKER_STATS_MAX_HOURS - 1;
  env(&e, ev_tiers);
  count(&e, "long", "general", T0 - 3600 * 2000, 50); /* before the grid */
  count(&e, "long", "general", T0, 12);               /* now's hour */
  e.now = T0 + 30;
  j = stats(&e, "long");
  T_OK(json_is_true(json_object_get(j, "truncated")));
  T_EQ_INT(json_array_size(json_object_get(j, "hours")),
           DOOR_BROKER_STATS_MAX_HOURS);
  T_EQ_STR(v(json_object_get(json_array_get(json_object_get(j, "hours"), last),
                             "hour"),
             b),
           "2025-03-01T09:00:00Z");
  T_EQ_STR(cell(j, last, "general", b), "12");
  T_EQ_STR(coltot(j, "general", b), ">=12");
  T_EQ_STR(v(json_object_get(j, "total"), b), ">=12");
  json_decref(j);
  t_env_free(&e);
}

/* The store's two backends: under tests/pg/cluster.sh (suite pg)
 * DOOR_TEST_STORE_URL names a PostgreSQL database; otherwise SQLite in
 * memory.  Upserts add up, rows come back by hour then tier, events are
 * kept apart, the hour is rounded down. */
static void test_store_backends(void) {
  const char *url = getenv("DOOR_TEST_STORE_URL");
  door_store *st = NULL;
  door_store_stat *rows = NULL;
  door_detail d;
  char ev[64], other[64];
  size_t n = 0;
  int i;
  if (!url || strncmp(url, "postgres", 8) != 0)
    url = "sqlite::memory:";
  printf("# store %s\n", strncmp(url, "sqlite", 6) == 0 ? url : "postgres");
  snprintf(ev, sizeof ev, "ev-%ld", (long)getpid());
  snprintf(other, sizeof other, "other-%ld", (long)getpid());
  door_detail_clear(&d);
  T_EQ_ERR(door__store_open(url, NULL, &st, &d), DOOR_OK);
  if (!st)
    return;
  for (i = 0; i < 3; i++)
    T_EQ_ERR(door__store_stats_add(st, ev, T0 + 3600 + 59 * i, "vip", &d),
             DOOR_OK);
  T_EQ_ERR(door__store_stats_add(st, ev, T0 + 10, "vip", &d), DOOR_OK);
  T_EQ_ERR(door__store_stats_add(st, ev, T0 + 3599, "general", &d), DOOR_OK);
  T_EQ_ERR(door__store_stats_add(st, other, T0, "vip", &d), DOOR_OK);
  T_EQ_ERR(door__store_stats_add(st, ev, T0, "", &d), DOOR_EINVAL);
  T_EQ_ERR(door__store_stats_list(st, ev, &rows, &n, &d), DOOR_OK);
  T_EQ_INT(n, 3);
  if (n == 3) {
    T_EQ_INT(rows[0].hour, T0);
    T_EQ_STR(rows[0].tier, "general");
    T_EQ_INT(rows[0].count, 1);
    T_EQ_INT(rows[1].hour, T0);
    T_EQ_STR(rows[1].tier, "vip");
    T_EQ_INT(rows[1].count, 1);
    T_EQ_INT(rows[2].hour, T0 + 3600);
    T_EQ_INT(rows[2].count, 3);
  }
  door__store_stats_free(rows, n);
  door__store_close(st);
}

static void test_operator_token(void) {
  t_env e;
  env(&e, ev_tiers);
  T_EQ_ERR(door_broker_stats_auth(
               e.b, "Bearer planted-secret-stats-token-0123456789"),
           DOOR_OK);
  T_EQ_ERR(door_broker_stats_auth(
               e.b, "bearer planted-secret-stats-token-0123456789"),
           DOOR_OK);
  T_EQ_ERR(door_broker_stats_auth(
               e.b, "BEARER planted-secret-stats-token-0123456789"),
           DOOR_OK);
  T_EQ_ERR(door_broker_stats_auth(
               e.b, "Bearer planted-secret-stats-token-012345678"),
           DOOR_EINVAL);
  T_EQ_ERR(door_broker_stats_auth(
               e.b, "Bearer planted-secret-stats-token-01234567890"),
           DOOR_EINVAL);
  T_EQ_ERR(door_broker_stats_auth(
               e.b, "Basic planted-secret-stats-token-0123456789"),
           DOOR_EINVAL);
  T_EQ_ERR(door_broker_stats_auth(e.b, "Bearer "), DOOR_EINVAL);
  T_EQ_ERR(door_broker_stats_auth(e.b, NULL), DOOR_EINVAL);
  t_env_free(&e);
  env(&e, "[event \"x\"]\ntitle = X\nstart = 2025-03-01T09:00:00Z\n"
          "end = 2025-03-01T10:00:00Z\n");
  T_EQ_ERR(door_broker_stats_auth(e.b, "Bearer anything-at-all-0123456"),
           DOOR_ENOTFOUND);
  t_env_free(&e);
}

T_MAIN(T_CASE(test_cells_and_totals), T_CASE(test_exact_totals),
       T_CASE(test_no_counts_and_unknown_event),
       T_CASE(test_store_rows_have_no_identifier), T_CASE(test_long_event),
       T_CASE(test_store_backends), T_CASE(test_operator_token))
