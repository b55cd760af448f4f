/* The PostgreSQL backend's own behaviour: a server that goes away and
 * comes back (calls fail fast, the pool recovers without a restart),
 * transactions run again after serialization failures and deadlocks, no
 * password in details or logs, values the server refuses.  Runs under
 * tests/pg/cluster.sh run (DOOR_TEST_STORE_URL, DOOR_TEST_PG_DIR,
 * DOOR_TEST_PG_CLUSTER); without them every case says so and passes. */
#include "t_store.h"

#include "store/pg_int.h"

#include <time.h>

static int have_cluster(void) {
  if (t_is_pg() && getenv("DOOR_TEST_PG_DIR") && getenv("DOOR_TEST_PG_CLUSTER"))
    return 1;
  t_only("postgres (tests/pg/cluster.sh run)");
  return 0;
}

/* cluster.sh halt|start DIR; 0 on success. */
static int cluster(const char *verb) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s' %s '%s' >/dev/null",
           getenv("DOOR_TEST_PG_CLUSTER"), verb, getenv("DOOR_TEST_PG_DIR"));
  fflush(stdout);
  return system(cmd);
}

static long elapsed_ms(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (long)(t1.tv_sec - t0->tv_sec) * 1000 +
         (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* t's URL with more query parameters. */
static void url_with(const t_db *t, const char *params, char *out, size_t cap) {
  snprintf(out, cap, "%s%c%s", t->url, strchr(t->url, '?') ? '&' : '?', params);
}

/* Opens every connection of the pool once, so that all of them are there
 * when the server goes away. */
static void fill_pool(door_store *st, size_t n) {
  door__pg_conn *c[8];
  size_t i;
  for (i = 0; i < n; i++)
    if (door__pg_acquire(door__pg_of(st), &c[i], NULL))
      abort();
  for (i = 0; i < n; i++)
    door__pg_release(door__pg_of(st), c[i]);
}

static void test_server_loss_fails_fast_and_the_pool_recovers(void) {
  door_store_options o;
  door_store *st = NULL, *other = NULL;
  door_store_session s;
  door_store_counts k;
  door_detail d;
  struct timespec t0, holdoff = {0, DOOR__PG_HOLDOFF_MS * 1000000L};
  uint8_t h[32];
  char url[1400], id[33], again[33];
  int created, i;
  t_db t;
  if (!have_cluster())
    return;
  t_db_make(&t);
  url_with(&t, "connect_timeout=1", url, sizeof url);
  door__store_options_init(&o);
  o.max_connections = 4;
  T_EQ_ERR(door__store_open(url, &o, &st, NULL), DOOR_OK);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "alice", "daccount", NULL, 1,
                                      id, &created, NULL),
           DOOR_OK);
  fill_pool(st, 4);
  T_EQ_INT(cluster("halt"), 0);
  /* Every kind of call fails at once, with the code the daemon maps to
   * 503, for as long as the server is away. */
  for (i = 0; i < 3; i++) {
    clock_gettime(CLOCK_MONOTONIC, &t0);
    T_EQ_ERR(door__store_login_identity(st, T_ISS, "bob", "daccount", NULL, 2,
                                        again, &created, &d),
             DOOR_ESTORE_UNAVAILABLE);
    T_OK(d.hint[0] != '\0');
    T_EQ_ERR(door__store_identity_find(st, T_ISS, "alice", again, NULL),
             DOOR_ESTORE_UNAVAILABLE);
    memset(h, 1, sizeof h);
    T_EQ_ERR(door__store_session_get(st, h, 3, 0, &s, NULL),
             DOOR_ESTORE_UNAVAILABLE);
    T_EQ_ERR(door__store_state_consume(st, "state-x", 10, NULL),
             DOOR_ESTORE_UNAVAILABLE);
    T_EQ_ERR(door__store_counts(st, 0, &k, NULL), DOOR_ESTORE_UNAVAILABLE);
    T_OK(elapsed_ms(&t0) < 2000);
  }
  clock_gettime(CLOCK_MONOTONIC, &t0);
  T_EQ_ERR(door__store_open(url, NULL, &other, &d), DOOR_ESTORE_UNAVAILABLE);
  T_OK(elapsed_ms(&t0) < 2000);
  T_EQ_INT(cluster("start"), 0);
  /* Back: once the hold-off after the last failed attempt has passed, the
   * first call works, on the same store. */
  nanosleep(&holdoff, NULL);
  T_EQ_ERR(door__store_identity_find(st, T_ISS, "alice", again, NULL), DOOR_OK);
  T_EQ_STR(again, id);
  T_EQ_ERR(door__store_state_consume(st, "state-x", 10, NULL), DOOR_OK);
  /* Now stale connections: fill the pool, restart the server with no call
   * in between; each connection is found dead and replaced. */
  fill_pool(st, 4);
  T_EQ_INT(cluster("halt"), 0);
  T_EQ_INT(cluster("start"), 0);
  for (i = 0; i < 8; i++)
    T_EQ_ERR(door__store_counts(st, 0, &k, NULL), DOOR_OK);
  T_EQ_INT(k.accounts, 1);
  T_EQ_INT(k.used_states, 1);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "bob", "daccount", NULL, 4,
                                      again, &created, NULL),
           DOOR_OK);
  T_EQ_INT(created, 1);
  t_done(&t, st);
}

