/* Concurrency and crash safety: racing first logins from threads on
 * separate connections and on one pooled store, racing opens of a fresh
 * file, racing ticket admissions, and a writer killed with SIGKILL. */
#include "t_store.h"
#include "store/pg_int.h"
#include "store/sqlite_int.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define THREADS 16

typedef struct racer {
  const t_db *t;
  door_store *st; /* shared store, or NULL: open an own one */
  pthread_barrier_t *go;
  const char *subject;
  door_err open_err, err;
  char id[33];
  int created;
} racer;

static void *race_login(void *p) {
  racer *r = p;
  door_store *own = NULL;
  if (!r->st)
    r->open_err = door__store_open(r->t->url, NULL, &own, NULL);
  pthread_barrier_wait(r->go);
  if (!r->open_err)
    r->err = door__store_login_identity(r->st ? r->st : own, T_ISS, r->subject,
                                        "daccount", NULL, 100, r->id,
                                        &r->created, NULL);
  door__store_close(own);
  return NULL;
}

/* Runs THREADS racers for one subject; checks one account came out. */
static int run_race(const t_db *t, door_store *shared, const char *subject) {
  pthread_barrier_t go;
  pthread_t th[THREADS];
  racer r[THREADS];
  int i, created = 0;
  pthread_barrier_init(&go, NULL, THREADS);
  for (i = 0; i < THREADS; i++) {
    memset(&r[i], 0, sizeof r[i]);
    r[i].t = t;
    r[i].st = shared;
    r[i].go = &go;
    r[i].subject = subject;
    pthread_create(&th[i], NULL, race_login, &r[i]);
  }
  for (i = 0; i < THREADS; i++)
    pthread_join(th[i], NULL);
  pthread_barrier_destroy(&go);
  for (i = 0; i < THREADS; i++) {
    if (r[i].open_err || r[i].err) {
      printf("# racer %d: open %s, login %s\n", i, door_err_name(r[i].open_err),
             door_err_name(r[i].err));
      return 0;
    }
    if (strcmp(r[i].id, r[0].id) != 0) {
      printf("# racer %d got another account\n", i);
      return 0;
    }
    created += r[i].created;
  }
  if (created != 1)
    printf("# %d racers created an account\n", created);
  return created == 1;
}

static void test_first_logins_on_separate_connections(void) {
  t_db t;
  door_store *st;
  t_conn *db;
  char subject[32];
  int round;
  t_db_make(&t);
  st = t_open(&t); /* create and migrate before the race */
  T_OK(st);
  door__store_close(st);
  for (round = 0; round < 4; round++) {
    snprintf(subject, sizeof subject, "racer-%d", round);
    T_OK(run_race(&t, NULL, subject));
  }
  db = t_raw(&t);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM accounts"), 4);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM identities"), 4);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM audit"
                     " WHERE kind = 'account_create'"),
           4);
  t_close(db);
  t_db_remove(&t);
}

static void test_first_logins_on_one_pooled_store(void) {
  door_store_options o;
  door_store *st = NULL;
  door_store_counts c;
  t_db t;
  char subject[32];
  int round;
  t_db_make(&t);
  door__store_options_init(&o);
  o.max_connections = THREADS;
  T_EQ_ERR(door__store_open(t.url, &o, &st, NULL), DOOR_OK);
  for (round = 0; round < 4; round++) {
    snprintf(subject, sizeof subject, "pooled-%d", round);
    T_OK(run_race(&t, st, subject));
  }
  T_EQ_ERR(door__store_counts(st, 0, &c, NULL), DOOR_OK);
  T_EQ_INT(c.accounts, 4);
  T_EQ_INT(c.identities, 4);
  door__store_close(st);
  /* A pool of 2 for 16 threads: the others wait their turn. */
  o.max_connections = 2;
  T_EQ_ERR(door__store_open(t.url, &o, &st, NULL), DOOR_OK);
  T_OK(run_race(&t, st, "narrow-pool"));
  door__store_close(st);
  t_db_remove(&t);
}

/* A child of the multi-process race: opens its own store, says it is
 * ready, waits for the start, logs in and reports "<id><created>". */
static void child_login(const t_db *t, int ready_fd, int go_fd, int out_fd,
                        const char *subject) {
  door_store *st = NULL;
  char id[33], c = 'r', line[33];
  int created = 0;
  door_err err = door__store_open(t->url, NULL, &st, NULL);
  if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
    _exit(2);
  if (!err)
    err = door__store_login_identity(st, T_ISS, subject, "daccount", NULL, 100,
                                     id, &created, NULL);
  door__store_close(st);
  if (err)
    _exit(3);
  memcpy(line, id, 32);
  line[32] = created ? '1' : '0';
  if (write(out_fd, line, sizeof line) != (ssize_t)sizeof line)
    _exit(4);
  _exit(0);
}

