/* The store: backend selection by URL scheme, argument checks shared by
 * every backend, and the result structs' destructors. */
#include "store/store_int.h"
#include "util/json.h"
#include "util/random.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static const struct door_store_ops *const backends[] = {
    &door__store_sqlite_ops,
    &door__store_pg_ops,
};

/* Other spellings of a backend's scheme. */
static const struct {
  const char *scheme;
  const struct door_store_ops *ops;
} aliases[] = {{"postgresql", &door__store_pg_ops}};

void door__store_options_init(door_store_options *o) {
  memset(o, 0, sizeof *o);
}

/* ---- argument checks ---- */

door_err door__store_need(const char *s, size_t max, const char *what,
                          door_detail *d) {
  if (!s || !*s)
    return door_detail_set(d, DOOR_EINVAL, what, "required value missing",
                           NULL);
  if (strnlen(s, max + 1) > max)
    return door_detail_set(d, DOOR_ETOOBIG, what, "value longer than its cap",
                           NULL);
  return DOOR_OK;
}

door_err door__store_maybe(const char *s, size_t max, const char *what,
                           door_detail *d) {
  return s ? door__store_need(s, max, what, d) : DOOR_OK;
}

door_err door__store_need_account(const char *id, door_detail *d) {
  size_t i;
  if (!id)
    return door_detail_set(d, DOOR_EINVAL, "account_id",
                           "required value missing", NULL);
  for (i = 0; i < DOOR_STORE_ID_LEN; i++) {
    char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      break;
  }
  if (i != DOOR_STORE_ID_LEN || id[i] != '\0')
    return door_detail_set(d, DOOR_EINVAL, "account_id",
                           "account id is not 32 lowercase hex digits", NULL);
  return DOOR_OK;
}

door_err door__store_maybe_account(const char *id, door_detail *d) {
  return id ? door__store_need_account(id, d) : DOOR_OK;
}

/* kept claims: a JSON object; fields: an array of strings. */
door_err door__store_check_json(const char *s, size_t max, int array_of_strings,
                                const char *what, door_detail *d) {
  json_t *j = NULL;
  door_err err = door__store_need(s, max, what, d);
  size_t i;
  if (err)
    return err;
  err = door__json_parse(s, strlen(s), 8, &j, d);
  if (err)
    return err;
  if (array_of_strings) {
    if (!json_is_array(j))
      err = DOOR_EJSON_TYPE;
    for (i = 0; !err && i < json_array_size(j); i++)
      if (!json_is_string(json_array_get(j, i)))
        err = DOOR_EJSON_TYPE;
  } else if (!json_is_object(j)) {
    err = DOOR_EJSON_TYPE;
  }
  json_decref(j);
  if (err)
    door_detail_set(d, err, what,
                    array_of_strings ? "not a JSON array of field names"
                                     : "not a JSON object",
                    NULL);
  return err;
}

door_err door__store_check_limit(size_t limit, door_detail *d) {
  if (limit < 1 || limit > DOOR_STORE_LIST_MAX)
    return door_detail_set(d, DOOR_EINVAL, "limit",
                           "list limit out of 1..DOOR_STORE_LIST_MAX", NULL);
  return DOOR_OK;
}

door_err door__store_check_blob(const uint8_t *p, size_t len, const char *what,
                                door_detail *d) {
  if (len && !p)
    return door_detail_set(d, DOOR_EINVAL, what, "length without data", NULL);
  if (len > DOOR_STORE_BLOB_MAX)
    return door_detail_set(d, DOOR_ETOOBIG, what, "value longer than its cap",
                           NULL);
  return DOOR_OK;
}

/* ---- open, close ---- */

