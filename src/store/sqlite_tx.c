/* SQLite transactions: reads on a pooled connection, writes on the writer
 * with group commit.
 *
 * Group commit.  A thread with a write transaction queues it (a job on its
 * own stack) under gmu.  When no thread is running a batch, it becomes the
 * leader: it takes every queued job, runs them one after the other on the
 * writer inside one BEGIN IMMEDIATE ... COMMIT, each in its own SAVEPOINT,
 * then marks them done and wakes the waiters; one of the threads whose job
 * arrived meanwhile leads the next batch.  A job whose fn fails is rolled
 * back to its savepoint and gets its own error; the others commit.  When
 * SQLite drops the whole transaction (I/O error, busy), the jobs not yet
 * final run again in a new transaction, like a retried transaction did
 * before.  One fsync then covers every login of the batch, and pages that
 * consecutive jobs touch (appends to sessions, audit, transmissions) are
 * written to the WAL once. */
#include "store/sqlite_int.h"

#include <string.h>
#include <time.h>

static const char Q_BEGIN[] = "BEGIN";
static const char Q_BEGIN_IMMEDIATE[] = "BEGIN IMMEDIATE";
static const char Q_COMMIT[] = "COMMIT";
static const char Q_ROLLBACK[] = "ROLLBACK";
static const char Q_SAVEPOINT[] = "SAVEPOINT door_job";
static const char Q_RELEASE[] = "RELEASE door_job";
static const char Q_ROLLBACK_TO[] = "ROLLBACK TO door_job";

/* Jobs per batch at most (the rest wait for the next one). */
#define BATCH_MAX 64

typedef struct door__sq_job {
  door__sq_tx_fn fn;
  void *ctx;
  door_detail *d;
  int durable;
  int final; /* err is the job's answer (leader's view) */
  int done;  /* under gmu: the waiter may return */
  door_err err;
  struct door__sq_job *next;
} door__sq_job;

void door__sq_backoff(int attempt) {
  struct timespec ts = {0, (long)attempt * 2000000L};
  nanosleep(&ts, NULL);
}

static void copy_detail(door_detail *to, const door_detail *from) {
  if (to && from)
    memcpy(to, from, sizeof *to);
}

/* READ transactions, and every transaction of sqlite::memory:. */
static door_err tx_single(door__sq *s, door__sq_mode mode, door__sq_tx_fn fn,
                          void *ctx, door_detail *d) {
  door__sq_conn *c;
  door_err err;
  int attempt;
  err = door__sq_acquire(s, &c, d);
  if (err)
    return err;
  for (attempt = 1;; attempt++) {
    err = DOOR_OK;
    if (mode != DOOR__SQ_READ)
      err = door__sq_sync(c, mode == DOOR__SQ_DURABLE, d);
    if (!err)
      err = door__sq_run(c, mode == DOOR__SQ_READ ? Q_BEGIN : Q_BEGIN_IMMEDIATE,
                         NULL, d, "");
    if (!err)
      err = fn(c, ctx, d);
    if (!err)
      err = door__sq_run(c, Q_COMMIT, NULL, d, "");
    if (err && !sqlite3_get_autocommit(c->db))
      sqlite3_exec(c->db, Q_ROLLBACK, NULL, NULL, NULL);
    if (err != DOOR_ESTORE_BUSY || attempt >= DOOR__SQ_TX_ATTEMPTS)
      break;
    door__sq_backoff(attempt);
  }
  door__sq_release(s, c);
  return err;
}

/* Every job not final gets `err` with detail `dd`. */
static void fail_open(door__sq_job *batch, door_err err,
                      const door_detail *dd) {
  door__sq_job *j;
  for (j = batch; j; j = j->next) {
    if (j->final)
      continue;
    j->err = err;
    j->final = 1;
    copy_detail(j->d, dd);
  }
}

/* One transaction over the jobs not final.  Returns DOOR_OK when it
 * committed (the jobs that ran without error are then final with DOOR_OK),
 * DOOR_OK with *again set when the transaction was lost under a job (that
 * job final with its error) and the others must run again, or the
 * transaction-level error (in *dd). */
