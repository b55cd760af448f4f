/* The store's backend interface (internal, for backend authors).
 *
 * A backend is one `const struct door_store_ops` in its own file, listed in
 * the table of store.c under its URL scheme.  Its open() allocates its own
 * object whose first member is a `struct door_store` and fills in `ops` and
 * `log`.  store.c checks every argument (NULLs, caps, account id shape, JSON
 * shape, enum ranges) before it calls an op, so ops may trust them; each op
 * has the contract of the door__store_ function of the same name in
 * store.h.
 */
#ifndef DOOR_STORE_STORE_INT_H
#define DOOR_STORE_STORE_INT_H

#include "store/store.h"
#include "util/buf.h"

struct door_store {
  const struct door_store_ops *ops;
  const door_log *log;
};

struct door_store_ops {
  const char *name; /* "sqlite": also the URL scheme */
  /* `rest` is the URL after "scheme:"; `o` is filled with defaults. */
  door_err (*open)(const char *rest, const door_store_options *o,
                   door_store **out, door_detail *d);
  void (*close)(door_store *st);
  door_err (*schema_version)(door_store *st, int *current, int *latest,
                             door_detail *d);

  door_err (*login_identity)(door_store *st, const char *issuer,
                             const char *subject, const char *provider,
                             const char *kept_claims_json, int64_t now,
                             char account_id[DOOR_STORE_ID_LEN + 1],
                             int *created, door_detail *d);
  door_err (*link_identity)(door_store *st, const char *account_id,
                            const char *issuer, const char *subject,
                            const char *provider, const char *kept_claims_json,
                            int64_t now, int *linked, door_detail *d);
  door_err (*unlink_identity)(door_store *st, const char *account_id,
                              const char *provider, const char *issuer,
                              const char *subject, int64_t now, door_detail *d);
  door_err (*identity_find)(door_store *st, const char *issuer,
                            const char *subject,
                            char account_id[DOOR_STORE_ID_LEN + 1],
                            door_detail *d);
  door_err (*account_get)(door_store *st, const char *account_id,
                          door_store_account *out, door_detail *d);
  door_err (*accounts_list)(door_store *st, const char *after_id, size_t limit,
                            door_store_account **out, size_t *n,
                            door_detail *d);
  door_err (*account_delete)(door_store *st, const char *account_id,
                             int64_t now, door_store_delete_counts *counts,
                             door_detail *d);
  door_err (*counts)(door_store *st, int64_t now, door_store_counts *out,
                     door_detail *d);

  door_err (*session_create)(door_store *st, const door_store_session_new *s,
                             door_detail *d);
  door_err (*session_get)(door_store *st, const uint8_t *id_hash, int64_t now,
                          int64_t idle_seconds, door_store_session *out,
                          door_detail *d);
  door_err (*session_delete)(door_store *st, const uint8_t *id_hash,
                             door_detail *d);
  door_err (*sessions_delete_by_sid)(door_store *st, const char *issuer,
                                     const char *sid, uint64_t *n,
                                     door_detail *d);
  door_err (*sessions_delete_by_sub)(door_store *st, const char *issuer,
                                     const char *sub, uint64_t *n,
                                     door_detail *d);
  door_err (*sessions_delete_account)(door_store *st, const char *account_id,
                                      uint64_t *n, door_detail *d);
  door_err (*sessions_purge)(door_store *st, int64_t now, uint64_t *n,
                             door_detail *d);

  door_err (*audit_append)(door_store *st, int64_t at, const char *account_id,
                           door_store_audit_kind kind, const char *provider,
                           const char *issuer, const char *detail, int64_t *id,
                           door_detail *d);
  door_err (*audit_list)(door_store *st, const char *account_id, size_t limit,
                         door_store_audit **out, size_t *n, door_detail *d);

  door_err (*state_consume)(door_store *st, const char *key, int64_t expires_at,
                            door_detail *d);
  door_err (*states_purge)(door_store *st, int64_t now, uint64_t *n,
                           door_detail *d);
  door_err (*jti_admit)(door_store *st, const char *event_id, const char *jti,
                        int64_t expires_at, int64_t now,
                        int64_t *first_admitted_at, door_detail *d);
  door_err (*jti_purge)(door_store *st, int64_t now, uint64_t *n,
                        door_detail *d);

  door_err (*signing_key_put)(door_store *st,
                              const door_store_signing_key_new *k,
                              door_detail *d);
  door_err (*signing_keys_list)(door_store *st, door_store_signing_key **out,
                                size_t *n, door_detail *d);
  door_err (*signing_key_retire)(door_store *st, const char *kid, int64_t now,
                                 door_detail *d);
  door_err (*signing_key_add)(door_store *st,
                              const door_store_signing_key_new *k,
                              door_store_key_mode mode, int64_t now,
                              int64_t retire_others_at, int *added,
                              door_detail *d);