door_err door__store_open(const char *url, const door_store_options *o,
                          door_store **out, door_detail *d) {
  door_store_options opts;
  const char *colon;
  size_t scheme_len, i;
  if (!out)
    return door_detail_set(d, DOOR_EINVAL, "store", "no output", NULL);
  *out = NULL;
  if (!url || !(colon = strchr(url, ':')) || colon == url)
    return door_detail_set(d, DOOR_ECONFIG_VALUE, "store.url",
                           "store URL has no scheme",
                           "write sqlite:/path/to/doorauth.db");
  if (o)
    opts = *o;
  else
    door__store_options_init(&opts);
  if (opts.busy_timeout_ms < 0)
    return door_detail_set(d, DOOR_EINVAL, "busy_timeout_ms",
                           "negative busy timeout", NULL);
  if (!opts.busy_timeout_ms)
    opts.busy_timeout_ms = DOOR_STORE_BUSY_TIMEOUT_MS;
  if (!opts.max_connections)
    opts.max_connections = DOOR_STORE_MAX_CONNECTIONS;
  scheme_len = (size_t)(colon - url);
  for (i = 0; i < sizeof backends / sizeof backends[0]; i++) {
    const char *name = backends[i]->name;
    if (strlen(name) == scheme_len && strncmp(url, name, scheme_len) == 0)
      return backends[i]->open(colon + 1, &opts, out, d);
  }
  for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strlen(aliases[i].scheme) == scheme_len &&
        strncmp(url, aliases[i].scheme, scheme_len) == 0)
      return aliases[i].ops->open(colon + 1, &opts, out, d);
  return door_detail_set(d, DOOR_ECONFIG_VALUE, "store.url",
                         "unknown store URL scheme",
                         "write sqlite:/path/to/doorauth.db");
}

void door__store_close(door_store *st) {
  if (st)
    st->ops->close(st);
}

const char *door__store_backend(const door_store *st) {
  return st ? st->ops->name : "";
}

door_err door__store_schema_version(door_store *st, int *current, int *latest,
                                    door_detail *d) {
  DOOR__STORE_CHECK(st, d);
  if (!current || !latest)
    return door_detail_set(d, DOOR_EINVAL, "schema_version", "no output", NULL);
  return st->ops->schema_version(st, current, latest, d);
}

door_err door__store_session_hash(const void *session_id, size_t len,
                                  uint8_t out[DOOR_STORE_HASH_LEN]) {
  unsigned int n = 0;
  if (!session_id || !len || !out)
    return DOOR_EINVAL;
  if (EVP_Digest(session_id, len, out, &n, EVP_sha256(), NULL) != 1 ||
      n != DOOR_STORE_HASH_LEN)
    return DOOR_ECRYPTO;
  return DOOR_OK;
}

door_err door__store_new_account_id(char out[DOOR_STORE_ID_LEN + 1]) {
  static const char hex[] = "0123456789abcdef";
  unsigned char raw[DOOR_STORE_ID_LEN / 2];
  size_t i;
  if (door__random(raw, sizeof raw) != DOOR_OK)
    return DOOR_ERANDOM;
  for (i = 0; i < sizeof raw; i++) {
    out[2 * i] = hex[raw[i] >> 4];
    out[2 * i + 1] = hex[raw[i] & 15];
  }
  out[DOOR_STORE_ID_LEN] = '\0';
  return DOOR_OK;
}

/* ---- accounts and identities ---- */

static door_err check_identity(const char *issuer, const char *subject,
                               const char *provider, const char *claims,
                               door_detail *d) {
  door_err err = door__store_need(issuer, DOOR_STORE_ISSUER_MAX, "issuer", d);
  if (!err)
    err = door__store_need(subject, DOOR_STORE_SUBJECT_MAX, "subject", d);
  if (!err)
    err = door__store_need(provider, DOOR_STORE_PROVIDER_MAX, "provider", d);
  if (!err && claims)
    err = door__store_check_json(claims, DOOR_STORE_CLAIMS_MAX, 0,
                                 "kept_claims", d);
  return err;
}

door_err door__store_login_identity(door_store *st, const char *issuer,
                                    const char *subject, const char *provider,
                                    const char *kept_claims_json, int64_t now,
                                    char account_id[DOOR_STORE_ID_LEN + 1],
                                    int *created, door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!account_id || !created)
    return door_detail_set(d, DOOR_EINVAL, "login_identity", "no output", NULL);
  err = check_identity(issuer, subject, provider, kept_claims_json, d);
  if (err)
    return err;
  return st->ops->login_identity(st, issuer, subject, provider,
                                 kept_claims_json, now, account_id, created, d);
}

