/* The PostgreSQL backend: accounts and identities.
 *
 * Concurrency (READ COMMITTED).  A first login inserts the account, then
 * the identity with ON CONFLICT DO NOTHING: when another transaction got
 * there first (it waits for that one to commit), nothing is inserted and
 * the whole transaction is rolled back and run again, finding the
 * identity this time, so racing first logins make exactly one account.
 * Unlink and delete lock the account row first (FOR UPDATE), which
 * serialises them with each other and with links (whose foreign key check
 * takes a share lock on the same row): an account never loses its last
 * identity to two racing unlinks.
 */
#include "store/pg_int.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

static const char Q_FIND[] =
    "SELECT account_id FROM identities WHERE issuer = $1 AND subject = $2";
static const char Q_TOUCH[] =
    "UPDATE identities SET last_login_at = $3, kept_claims = $4"
    " WHERE issuer = $1 AND subject = $2 RETURNING account_id";
static const char Q_ACCOUNT_INSERT[] =
    "INSERT INTO accounts (id, created_at) VALUES ($1, $2)";
static const char Q_IDENTITY_INSERT[] =
    "INSERT INTO identities (account_id, provider, issuer, subject,"
    " linked_at, last_login_at, kept_claims)"
    " VALUES ($1, $2, $3, $4, $5, $5, $6)"
    " ON CONFLICT (issuer, subject) DO NOTHING";
static const char Q_ACCOUNT_EXISTS[] = "SELECT 1 FROM accounts WHERE id = $1";
static const char Q_ACCOUNT_LOCK[] =
    "SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE";
static const char Q_BY_PROVIDER[] =
    "SELECT issuer, subject FROM identities"
    " WHERE account_id = $1 AND provider = $2 LIMIT 2";
static const char Q_BY_NAME[] =
    "SELECT provider FROM identities"
    " WHERE account_id = $1 AND issuer = $2 AND subject = $3";
static const char Q_COUNT_IDENTITIES[] =
    "SELECT count(*) FROM identities WHERE account_id = $1";
static const char Q_COUNT_PROVIDER[] =
    "SELECT count(*) FROM identities WHERE account_id = $1 AND provider = $2";
static const char Q_IDENTITY_DELETE[] =
    "DELETE FROM identities"
    " WHERE account_id = $1 AND issuer = $2 AND subject = $3";
static const char Q_TOKENS_DELETE_PROVIDER[] =
    "DELETE FROM provider_tokens WHERE account_id = $1 AND provider = $2";
static const char Q_GET[] =
    "SELECT a.id, a.created_at, i.provider, i.issuer, i.subject,"
    " i.kept_claims, i.linked_at, i.last_login_at"
    " FROM accounts a LEFT JOIN identities i ON i.account_id = a.id"
    " WHERE a.id = $1 ORDER BY i.linked_at, i.seq";
static const char Q_LIST[] =
    "SELECT a.id, a.created_at, i.provider, i.issuer, i.subject,"
    " i.kept_claims, i.linked_at, i.last_login_at"
    " FROM (SELECT id, created_at FROM accounts WHERE id > $1"
    "       ORDER BY id LIMIT $2) a"
    " LEFT JOIN identities i ON i.account_id = a.id"
    " ORDER BY a.id, i.linked_at, i.seq";
static const char Q_DEL_IDENTITIES[] =
    "DELETE FROM identities WHERE account_id = $1";
static const char Q_DEL_SESSIONS[] =
    "DELETE FROM sessions WHERE account_id = $1";
static const char Q_DEL_TOKENS[] =
    "DELETE FROM provider_tokens WHERE account_id = $1";
static const char Q_DEL_TRANSMISSIONS[] =
    "DELETE FROM transmissions WHERE account_id = $1";
static const char Q_ANONYMISE_AUDIT[] =
    "UPDATE audit SET account_id = NULL, detail = NULL WHERE account_id = $1";