  door_err (*transmission_append)(door_store *st,
                                  const door_store_transmission_new *t,
                                  int64_t *id, door_detail *d);
  door_err (*transmissions_append)(door_store *st,
                                   const door_store_transmission_new *t,
                                   size_t n, door_detail *d);
  door_err (*transmissions_purge)(door_store *st, int64_t before, uint64_t *n,
                                  door_detail *d);
  door_err (*transmissions_list)(door_store *st, const char *account_id,
                                 size_t limit, door_store_transmission **out,
                                 size_t *n, door_detail *d);

  door_err (*tokens_put)(door_store *st, const door_store_tokens_new *t,
                         door_detail *d);
  door_err (*tokens_get)(door_store *st, const char *account_id,
                         const char *provider, door_store_tokens *out,
                         door_detail *d);
  door_err (*tokens_delete)(door_store *st, const char *account_id,
                            const char *provider, door_detail *d);

  /* `hour` is already rounded down to the hour. */
  door_err (*stats_add)(door_store *st, const char *event_id, int64_t hour,
                        const char *tier, door_detail *d);
  door_err (*stats_list)(door_store *st, const char *event_id,
                         door_store_stat **out, size_t *n, door_detail *d);

  door_err (*login_commit)(door_store *st, const door_store_login *in,
                           door_store_login_result *out, door_detail *d);
  door_err (*state_used)(door_store *st, const char *key, int *used,
                         door_detail *d);
};

extern const struct door_store_ops door__store_sqlite_ops;
extern const struct door_store_ops door__store_pg_ops;

/* Makes a new account id (DOOR_STORE_ID_LEN hex digits and a NUL).
 * DOOR_ERANDOM when the CSPRNG fails. */
door_err door__store_new_account_id(char out[DOOR_STORE_ID_LEN + 1]);

/* Argument checks shared by store.c and store_records.c.  Each fills `d`
 * and returns DOOR_EINVAL (missing, malformed) or DOOR_ETOOBIG (over cap).
 * need: non-empty string of at most max bytes; maybe: the same or NULL. */
door_err door__store_need(const char *s, size_t max, const char *what,
                          door_detail *d);
door_err door__store_maybe(const char *s, size_t max, const char *what,
                           door_detail *d);
/* 32 lowercase hex digits (maybe_: or NULL). */
door_err door__store_need_account(const char *id, door_detail *d);
door_err door__store_maybe_account(const char *id, door_detail *d);
/* A JSON object (array_of_strings 0) or an array of strings (1) of at most
 * max bytes; DOOR_EJSON_TYPE for another shape. */
door_err door__store_check_json(const char *s, size_t max, int array_of_strings,
                                const char *what, door_detail *d);
/* 1..DOOR_STORE_LIST_MAX. */
door_err door__store_check_limit(size_t limit, door_detail *d);
/* The account_delete audit detail: the counts as a compact JSON object
 * {"identities":N,"sessions":N,"provider_tokens":N,"transmissions":N,
 * "audit_anonymised":N}, appended to `out`.  Both backends write it. */
door_err door__store_delete_counts_json(const door_store_delete_counts *k,
                                        door_buf *out);
/* A session insert's failure with its detail (store.c): DOOR_EEXISTS "a
 * session with this id exists", DOOR_ENOTFOUND "no such account"; returns
 * err. */
door_err door__store_session_insert_err(door_err err, door_detail *d);
/* Groups the rows of an account read (ordered by account id; store.c):
 * the row's account, a new one at the end of *a when account_id is not the
 * last one's, and in *id a new zeroed identity on it when the row has one
 * (has_identity), NULL otherwise.  DOOR_ENOMEM. */
door_err door__store_account_row(door_store_account **a, size_t *n, size_t *cap,
                                 const char *account_id, int64_t created_at,
                                 int has_identity, door_store_identity **id);
/* What account_get and accounts_list answer from the accounts read (a, n)
 * after the read's err (store.c): account_one gives the one account to
 * *out (DOOR_ENOTFOUND "no such account" when none), accounts_give the
 * array to *out, *n; on failure both free what was read. */
door_err door__store_account_one(door_err err, door_store_account *a, size_t n,
                                 door_store_account *out, door_detail *d);
door_err door__store_accounts_give(door_err err, door_store_account *a,
                                   size_t n, door_store_account **out,
                                   size_t *nout);
/* The identities' details (store.c), for both backends' unlink and
 * identity_find: DOOR_ESTORE_AMBIGUOUS (several of the provider),
 * DOOR_ENOTFOUND (the account has no such identity), DOOR_ESTORE_LAST_IDENTITY
 * (its only identity), DOOR_ENOTFOUND (no account has it: no_owner, when
 * err is DOOR_ENOTFOUND; returns err). */