door_err door__store_link_identity(door_store *st, const char *account_id,
                                   const char *issuer, const char *subject,
                                   const char *provider,
                                   const char *kept_claims_json, int64_t now,
                                   int *linked, door_detail *d) {
  int dummy;
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_need_account(account_id, d);
  if (!err)
    err = check_identity(issuer, subject, provider, kept_claims_json, d);
  if (err)
    return err;
  return st->ops->link_identity(st, account_id, issuer, subject, provider,
                                kept_claims_json, now, linked ? linked : &dummy,
                                d);
}

door_err door__store_unlink_identity(door_store *st, const char *account_id,
                                     const char *provider, const char *issuer,
                                     const char *subject, int64_t now,
                                     door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_need_account(account_id, d);
  if (err)
    return err;
  if (provider && !issuer && !subject)
    err = door__store_need(provider, DOOR_STORE_PROVIDER_MAX, "provider", d);
  else if (!provider && issuer && subject) {
    err = door__store_need(issuer, DOOR_STORE_ISSUER_MAX, "issuer", d);
    if (!err)
      err = door__store_need(subject, DOOR_STORE_SUBJECT_MAX, "subject", d);
  } else
    err = door_detail_set(d, DOOR_EINVAL, "unlink_identity",
                          "name the identity by provider, or by issuer and "
                          "subject",
                          NULL);
  if (err)
    return err;
  return st->ops->unlink_identity(st, account_id, provider, issuer, subject,
                                  now, d);
}

door_err door__store_identity_find(door_store *st, const char *issuer,
                                   const char *subject,
                                   char account_id[DOOR_STORE_ID_LEN + 1],
                                   door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!account_id)
    return door_detail_set(d, DOOR_EINVAL, "identity_find", "no output", NULL);
  err = door__store_need(issuer, DOOR_STORE_ISSUER_MAX, "issuer", d);
  if (!err)
    err = door__store_need(subject, DOOR_STORE_SUBJECT_MAX, "subject", d);
  if (err)
    return err;
  return st->ops->identity_find(st, issuer, subject, account_id, d);
}

door_err door__store_account_get(door_store *st, const char *account_id,
                                 door_store_account *out, door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!out)
    return door_detail_set(d, DOOR_EINVAL, "account_get", "no output", NULL);
  memset(out, 0, sizeof *out);
  err = door__store_need_account(account_id, d);
  if (err)
    return err;
  return st->ops->account_get(st, account_id, out, d);
}

door_err door__store_accounts_list(door_store *st, const char *after_id,
                                   size_t limit, door_store_account **out,
                                   size_t *n, door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!out || !n)
    return door_detail_set(d, DOOR_EINVAL, "accounts_list", "no output", NULL);
  *out = NULL;
  *n = 0;
  if (after_id && !*after_id)
    after_id = NULL;
  err = door__store_maybe_account(after_id, d);
  if (!err)
    err = door__store_check_limit(limit, d);
  if (err)
    return err;
  return st->ops->accounts_list(st, after_id, limit, out, n, d);
}

door_err door__store_account_delete(door_store *st, const char *account_id,
                                    int64_t now,
                                    door_store_delete_counts *counts,
                                    door_detail *d) {
  door_store_delete_counts dummy;
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!counts)
    counts = &dummy;
  memset(counts, 0, sizeof *counts);
  err = door__store_need_account(account_id, d);
  if (err)
    return err;
  return st->ops->account_delete(st, account_id, now, counts, d);
}

door_err door__store_counts(door_store *st, int64_t now, door_store_counts *out,
                            door_detail *d) {
  DOOR__STORE_CHECK(st, d);
  if (!out)
    return door_detail_set(d, DOOR_EINVAL, "counts", "no output", NULL);
  memset(out, 0, sizeof *out);
  return st->ops->counts(st, now, out, d);
}

void door__store_account_clear(door_store_account *a) {
  size_t i;
  if (!a)
    return;
  for (i = 0; i < a->n_identities; i++) {
    door_store_identity *id = &a->identities[i];
    free(id->provider);
    free(id->issuer);
    free(id->subject);
    free(id->kept_claims);
  }
  free(a->identities);
  memset(a, 0, sizeof *a);
}

void door__store_accounts_free(door_store_account *a, size_t n) {
  size_t i;
  if (!a)
    return;
  for (i = 0; i < n; i++)
    door__store_account_clear(&a[i]);
  free(a);
}

