/* The PostgreSQL backend: signing keys and provider tokens (stored as
 * given: the caller may hand sealed blobs; never logged). */
#include "store/pg_int.h"

#include <stdlib.h>
#include <string.h>

static const char Q_KEY_INSERT[] =
    "INSERT INTO signing_keys (kid, alg, private_pem, created_at, not_before,"
    " retire_at, retired) VALUES ($1, $2, $3, $4, $5, $6, false)";
static const char Q_KEY_LIST[] =
    "SELECT kid, alg, private_pem, created_at, not_before, retire_at, retired"
    " FROM signing_keys ORDER BY created_at, kid";
static const char Q_KEY_RETIRE[] =
    "UPDATE signing_keys SET retired = true,"
    " retire_at = CASE WHEN retire_at IS NOT NULL AND retire_at < $2"
    "   THEN retire_at ELSE $2 END"
    " WHERE kid = $1 AND NOT retired";
static const char Q_KEY_EXISTS[] = "SELECT 1 FROM signing_keys WHERE kid = $1";
/* Serialises door__pg_signing_key_add across every connection ("DOOK";
 * the migrations use "DOOR"). */
static const char Q_KEY_LOCK[] = "SELECT pg_advisory_xact_lock($1)";
static const char Q_KEY_SIGNS[] =
    "SELECT count(*) FROM signing_keys WHERE NOT retired AND alg = $2"
    " AND not_before <= $1 AND (retire_at IS NULL OR retire_at > $1)";
static const char Q_KEY_PLAN[] =
    "UPDATE signing_keys SET retire_at = $1"
    " WHERE NOT retired AND retire_at IS NULL AND alg = $2";
static const char Q_KEY_WITHDRAW[] =
    "UPDATE signing_keys SET retired = true, retire_at = $1"
    " WHERE NOT retired AND alg = $2";
#define DOOR__PG_KEYS_LOCK 0x444f4f4bLL
static const char Q_TOKENS_PUT[] =
    "INSERT INTO provider_tokens (account_id, provider, access_token,"
    " refresh_token, expires_at, scope, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
    " ON CONFLICT (account_id, provider) DO UPDATE SET"
    " access_token = excluded.access_token,"
    " refresh_token = excluded.refresh_token,"
    " expires_at = excluded.expires_at, scope = excluded.scope,"
    " updated_at = excluded.updated_at";
static const char Q_TOKENS_GET[] =
    "SELECT access_token, refresh_token, expires_at, scope, updated_at"
    " FROM provider_tokens WHERE account_id = $1 AND provider = $2";
static const char Q_TOKENS_DELETE[] =
    "DELETE FROM provider_tokens WHERE account_id = $1 AND provider = $2";

/* ---- signing keys ---- */

door_err door__pg_signing_key_put(door_store *st,
                                  const door_store_signing_key_new *k,
                                  door_detail *d) {
  door_err err =
      door__pg_run1(door__pg_of(st), 1, Q_KEY_INSERT, NULL, d, "ttbiiz", k->kid,
                    k->alg, k->private_pem, k->private_pem_len, k->created_at,
                    k->not_before, k->retire_at);
  return door__store_kid_err(err, d);
}

typedef struct keys_ctx {
  door_store_signing_key *k;
  size_t n;
} keys_ctx;

static door_err keys_fn(door__pg_conn *c, void *p, door_detail *d) {
  keys_ctx *x = p;
  PGresult *r;
  door_err err;
  int i, rows;
  door__store_signing_keys_free(x->k, x->n);
  x->k = NULL;
  x->n = 0;
  err = door__pg_q(c, Q_KEY_LIST, &r, d, "");
  rows = err ? 0 : PQntuples(r);
  if (rows > 0 && !(x->k = calloc((size_t)rows, sizeof *x->k)))
    err = DOOR_ENOMEM;
  for (i = 0; !err && i < rows; i++) {
    door_store_signing_key *k = &x->k[x->n++];
    err = door__pg_col_str(r, i, 0, &k->kid);
    if (!err)
      err = door__pg_col_str(r, i, 1, &k->alg);
    if (!err)
      err = door__pg_col_blob(r, i, 2, &k->private_pem, &k->private_pem_len);
    k->created_at = door__pg_col_i64(r, i, 3);
    k->not_before = door__pg_col_i64(r, i, 4);
    k->retire_at = door__pg_col_i64(r, i, 5); /* NULL: 0 */
    k->retired = door__pg_col_i64(r, i, 6) ? 1 : 0;
  }
  PQclear(r);
  return err;
}

door_err door__pg_signing_keys_list(door_store *st,
                                    door_store_signing_key **out, size_t *n,
                                    door_detail *d) {
  keys_ctx x = {NULL, 0};
  door_err err =
      door__pg_tx(door__pg_of(st), DOOR__PG_ONE_READ, 1, keys_fn, &x, d);
  if (err) {
    door__store_signing_keys_free(x.k, x.n);
    return err;
  }
  *out = x.k;
  *n = x.n;
  return DOOR_OK;
}

typedef struct retire_ctx {
  const char *kid;
  int64_t now;
} retire_ctx;

static door_err retire_fn(door__pg_conn *c, void *p, door_detail *d) {
  retire_ctx *x = p;
  int64_t one;
  door_err err = door__pg_run(c, Q_KEY_RETIRE, NULL, d, "ti", x->kid, x->now);
  if (!err)
    err = door__pg_int(c, Q_KEY_EXISTS, &one, d, "t", x->kid);
  return door__store_kid_err(err, d);
}

