/* The SQLite backend: audit, one-time guards, transmission records. */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

static const char Q_AUDIT_INSERT[] =
    "INSERT INTO audit (at, account_id, kind, provider, issuer, detail)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char Q_AUDIT_LIST_ACCOUNT[] =
    "SELECT id, at, account_id, kind, provider, issuer, detail FROM audit"
    " WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2";
static const char Q_AUDIT_LIST_ALL[] =
    "SELECT id, at, account_id, kind, provider, issuer, detail FROM audit"
    " ORDER BY id DESC LIMIT ?1";
static const char Q_STATE_INSERT[] =
    "INSERT INTO used_states (key, expires_at) VALUES (?1, ?2)";
static const char Q_STATE_PURGE[] =
    "DELETE FROM used_states WHERE expires_at <= ?1";
static const char Q_JTI_INSERT[] =
    "INSERT INTO jti_admissions (event_id, jti, expires_at, admitted_at)"
    " VALUES (?1, ?2, ?3, ?4)";
static const char Q_JTI_WHEN[] =
    "SELECT admitted_at FROM jti_admissions WHERE event_id = ?1 AND jti = ?2";
static const char Q_JTI_PURGE[] =
    "DELETE FROM jti_admissions WHERE expires_at <= ?1";
static const char Q_TX_INSERT[] =
    "INSERT INTO transmissions (at, provider, endpoint, fields, purpose,"
    " account_id, outcome, http_status)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char Q_TX_PURGE[] = "DELETE FROM transmissions WHERE at < ?1";
static const char Q_TX_LIST_ACCOUNT[] =
    "SELECT id, at, provider, endpoint, fields, purpose, account_id, outcome,"
    " http_status"
    " FROM transmissions WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2";
static const char Q_TX_LIST_ALL[] =
    "SELECT id, at, provider, endpoint, fields, purpose, account_id, outcome,"
    " http_status"
    " FROM transmissions ORDER BY id DESC LIMIT ?1";

/* ---- audit ---- */

door_err door__sq_audit_insert(door__sq_conn *c, int64_t at,
                               const char *account_id,
                               door_store_audit_kind kind, const char *provider,
                               const char *issuer, const char *detail,
                               door_detail *d) {
  return door__store_no_account(
      door__sq_run(c, Q_AUDIT_INSERT, NULL, d, "ittttt", at, account_id,
                   door__store_audit_kind_name(kind), provider, issuer, detail),
      d);
}

typedef struct audit_ctx {
  int64_t at;
  const char *account_id;
  door_store_audit_kind kind;
  const char *provider, *issuer, *detail;
  int64_t *id;
} audit_ctx;

static door_err audit_fn(door__sq_conn *c, void *p, door_detail *d) {
  audit_ctx *x = p;
  door_err err = door__sq_audit_insert(c, x->at, x->account_id, x->kind,
                                       x->provider, x->issuer, x->detail, d);
  if (!err)
    *x->id = (int64_t)sqlite3_last_insert_rowid(c->db);
  return err;
}

door_err door__sq_audit_append(door_store *st, int64_t at,
                               const char *account_id,
                               door_store_audit_kind kind, const char *provider,
                               const char *issuer, const char *detail,
                               int64_t *id, door_detail *d) {
  audit_ctx x = {at, account_id, kind, provider, issuer, detail, id};
  *id = 0;
  return door__sq_tx(door__sq_of(st), DOOR__SQ_DURABLE, audit_fn, &x, d);
}

/* Grows an array of `size`-byte items by one; returns the new zeroed item. */
static void *grow(void **arr, size_t *n, size_t *cap, size_t size) {
  char *item;
  if (*n == *cap) {
    size_t nc = *cap ? 2 * *cap : 16;
    void *g = realloc(*arr, nc * size);
    if (!g)
      return NULL;
    *arr = g;
    *cap = nc;
  }
  item = (char *)*arr + *n * size;
  memset(item, 0, size);
  (*n)++;
  return item;
}

