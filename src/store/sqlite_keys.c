/* The SQLite backend: signing keys and provider tokens (stored as given:
 * the caller may hand sealed blobs; never logged). */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

static const char Q_KEY_INSERT[] =
    "INSERT INTO signing_keys (kid, alg, private_pem, created_at, not_before,"
    " retire_at, retired) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)";
static const char Q_KEY_LIST[] =
    "SELECT kid, alg, private_pem, created_at, not_before, retire_at, retired"
    " FROM signing_keys ORDER BY created_at, kid";
static const char Q_KEY_RETIRE[] =
    "UPDATE signing_keys SET retired = 1,"
    " retire_at = CASE WHEN retire_at IS NOT NULL AND retire_at < ?2"
    "   THEN retire_at ELSE ?2 END"
    " WHERE kid = ?1 AND retired = 0";
static const char Q_KEY_EXISTS[] = "SELECT 1 FROM signing_keys WHERE kid = ?1";
static const char Q_KEY_SIGNS[] =
    "SELECT count(*) FROM signing_keys WHERE retired = 0 AND alg = ?2"
    " AND not_before <= ?1 AND (retire_at IS NULL OR retire_at > ?1)";
static const char Q_KEY_PLAN[] =
    "UPDATE signing_keys SET retire_at = ?1"
    " WHERE retired = 0 AND retire_at IS NULL AND alg = ?2";
static const char Q_KEY_WITHDRAW[] =
    "UPDATE signing_keys SET retired = 1, retire_at = ?1"
    " WHERE retired = 0 AND alg = ?2";
static const char Q_TOKENS_PUT[] =
    "INSERT INTO provider_tokens (account_id, provider, access_token,"
    " refresh_token, expires_at, scope, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (account_id, provider) DO UPDATE SET"
    " access_token = excluded.access_token,"
    " refresh_token = excluded.refresh_token,"
    " expires_at = excluded.expires_at, scope = excluded.scope,"
    " updated_at = excluded.updated_at";
static const char Q_TOKENS_GET[] =
    "SELECT access_token, refresh_token, expires_at, scope, updated_at"
    " FROM provider_tokens WHERE account_id = ?1 AND provider = ?2";
static const char Q_TOKENS_DELETE[] =
    "DELETE FROM provider_tokens WHERE account_id = ?1 AND provider = ?2";

/* ---- signing keys ---- */

door_err door__sq_signing_key_put(door_store *st,
                                  const door_store_signing_key_new *k,
                                  door_detail *d) {
  door_err err =
      door__sq_run1(door__sq_of(st), 1, Q_KEY_INSERT, NULL, d, "ttbiiz", k->kid,
                    k->alg, k->private_pem, k->private_pem_len, k->created_at,
                    k->not_before, k->retire_at);
  return door__store_kid_err(err, d);
}

typedef struct keys_ctx {
  door_store_signing_key *k;
  size_t n, cap;
} keys_ctx;

static door_err keys_fn(door__sq_conn *c, void *p, door_detail *d) {
  keys_ctx *x = p;
  sqlite3_stmt *st;
  door_err err;
  int row = 1;
  door__store_signing_keys_free(x->k, x->n);
  x->k = NULL;
  x->n = x->cap = 0;
  err = door__sq_q(c, Q_KEY_LIST, &st, d, "");
  while (!err) {
    door_store_signing_key *k;
    err = door__sq_step(c, st, &row, d);
    if (err || !row)
      break;
    if (x->n == x->cap) {
      size_t nc = x->cap ? 2 * x->cap : 8;
      door_store_signing_key *g = realloc(x->k, nc * sizeof *g);
      if (!g) {
        err = DOOR_ENOMEM;
        break;
      }
      x->k = g;
      x->cap = nc;
    }
    k = &x->k[x->n++];
    memset(k, 0, sizeof *k);
    err = door__sq_col_str(st, 0, &k->kid);
    if (!err)
      err = door__sq_col_str(st, 1, &k->alg);
    if (!err)
      err = door__sq_col_blob(st, 2, &k->private_pem, &k->private_pem_len);
    k->created_at = (int64_t)sqlite3_column_int64(st, 3);
    k->not_before = (int64_t)sqlite3_column_int64(st, 4);
    k->retire_at = (int64_t)sqlite3_column_int64(st, 5); /* NULL: 0 */
    k->retired = sqlite3_column_int(st, 6) ? 1 : 0;
  }
  door__sq_end(st);
  return err;
}