/* ---- transactions that run again ---- */

typedef struct flaky_ctx {
  const char *sql;
} flaky_ctx;

static door_err flaky_fn(door__pg_conn *c, void *p, door_detail *d) {
  flaky_ctx *x = p;
  int64_t v;
  return door__pg_int(c, x->sql, &v, d, "");
}

static const char Q_FLAKY[] = "SELECT t_fail('40001', 3)";
static const char Q_DEADLOCK[] = "SELECT t_fail('40P01', 2)";
static const char Q_ALWAYS[] = "SELECT t_fail('40001', 1000)";
static const char Q_UNIQUE[] = "SELECT t_fail('23505', 1000)";

static void test_serialization_failures_are_retried(void) {
  door_store *st;
  t_conn *db;
  t_db t;
  flaky_ctx x;
  door_detail d;
  if (!have_cluster())
    return;
  st = t_fresh(&t);
  db = t_raw(&t);
  T_OK(db);
  /* Fails with `state` until it has been called `n` times (a sequence
   * counts calls across rolled back transactions). */
  T_EQ_INT(t_exec(db, "CREATE SEQUENCE t_calls;"
                      "CREATE FUNCTION t_fail(state text, n int)"
                      " RETURNS int LANGUAGE plpgsql AS $$ BEGIN"
                      " IF nextval('t_calls') < n THEN"
                      "  RAISE EXCEPTION 'planted' USING ERRCODE = state;"
                      " END IF; RETURN 1; END $$"),
           0);
  x.sql = Q_FLAKY;
  T_EQ_ERR(door__pg_tx(door__pg_of(st), DOOR__PG_WRITE, 1, flaky_fn, &x, &d),
           DOOR_OK);
  T_EQ_INT(t_int(db, "SELECT last_value FROM t_calls"), 3);
  T_EQ_INT(t_exec(db, "ALTER SEQUENCE t_calls RESTART"), 0);
  x.sql = Q_DEADLOCK;
  T_EQ_ERR(door__pg_tx(door__pg_of(st), DOOR__PG_ONE_READ, 1, flaky_fn, &x, &d),
           DOOR_OK);
  T_EQ_INT(t_int(db, "SELECT last_value FROM t_calls"), 2);
  /* Gives up after the attempts, as busy. */
  T_EQ_INT(t_exec(db, "ALTER SEQUENCE t_calls RESTART"), 0);
  x.sql = Q_ALWAYS;
  T_EQ_ERR(door__pg_tx(door__pg_of(st), DOOR__PG_WRITE, 1, flaky_fn, &x, &d),
           DOOR_ESTORE_BUSY);
  T_EQ_INT(t_int(db, "SELECT last_value FROM t_calls"), DOOR__PG_TX_ATTEMPTS);
  /* A unique violation is an answer, not a reason to run again. */
  T_EQ_INT(t_exec(db, "ALTER SEQUENCE t_calls RESTART"), 0);
  x.sql = Q_UNIQUE;
  T_EQ_ERR(door__pg_tx(door__pg_of(st), DOOR__PG_WRITE, 1, flaky_fn, &x, &d),
           DOOR_EEXISTS);
  T_EQ_INT(t_int(db, "SELECT last_value FROM t_calls"), 1);
  t_close(db);
  t_done(&t, st);
}