static const char Q_DEL_ACCOUNT[] = "DELETE FROM accounts WHERE id = $1";
/* One statement, one snapshot. */
static const char Q_COUNTS[] =
    "SELECT (SELECT count(*) FROM accounts),"
    " (SELECT count(*) FROM identities),"
    " (SELECT count(*) FROM provider_tokens),"
    " (SELECT count(*) FROM audit),"
    " (SELECT count(*) FROM used_states),"
    " (SELECT count(*) FROM jti_admissions),"
    " (SELECT count(*) FROM signing_keys),"
    " (SELECT count(*) FROM transmissions),"
    " (SELECT count(*) FROM sessions"
    "  WHERE idle_expires_at > $1 AND absolute_expires_at > $1)";

/* Looks the identity up (Q_FIND), or touches it (Q_TOUCH: last_login_at,
 * kept claims) and answers its account; DOOR_ENOTFOUND when not linked. */
static door_err find(door__pg_conn *c, const char *sql,
                     const door__store_ident *id,
                     char account_id[DOOR_STORE_ID_LEN + 1], door_detail *d) {
  PGresult *r;
  door_err err;
  if (sql == Q_TOUCH)
    err = door__pg_q(c, sql, &r, d, "ttit", id->issuer, id->subject, id->now,
                     id->kept_claims_json);
  else
    err = door__pg_q(c, sql, &r, d, "tt", id->issuer, id->subject);
  if (!err && PQntuples(r) < 1)
    err = DOOR_ENOTFOUND;
  if (!err)
    door__pg_col_account(r, 0, 0, account_id);
  PQclear(r);
  return err;
}

static door_err account_exists(door__pg_conn *c, const char *sql,
                               const char *account_id, door_detail *d) {
  int64_t one;
  return door__store_no_account(door__pg_int(c, sql, &one, d, "t", account_id),
                                d);
}

/* ---- sign-in and link steps ---- */

door_err door__pg_signin(door__pg_conn *c, const door__store_ident *id,
                         char account_id[DOOR_STORE_ID_LEN + 1], int *created,
                         door_detail *d) {
  uint64_t n = 0;
  door_err err = find(c, Q_TOUCH, id, account_id, d);
  *created = 0;
  if (err != DOOR_ENOTFOUND)
    return err;
  err = door__store_new_account(account_id, d);
  if (!err)
    err = door__pg_run(c, Q_ACCOUNT_INSERT, NULL, d, "ti", account_id, id->now);
  if (err == DOOR_EEXISTS) /* 2^-128: a colliding random id */
    return door__store_id_collided(d);
  if (!err)
    err = door__pg_run(c, Q_IDENTITY_INSERT, &n, d, "ttttit", account_id,
                       id->provider, id->issuer, id->subject, id->now,
                       id->kept_claims_json);
  if (!err && n == 0) /* another login of this subject committed first */
    return door__pg_conflict(c, d);
  if (!err)
    err =
        door__pg_audit_insert(c, id->now, account_id, DOOR_AUDIT_ACCOUNT_CREATE,
                              id->provider, id->issuer, NULL, d);
  if (!err)
    *created = 1;
  return err;
}

door_err door__pg_link(door__pg_conn *c, const char *account_id,
                       const door__store_ident *id, int *linked,
                       door_detail *d) {
  char owner[DOOR_STORE_ID_LEN + 1];
  uint64_t n = 0;
  door_err err = account_exists(c, Q_ACCOUNT_EXISTS, account_id, d);
  *linked = 0;
  if (err)
    return err;
  err = find(c, Q_FIND, id, owner, d);
  if (!err)
    return door__store_link_owner(owner, account_id, d);
  if (err != DOOR_ENOTFOUND)
    return err;
  err = door__pg_run(c, Q_IDENTITY_INSERT, &n, d, "ttttit", account_id,
                     id->provider, id->issuer, id->subject, id->now,
                     id->kept_claims_json);
  door__store_no_account(err, d); /* the account went meanwhile */
  if (!err && n == 0)
    return door__pg_conflict(c, d);
  if (!err)
    err = door__pg_audit_insert(c, id->now, account_id, DOOR_AUDIT_LINK,
                                id->provider, id->issuer, NULL, d);
  if (!err)
    *linked = 1;
  return err;
}

