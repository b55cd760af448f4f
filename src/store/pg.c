/* The PostgreSQL backend: URL, open, close, and the ops table.
 *
 * The URL is libpq's (https://www.postgresql.org/docs/current/
 * libpq-connect.html#LIBPQ-CONNSTRING-URIS), e.g.
 *   postgres://door:PASSWORD@db.example:5432/doorauth?sslmode=verify-full
 *   postgresql:///doorauth?host=/run/postgresql
 * Defaults added when the URL does not set them: connect_timeout (a server
 * that does not answer fails the call after this many seconds),
 * client_encoding=UTF8, fallback_application_name=doorauth.  Each new
 * connection sets lock_timeout to the store's busy timeout.
 *
 * The password stays in memory only (libpq's parsed options, wiped at
 * close): details and logs name the database as postgres://user@host:port/
 * dbname, and libpq's parse errors (which may quote the URL) are never
 * repeated.
 */
#include "store/pg_int.h"
#include "util/buf.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

static void wipe_options(PQconninfoOption *info) {
  PQconninfoOption *o;
  for (o = info; o && o->keyword; o++)
    if (o->val)
      OPENSSL_cleanse(o->val, strlen(o->val));
  PQconninfoFree(info);
}

static void pg_close(door_store *st) {
  door__pg *p = door__pg_of(st);
  door__pg_conn *c;
  while ((c = p->idle) != NULL) {
    p->idle = c->next;
    PQfinish(c->db);
    free(c);
  }
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  wipe_options(p->info);
  free(p->keys);
  free(p->vals);
  free(p->where);
  free(p);
}

static const char *option(const PQconninfoOption *info, const char *key) {
  const PQconninfoOption *o;
  for (o = info; o && o->keyword; o++)
    if (strcmp(o->keyword, key) == 0)
      return o->val && *o->val ? o->val : NULL;
  return NULL;
}

/* postgres://user@host:port/dbname from the parsed options. */
static door_err make_where(door__pg *p) {
  const char *user = option(p->info, "user");
  const char *host = option(p->info, "host");
  const char *addr = option(p->info, "hostaddr");
  const char *port = option(p->info, "port");
  const char *db = option(p->info, "dbname");
  door_buf b;
  door_err err;
  door__buf_init(&b, 4096);
  err = door__buf_puts(&b, "postgres://");
  if (!err && user) {
    err = door__buf_puts(&b, user);
    if (!err)
      err = door__buf_putc(&b, '@');
  }
  if (!err && (host || addr))
    err = door__buf_puts(&b, host ? host : addr);
  if (!err && port) {
    err = door__buf_putc(&b, ':');
    if (!err)
      err = door__buf_puts(&b, port);
  }
  if (!err)
    err = door__buf_putc(&b, '/');
  if (!err && db)
    err = door__buf_puts(&b, db);
  if (!err)
    p->where = door__buf_detach(&b);
  door__buf_free(&b);
  return err ? err : p->where ? DOOR_OK : DOOR_ENOMEM;
}

/* keys/vals for PQconnectdbParams: the URL's options and our defaults. */
static door_err make_params(door__pg *p) {
  static const char *const defaults[][2] = {
      {"client_encoding", "UTF8"},
      {"fallback_application_name", "doorauth"},
  };
  const PQconninfoOption *o;
  size_t n = 0, i, k = 0;
  for (o = p->info; o->keyword; o++)
    n++;
  n += 1 + sizeof defaults / sizeof defaults[0] + 1;
  p->keys = calloc(n, sizeof *p->keys);
  p->vals = calloc(n, sizeof *p->vals);
  if (!p->keys || !p->vals)
    return DOOR_ENOMEM;
  for (o = p->info; o->keyword; o++) {
    if (!o->val || !*o->val)
      continue;
    p->keys[k] = o->keyword;
    p->vals[k++] = o->val;
  }
  if (!option(p->info, "connect_timeout")) {
    door__u64_to_str(DOOR__PG_CONNECT_TIMEOUT, p->connect_timeout);
    p->keys[k] = "connect_timeout";
    p->vals[k++] = p->connect_timeout;
  }
  for (i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
    if (option(p->info, defaults[i][0]))
      continue;
    p->keys[k] = defaults[i][0];
    p->vals[k++] = defaults[i][1];
  }
  p->keys[k] = NULL;
  p->vals[k] = NULL;
  return DOOR_OK;
}

