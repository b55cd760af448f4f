/* The SQLite backend: accounts and identities. */
#include "store/sqlite_int.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

static const char Q_FIND[] =
    "SELECT account_id FROM identities WHERE issuer = ?1 AND subject = ?2";
/* The lookup and the sign-in's update in one statement. */
static const char Q_TOUCH[] =
    "UPDATE identities SET last_login_at = ?3, kept_claims = ?4"
    " WHERE issuer = ?1 AND subject = ?2 RETURNING account_id";
static const char Q_ACCOUNT_INSERT[] =
    "INSERT INTO accounts (id, created_at) VALUES (?1, ?2)";
static const char Q_IDENTITY_INSERT[] =
    "INSERT INTO identities (account_id, provider, issuer, subject,"
    " linked_at, last_login_at, kept_claims)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)";
static const char Q_ACCOUNT_EXISTS[] = "SELECT 1 FROM accounts WHERE id = ?1";
static const char Q_BY_PROVIDER[] =
    "SELECT issuer, subject FROM identities"
    " WHERE account_id = ?1 AND provider = ?2 LIMIT 2";
static const char Q_BY_NAME[] =
    "SELECT provider FROM identities"
    " WHERE account_id = ?1 AND issuer = ?2 AND subject = ?3";
static const char Q_COUNT_IDENTITIES[] =
    "SELECT count(*) FROM identities WHERE account_id = ?1";
static const char Q_COUNT_PROVIDER[] =
    "SELECT count(*) FROM identities WHERE account_id = ?1 AND provider = ?2";
static const char Q_IDENTITY_DELETE[] =
    "DELETE FROM identities"
    " WHERE account_id = ?1 AND issuer = ?2 AND subject = ?3";
static const char Q_TOKENS_DELETE_PROVIDER[] =
    "DELETE FROM provider_tokens WHERE account_id = ?1 AND provider = ?2";
static const char Q_GET[] =
    "SELECT a.id, a.created_at, i.provider, i.issuer, i.subject,"
    " i.kept_claims, i.linked_at, i.last_login_at"
    " FROM accounts a LEFT JOIN identities i ON i.account_id = a.id"
    " WHERE a.id = ?1 ORDER BY i.linked_at, i.rowid";
static const char Q_LIST[] =
    "SELECT a.id, a.created_at, i.provider, i.issuer, i.subject,"
    " i.kept_claims, i.linked_at, i.last_login_at"
    " FROM (SELECT id, created_at FROM accounts WHERE id > ?1"
    "       ORDER BY id LIMIT ?2) a"
    " LEFT JOIN identities i ON i.account_id = a.id"
    " ORDER BY a.id, i.linked_at, i.rowid";
static const char Q_DEL_IDENTITIES[] =
    "DELETE FROM identities WHERE account_id = ?1";
static const char Q_DEL_SESSIONS[] =
    "DELETE FROM sessions WHERE account_id = ?1";
static const char Q_DEL_TOKENS[] =
    "DELETE FROM provider_tokens WHERE account_id = ?1";
static const char Q_DEL_TRANSMISSIONS[] =
    "DELETE FROM transmissions WHERE account_id = ?1";
static const char Q_ANONYMISE_AUDIT[] =
    "UPDATE audit SET account_id = NULL, detail = NULL WHERE account_id = ?1";
static const char Q_DEL_ACCOUNT[] = "DELETE FROM accounts WHERE id = ?1";
static const char Q_COUNT_ACCOUNTS[] = "SELECT count(*) FROM accounts";
static const char Q_COUNT_ALL_IDENTITIES[] = "SELECT count(*) FROM identities";
static const char Q_COUNT_SESSIONS[] =
    "SELECT count(*) FROM sessions"
    " WHERE idle_expires_at > ?1 AND absolute_expires_at > ?1";