static door_err run_once(door__sq_conn *c, door__sq_job *batch, int durable,
                         int *again, door_detail *dd) {
  door__sq_job *j;
  door_err err, e;
  err = door__sq_sync(c, durable, dd);
  if (!err)
    err = door__sq_run(c, Q_BEGIN_IMMEDIATE, NULL, dd, "");
  if (err)
    goto out;
  for (j = batch; j; j = j->next) {
    if (j->final)
      continue;
    j->err = DOOR_OK;
    err = door__sq_run(c, Q_SAVEPOINT, NULL, dd, "");
    if (err)
      goto out;
    e = j->fn(c, j->ctx, j->d);
    if (!e)
      e = door__sq_run(c, Q_RELEASE, NULL, j->d, "");
    if (!e)
      continue;
    if (sqlite3_get_autocommit(c->db)) {
      /* SQLite rolled the whole transaction back: the jobs before this
       * one lost their work.  A busy database retries everything. */
      if (e == DOOR_ESTORE_BUSY) {
        copy_detail(dd, j->d);
        err = e;
        goto out;
      }
      j->err = e;
      j->final = 1;
      *again = 1;
      goto out;
    }
    j->err = e;
    j->final = 1;
    err = door__sq_run(c, Q_ROLLBACK_TO, NULL, dd, "");
    if (!err)
      err = door__sq_run(c, Q_RELEASE, NULL, dd, "");
    if (err)
      goto out;
  }
  err = door__sq_run(c, Q_COMMIT, NULL, dd, "");
  if (!err) {
    for (j = batch; j; j = j->next)
      j->final = 1; /* the failed ones already were, with their error */
  }
out:
  if (err && !sqlite3_get_autocommit(c->db))
    sqlite3_exec(c->db, Q_ROLLBACK, NULL, NULL, NULL);
  return err;
}

/* The leader's work: the batch in as few transactions as it takes. */
static void run_batch(door__sq *s, door__sq_job *batch, size_t n) {
  door__sq_conn *c;
  door__sq_job *j;
  door_detail dd;
  door_err err;
  int durable = 0, busy = 0;
  size_t rounds = 0;
  door_detail_clear(&dd);
  for (j = batch; j; j = j->next)
    durable |= j->durable;
  err = door__sq_writer_take(s, &c, &dd);
  if (err) {
    fail_open(batch, err, &dd);
    return;
  }
  /* Each lost transaction finalises one job, so n + the busy retries
   * bound the rounds. */
  while (rounds++ < n + DOOR__SQ_TX_ATTEMPTS) {
    int again = 0;
    err = run_once(c, batch, durable, &again, &dd);
    if (again) {
      err = DOOR_ESTORE_BUSY; /* if the rounds run out */
      continue;
    }
    if (!err)
      break;
    if (err == DOOR_ESTORE_BUSY && ++busy < DOOR__SQ_TX_ATTEMPTS) {
      door__sq_backoff(busy);
      continue;
    }
    break;
  }
  if (err)
    fail_open(batch, err, &dd);
  door__sq_writer_give(s, c);
}

static door_err tx_group(door__sq *s, door__sq_mode mode, door__sq_tx_fn fn,
                         void *ctx, door_detail *d) {
  door__sq_job job, *batch, *j, *next;
  size_t n;
  memset(&job, 0, sizeof job);
  job.fn = fn;
  job.ctx = ctx;
  job.d = d;
  job.durable = mode == DOOR__SQ_DURABLE;
  pthread_mutex_lock(&s->gmu);
  if (s->gq_tail)
    s->gq_tail->next = &job;
  else
    s->gq_head = &job;
  s->gq_tail = &job;
  while (!job.done) {
    if (s->g_leading) {
      pthread_cond_wait(&s->gcv, &s->gmu);
      continue;
    }
    /* Lead: take up to BATCH_MAX queued jobs (this one among them, as it
     * is not done and nobody else leads). */
    s->g_leading = 1;
    batch = s->gq_head;
    for (j = batch, n = 1; j->next && n < BATCH_MAX; j = j->next)
      n++;
    s->gq_head = j->next;
    if (!s->gq_head)
      s->gq_tail = NULL;
    j->next = NULL;
    pthread_mutex_unlock(&s->gmu);
    run_batch(s, batch, n);
    pthread_mutex_lock(&s->gmu);
    for (j = batch; j; j = next) {
      next = j->next; /* j lives on its waiter's stack until done is set */
      j->done = 1;
    }
    s->g_leading = 0;
    s->g_batches++;
    s->g_jobs += n;
    pthread_cond_broadcast(&s->gcv);
  }
  pthread_mutex_unlock(&s->gmu);
  return job.err;
}

door_err door__sq_tx(door__sq *s, door__sq_mode mode, door__sq_tx_fn fn,
                     void *ctx, door_detail *d) {
  if (mode == DOOR__SQ_READ || s->memory)
    return tx_single(s, mode, fn, ctx, d);
  return tx_group(s, mode, fn, ctx, d);
}
