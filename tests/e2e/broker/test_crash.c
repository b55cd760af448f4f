/* door-broker killed (SIGKILL) in the middle of a burst of concurrent
 * logins, then restarted on the same SQLite file: PRAGMA integrity_check
 * passes (the sqlite3 program, argv[7]), no account is left without an
 * identity, no identity is duplicated, each subject has exactly one
 * account although several browsers signed it in at once, and every login
 * that was answered with a session still has that session. */
#include "bh.h"
#include "t.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS 8
#define USERS 4
#define MAX_SESSIONS 4096

static bh_env env;
static bh_env *E = &env;

typedef struct answered {
  char *cookie; /* "__Host-door-session=..." */
  int user;
} answered;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static answered sessions[MAX_SESSIONS];
static size_t n_sessions;
static atomic_int stop;
static atomic_int attempts, failures;

static void *burst(void *arg) {
  int user = (int)(long)arg % USERS;
  char name[8];
  snprintf(name, sizeof name, "u%d", user);
  while (!atomic_load(&stop)) {
    /* A fresh browser per login: its own cookie jar and connection. */
    bh_browser *b = bh_browser_new(E, 0);
    bh_resp r;
    long st;
    b->quiet = 1;
    bh_resp_init(&r);
    atomic_fetch_add(&attempts, 1);
    st = bh_login(b, "generic", name, NULL, &r);
    if (st == 302) {
      char *c = bh_session_cookie(&r);
      pthread_mutex_lock(&mu);
      if (c && n_sessions < MAX_SESSIONS) {
        sessions[n_sessions].cookie = c;
        sessions[n_sessions++].user = user;
        c = NULL;
      }
      pthread_mutex_unlock(&mu);
      free(c);
    } else {
      atomic_fetch_add(&failures, 1);
    }
    bh_resp_free(&r);
    bh_browser_free(b);
    if (st < 0)
      usleep(10000); /* the broker is down: do not spin */
  }
  return NULL;
}

/* One line of output of `sqlite3 DB SQL`, or "" (malloc'ed). */
static char *sql(const char *query) {
  char cmd[2048], line[512] = "";
  FILE *p;
  size_t n;
  snprintf(cmd, sizeof cmd, "'%s' '%s' '%s'", E->sqlite3, E->db, query);
  p = popen(cmd, "r");
  if (!p)
    return strdup("");
  if (!fgets(line, sizeof line, p))
    line[0] = '\0';
  pclose(p);
  n = strlen(line);
  while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  return strdup(line);
}

static void expect_sql(const char *query, const char *want) {
  char *got = sql(query);
  if (strcmp(got, want) != 0)
    printf("# %s -> '%s', want '%s'\n", query, got, want);
  T_EQ_STR(got, want);
  free(got);
}

static void test_burst_then_sigkill(void) {
  pthread_t th[THREADS];
  long i, started = 0;
  int waited, before_kill, killed, status;
  atomic_init(&stop, 0);
  for (i = 0; i < THREADS; i++)
    if (pthread_create(&th[i], NULL, burst, (void *)i) == 0)
      started++;
  /* Let logins complete, then kill the broker while others are in flight
   * (each thread always has one under way).  No assertion until every
   * thread is joined: a failing check must not leave them running. */
  for (waited = 0; waited < 3000 && started == THREADS; waited++) {
    size_t n;
    pthread_mutex_lock(&mu);
    n = n_sessions;
    pthread_mutex_unlock(&mu);
    if (n >= 40)
      break;
    usleep(20000);
  }
  before_kill = atomic_load(&failures);
  killed = bh_kill_broker(E, SIGKILL);
  status = bh_wait_broker(E, 30);
  atomic_store(&stop, 1);
  for (i = 0; i < started; i++)
    pthread_join(th[i], NULL);
  printf("# %d login attempts, %zu answered with a session, %d not (%d "
         "before the kill)\n",
         atomic_load(&attempts), n_sessions, atomic_load(&failures),
         before_kill);
  T_EQ_INT(started, THREADS);
  T_EQ_INT(killed, 0);
  T_EQ_INT(status, 128 + SIGKILL);
  T_OK(n_sessions >= 8);
  /* Before the kill every login succeeds, racing first logins included. */
  T_EQ_INT(before_kill, 0);
}

static void test_database_after_the_crash(void) {
  int user, seen[USERS] = {0};
  size_t i;
  /* The file as the crash left it (WAL and all). */
  expect_sql("PRAGMA integrity_check;", "ok");
  expect_sql("PRAGMA foreign_key_check;", "");
  expect_sql("SELECT count(*) FROM accounts WHERE id NOT IN "
             "(SELECT account_id FROM identities);",
             "0");
  expect_sql("SELECT count(*) FROM (SELECT 1 FROM identities GROUP BY "
             "issuer, subject HAVING count(*) > 1);",
             "0");
  for (i = 0; i < n_sessions; i++)
    seen[sessions[i].user] = 1;
  for (user = 0, i = 0; user < USERS; user++)
    i += (size_t)seen[user];
  /* One account per subject that signed in, however many browsers raced
   * its first login (a killed first login may leave one more, complete). */
  {
    char *got = sql("SELECT count(*) FROM accounts;");
    long n = atol(got);
    free(got);
    T_OK(n >= (long)i && n <= USERS);
  }
  expect_sql("SELECT count(*) FROM (SELECT account_id FROM identities "
             "GROUP BY account_id HAVING count(*) <> 1);",
             "0");
}

static void test_sessions_survive_the_restart(void) {
  char accounts[USERS][33];
  bh_browser *b;
  size_t i;
  memset(accounts, 0, sizeof accounts);
  T_EQ_INT(bh_start_broker(E), 0);
  expect_sql("PRAGMA integrity_check;", "ok");
  b = bh_browser_new(E, 1);
  for (i = 0; i < n_sessions; i++) {
    json_t *j = NULL;
    const char *acc;
    b->cookie = sessions[i].cookie;
    T_EQ_INT(bh_session(b, &j), 200);
    acc = json_string_value(json_object_get(j, "account_id"));
    T_OK(acc && strlen(acc) == 32);
    if (!accounts[sessions[i].user][0])
      memcpy(accounts[sessions[i].user], acc, 33);
    /* Every session of one subject is in its one account. */
    T_EQ_STR(acc, accounts[sessions[i].user]);
    json_decref(j);
  }
  bh_browser_free(b);
  T_EQ_INT(bh_kill_broker(E, SIGTERM), 0);
  T_EQ_INT(bh_wait_broker(E, 40), 0);
}

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_burst_then_sigkill),
      T_CASE(test_database_after_the_crash),
      T_CASE(test_sessions_survive_the_restart),
  };
  size_t i;
  int rc;
  if (argc < 8 || bh_setup(E, argc, argv)) {
    printf("1..1\nnot ok 1 - setup (door-idp, door-broker, sqlite3)\n");
    bh_teardown(E, 1);
    return 1;
  }
  rc = t_run(cases, sizeof cases / sizeof cases[0]);
  for (i = 0; i < n_sessions; i++)
    free(sessions[i].cookie);
  bh_teardown(E, rc != 0);
  return rc;
}

jmp_buf t__jmp;