/* ---- secrets and refused values ---- */

typedef struct sink {
  char text[16384];
  size_t len;
} sink;

static void sink_fn(void *ud, door_log_level level, const char *line,
                    size_t len) {
  sink *s = ud;
  (void)level;
  if (s->len + len + 1 < sizeof s->text) {
    memcpy(s->text + s->len, line, len);
    s->len += len;
    s->text[s->len++] = '\n';
    s->text[s->len] = '\0';
  }
}

#define PLANTED_PW "PLANTED-PG-PASSWORD-7f3a"

/* base with ":PLANTED_PW" after the user name. */
static void url_with_password(const char *base, char *out, size_t cap) {
  const char *auth = strstr(base, "://") + 3;
  const char *at = strchr(auth, '@');
  T_OK(at != NULL);
  snprintf(out, cap, "%.*s:%s%s", (int)(at - base), base, PLANTED_PW, at);
}

static void test_password_stays_out_of_details_and_logs(void) {
  door_store_options o;
  door_store *st = NULL;
  door_store_tokens_new tk;
  door_log lg;
  door_detail d;
  t_db t, missing;
  sink s;
  char url[1400], line[700], id[33];
  int created;
  if (!have_cluster())
    return;
  memset(&s, 0, sizeof s);
  door__log_init(&lg, "test");
  lg.min_level = DOOR_LOG_DEBUG;
  lg.sink = sink_fn;
  lg.sink_ud = &s;
  door__store_options_init(&o);
  o.log = &lg;
  t_db_make(&t);
  url_with_password(t.url, url, sizeof url);
  /* The server trusts the socket, so the password is never asked for:
   * the store still must not repeat it. */
  T_EQ_ERR(door__store_open(url, &o, &st, &d), DOOR_OK);
  T_OK(strstr(s.text, "store.open") != NULL);
  T_OK(strstr(s.text, t.name) != NULL);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "alice", "daccount", NULL, 1,
                                      id, &created, NULL),
           DOOR_OK);
  memset(&tk, 0, sizeof tk);
  tk.account_id = "66666666666666666666666666666666";
  tk.provider = "daccount";
  tk.access_token = (const uint8_t *)"PLANTED-ACCESS-TOKEN";
  tk.access_len = 20;
  T_EQ_ERR(door__store_tokens_put(st, &tk, &d), DOOR_ENOTFOUND);
  door__store_close(st);
  /* A database that is not there: the failure names it, without the
   * password. */
  memset(&missing, 0, sizeof missing);
  t_pg_url(url, "no_such_database", missing.url, sizeof missing.url);
  st = NULL;
  T_EQ_ERR(door__store_open(missing.url, &o, &st, &d), DOOR_ESTORE_UNAVAILABLE);
  door_detail_format(&d, line, sizeof line);
  T_OK(strstr(line, "no_such_database") != NULL);
  T_OK(strstr(line, PLANTED_PW) == NULL);
  /* A malformed URL holding the password. */
  T_EQ_ERR(
      door__store_open("postgres://door:" PLANTED_PW "@[::1/x", &o, &st, &d),
      DOOR_ECONFIG_VALUE);
  door_detail_format(&d, line, sizeof line);
  T_OK(strstr(line, PLANTED_PW) == NULL);
  T_OK(strstr(s.text, "PLANTED") == NULL);
  t_db_remove(&t);
}

static void test_values_the_server_refuses(void) {
  door_store *st;
  door_detail d;
  t_db t;
  char id[33];
  int created;
  if (!have_cluster())
    return;
  st = t_fresh(&t);
  /* SQLite stores any bytes; PostgreSQL text is UTF-8. */
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "bad\xff", "daccount", NULL, 1,
                                      id, &created, &d),
           DOOR_EUTF8);
  T_OK(strstr(d.what, "\xff") == NULL);
  T_EQ_INT(created, 0);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "good", "daccount", NULL, 1,
                                      id, &created, &d),
           DOOR_OK);
  t_done(&t, st);
}

T_MAIN(T_CASE(test_server_loss_fails_fast_and_the_pool_recovers),
       T_CASE(test_serialization_failures_are_retried),
       T_CASE(test_password_stays_out_of_details_and_logs),
       T_CASE(test_values_the_server_refuses))