door_err door__sq_signing_keys_list(door_store *st,
                                    door_store_signing_key **out, size_t *n,
                                    door_detail *d) {
  keys_ctx x = {NULL, 0, 0};
  door_err err = door__sq_tx(door__sq_of(st), DOOR__SQ_READ, keys_fn, &x, d);
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

static door_err retire_fn(door__sq_conn *c, void *p, door_detail *d) {
  retire_ctx *x = p;
  int64_t one;
  door_err err = door__sq_run(c, Q_KEY_RETIRE, NULL, d, "ti", x->kid, x->now);
  if (!err)
    err = door__sq_int(c, Q_KEY_EXISTS, &one, d, "t", x->kid);
  return door__store_kid_err(err, d);
}

door_err door__sq_signing_key_retire(door_store *st, const char *kid,
                                     int64_t now, door_detail *d) {
  retire_ctx x = {kid, now};
  return door__sq_tx(door__sq_of(st), DOOR__SQ_DURABLE, retire_fn, &x, d);
}

typedef struct add_ctx {
  const door_store_signing_key_new *k;
  door_store_key_mode mode;
  int64_t now, retire_others_at;
  int *added;
} add_ctx;

/* In one BEGIN IMMEDIATE transaction: every writer waits for it. */
static door_err add_fn(door__sq_conn *c, void *p, door_detail *d) {
  add_ctx *x = p;
  int64_t v = 0;
  door_err err = DOOR_OK;
  *x->added = 0;
  switch (x->mode) {
  case DOOR_STORE_KEY_IF_NONE_SIGNS:
    err = door__sq_int(c, Q_KEY_SIGNS, &v, d, "it", x->now, x->k->alg);
    if (!err && v > 0)
      return DOOR_OK;
    break;
  case DOOR_STORE_KEY_IF_ABSENT:
    err = door__sq_int(c, Q_KEY_EXISTS, &v, d, "t", x->k->kid);
    if (!err)
      return DOOR_OK;
    if (err == DOOR_ENOTFOUND)
      err = DOOR_OK;
    break;
  case DOOR_STORE_KEY_ROTATE:
    err = door__sq_run(c, Q_KEY_PLAN, NULL, d, "it", x->retire_others_at,
                       x->k->alg);
    break;
  case DOOR_STORE_KEY_WITHDRAW:
    err = door__sq_run(c, Q_KEY_WITHDRAW, NULL, d, "it", x->now, x->k->alg);
    break;
  }
  if (!err)
    err = door__sq_run(c, Q_KEY_INSERT, NULL, d, "ttbiiz", x->k->kid, x->k->alg,
                       x->k->private_pem, x->k->private_pem_len,
                       x->k->created_at, x->k->not_before, x->k->retire_at);
  door__store_kid_err(err, d);
  if (!err)
    *x->added = 1;
  return err;
}

door_err door__sq_signing_key_add(door_store *st,
                                  const door_store_signing_key_new *k,
                                  door_store_key_mode mode, int64_t now,
                                  int64_t retire_others_at, int *added,
                                  door_detail *d) {
  add_ctx x = {k, mode, now, retire_others_at, added};
  return door__sq_tx(door__sq_of(st), DOOR__SQ_DURABLE, add_fn, &x, d);
}

/* ---- provider tokens ---- */

/* A statement of its own (no transaction around it), durable. */
door_err door__sq_tokens_put(door_store *st, const door_store_tokens_new *t,
                             door_detail *d) {
  return door__store_no_account(
      door__sq_run1(door__sq_of(st), 1, Q_TOKENS_PUT, NULL, d, "ttbbzti",
                    t->account_id, t->provider, t->access_token, t->access_len,
                    t->refresh_token, t->refresh_len, t->expires_at, t->scope,
                    t->now),
      d);
}

door_err door__sq_tokens_write(door__sq_conn *c, const door_store_tokens_new *t,
                               door_detail *d) {
  return door__store_no_account(
      door__sq_run(c, Q_TOKENS_PUT, NULL, d, "ttbbzti", t->account_id,
                   t->provider, t->access_token, t->access_len,
                   t->refresh_token, t->refresh_len, t->expires_at, t->scope,
                   t->now),
      d);
}

typedef struct tokens_ctx {
  const char *account_id, *provider;
  door_store_tokens *out;
} tokens_ctx;

static door_err tokens_fn(door__sq_conn *c, void *p, door_detail *d) {
  tokens_ctx *x = p;
  door_store_tokens *t = x->out;
  sqlite3_stmt *st;
  door_err err;
  int row = 0;
  door__store_tokens_clear(t);
  err = door__sq_q(c, Q_TOKENS_GET, &st, d, "tt", x->account_id, x->provider);
  if (!err)
    err = door__sq_step(c, st, &row, d);
  if (!err && !row)
    err = door__store_no_tokens(d);
  if (!err)
    err = door__sq_col_blob(st, 0, &t->access_token, &t->access_len);
  if (!err)
    err = door__sq_col_blob(st, 1, &t->refresh_token, &t->refresh_len);
  if (!err)
    err = door__sq_col_str(st, 3, &t->scope);
  if (!err) {
    t->expires_at = (int64_t)sqlite3_column_int64(st, 2);
    t->updated_at = (int64_t)sqlite3_column_int64(st, 4);
  }
  door__sq_end(st);
  return err;
}

door_err door__sq_tokens_get(door_store *st, const char *account_id,
                             const char *provider, door_store_tokens *out,
                             door_detail *d) {
  tokens_ctx x = {account_id, provider, out};
  door_err err = door__sq_tx(door__sq_of(st), DOOR__SQ_READ, tokens_fn, &x, d);
  if (err)
    door__store_tokens_clear(out);
  return err;
}

door_err door__sq_tokens_delete(door_store *st, const char *account_id,
                                const char *provider, door_detail *d) {
  uint64_t n = 0;
  door_err err = door__sq_run1(door__sq_of(st), 1, Q_TOKENS_DELETE, &n, d, "tt",
                               account_id, provider);
  if (!err && !n)
    err = door__store_no_tokens(d);
  return err;
}