door_err door__store_account_row(door_store_account **a, size_t *n, size_t *cap,
                                 const char *account_id, int64_t created_at,
                                 int has_identity, door_store_identity **id) {
  door_store_account *acc;
  door_store_identity *grown;
  *id = NULL;
  if (!*n || strcmp((*a)[*n - 1].id, account_id) != 0) {
    if (*n == *cap) {
      size_t nc = *cap ? 2 * *cap : 8;
      door_store_account *g = realloc(*a, nc * sizeof *g);
      if (!g)
        return DOOR_ENOMEM;
      *a = g;
      *cap = nc;
    }
    acc = &(*a)[(*n)++];
    memset(acc, 0, sizeof *acc);
    memcpy(acc->id, account_id, strnlen(account_id, DOOR_STORE_ID_LEN));
    acc->created_at = created_at;
  }
  acc = &(*a)[*n - 1];
  if (!has_identity)
    return DOOR_OK; /* an account without identities (LEFT JOIN) */
  grown = realloc(acc->identities, (acc->n_identities + 1) * sizeof *grown);
  if (!grown)
    return DOOR_ENOMEM;
  acc->identities = grown;
  *id = &acc->identities[acc->n_identities++];
  memset(*id, 0, sizeof **id);
  return DOOR_OK;
}

door_err door__store_account_one(door_err err, door_store_account *a, size_t n,
                                 door_store_account *out, door_detail *d) {
  if (!err && n == 0)
    err = door__store_no_account(DOOR_ENOTFOUND, d);
  if (err) {
    door__store_accounts_free(a, n);
    return err;
  }
  *out = a[0];
  free(a);
  return DOOR_OK;
}

door_err door__store_accounts_give(door_err err, door_store_account *a,
                                   size_t n, door_store_account **out,
                                   size_t *nout) {
  if (err) {
    door__store_accounts_free(a, n);
    return err;
  }
  *out = a;
  *nout = n;
  return DOOR_OK;
}

door_err door__store_ambiguous_identity(door_detail *d) {
  return door_detail_set(d, DOOR_ESTORE_AMBIGUOUS, "provider",
                         "the account has several identities of this provider",
                         "name the identity by issuer and subject");
}

door_err door__store_no_identity(door_detail *d) {
  return door_detail_set(d, DOOR_ENOTFOUND, "identity",
                         "the account has no such identity", NULL);
}

door_err door__store_last_identity(door_detail *d) {
  return door_detail_set(d, DOOR_ESTORE_LAST_IDENTITY, "identity",
                         "this is the account's only identity",
                         "link another identity first, or delete the account");
}

door_err door__store_no_owner(door_err err, door_detail *d) {
  if (err == DOOR_ENOTFOUND)
    door_detail_set(d, err, "identity", "no account has this identity", NULL);
  return err;
}

/* ---- sessions ---- */

static door_err check_hash(const uint8_t *h, door_detail *d) {
  return h ? DOOR_OK
           : door_detail_set(d, DOOR_EINVAL, "id_hash", "no session id hash",
                             NULL);
}

door_err door__store_session_create(door_store *st,
                                    const door_store_session_new *s,
                                    door_detail *d) {
  door_store_session_new c;
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!s)
    return door_detail_set(d, DOOR_EINVAL, "session", "no session", NULL);
  c = *s;
  err = door__store_check_session(&c, 1, d);
  if (err)
    return err;
  return st->ops->session_create(st, &c, d);
}

door_err door__store_session_insert_err(door_err err, door_detail *d) {
  if (err == DOOR_EEXISTS)
    door_detail_set(d, err, "session", "a session with this id exists", NULL);
  return door__store_no_account(err, d);
}

door_err door__store_session_row(door_store_session *s, const char *account_id,
                                 const void *csrf, size_t csrf_len,
                                 door_detail *d) {
  if (!account_id || csrf_len > DOOR_STORE_CSRF_MAX)
    return door_detail_set(d, DOOR_ESTORE_CORRUPT, "sessions",
                           "malformed session row", NULL);
  memcpy(s->account_id, account_id, strnlen(account_id, DOOR_STORE_ID_LEN));
  s->csrf_len = 0;
  if (csrf && csrf_len) {
    memcpy(s->csrf, csrf, csrf_len);
    s->csrf_len = csrf_len;
  }
  return DOOR_OK;
}