#define PROCS 4

/* PROCS processes, each with its own store, log one subject in at once. */
static void test_first_logins_from_processes(void) {
  t_db t;
  door_store *st;
  t_conn *db;
  char subject[32], got[PROCS][33];
  int round, i;
  t_db_make(&t);
  st = t_open(&t);
  T_OK(st);
  door__store_close(st);
  for (round = 0; round < 3; round++) {
    int ready[2], go[2], res[2], status, created = 0;
    pid_t pid[PROCS];
    char c;
    snprintf(subject, sizeof subject, "proc-%d", round);
    T_EQ_INT(pipe(ready), 0);
    T_EQ_INT(pipe(go), 0);
    T_EQ_INT(pipe(res), 0);
    fflush(stdout);
    for (i = 0; i < PROCS; i++) {
      pid[i] = fork();
      T_OK(pid[i] >= 0);
      if (pid[i] == 0) {
        close(ready[0]);
        close(go[1]);
        close(res[0]);
        child_login(&t, ready[1], go[0], res[1], subject);
      }
    }
    close(ready[1]);
    close(go[0]);
    close(res[1]);
    for (i = 0; i < PROCS; i++)
      T_EQ_INT(read(ready[0], &c, 1), 1);
    for (i = 0; i < PROCS; i++)
      T_EQ_INT(write(go[1], "g", 1), 1);
    for (i = 0; i < PROCS; i++) {
      size_t have = 0;
      ssize_t n = 1;
      while (have < sizeof got[i] && n > 0) {
        n = read(res[0], got[i] + have, sizeof got[i] - have);
        have += n > 0 ? (size_t)n : 0;
      }
      T_EQ_INT(have, sizeof got[i]);
    }
    for (i = 0; i < PROCS; i++) {
      T_EQ_INT(waitpid(pid[i], &status, 0), pid[i]);
      T_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      T_EQ_MEM(got[i], got[0], 32);
      created += got[i][32] == '1';
    }
    close(ready[0]);
    close(go[1]);
    close(res[0]);
    T_EQ_INT(created, 1);
  }
  db = t_raw(&t);
  T_OK(db);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM accounts"), 3);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM identities"), 3);
  t_close(db);
  t_db_remove(&t);
}

typedef struct opener {
  const t_db *t;
  pthread_barrier_t *go;
  door_err err;
} opener;

static void *race_open(void *p) {
  opener *o = p;
  door_store *st = NULL;
  pthread_barrier_wait(o->go);
  o->err = door__store_open(o->t->url, NULL, &st, NULL);
  door__store_close(st);
  return NULL;
}

static void test_racing_opens_of_a_fresh_file(void) {
  pthread_barrier_t go;
  pthread_t th[8];
  opener o[8];
  t_conn *db;
  t_db t;
  int i;
  t_db_make(&t);
  pthread_barrier_init(&go, NULL, 8);
  for (i = 0; i < 8; i++) {
    o[i].t = &t;
    o[i].go = &go;
    o[i].err = DOOR_EINTERNAL;
    pthread_create(&th[i], NULL, race_open, &o[i]);
  }
  for (i = 0; i < 8; i++)
    pthread_join(th[i], NULL);
  pthread_barrier_destroy(&go);
  for (i = 0; i < 8; i++)
    T_EQ_ERR(o[i].err, DOOR_OK);
  db = t_raw(&t);
  /* Each migration applied once. */
  T_EQ_INT(t_int(db, "SELECT count(*) FROM schema_version"),
           t.pg ? door__pg_latest : door__sq_latest);
  T_EQ_INT(t_int(db, "SELECT max(version) FROM schema_version"),
           t.pg ? door__pg_latest : door__sq_latest);
  t_close(db);
  t_db_remove(&t);
}

typedef struct gate {
  const t_db *t;
  pthread_barrier_t *go;
  door_err err;
} gate;

static void *race_admit(void *p) {
  gate *g = p;
  door_store *st = NULL;
  door_err err = door__store_open(g->t->url, NULL, &st, NULL);
  pthread_barrier_wait(g->go);
  g->err =
      err ? err
          : door__store_jti_admit(st, "event-9", "jti-9", 1000, 10, NULL, NULL);
  door__store_close(st);
  return NULL;
}