static const char Q_COUNT_TOKENS[] = "SELECT count(*) FROM provider_tokens";
static const char Q_COUNT_AUDIT[] = "SELECT count(*) FROM audit";
static const char Q_COUNT_STATES[] = "SELECT count(*) FROM used_states";
static const char Q_COUNT_JTI[] = "SELECT count(*) FROM jti_admissions";
static const char Q_COUNT_KEYS[] = "SELECT count(*) FROM signing_keys";
static const char Q_COUNT_TRANSMISSIONS[] =
    "SELECT count(*) FROM transmissions";

/* Copies the first column (an account id) of the current row. */
static void col_account(sqlite3_stmt *st, int i,
                        char out[DOOR_STORE_ID_LEN + 1]) {
  const unsigned char *s = sqlite3_column_text(st, i);
  size_t n = s ? strnlen((const char *)s, DOOR_STORE_ID_LEN) : 0;
  memcpy(out, s ? (const char *)s : "", n);
  out[n] = '\0';
}

/* Looks the identity up (Q_FIND), or touches it (Q_TOUCH: last_login_at,
 * kept claims) and answers its account; DOOR_ENOTFOUND when not linked. */
static door_err find(door__sq_conn *c, const char *sql,
                     const door__store_ident *id,
                     char account_id[DOOR_STORE_ID_LEN + 1], door_detail *d) {
  sqlite3_stmt *st;
  door_err err;
  int row = 0;
  if (sql == Q_TOUCH)
    err = door__sq_q(c, sql, &st, d, "ttit", id->issuer, id->subject, id->now,
                     id->kept_claims_json);
  else
    err = door__sq_q(c, sql, &st, d, "tt", id->issuer, id->subject);
  if (!err)
    err = door__sq_step(c, st, &row, d);
  if (!err && !row)
    err = DOOR_ENOTFOUND;
  if (!err)
    col_account(st, 0, account_id);
  /* Runs an UPDATE ... RETURNING to completion. */
  while (!err && row)
    err = door__sq_step(c, st, &row, d);
  door__sq_end(st);
  return err;
}

static door_err account_exists(door__sq_conn *c, const char *account_id,
                               door_detail *d) {
  int64_t one;
  return door__store_no_account(
      door__sq_int(c, Q_ACCOUNT_EXISTS, &one, d, "t", account_id), d);
}

/* ---- sign-in and link steps ---- */

door_err door__sq_signin(door__sq_conn *c, const door__store_ident *id,
                         char account_id[DOOR_STORE_ID_LEN + 1], int *created,
                         door_detail *d) {
  door_err err = find(c, Q_TOUCH, id, account_id, d);
  *created = 0;
  if (err != DOOR_ENOTFOUND)
    return err;
  err = door__store_new_account(account_id, d);
  if (!err)
    err = door__sq_run(c, Q_ACCOUNT_INSERT, NULL, d, "ti", account_id, id->now);
  if (!err)
    err = door__sq_run(c, Q_IDENTITY_INSERT, NULL, d, "ttttit", account_id,
                       id->provider, id->issuer, id->subject, id->now,
                       id->kept_claims_json);
  if (!err)
    err =
        door__sq_audit_insert(c, id->now, account_id, DOOR_AUDIT_ACCOUNT_CREATE,
                              id->provider, id->issuer, NULL, d);
  if (err == DOOR_EEXISTS) /* 2^-128: a colliding random id */
    err = door__store_id_collided(d);
  if (!err)
    *created = 1;
  return err;
}