door_err door__store_session_got(door_err err, door_store_session *out,
                                 door_detail *d) {
  if (err)
    door__store_session_clear(out);
  if (err == DOOR_ESTORE_EXPIRED)
    door_detail_set(d, err, "session", "the session has expired",
                    "sign in again");
  else if (err == DOOR_ENOTFOUND)
    door__store_no_session(d);
  return err;
}

door_err door__store_no_session(door_detail *d) {
  return door_detail_set(d, DOOR_ENOTFOUND, "session", "no such session", NULL);
}

door_err door__store_session_get(door_store *st,
                                 const uint8_t id_hash[DOOR_STORE_HASH_LEN],
                                 int64_t now, int64_t idle_seconds,
                                 door_store_session *out, door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!out)
    return door_detail_set(d, DOOR_EINVAL, "session_get", "no output", NULL);
  memset(out, 0, sizeof *out);
  err = check_hash(id_hash, d);
  if (!err && idle_seconds < 0)
    err = door_detail_set(d, DOOR_EINVAL, "idle_seconds",
                          "negative idle timeout", NULL);
  if (err)
    return err;
  return st->ops->session_get(st, id_hash, now, idle_seconds, out, d);
}

door_err door__store_session_delete(door_store *st,
                                    const uint8_t id_hash[DOOR_STORE_HASH_LEN],
                                    door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = check_hash(id_hash, d);
  if (err)
    return err;
  return st->ops->session_delete(st, id_hash, d);
}

door_err door__store_sessions_delete_by_sid(door_store *st, const char *issuer,
                                            const char *sid, uint64_t *n,
                                            door_detail *d) {
  uint64_t dummy;
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_need(issuer, DOOR_STORE_ISSUER_MAX, "issuer", d);
  if (!err)
    err = door__store_need(sid, DOOR_STORE_SID_MAX, "sid", d);
  if (err)
    return err;
  return st->ops->sessions_delete_by_sid(st, issuer, sid, n ? n : &dummy, d);
}

door_err door__store_sessions_delete_by_sub(door_store *st, const char *issuer,
                                            const char *sub, uint64_t *n,
                                            door_detail *d) {
  uint64_t dummy;
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_need(issuer, DOOR_STORE_ISSUER_MAX, "issuer", d);
  if (!err)
    err = door__store_need(sub, DOOR_STORE_SUBJECT_MAX, "sub", d);
  if (err)
    return err;
  return st->ops->sessions_delete_by_sub(st, issuer, sub, n ? n : &dummy, d);
}

door_err door__store_sessions_delete_account(door_store *st,
                                             const char *account_id,
                                             uint64_t *n, door_detail *d) {
  uint64_t dummy;
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_need_account(account_id, d);
  if (err)
    return err;
  return st->ops->sessions_delete_account(st, account_id, n ? n : &dummy, d);
}

door_err door__store_sessions_purge(door_store *st, int64_t now, uint64_t *n,
                                    door_detail *d) {
  uint64_t dummy;
  DOOR__STORE_CHECK(st, d);
  return st->ops->sessions_purge(st, now, n ? n : &dummy, d);
}

void door__store_session_clear(door_store_session *s) {
  if (!s)
    return;
  free(s->provider);
  free(s->issuer);
  free(s->provider_sid);
  free(s->provider_sub);
  OPENSSL_cleanse(s, sizeof *s);
}

/* The rest of the forwarding functions (records, keys, tokens) live in
 * store_records.c. */

door_err door__store_delete_counts_json(const door_store_delete_counts *k,
                                        door_buf *out) {
  const struct {
    const char *name;
    uint64_t v;
  } f[] = {{"identities", k->identities},
           {"sessions", k->sessions},
           {"provider_tokens", k->provider_tokens},
           {"transmissions", k->transmissions},
           {"audit_anonymised", k->audit_anonymised}};
  json_t *o = json_object();
  door_err err = o ? DOOR_OK : DOOR_ENOMEM;
  size_t i;
  for (i = 0; !err && i < sizeof f / sizeof f[0]; i++)
    if (json_object_set_new(o, f[i].name, json_integer((json_int_t)f[i].v)))
      err = DOOR_ENOMEM;
  if (!err)
    err = door__json_dump(o, out);
  json_decref(o);
  return err;
}