/* ---- login ---- */

typedef struct login_ctx {
  door__store_ident id;
  char *account_id;
  int created;
} login_ctx;

static door_err login_fn(door__pg_conn *c, void *p, door_detail *d) {
  login_ctx *x = p;
  return door__pg_signin(c, &x->id, x->account_id, &x->created, d);
}

door_err door__pg_login_identity(door_store *st, const char *issuer,
                                 const char *subject, const char *provider,
                                 const char *claims, int64_t now,
                                 char account_id[DOOR_STORE_ID_LEN + 1],
                                 int *created, door_detail *d) {
  login_ctx x = {{issuer, subject, provider, claims, now}, account_id, 0};
  door_err err =
      door__pg_tx(door__pg_of(st), DOOR__PG_WRITE, 1, login_fn, &x, d);
  *created = err ? 0 : x.created;
  if (err)
    account_id[0] = '\0';
  return err;
}

/* ---- link ---- */

typedef struct link_ctx {
  const char *account_id;
  door__store_ident id;
  int linked;
} link_ctx;

static door_err link_fn(door__pg_conn *c, void *p, door_detail *d) {
  link_ctx *x = p;
  return door__pg_link(c, x->account_id, &x->id, &x->linked, d);
}

door_err door__pg_link_identity(door_store *st, const char *account_id,
                                const char *issuer, const char *subject,
                                const char *provider, const char *claims,
                                int64_t now, int *linked, door_detail *d) {
  link_ctx x = {account_id, {issuer, subject, provider, claims, now}, 0};
  door_err err =
      door__pg_tx(door__pg_of(st), DOOR__PG_WRITE, 1, link_fn, &x, d);
  *linked = err ? 0 : x.linked;
  return err;
}

/* ---- unlink ---- */

typedef struct unlink_ctx {
  const char *account_id, *provider, *issuer, *subject;
  int64_t now;
} unlink_ctx;

/* Resolves the identity to unlink into issuer/subject/provider copies. */
static door_err unlink_resolve(door__pg_conn *c, unlink_ctx *x, char **issuer,
                               char **subject, char **provider,
                               door_detail *d) {
  PGresult *r = NULL;
  door_err err;
  int rows = 0;
  if (x->provider) {
    err = door__pg_q(c, Q_BY_PROVIDER, &r, d, "tt", x->account_id, x->provider);
    if (!err)
      rows = PQntuples(r);
    if (!err && rows > 1)
      err = door__store_ambiguous_identity(d);
    if (!err && rows == 1) {
      err = door__pg_col_str(r, 0, 0, issuer);
      if (!err)
        err = door__pg_col_str(r, 0, 1, subject);
      if (!err && !(*provider = strdup(x->provider)))
        err = DOOR_ENOMEM;
    }
  } else {
    err = door__pg_q(c, Q_BY_NAME, &r, d, "ttt", x->account_id, x->issuer,
                     x->subject);
    if (!err)
      rows = PQntuples(r);
    if (!err && rows > 0) {
      err = door__pg_col_str(r, 0, 0, provider);
      if (!err && !(*issuer = strdup(x->issuer)))
        err = DOOR_ENOMEM;
      if (!err && !(*subject = strdup(x->subject)))
        err = DOOR_ENOMEM;
    }
  }
  PQclear(r);
  if (!err && !rows)
    err = door__store_no_identity(d);
  return err;
}

static door_err unlink_fn(door__pg_conn *c, void *p, door_detail *d) {
  unlink_ctx *x = p;
  char *issuer = NULL, *subject = NULL, *provider = NULL;
  int64_t n = 0;
  door_err err;
  err = account_exists(c, Q_ACCOUNT_LOCK, x->account_id, d);
  if (!err)
    err = unlink_resolve(c, x, &issuer, &subject, &provider, d);
  if (!err)
    err = door__pg_int(c, Q_COUNT_IDENTITIES, &n, d, "t", x->account_id);
  if (!err && n <= 1)
    err = door__store_last_identity(d);
  if (!err)
    err = door__pg_run(c, Q_IDENTITY_DELETE, NULL, d, "ttt", x->account_id,
                       issuer, subject);
  if (!err)
    err =
        door__pg_int(c, Q_COUNT_PROVIDER, &n, d, "tt", x->account_id, provider);
  if (!err && n == 0)
    err = door__pg_run(c, Q_TOKENS_DELETE_PROVIDER, NULL, d, "tt",
                       x->account_id, provider);
  if (!err)
    err = door__pg_audit_insert(c, x->now, x->account_id, DOOR_AUDIT_UNLINK,
                                provider, issuer, NULL, d);
  free(issuer);
  free(subject);
  free(provider);
  return err;
}