door_err door__store_ambiguous_identity(door_detail *d);
door_err door__store_no_identity(door_detail *d);
door_err door__store_last_identity(door_detail *d);
door_err door__store_no_owner(door_err err, door_detail *d);
/* The rest of the sessions' backend-neutral logic (store.c):
 * - session_row: a read row's account id and CSRF value into s (which the
 *   caller cleared); DOOR_ESTORE_CORRUPT "malformed session row" for a
 *   row without an account or with a CSRF value over its cap (csrf NULL:
 *   SQL NULL);
 * - session_got: what session_get answers: err (DOOR_OK, or the status
 *   DOOR_ESTORE_EXPIRED / DOOR_ENOTFOUND, or a failure) with its detail,
 *   `out` cleared on failure;
 * - no_session: DOOR_ENOTFOUND "no such session" (a delete of none). */
door_err door__store_session_row(door_store_session *s, const char *account_id,
                                 const void *csrf, size_t csrf_len,
                                 door_detail *d);
door_err door__store_session_got(door_err err, door_store_session *out,
                                 door_detail *d);
door_err door__store_no_session(door_detail *d);
/* The records' and keys' backend-neutral logic (store_records.c), so that
 * both backends answer alike:
 * - state_reused: DOOR_ESTORE_DUPLICATE "this login was completed before";
 * - jti_reused: DOOR_ESTORE_DUPLICATE "this ticket was admitted before";
 * - audit_kind_of: the kind of a stored name (DOOR_AUDIT_KIND_COUNT_ for
 *   an unknown one);
 * - kid_err: DOOR_EEXISTS "a signing key with this kid exists",
 *   DOOR_ENOTFOUND "no signing key with this kid"; returns err;
 * - no_tokens: DOOR_ENOTFOUND "no tokens stored for this account and
 *   provider". */
door_err door__store_state_reused(door_detail *d);
door_err door__store_jti_reused(door_detail *d);
door_store_audit_kind door__store_audit_kind_of(const char *s);
door_err door__store_kid_err(door_err err, door_detail *d);
door_err door__store_no_tokens(door_detail *d);
/* len <= DOOR_STORE_BLOB_MAX and data when len > 0. */
door_err door__store_check_blob(const uint8_t *p, size_t len, const char *what,
                                door_detail *d);

/* Checks of one record, one set of tokens, one new session (store_login.c;
 * used by the single calls and inside the login commit).  The session
 * check lowers idle_expires_at to absolute_expires_at and checks the
 * account id only when need_account is set. */
door_err door__store_check_transmission(const door_store_transmission_new *t,
                                        door_detail *d);
door_err door__store_check_tokens(const door_store_tokens_new *t,
                                  door_detail *d);
door_err door__store_check_session(door_store_session_new *c, int need_account,
                                   door_detail *d);
/* The login's provider tokens for `account_id`, sealed by the caller's
 * callback (in->tokens) and checked: t->access_len 0 when there are none
 * to keep.  Shared by both backends' login commit. */
door_err door__store_login_tokens(const door_store_login *in,
                                  const char *account_id,
                                  door_store_tokens_new *t, door_detail *d);

/* One identity as a sign-in or a link writes it: what both backends' sign-in
 * and link steps (door__sq_signin, door__pg_signin, ..._link) take, from the
 * single calls and from the login commit alike.  Borrowed pointers. */
typedef struct door__store_ident {
  const char *issuer, *subject, *provider;
  const char *kept_claims_json; /* may be NULL */
  int64_t now;
} door__store_ident;

/* The login's identity; the linked account as the login's account
 * (store_login.c). */
door__store_ident door__store_login_ident(const door_store_login *in);
void door__store_login_account(const door_store_login *in,
                               door_store_login_result *out);
/* The backend-neutral parts of the sign-in and link steps (store_login.c),
 * so that every backend answers with the same codes and details:
 * - new_account: a new account id, or DOOR_ERANDOM ("no random bytes");
 * - id_collided: DOOR_EINTERNAL for a new id that is taken (2^-128);
 * - link_owner: DOOR_OK when the identity's `owner` is `account_id`,
 *   DOOR_ESTORE_IDENTITY_TAKEN otherwise;
 * - no_account: when err is DOOR_ENOTFOUND (a missing account, or a
 *   foreign key to one), the detail "no such account"; returns err. */
door_err door__store_new_account(char out[DOOR_STORE_ID_LEN + 1],
                                 door_detail *d);
door_err door__store_id_collided(door_detail *d);
door_err door__store_link_owner(const char *owner, const char *account_id,
                                door_detail *d);
door_err door__store_no_account(door_err err, door_detail *d);

#define DOOR__STORE_CHECK(st, d)                                               \
  do {                                                                         \
    if (!(st))                                                                 \
      return door_detail_set(d, DOOR_EINVAL, "store", "no store", NULL);       \
  } while (0)

#endif
