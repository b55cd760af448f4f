/* The PostgreSQL backend: audit, one-time guards, transmission records. */
#include "store/pg_int.h"

#include <stdlib.h>
#include <string.h>

static const char Q_AUDIT_INSERT[] =
    "INSERT INTO audit (at, account_id, kind, provider, issuer, detail)"
    " VALUES ($1, $2, $3, $4, $5, $6)";
static const char Q_AUDIT_APPEND[] =
    "INSERT INTO audit (at, account_id, kind, provider, issuer, detail)"
    " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
static const char Q_AUDIT_LIST_ACCOUNT[] =
    "SELECT id, at, account_id, kind, provider, issuer, detail FROM audit"
    " WHERE account_id = $1 ORDER BY id DESC LIMIT $2";
static const char Q_AUDIT_LIST_ALL[] =
    "SELECT id, at, account_id, kind, provider, issuer, detail FROM audit"
    " ORDER BY id DESC LIMIT $1";
static const char Q_STATE_INSERT[] =
    "INSERT INTO used_states (key, expires_at) VALUES ($1, $2)";
static const char Q_STATE_PURGE[] =
    "DELETE FROM used_states WHERE expires_at <= $1";
/* The first admission wins; a later one reads when that was. */
static const char Q_JTI_INSERT[] =
    "INSERT INTO jti_admissions (event_id, jti, expires_at, admitted_at)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (event_id, jti) DO NOTHING";
static const char Q_JTI_WHEN[] =
    "SELECT admitted_at FROM jti_admissions WHERE event_id = $1 AND jti = $2";
static const char Q_JTI_PURGE[] =
    "DELETE FROM jti_admissions WHERE expires_at <= $1";
static const char Q_TX_INSERT[] =
    "INSERT INTO transmissions (at, provider, endpoint, fields, purpose,"
    " account_id, outcome, http_status)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
static const char Q_TX_PURGE[] = "DELETE FROM transmissions WHERE at < $1";
static const char Q_TX_LIST_ACCOUNT[] =
    "SELECT id, at, provider, endpoint, fields, purpose, account_id, outcome,"
    " http_status"
    " FROM transmissions WHERE account_id = $1 ORDER BY id DESC LIMIT $2";
static const char Q_TX_LIST_ALL[] =
    "SELECT id, at, provider, endpoint, fields, purpose, account_id, outcome,"
    " http_status"
    " FROM transmissions ORDER BY id DESC LIMIT $1";

/* ---- audit ---- */

