/* SQLite group commit (src/store/sqlite_tx.c): write transactions of many
 * threads committed in shared batches, each in its own savepoint, so that
 * a failing one leaves nothing while its batch neighbours commit. */
#include "t_store.h"
#include "store/sqlite_int.h"

#include <pthread.h>

#define THREADS 16
#define JOBS 40

static const char Q_TABLE[] = "CREATE TABLE gc (k TEXT PRIMARY KEY NOT NULL)";
static const char Q_INSERT[] = "INSERT INTO gc (k) VALUES (?1)";

static door_err table_fn(door__sq_conn *c, void *ctx, door_detail *d) {
  (void)ctx;
  return door__sq_run(c, Q_TABLE, NULL, d, "");
}

typedef struct job {
  char key[32];
  int dup;    /* also insert "dup" (a second time fails: DOOR_EEXISTS) */
  int refuse; /* insert, then fail with DOOR_EINVAL */
} job;

static door_err job_fn(door__sq_conn *c, void *ctx, door_detail *d) {
  job *j = ctx;
  door_err err = door__sq_run(c, Q_INSERT, NULL, d, "t", j->key);
  if (!err && j->dup)
    err = door__sq_run(c, Q_INSERT, NULL, d, "t", "dup");
  if (!err && j->refuse)
    err = door_detail_set(d, DOOR_EINVAL, "test", "refused on purpose", NULL);
  return err;
}

typedef struct worker {
  door__sq *s;
  int id;
  pthread_barrier_t *go;
  door_err err[JOBS];
} worker;

static void job_make(job *j, int thread, int k) {
  memset(j, 0, sizeof *j);
  snprintf(j->key, sizeof j->key, "t%02d-%03d", thread, k);
  j->dup = thread == 0 && k % 4 == 0;
  j->refuse = thread == 1 && k % 10 == 5;
}

static void *work(void *p) {
  worker *w = p;
  job j;
  int k;
  pthread_barrier_wait(w->go);
  for (k = 0; k < JOBS; k++) {
    job_make(&j, w->id, k);
    w->err[k] = door__sq_tx(w->s, k % 2 ? DOOR__SQ_DURABLE : DOOR__SQ_WRITE,
                            job_fn, &j, NULL);
  }
  return NULL;
}

static void test_batches_commit_and_fail_alone(void) {
  t_db t;
  door_store *st;
  door__sq *s;
  t_conn *db;
  pthread_barrier_t go;
  pthread_t th[THREADS];
  worker w[THREADS];
  uint64_t jobs0, batches, jobs;
  int i, k, ok = 0, eexists = 0, einval = 0, other = 0;
  char sql[96], got[8];
  if (t_is_pg()) {
    t_only("sqlite");
    return;
  }
  st = t_fresh(&t);
  s = door__sq_of(st);
  T_EQ_ERR(door__sq_tx(s, DOOR__SQ_DURABLE, table_fn, NULL, NULL), DOOR_OK);
  jobs0 = s->g_jobs;
  pthread_barrier_init(&go, NULL, THREADS);
  for (i = 0; i < THREADS; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].s = s;
    w[i].id = i;
    w[i].go = &go;
    pthread_create(&th[i], NULL, work, &w[i]);
  }
  for (i = 0; i < THREADS; i++)
    pthread_join(th[i], NULL);
  pthread_barrier_destroy(&go);
  for (i = 0; i < THREADS; i++) {
    for (k = 0; k < JOBS; k++) {
      job j;
      job_make(&j, i, k);
      if (w[i].err[k] == DOOR_OK)
        ok++;
      else if (w[i].err[k] == DOOR_EEXISTS && j.dup)
        eexists++;
      else if (w[i].err[k] == DOOR_EINVAL && j.refuse)
        einval++;
      else {
        printf("# thread %d job %d: %s\n", i, k, door_err_name(w[i].err[k]));
        other++;
      }
    }
  }
  batches = s->g_batches;
  jobs = s->g_jobs - jobs0;
  printf("# %d committed, %d duplicate, %d refused; %llu jobs in %llu "
         "batches\n",
         ok, eexists, einval, (unsigned long long)jobs,
         (unsigned long long)batches);
  T_EQ_INT(other, 0);
  /* Thread 0: 10 jobs insert "dup", the first wins.  Thread 1: 4 refuse. */
  T_EQ_INT(eexists, 9);
  T_EQ_INT(einval, 4);
  T_EQ_INT(ok, THREADS * JOBS - 13);
  T_EQ_INT(jobs, THREADS * JOBS);
  T_OK(batches < jobs + 1); /* the table's batch counts too */
  T_OK(batches < jobs / 2); /* 16 threads: batches of several jobs */
  db = t_raw(&t);
  T_OK(db != NULL);
  /* Rows: every committed job's key plus "dup"; nothing of a failed job. */
  T_EQ_INT(t_int(db, "SELECT count(*) FROM gc"), THREADS * JOBS - 13 + 1);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM gc WHERE k = 'dup'"), 1);
  for (k = 0; k < JOBS; k++) {
    job j;
    job_make(&j, 1, k);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM gc WHERE k = '%s'", j.key);
    T_EQ_INT(t_int(db, sql), j.refuse ? 0 : 1);
    job_make(&j, 0, k);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM gc WHERE k = '%s'", j.key);
    T_EQ_INT(t_int(db, sql), j.dup && k ? 0 : 1);
  }
  T_EQ_STR(t_text(db, "PRAGMA integrity_check", got, sizeof got), "ok");
  t_close(db);
  t_done(&t, st);
}

T_MAIN(T_CASE(test_batches_commit_and_fail_alone))