door_err door__pg_unlink_identity(door_store *st, const char *account_id,
                                  const char *provider, const char *issuer,
                                  const char *subject, int64_t now,
                                  door_detail *d) {
  unlink_ctx x = {account_id, provider, issuer, subject, now};
  return door__pg_tx(door__pg_of(st), DOOR__PG_WRITE, 1, unlink_fn, &x, d);
}

/* ---- reads ---- */

typedef struct find_ctx {
  const char *issuer, *subject;
  char *account_id;
} find_ctx;

static door_err find_fn(door__pg_conn *c, void *p, door_detail *d) {
  find_ctx *x = p;
  door__store_ident id = {x->issuer, x->subject, NULL, NULL, 0};
  door_err err = find(c, Q_FIND, &id, x->account_id, d);
  return door__store_no_owner(err, d);
}

door_err door__pg_identity_find(door_store *st, const char *issuer,
                                const char *subject,
                                char account_id[DOOR_STORE_ID_LEN + 1],
                                door_detail *d) {
  find_ctx x = {issuer, subject, account_id};
  account_id[0] = '\0';
  return door__pg_tx(door__pg_of(st), DOOR__PG_ONE_READ, 1, find_fn, &x, d);
}

/* Reads rows of Q_GET / Q_LIST into accounts (one per distinct id). */
typedef struct read_ctx {
  const char *sql;
  const char *id; /* Q_GET's id, or Q_LIST's after (NULL: "") */
  int64_t limit;
  door_store_account *a;
  size_t n, cap;
} read_ctx;

static void read_reset(read_ctx *x) {
  door__store_accounts_free(x->a, x->n);
  x->a = NULL;
  x->n = x->cap = 0;
}

static door_err read_row(read_ctx *x, const PGresult *r, int row) {
  char aid[DOOR_STORE_ID_LEN + 1];
  door_store_identity *id;
  door_err err;
  door__pg_col_account(r, row, 0, aid);
  err = door__store_account_row(&x->a, &x->n, &x->cap, aid,
                                door__pg_col_i64(r, row, 1),
                                !PQgetisnull(r, row, 2), &id);
  if (err || !id)
    return err;
  err = door__pg_col_str(r, row, 2, &id->provider);
  if (!err)
    err = door__pg_col_str(r, row, 3, &id->issuer);
  if (!err)
    err = door__pg_col_str(r, row, 4, &id->subject);
  if (!err)
    err = door__pg_col_str(r, row, 5, &id->kept_claims);
  id->linked_at = door__pg_col_i64(r, row, 6);
  id->last_login_at = door__pg_col_i64(r, row, 7);
  return err;
}

static door_err read_fn(door__pg_conn *c, void *p, door_detail *d) {
  read_ctx *x = p;
  PGresult *r;
  door_err err;
  int i;
  read_reset(x);
  if (x->sql == Q_GET)
    err = door__pg_q(c, Q_GET, &r, d, "t", x->id);
  else
    err = door__pg_q(c, Q_LIST, &r, d, "ti", x->id ? x->id : "", x->limit);
  for (i = 0; !err && i < PQntuples(r); i++)
    err = read_row(x, r, i);
  PQclear(r);
  return err;
}

door_err door__pg_account_get(door_store *st, const char *account_id,
                              door_store_account *out, door_detail *d) {
  read_ctx x = {Q_GET, account_id, 0, NULL, 0, 0};
  door_err err =
      door__pg_tx(door__pg_of(st), DOOR__PG_ONE_READ, 1, read_fn, &x, d);
  return door__store_account_one(err, x.a, x.n, out, d);
}