static void test_one_admission_across_gates(void) {
  pthread_barrier_t go;
  pthread_t th[THREADS];
  gate g[THREADS];
  door_store *st;
  t_db t;
  int i, ok = 0, dup = 0;
  t_db_make(&t);
  st = t_open(&t);
  T_OK(st);
  door__store_close(st);
  pthread_barrier_init(&go, NULL, THREADS);
  for (i = 0; i < THREADS; i++) {
    g[i].t = &t;
    g[i].go = &go;
    pthread_create(&th[i], NULL, race_admit, &g[i]);
  }
  for (i = 0; i < THREADS; i++)
    pthread_join(th[i], NULL);
  pthread_barrier_destroy(&go);
  for (i = 0; i < THREADS; i++) {
    ok += g[i].err == DOOR_OK;
    dup += g[i].err == DOOR_ESTORE_DUPLICATE;
  }
  T_EQ_INT(ok, 1);
  T_EQ_INT(dup, THREADS - 1);
  t_db_remove(&t);
}

/* Two gates unlink the two identities of one account at once: one wins,
 * the other finds the last identity and keeps it. */
typedef struct unlinker {
  const t_db *t;
  pthread_barrier_t *go;
  const char *account, *subject;
  door_err err;
} unlinker;

static void *race_unlink(void *p) {
  unlinker *u = p;
  door_store *st = NULL;
  door_err err = door__store_open(u->t->url, NULL, &st, NULL);
  pthread_barrier_wait(u->go);
  u->err = err ? err
               : door__store_unlink_identity(st, u->account, NULL, T_ISS,
                                             u->subject, 5, NULL);
  door__store_close(st);
  return NULL;
}

static void test_racing_unlinks_keep_the_last_identity(void) {
  pthread_barrier_t go;
  pthread_t th[2];
  unlinker u[2];
  door_store *st;
  door_store_account a;
  t_db t;
  char id[33], subject[2][32];
  int round, i, created, ok, last;
  t_db_make(&t);
  st = t_open(&t);
  T_OK(st);
  for (round = 0; round < 6; round++) {
    snprintf(subject[0], sizeof subject[0], "u%d-a", round);
    snprintf(subject[1], sizeof subject[1], "u%d-b", round);
    T_EQ_ERR(door__store_login_identity(st, T_ISS, subject[0], "daccount", NULL,
                                        1, id, &created, NULL),
             DOOR_OK);
    T_EQ_ERR(door__store_link_identity(st, id, T_ISS, subject[1], "daccount",
                                       NULL, 2, NULL, NULL),
             DOOR_OK);
    pthread_barrier_init(&go, NULL, 2);
    for (i = 0; i < 2; i++) {
      u[i].t = &t;
      u[i].go = &go;
      u[i].account = id;
      u[i].subject = subject[i];
      u[i].err = DOOR_EINTERNAL;
      pthread_create(&th[i], NULL, race_unlink, &u[i]);
    }
    for (i = 0; i < 2; i++)
      pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    ok = (u[0].err == DOOR_OK) + (u[1].err == DOOR_OK);
    last = (u[0].err == DOOR_ESTORE_LAST_IDENTITY) +
           (u[1].err == DOOR_ESTORE_LAST_IDENTITY);
    T_EQ_INT(ok, 1);
    T_EQ_INT(last, 1);
    T_EQ_ERR(door__store_account_get(st, id, &a, NULL), DOOR_OK);
    T_EQ_INT(a.n_identities, 1);
    door__store_account_clear(&a);
  }
  door__store_close(st);
  t_db_remove(&t);
}

/* Another process holding the write lock past the busy timeout makes
 * writes fail with STORE_BUSY (after the retries); reads still work (WAL).
 * On PostgreSQL: a lock on identities that lets reads through, and the
 * busy timeout becomes lock_timeout. */