static door_err parse_url(door__pg *p, const char *rest, door_detail *d) {
  char *msg = NULL;
  door_buf b;
  door_err err;
  if (strncmp(rest, "//", 2) != 0)
    return door_detail_set(d, DOOR_ECONFIG_VALUE, "store.url",
                           "a PostgreSQL store URL starts with postgres://",
                           "write postgres://user@host/dbname");
  door__buf_init(&b, DOOR_BUF_DEFAULT_MAX);
  err = door__buf_puts(&b, "postgresql:");
  if (!err)
    err = door__buf_puts(&b, rest);
  if (err) {
    door__buf_free(&b);
    return err == DOOR_ENOMEM
               ? err
               : door_detail_set(d, DOOR_ECONFIG_VALUE, "store.url",
                                 "store URL too long", NULL);
  }
  p->info = PQconninfoParse(door__buf_str(&b), &msg);
  OPENSSL_cleanse(b.data, b.len);
  door__buf_free(&b);
  if (msg) {
    OPENSSL_cleanse(msg, strlen(msg)); /* it may quote the password */
    PQfreemem(msg);
  }
  if (!p->info)
    return door_detail_set(d, DOOR_ECONFIG_VALUE, "store.url",
                           "malformed PostgreSQL URL",
                           "check it against libpq's connection URIs; "
                           "percent-encode special characters");
  err = make_where(p);
  if (!err)
    err = make_params(p);
  return err;
}

static door_err pg_open(const char *rest, const door_store_options *o,
                        door_store **out, door_detail *d) {
  door__pg *p = NULL;
  door__pg_conn *c = NULL;
  door_err err;
  int from = 0, to = 0;
  char nb[2][24];
  if (!PQisthreadsafe())
    return door_detail_set(d, DOOR_EUNSUPPORTED, "store.url",
                           "libpq was built without thread support", NULL);
  p = calloc(1, sizeof *p);
  if (!p)
    return DOOR_ENOMEM;
  p->base.ops = &door__store_pg_ops;
  p->base.log = o->log;
  p->busy_ms = o->busy_timeout_ms;
  p->max_conns = o->max_connections;
  door__u64_to_str((uint64_t)(p->busy_ms > INT_MAX ? INT_MAX : p->busy_ms),
                   p->lock_timeout);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  err = parse_url(p, rest, d);
  if (!err)
    err = door__pg_acquire(p, &c, d);
  if (!err)
    err = door__pg_migrate(c->db, door__pg_migrations, door__pg_latest,
                           p->where, p->base.log, &from, &to, d);
  door__pg_release(p, c);
  if (err) {
    pg_close(&p->base);
    return err;
  }
  door__u64_to_str((uint64_t)from, nb[0]);
  door__u64_to_str((uint64_t)to, nb[1]);
  door__log(p->base.log, DOOR_LOG_INFO, "store.open", "backend", "postgres",
            "database", p->where, "schema_from", nb[0], "schema", nb[1], NULL);
  *out = &p->base;
  return DOOR_OK;
}

static door_err pg_schema_version(door_store *st, int *current, int *latest,
                                  door_detail *d) {
  door__pg *p = door__pg_of(st);
  door__pg_conn *c;
  door_err err = door__pg_acquire(p, &c, d);
  if (err)
    return err;
  err = door__pg_version(c->db, p->where, current, d);
  if (err)
    c->lost = PQstatus(c->db) != CONNECTION_OK;
  *latest = door__pg_latest;
  door__pg_release(p, c);
  return err;
}

const struct door_store_ops door__store_pg_ops = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .schema_version = pg_schema_version,
    .login_identity = door__pg_login_identity,
    .link_identity = door__pg_link_identity,
    .unlink_identity = door__pg_unlink_identity,
    .identity_find = door__pg_identity_find,
    .account_get = door__pg_account_get,
    .accounts_list = door__pg_accounts_list,
    .account_delete = door__pg_account_delete,
    .counts = door__pg_counts,
    .session_create = door__pg_session_create,
    .session_get = door__pg_session_get,
    .session_delete = door__pg_session_delete,
    .sessions_delete_by_sid = door__pg_sessions_delete_by_sid,
    .sessions_delete_by_sub = door__pg_sessions_delete_by_sub,
    .sessions_delete_account = door__pg_sessions_delete_account,
    .sessions_purge = door__pg_sessions_purge,
    .audit_append = door__pg_audit_append,
    .audit_list = door__pg_audit_list,
    .state_consume = door__pg_state_consume,
    .states_purge = door__pg_states_purge,
    .jti_admit = door__pg_jti_admit,
    .jti_purge = door__pg_jti_purge,
    .signing_key_put = door__pg_signing_key_put,
    .signing_keys_list = door__pg_signing_keys_list,
    .signing_key_retire = door__pg_signing_key_retire,
    .signing_key_add = door__pg_signing_key_add,
    .transmission_append = door__pg_transmission_append,
    .transmissions_append = door__pg_transmissions_append,
    .transmissions_purge = door__pg_transmissions_purge,
    .transmissions_list = door__pg_transmissions_list,
    .tokens_put = door__pg_tokens_put,
    .tokens_get = door__pg_tokens_get,
    .tokens_delete = door__pg_tokens_delete,
    .stats_add = door__pg_stats_add,
    .stats_list = door__pg_stats_list,
    .login_commit = door__pg_login_commit,
    .state_used = door__pg_state_used,
};