typedef struct list_ctx {
  const char *account_id;
  int64_t limit;
  void *items;
  size_t n, cap;
} list_ctx;

static door_err audit_list_fn(door__sq_conn *c, void *p, door_detail *d) {
  list_ctx *x = p;
  sqlite3_stmt *st;
  door_err err;
  int row = 1;
  door__store_audits_free(x->items, x->n);
  x->items = NULL;
  x->n = x->cap = 0;
  if (x->account_id)
    err = door__sq_q(c, Q_AUDIT_LIST_ACCOUNT, &st, d, "ti", x->account_id,
                     x->limit);
  else
    err = door__sq_q(c, Q_AUDIT_LIST_ALL, &st, d, "i", x->limit);
  while (!err) {
    door_store_audit *a;
    char *kind = NULL;
    err = door__sq_step(c, st, &row, d);
    if (err || !row)
      break;
    a = grow(&x->items, &x->n, &x->cap, sizeof *a);
    if (!a) {
      err = DOOR_ENOMEM;
      break;
    }
    a->id = (int64_t)sqlite3_column_int64(st, 0);
    a->at = (int64_t)sqlite3_column_int64(st, 1);
    err = door__sq_col_str(st, 2, &a->account_id);
    if (!err)
      err = door__sq_col_str(st, 3, &kind);
    a->kind = door__store_audit_kind_of(kind);
    free(kind);
    if (!err)
      err = door__sq_col_str(st, 4, &a->provider);
    if (!err)
      err = door__sq_col_str(st, 5, &a->issuer);
    if (!err)
      err = door__sq_col_str(st, 6, &a->detail);
  }
  door__sq_end(st);
  return err;
}

door_err door__sq_audit_list(door_store *st, const char *account_id,
                             size_t limit, door_store_audit **out, size_t *n,
                             door_detail *d) {
  list_ctx x = {account_id, (int64_t)limit, NULL, 0, 0};
  door_err err =
      door__sq_tx(door__sq_of(st), DOOR__SQ_READ, audit_list_fn, &x, d);
  if (err) {
    door__store_audits_free(x.items, x.n);
    return err;
  }
  *out = x.items;
  *n = x.n;
  return DOOR_OK;
}

/* ---- one-time guards ---- */

door_err door__sq_state_consume(door_store *st, const char *key,
                                int64_t expires_at, door_detail *d) {
  door_err err = door__sq_run1(door__sq_of(st), 1, Q_STATE_INSERT, NULL, d,
                               "ti", key, expires_at);
  return err == DOOR_EEXISTS ? door__store_state_reused(d) : err;
}

door_err door__sq_states_purge(door_store *st, int64_t now, uint64_t *n,
                               door_detail *d) {
  *n = 0;
  return door__sq_run1(door__sq_of(st), 0, Q_STATE_PURGE, n, d, "i", now);
}

typedef struct jti_ctx {
  const char *event_id, *jti;
  int64_t expires_at, now, *first;
} jti_ctx;

static door_err jti_fn(door__sq_conn *c, void *p, door_detail *d) {
  jti_ctx *x = p;
  door_err err =
      door__sq_int(c, Q_JTI_WHEN, x->first, d, "tt", x->event_id, x->jti);
  if (!err)
    return door__store_jti_reused(d);
  if (err != DOOR_ENOTFOUND)
    return err;
  *x->first = x->now;
  return door__sq_run(c, Q_JTI_INSERT, NULL, d, "ttii", x->event_id, x->jti,
                      x->expires_at, x->now);
}

door_err door__sq_jti_admit(door_store *st, const char *event_id,
                            const char *jti, int64_t expires_at, int64_t now,
                            int64_t *first_admitted_at, door_detail *d) {
  jti_ctx x = {event_id, jti, expires_at, now, first_admitted_at};
  door_err err;
  *first_admitted_at = 0;
  err = door__sq_tx(door__sq_of(st), DOOR__SQ_DURABLE, jti_fn, &x, d);
  if (err && err != DOOR_ESTORE_DUPLICATE)
    *first_admitted_at = 0;
  return err;
}