door_err door__pg_accounts_list(door_store *st, const char *after_id,
                                size_t limit, door_store_account **out,
                                size_t *n, door_detail *d) {
  read_ctx x = {Q_LIST, after_id, (int64_t)limit, NULL, 0, 0};
  door_err err =
      door__pg_tx(door__pg_of(st), DOOR__PG_ONE_READ, 1, read_fn, &x, d);
  return door__store_accounts_give(err, x.a, x.n, out, n);
}

/* ---- delete ---- */

typedef struct delete_ctx {
  const char *account_id;
  int64_t now;
  door_store_delete_counts *counts;
} delete_ctx;

static door_err delete_fn(door__pg_conn *c, void *p, door_detail *d) {
  delete_ctx *x = p;
  door_store_delete_counts *k = x->counts;
  door_buf b;
  door_err err;
  memset(k, 0, sizeof *k);
  door__buf_init(&b, 512);
  err = account_exists(c, Q_ACCOUNT_LOCK, x->account_id, d);
  if (!err)
    err = door__pg_run(c, Q_DEL_IDENTITIES, &k->identities, d, "t",
                       x->account_id);
  if (!err)
    err = door__pg_run(c, Q_DEL_SESSIONS, &k->sessions, d, "t", x->account_id);
  if (!err)
    err = door__pg_run(c, Q_DEL_TOKENS, &k->provider_tokens, d, "t",
                       x->account_id);
  if (!err)
    err = door__pg_run(c, Q_DEL_TRANSMISSIONS, &k->transmissions, d, "t",
                       x->account_id);
  if (!err)
    err = door__pg_run(c, Q_ANONYMISE_AUDIT, &k->audit_anonymised, d, "t",
                       x->account_id);
  if (!err)
    err = door__pg_run(c, Q_DEL_ACCOUNT, NULL, d, "t", x->account_id);
  if (!err)
    err = door__store_delete_counts_json(k, &b);
  if (!err)
    err = door__pg_audit_insert(c, x->now, NULL, DOOR_AUDIT_ACCOUNT_DELETE,
                                NULL, NULL, door__buf_str(&b), d);
  door__buf_free(&b);
  return err;
}

door_err door__pg_account_delete(door_store *st, const char *account_id,
                                 int64_t now, door_store_delete_counts *counts,
                                 door_detail *d) {
  delete_ctx x = {account_id, now, counts};
  door_err err =
      door__pg_tx(door__pg_of(st), DOOR__PG_WRITE, 1, delete_fn, &x, d);
  if (err)
    memset(counts, 0, sizeof *counts);
  return err;
}

/* ---- counts ---- */

typedef struct counts_ctx {
  int64_t now;
  door_store_counts *out;
} counts_ctx;

static door_err counts_fn(door__pg_conn *c, void *p, door_detail *d) {
  counts_ctx *x = p;
  uint64_t *const v[] = {
      &x->out->accounts,     &x->out->identities,    &x->out->provider_tokens,
      &x->out->audit,        &x->out->used_states,   &x->out->jti_admissions,
      &x->out->signing_keys, &x->out->transmissions, &x->out->sessions};
  PGresult *r;
  door_err err = door__pg_q(c, Q_COUNTS, &r, d, "i", x->now);
  size_t i;
  if (!err && PQntuples(r) != 1)
    err = door_detail_set(d, DOOR_ESTORE, "counts", "no row", NULL);
  for (i = 0; !err && i < sizeof v / sizeof v[0]; i++)
    *v[i] = (uint64_t)door__pg_col_i64(r, 0, (int)i);
  PQclear(r);
  return err;
}

door_err door__pg_counts(door_store *st, int64_t now, door_store_counts *out,
                         door_detail *d) {
  counts_ctx x = {now, out};
  return door__pg_tx(door__pg_of(st), DOOR__PG_ONE_READ, 1, counts_fn, &x, d);
}