static void test_locked_database_reports_busy(void) {
  door_store_options o;
  door_store *st = NULL;
  door_store_counts c;
  door_detail d;
  t_conn *db;
  struct timespec t0, t1;
  t_db t;
  char id[33];
  int created;
  long ms;
  t_db_make(&t);
  door__store_options_init(&o);
  o.busy_timeout_ms = 50;
  T_EQ_ERR(door__store_open(t.url, &o, &st, NULL), DOOR_OK);
  db = t_raw(&t);
  T_OK(db);
  T_EQ_INT(t_exec(db, t_sql(&t, "BEGIN IMMEDIATE",
                            "BEGIN; LOCK TABLE identities IN EXCLUSIVE MODE")),
           0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "late", "daccount", NULL, 1,
                                      id, &created, &d),
           DOOR_ESTORE_BUSY);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 +
       (t1.tv_nsec - t0.tv_nsec) / 1000000;
  T_OK(ms >= 50);
  T_OK(d.hint[0] != '\0');
  T_EQ_INT(created, 0);
  T_EQ_ERR(door__store_counts(st, 0, &c, NULL), DOOR_OK);
  T_EQ_INT(c.accounts, 0);
  T_EQ_INT(t_exec(db, "COMMIT"), 0);
  t_close(db);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "late", "daccount", NULL, 1,
                                      id, &created, NULL),
           DOOR_OK);
  T_EQ_INT(created, 1);
  door__store_close(st);
  t_db_remove(&t);
}

/* The child logs in and links in a loop until killed.  It says "started"
 * through the pipe after its first few transactions. */
static void child_writer(const t_db *t, int fd, unsigned seed) {
  door_store *st = NULL;
  char subject[32], extra[40], id[33];
  int i, created;
  if (door__store_open(t->url, NULL, &st, NULL))
    _exit(3);
  for (i = 0; i < 1000000; i++) {
    snprintf(subject, sizeof subject, "u%u-%d", seed % 7, i % 64);
    if (door__store_login_identity(st, T_ISS, subject, "daccount",
                                   "{\"n\":\"x\"}", (int64_t)i, id, &created,
                                   NULL))
      _exit(4);
    if (created) {
      snprintf(extra, sizeof extra, "x-%s", subject);
      door__store_link_identity(st, id, T_ISS2, extra, "xmarket", NULL,
                                (int64_t)i, NULL, NULL);
    }
    if (i == 8 && write(fd, "s", 1) != 1)
      _exit(5);
  }
  _exit(0);
}

static void test_sigkill_leaves_a_consistent_database(void) {
  t_db t;
  door_store *st;
  t_conn *db;
  char buf[64];
  unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
  int round, kills = 0;
  t_db_make(&t);
  st = t_open(&t);
  T_OK(st);
  door__store_close(st);
  srand(seed);
  printf("# seed %u\n", seed);
  for (round = 0; round < 6; round++) {
    int fds[2], status = 0;
    char c;
    pid_t pid;
    struct timespec ts;
    T_EQ_INT(pipe(fds), 0);
    fflush(stdout);
    pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      child_writer(&t, fds[1], seed + (unsigned)round);
    }
    close(fds[1]);
    T_EQ_INT(read(fds[0], &c, 1), 1);
    close(fds[0]);
    ts.tv_sec = 0;
    ts.tv_nsec = (long)(rand() % 60) * 1000000L;
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    T_EQ_INT(waitpid(pid, &status, 0), pid);
    kills += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }
  T_OK(kills > 0);
  db = t_raw(&t);
  T_OK(db);
  if (!t.pg) { /* PostgreSQL enforces foreign keys at every commit */
    T_EQ_STR(t_text(db, "PRAGMA integrity_check", buf, sizeof buf), "ok");
    T_EQ_INT(t_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
  }
  T_EQ_INT(t_int(db, "SELECT count(*) FROM accounts a WHERE NOT EXISTS"
                     " (SELECT 1 FROM identities i WHERE i.account_id = a.id)"),
           0);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM (SELECT issuer, subject"
                     " FROM identities GROUP BY issuer, subject"
                     " HAVING count(*) > 1) x"),
           0);
  /* Every account was created with its audit row, in one transaction. */
  T_EQ_INT(t_int(db, "SELECT count(*) FROM accounts a WHERE NOT EXISTS"
                     " (SELECT 1 FROM audit WHERE account_id = a.id"
                     " AND kind = 'account_create')"),
           0);
  T_OK(t_int(db, "SELECT count(*) FROM accounts") > 0);
  t_close(db);
  /* And the store opens it again. */
  st = t_open(&t);
  T_OK(st);
  door__store_close(st);
  t_db_remove(&t);
}

T_MAIN(T_CASE(test_first_logins_on_separate_connections),
       T_CASE(test_first_logins_on_one_pooled_store),
       T_CASE(test_first_logins_from_processes),
       T_CASE(test_racing_opens_of_a_fresh_file),
       T_CASE(test_one_admission_across_gates),
       T_CASE(test_racing_unlinks_keep_the_last_identity),
       T_CASE(test_locked_database_reports_busy),
       T_CASE(test_sigkill_leaves_a_consistent_database))