door_err door__sq_jti_purge(door_store *st, int64_t now, uint64_t *n,
                            door_detail *d) {
  *n = 0;
  return door__sq_run1(door__sq_of(st), 0, Q_JTI_PURGE, n, d, "i", now);
}

/* ---- transmissions ---- */

typedef struct tx_ctx {
  const door_store_transmission_new *t;
  int64_t *id;
} tx_ctx;

door_err door__sq_tx_insert(door__sq_conn *c,
                            const door_store_transmission_new *t,
                            const char *account_id, door_detail *d) {
  return door__store_no_account(
      door__sq_run(c, Q_TX_INSERT, NULL, d, "itttttti", t->at, t->provider,
                   t->endpoint, t->fields_json, t->purpose, account_id,
                   t->outcome, (int64_t)t->http_status),
      d);
}

static door_err tx_fn(door__sq_conn *c, void *p, door_detail *d) {
  tx_ctx *x = p;
  door_err err = door__sq_tx_insert(c, x->t, x->t->account_id, d);
  if (!err)
    *x->id = (int64_t)sqlite3_last_insert_rowid(c->db);
  return err;
}

door_err door__sq_transmission_append(door_store *st,
                                      const door_store_transmission_new *t,
                                      int64_t *id, door_detail *d) {
  tx_ctx x = {t, id};
  *id = 0;
  return door__sq_tx(door__sq_of(st), DOOR__SQ_DURABLE, tx_fn, &x, d);
}

door_err door__sq_transmissions_purge(door_store *st, int64_t before,
                                      uint64_t *n, door_detail *d) {
  *n = 0;
  return door__sq_run1(door__sq_of(st), 0, Q_TX_PURGE, n, d, "i", before);
}

static door_err tx_list_fn(door__sq_conn *c, void *p, door_detail *d) {
  list_ctx *x = p;
  sqlite3_stmt *st;
  door_err err;
  int row = 1;
  door__store_transmissions_free(x->items, x->n);
  x->items = NULL;
  x->n = x->cap = 0;
  if (x->account_id)
    err =
        door__sq_q(c, Q_TX_LIST_ACCOUNT, &st, d, "ti", x->account_id, x->limit);
  else
    err = door__sq_q(c, Q_TX_LIST_ALL, &st, d, "i", x->limit);
  while (!err) {
    door_store_transmission *t;
    err = door__sq_step(c, st, &row, d);
    if (err || !row)
      break;
    t = grow(&x->items, &x->n, &x->cap, sizeof *t);
    if (!t) {
      err = DOOR_ENOMEM;
      break;
    }
    t->id = (int64_t)sqlite3_column_int64(st, 0);
    t->at = (int64_t)sqlite3_column_int64(st, 1);
    err = door__sq_col_str(st, 2, &t->provider);
    if (!err)
      err = door__sq_col_str(st, 3, &t->endpoint);
    if (!err)
      err = door__sq_col_str(st, 4, &t->fields_json);
    if (!err)
      err = door__sq_col_str(st, 5, &t->purpose);
    if (!err)
      err = door__sq_col_str(st, 6, &t->account_id);
    if (!err)
      err = door__sq_col_str(st, 7, &t->outcome);
    t->http_status = sqlite3_column_int(st, 8);
  }
  door__sq_end(st);
  return err;
}

door_err door__sq_transmissions_list(door_store *st, const char *account_id,
                                     size_t limit,
                                     door_store_transmission **out, size_t *n,
                                     door_detail *d) {
  list_ctx x = {account_id, (int64_t)limit, NULL, 0, 0};
  door_err err = door__sq_tx(door__sq_of(st), DOOR__SQ_READ, tx_list_fn, &x, d);
  if (err) {
    door__store_transmissions_free(x.items, x.n);
    return err;
  }
  *out = x.items;
  *n = x.n;
  return DOOR_OK;
}