door_err door__pg_audit_insert(door__pg_conn *c, int64_t at,
                               const char *account_id,
                               door_store_audit_kind kind, const char *provider,
                               const char *issuer, const char *detail,
                               door_detail *d) {
  return door__store_no_account(
      door__pg_run(c, Q_AUDIT_INSERT, NULL, d, "ittttt", at, account_id,
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

static door_err audit_fn(door__pg_conn *c, void *p, door_detail *d) {
  audit_ctx *x = p;
  int64_t id = 0;
  door_err err = door__pg_int(
      c, Q_AUDIT_APPEND, &id, d, "ittttt", x->at, x->account_id,
      door__store_audit_kind_name(x->kind), x->provider, x->issuer, x->detail);
  door__store_no_account(err, d);
  if (!err)
    *x->id = id;
  return err;
}

door_err door__pg_audit_append(door_store *st, int64_t at,
                               const char *account_id,
                               door_store_audit_kind kind, const char *provider,
                               const char *issuer, const char *detail,
                               int64_t *id, door_detail *d) {
  audit_ctx x = {at, account_id, kind, provider, issuer, detail, id};
  *id = 0;
  return door__pg_tx(door__pg_of(st), DOOR__PG_ONE_WRITE, 1, audit_fn, &x, d);
}

typedef struct list_ctx {
  const char *account_id;
  int64_t limit;
  void *items;
  size_t n;
} list_ctx;

static door_err audit_list_fn(door__pg_conn *c, void *p, door_detail *d) {
  list_ctx *x = p;
  door_store_audit *a;
  PGresult *r;
  door_err err;
  int i, rows;
  door__store_audits_free(x->items, x->n);
  x->items = NULL;
  x->n = 0;
  if (x->account_id)
    err = door__pg_q(c, Q_AUDIT_LIST_ACCOUNT, &r, d, "ti", x->account_id,
                     x->limit);
  else
    err = door__pg_q(c, Q_AUDIT_LIST_ALL, &r, d, "i", x->limit);
  rows = err ? 0 : PQntuples(r);
  if (rows > 0 && !(x->items = calloc((size_t)rows, sizeof *a)))
    err = DOOR_ENOMEM;
  for (i = 0; !err && i < rows; i++) {
    char *kind = NULL;
    a = (door_store_audit *)x->items + i;
    x->n++;
    a->id = door__pg_col_i64(r, i, 0);
    a->at = door__pg_col_i64(r, i, 1);
    err = door__pg_col_str(r, i, 2, &a->account_id);
    if (!err)
      err = door__pg_col_str(r, i, 3, &kind);
    a->kind = door__store_audit_kind_of(kind);
    free(kind);
    if (!err)
      err = door__pg_col_str(r, i, 4, &a->provider);
    if (!err)
      err = door__pg_col_str(r, i, 5, &a->issuer);
    if (!err)
      err = door__pg_col_str(r, i, 6, &a->detail);
  }
  PQclear(r);
  return err;
}

door_err door__pg_audit_list(door_store *st, const char *account_id,
                             size_t limit, door_store_audit **out, size_t *n,
                             door_detail *d) {
  list_ctx x = {account_id, (int64_t)limit, NULL, 0};
  door_err err =
      door__pg_tx(door__pg_of(st), DOOR__PG_ONE_READ, 1, audit_list_fn, &x, d);
  if (err) {
    door__store_audits_free(x.items, x.n);
    return err;
  }
  *out = x.items;
  *n = x.n;
  return DOOR_OK;
}

/* ---- one-time guards ---- */

door_err door__pg_state_consume(door_store *st, const char *key,
                                int64_t expires_at, door_detail *d) {
  door_err err = door__pg_run1(door__pg_of(st), 1, Q_STATE_INSERT, NULL, d,
                               "ti", key, expires_at);
  return err == DOOR_EEXISTS ? door__store_state_reused(d) : err;
}

door_err door__pg_states_purge(door_store *st, int64_t now, uint64_t *n,
                               door_detail *d) {
  *n = 0;
  return door__pg_run1(door__pg_of(st), 0, Q_STATE_PURGE, n, d, "i", now);
}

typedef struct jti_ctx {
  const char *event_id, *jti;
  int64_t expires_at, now, *first;
} jti_ctx;

static door_err jti_fn(door__pg_conn *c, void *p, door_detail *d) {
  jti_ctx *x = p;
  uint64_t n = 0;
  door_err err = door__pg_run(c, Q_JTI_INSERT, &n, d, "ttii", x->event_id,
                              x->jti, x->expires_at, x->now);
  *x->first = 0;
  if (err)
    return err;
  if (n == 1) {
    *x->first = x->now;
    return DOOR_OK;
  }
  err = door__pg_int(c, Q_JTI_WHEN, x->first, d, "tt", x->event_id, x->jti);
  if (err == DOOR_ENOTFOUND) /* purged in between: admit it again */
    return door__pg_conflict(c, d);
  if (!err)
    err = door__store_jti_reused(d);
  return err;
}

door_err door__pg_jti_admit(door_store *st, const char *event_id,
                            const char *jti, int64_t expires_at, int64_t now,
                            int64_t *first_admitted_at, door_detail *d) {
  jti_ctx x = {event_id, jti, expires_at, now, first_admitted_at};
  door_err err;
  *first_admitted_at = 0;
  err = door__pg_tx(door__pg_of(st), DOOR__PG_WRITE, 1, jti_fn, &x, d);
  if (err && err != DOOR_ESTORE_DUPLICATE)
    *first_admitted_at = 0;
  return err;
}

door_err door__pg_jti_purge(door_store *st, int64_t now, uint64_t *n,
                            door_detail *d) {
  *n = 0;
  return door__pg_run1(door__pg_of(st), 0, Q_JTI_PURGE, n, d, "i", now);
}

/* ---- transmissions ---- */

typedef struct tx_ctx {
  const door_store_transmission_new *t;
  int64_t *id;
} tx_ctx;

door_err door__pg_tx_insert(door__pg_conn *c,
                            const door_store_transmission_new *t,
                            const char *account_id, int64_t *id,
                            door_detail *d) {
  int64_t v = 0;
  door_err err = door__store_no_account(
      door__pg_int(c, Q_TX_INSERT, &v, d, "itttttti", t->at, t->provider,
                   t->endpoint, t->fields_json, t->purpose, account_id,
                   t->outcome, (int64_t)t->http_status),
      d);
  if (!err && id)
    *id = v;
  return err;
}

static door_err tx_fn(door__pg_conn *c, void *p, door_detail *d) {
  tx_ctx *x = p;
  return door__pg_tx_insert(c, x->t, x->t->account_id, x->id, d);
}

door_err door__pg_transmission_append(door_store *st,
                                      const door_store_transmission_new *t,
                                      int64_t *id, door_detail *d) {
  tx_ctx x = {t, id};
  *id = 0;
  return door__pg_tx(door__pg_of(st), DOOR__PG_ONE_WRITE, 1, tx_fn, &x, d);
}

door_err door__pg_transmissions_purge(door_store *st, int64_t before,
                                      uint64_t *n, door_detail *d) {
  *n = 0;
  return door__pg_run1(door__pg_of(st), 0, Q_TX_PURGE, n, d, "i", before);
}

static door_err tx_list_fn(door__pg_conn *c, void *p, door_detail *d) {
  list_ctx *x = p;
  door_store_transmission *t;
  PGresult *r;
  door_err err;
  int i, rows;
  door__store_transmissions_free(x->items, x->n);
  x->items = NULL;
  x->n = 0;
  if (x->account_id)
    err =
        door__pg_q(c, Q_TX_LIST_ACCOUNT, &r, d, "ti", x->account_id, x->limit);
  else
    err = door__pg_q(c, Q_TX_LIST_ALL, &r, d, "i", x->limit);
  rows = err ? 0 : PQntuples(r);
  if (rows > 0 && !(x->items = calloc((size_t)rows, sizeof *t)))
    err = DOOR_ENOMEM;
  for (i = 0; !err && i < rows; i++) {
    t = (door_store_transmission *)x->items + i;
    x->n++;
    t->id = door__pg_col_i64(r, i, 0);
    t->at = door__pg_col_i64(r, i, 1);
    err = door__pg_col_str(r, i, 2, &t->provider);
    if (!err)
      err = door__pg_col_str(r, i, 3, &t->endpoint);
    if (!err)
      err = door__pg_col_str(r, i, 4, &t->fields_json);
    if (!err)
      err = door__pg_col_str(r, i, 5, &t->purpose);
    if (!err)
      err = door__pg_col_str(r, i, 6, &t->account_id);
    if (!err)
      err = door__pg_col_str(r, i, 7, &t->outcome);
    t->http_status = (int)door__pg_col_i64(r, i, 8);
  }
  PQclear(r);
  return err;
}

door_err door__pg_transmissions_list(door_store *st, const char *account_id,
                                     size_t limit,
                                     door_store_transmission **out, size_t *n,
                                     door_detail *d) {
  list_ctx x = {account_id, (int64_t)limit, NULL, 0};
  door_err err =
      door__pg_tx(door__pg_of(st), DOOR__PG_ONE_READ, 1, tx_list_fn, &x, d);
  if (err) {
    door__store_transmissions_free(x.items, x.n);
    return err;
  }
  *out = x.items;
  *n = x.n;
  return DOOR_OK;
}