door_err door__pg_signing_key_retire(door_store *st, const char *kid,
                                     int64_t now, door_detail *d) {
  retire_ctx x = {kid, now};
  return door__pg_tx(door__pg_of(st), DOOR__PG_WRITE, 1, retire_fn, &x, d);
}

typedef struct add_ctx {
  const door_store_signing_key_new *k;
  door_store_key_mode mode;
  int64_t now, retire_others_at;
  int *added;
} add_ctx;

/* READ COMMITTED: after the advisory lock, each statement sees what the
 * previous holder committed. */
static door_err add_fn(door__pg_conn *c, void *p, door_detail *d) {
  add_ctx *x = p;
  int64_t v = 0;
  door_err err;
  *x->added = 0;
  err = door__pg_int(c, Q_KEY_LOCK, &v, d, "i", (int64_t)DOOR__PG_KEYS_LOCK);
  if (err)
    return err;
  switch (x->mode) {
  case DOOR_STORE_KEY_IF_NONE_SIGNS:
    err = door__pg_int(c, Q_KEY_SIGNS, &v, d, "it", x->now, x->k->alg);
    if (!err && v > 0)
      return DOOR_OK;
    break;
  case DOOR_STORE_KEY_IF_ABSENT:
    err = door__pg_int(c, Q_KEY_EXISTS, &v, d, "t", x->k->kid);
    if (!err)
      return DOOR_OK;
    if (err == DOOR_ENOTFOUND)
      err = DOOR_OK;
    break;
  case DOOR_STORE_KEY_ROTATE:
    err = door__pg_run(c, Q_KEY_PLAN, NULL, d, "it", x->retire_others_at,
                       x->k->alg);
    break;
  case DOOR_STORE_KEY_WITHDRAW:
    err = door__pg_run(c, Q_KEY_WITHDRAW, NULL, d, "it", x->now, x->k->alg);
    break;
  }
  if (!err)
    err = door__pg_run(c, Q_KEY_INSERT, NULL, d, "ttbiiz", x->k->kid, x->k->alg,
                       x->k->private_pem, x->k->private_pem_len,
                       x->k->created_at, x->k->not_before, x->k->retire_at);
  door__store_kid_err(err, d);
  if (!err)
    *x->added = 1;
  return err;
}

door_err door__pg_signing_key_add(door_store *st,
                                  const door_store_signing_key_new *k,
                                  door_store_key_mode mode, int64_t now,
                                  int64_t retire_others_at, int *added,
                                  door_detail *d) {
  add_ctx x = {k, mode, now, retire_others_at, added};
  return door__pg_tx(door__pg_of(st), DOOR__PG_WRITE, 1, add_fn, &x, d);
}

/* ---- provider tokens ---- */

door_err door__pg_tokens_write(door__pg_conn *c, const door_store_tokens_new *t,
                               door_detail *d) {
  return door__store_no_account(
      door__pg_run(c, Q_TOKENS_PUT, NULL, d, "ttbbzti", t->account_id,
                   t->provider, t->access_token, t->access_len,
                   t->refresh_token, t->refresh_len, t->expires_at, t->scope,
                   t->now),
      d);
}

static door_err put_fn(door__pg_conn *c, void *p, door_detail *d) {
  return door__pg_tokens_write(c, p, d);
}

/* One statement in ONE_WRITE mode (as door__pg_run1), durable. */
door_err door__pg_tokens_put(door_store *st, const door_store_tokens_new *t,
                             door_detail *d) {
  return door__pg_tx(door__pg_of(st), DOOR__PG_ONE_WRITE, 1, put_fn, (void *)t,
                     d);
}

typedef struct tokens_ctx {
  const char *account_id, *provider;
  door_store_tokens *out;
} tokens_ctx;

static door_err tokens_fn(door__pg_conn *c, void *p, door_detail *d) {
  tokens_ctx *x = p;
  door_store_tokens *t = x->out;
  PGresult *r;
  door_err err;
  door__store_tokens_clear(t);
  err = door__pg_q(c, Q_TOKENS_GET, &r, d, "tt", x->account_id, x->provider);
  if (!err && PQntuples(r) < 1)
    err = door__store_no_tokens(d);
  if (!err)
    err = door__pg_col_blob(r, 0, 0, &t->access_token, &t->access_len);
  if (!err)
    err = door__pg_col_blob(r, 0, 1, &t->refresh_token, &t->refresh_len);
  if (!err)
    err = door__pg_col_str(r, 0, 3, &t->scope);
  if (!err) {
    t->expires_at = door__pg_col_i64(r, 0, 2);
    t->updated_at = door__pg_col_i64(r, 0, 4);
  }
  PQclear(r);
  return err;
}

door_err door__pg_tokens_get(door_store *st, const char *account_id,
                             const char *provider, door_store_tokens *out,
                             door_detail *d) {
  tokens_ctx x = {account_id, provider, out};
  door_err err =
      door__pg_tx(door__pg_of(st), DOOR__PG_ONE_READ, 1, tokens_fn, &x, d);
  if (err)
    door__store_tokens_clear(out);
  return err;
}

door_err door__pg_tokens_delete(door_store *st, const char *account_id,
                                const char *provider, door_detail *d) {
  uint64_t n = 0;
  door_err err = door__pg_run1(door__pg_of(st), 1, Q_TOKENS_DELETE, &n, d, "tt",
                               account_id, provider);
  if (!err && !n)
    err = door__store_no_tokens(d);
  return err;
}