door_err door__sq_link(door__sq_conn *c, const char *account_id,
                       const door__store_ident *id, int *linked,
                       door_detail *d) {
  char owner[DOOR_STORE_ID_LEN + 1];
  door_err err = account_exists(c, account_id, d);
  *linked = 0;
  if (err)
    return err;
  err = find(c, Q_FIND, id, owner, d);
  if (!err)
    return door__store_link_owner(owner, account_id, d);
  if (err != DOOR_ENOTFOUND)
    return err;
  err = door__sq_run(c, Q_IDENTITY_INSERT, NULL, d, "ttttit", account_id,
                     id->provider, id->issuer, id->subject, id->now,
                     id->kept_claims_json);
  if (!err)
    err = door__sq_audit_insert(c, id->now, account_id, DOOR_AUDIT_LINK,
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

static door_err login_fn(door__sq_conn *c, void *p, door_detail *d) {
  login_ctx *x = p;
  return door__sq_signin(c, &x->id, x->account_id, &x->created, d);
}

door_err door__sq_login_identity(door_store *st, const char *issuer,
                                 const char *subject, const char *provider,
                                 const char *claims, int64_t now,
                                 char account_id[DOOR_STORE_ID_LEN + 1],
                                 int *created, door_detail *d) {
  login_ctx x = {{issuer, subject, provider, claims, now}, account_id, 0};
  door_err err =
      door__sq_tx(door__sq_of(st), DOOR__SQ_DURABLE, login_fn, &x, d);
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

static door_err link_fn(door__sq_conn *c, void *p, door_detail *d) {
  link_ctx *x = p;
  return door__sq_link(c, x->account_id, &x->id, &x->linked, d);
}

door_err door__sq_link_identity(door_store *st, const char *account_id,
                                const char *issuer, const char *subject,
                                const char *provider, const char *claims,
                                int64_t now, int *linked, door_detail *d) {
  link_ctx x = {account_id, {issuer, subject, provider, claims, now}, 0};
  door_err err = door__sq_tx(door__sq_of(st), DOOR__SQ_DURABLE, link_fn, &x, d);
  *linked = err ? 0 : x.linked;
  return err;
}

/* ---- unlink ---- */

typedef struct unlink_ctx {
  const char *account_id, *provider, *issuer, *subject;
  int64_t now;
} unlink_ctx;

/* Resolves the identity to unlink into issuer/subject/provider copies. */
static door_err unlink_resolve(door__sq_conn *c, unlink_ctx *x, char **issuer,
                               char **subject, char **provider,
                               door_detail *d) {
  sqlite3_stmt *st;
  door_err err;
  int row = 0;
  if (x->provider) {
    err =
        door__sq_q(c, Q_BY_PROVIDER, &st, d, "tt", x->account_id, x->provider);
    if (!err)
      err = door__sq_step(c, st, &row, d);
    if (!err && row) {
      err = door__sq_col_str(st, 0, issuer);
      if (!err)
        err = door__sq_col_str(st, 1, subject);
      if (!err)
        err = door__sq_step(c, st, &row, d);
      if (!err && row)
        err = door__store_ambiguous_identity(d);
      row = 1;
    }
    if (!err && !(*provider = strdup(x->provider)))
      err = DOOR_ENOMEM;
  } else {
    err = door__sq_q(c, Q_BY_NAME, &st, d, "ttt", x->account_id, x->issuer,
                     x->subject);
    if (!err)
      err = door__sq_step(c, st, &row, d);
    if (!err && row) {
      err = door__sq_col_str(st, 0, provider);
      if (!err && !(*issuer = strdup(x->issuer)))
        err = DOOR_ENOMEM;
      if (!err && !(*subject = strdup(x->subject)))
        err = DOOR_ENOMEM;
    }
  }
  door__sq_end(st);
  if (!err && !row)
    err = door__store_no_identity(d);
  return err;
}

static door_err unlink_fn(door__sq_conn *c, void *p, door_detail *d) {
  unlink_ctx *x = p;
  char *issuer = NULL, *subject = NULL, *provider = NULL;
  int64_t n = 0;
  door_err err;
  err = account_exists(c, x->account_id, d);
  if (!err)
    err = unlink_resolve(c, x, &issuer, &subject, &provider, d);
  if (!err)
    err = door__sq_int(c, Q_COUNT_IDENTITIES, &n, d, "t", x->account_id);
  if (!err && n <= 1)
    err = door__store_last_identity(d);
  if (!err)
    err = door__sq_run(c, Q_IDENTITY_DELETE, NULL, d, "ttt", x->account_id,
                       issuer, subject);
  if (!err)
    err =
        door__sq_int(c, Q_COUNT_PROVIDER, &n, d, "tt", x->account_id, provider);
  if (!err && n == 0)
    err = door__sq_run(c, Q_TOKENS_DELETE_PROVIDER, NULL, d, "tt",
                       x->account_id, provider);
  if (!err)
    err = door__sq_audit_insert(c, x->now, x->account_id, DOOR_AUDIT_UNLINK,
                                provider, issuer, NULL, d);
  free(issuer);
  free(subject);
  free(provider);
  return err;
}

door_err door__sq_unlink_identity(door_store *st, const char *account_id,
                                  const char *provider, const char *issuer,
                                  const char *subject, int64_t now,
                                  door_detail *d) {
  unlink_ctx x = {account_id, provider, issuer, subject, now};
  return door__sq_tx(door__sq_of(st), DOOR__SQ_DURABLE, unlink_fn, &x, d);
}

/* ---- reads ---- */

typedef struct find_ctx {
  const char *issuer, *subject;
  char *account_id;
} find_ctx;

static door_err find_fn(door__sq_conn *c, void *p, door_detail *d) {
  find_ctx *x = p;
  door__store_ident id = {x->issuer, x->subject, NULL, NULL, 0};
  door_err err = find(c, Q_FIND, &id, x->account_id, d);
  return door__store_no_owner(err, d);
}

door_err door__sq_identity_find(door_store *st, const char *issuer,
                                const char *subject,
                                char account_id[DOOR_STORE_ID_LEN + 1],
                                door_detail *d) {
  find_ctx x = {issuer, subject, account_id};
  account_id[0] = '\0';
  return door__sq_tx(door__sq_of(st), DOOR__SQ_READ, find_fn, &x, d);
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

static door_err read_row(read_ctx *x, sqlite3_stmt *st) {
  door_store_identity *id;
  const char *aid = (const char *)sqlite3_column_text(st, 0);
  door_err err = aid ? DOOR_OK : DOOR_ENOMEM;
  if (!err)
    err = door__store_account_row(
        &x->a, &x->n, &x->cap, aid, (int64_t)sqlite3_column_int64(st, 1),
        sqlite3_column_type(st, 2) != SQLITE_NULL, &id);
  if (err || !id)
    return err;
  err = door__sq_col_str(st, 2, &id->provider);
  if (!err)
    err = door__sq_col_str(st, 3, &id->issuer);
  if (!err)
    err = door__sq_col_str(st, 4, &id->subject);
  if (!err)
    err = door__sq_col_str(st, 5, &id->kept_claims);
  id->linked_at = (int64_t)sqlite3_column_int64(st, 6);
  id->last_login_at = (int64_t)sqlite3_column_int64(st, 7);
  return err;
}

static door_err read_fn(door__sq_conn *c, void *p, door_detail *d) {
  read_ctx *x = p;
  sqlite3_stmt *st;
  door_err err;
  int row = 1;
  read_reset(x);
  if (x->sql == Q_GET)
    err = door__sq_q(c, Q_GET, &st, d, "t", x->id);
  else
    err = door__sq_q(c, Q_LIST, &st, d, "ti", x->id ? x->id : "", x->limit);
  while (!err) {
    err = door__sq_step(c, st, &row, d);
    if (err || !row)
      break;
    err = read_row(x, st);
  }
  door__sq_end(st);
  return err;
}

door_err door__sq_account_get(door_store *st, const char *account_id,
                              door_store_account *out, door_detail *d) {
  read_ctx x = {Q_GET, account_id, 0, NULL, 0, 0};
  door_err err = door__sq_tx(door__sq_of(st), DOOR__SQ_READ, read_fn, &x, d);
  return door__store_account_one(err, x.a, x.n, out, d);
}

door_err door__sq_accounts_list(door_store *st, const char *after_id,
                                size_t limit, door_store_account **out,
                                size_t *n, door_detail *d) {
  read_ctx x = {Q_LIST, after_id, (int64_t)limit, NULL, 0, 0};
  door_err err = door__sq_tx(door__sq_of(st), DOOR__SQ_READ, read_fn, &x, d);
  return door__store_accounts_give(err, x.a, x.n, out, n);
}

/* ---- delete ---- */

typedef struct delete_ctx {
  const char *account_id;
  int64_t now;
  door_store_delete_counts *counts;
} delete_ctx;

static door_err delete_fn(door__sq_conn *c, void *p, door_detail *d) {
  delete_ctx *x = p;
  door_store_delete_counts *k = x->counts;
  door_buf b;
  door_err err;
  memset(k, 0, sizeof *k);
  door__buf_init(&b, 512);
  err = account_exists(c, x->account_id, d);
  if (!err)
    err = door__sq_run(c, Q_DEL_IDENTITIES, &k->identities, d, "t",
                       x->account_id);
  if (!err)
    err = door__sq_run(c, Q_DEL_SESSIONS, &k->sessions, d, "t", x->account_id);
  if (!err)
    err = door__sq_run(c, Q_DEL_TOKENS, &k->provider_tokens, d, "t",
                       x->account_id);
  if (!err)
    err = door__sq_run(c, Q_DEL_TRANSMISSIONS, &k->transmissions, d, "t",
                       x->account_id);
  if (!err)
    err = door__sq_run(c, Q_ANONYMISE_AUDIT, &k->audit_anonymised, d, "t",
                       x->account_id);
  if (!err)
    err = door__sq_run(c, Q_DEL_ACCOUNT, NULL, d, "t", x->account_id);
  if (!err)
    err = door__store_delete_counts_json(k, &b);
  if (!err)
    err = door__sq_audit_insert(c, x->now, NULL, DOOR_AUDIT_ACCOUNT_DELETE,
                                NULL, NULL, door__buf_str(&b), d);
  door__buf_free(&b);
  return err;
}

door_err door__sq_account_delete(door_store *st, const char *account_id,
                                 int64_t now, door_store_delete_counts *counts,
                                 door_detail *d) {
  delete_ctx x = {account_id, now, counts};
  door_err err =
      door__sq_tx(door__sq_of(st), DOOR__SQ_DURABLE, delete_fn, &x, d);
  if (err)
    memset(counts, 0, sizeof *counts);
  return err;
}

/* ---- counts ---- */

typedef struct counts_ctx {
  int64_t now;
  door_store_counts *out;
} counts_ctx;

static door_err counts_fn(door__sq_conn *c, void *p, door_detail *d) {
  counts_ctx *x = p;
  const char *const q[] = {Q_COUNT_ACCOUNTS, Q_COUNT_ALL_IDENTITIES,
                           Q_COUNT_TOKENS,   Q_COUNT_AUDIT,
                           Q_COUNT_STATES,   Q_COUNT_JTI,
                           Q_COUNT_KEYS,     Q_COUNT_TRANSMISSIONS};
  uint64_t *const v[] = {&x->out->accounts,        &x->out->identities,
                         &x->out->provider_tokens, &x->out->audit,
                         &x->out->used_states,     &x->out->jti_admissions,
                         &x->out->signing_keys,    &x->out->transmissions};
  int64_t n = 0;
  door_err err = DOOR_OK;
  size_t i;
  for (i = 0; !err && i < sizeof q / sizeof q[0]; i++) {
    err = door__sq_int(c, q[i], &n, d, "");
    *v[i] = (uint64_t)n;
  }
  if (!err)
    err = door__sq_int(c, Q_COUNT_SESSIONS, &n, d, "i", x->now);
  if (!err)
    x->out->sessions = (uint64_t)n;
  return err;
}

door_err door__sq_counts(door_store *st, int64_t now, door_store_counts *out,
                         door_detail *d) {
  counts_ctx x = {now, out};
  return door__sq_tx(door__sq_of(st), DOOR__SQ_READ, counts_fn, &x, d);
}
