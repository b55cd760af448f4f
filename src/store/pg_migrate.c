/* The PostgreSQL schema and its migrations.
 *
 * Rules for whoever adds a migration:
 *   - append to door__pg_migrations; never edit a migration that shipped;
 *   - each runs in its own transaction (PostgreSQL's DDL is
 *     transactional) while holding the advisory lock DOOR__PG_MIGRATE_LOCK,
 *     so brokers that start together apply it once, one after the other;
 *   - keep the SQLite schema (sqlite_migrate.c) in step: the same tables,
 *     columns and constraints, so both backends mean the same thing;
 *   - constraints a later version may widen (the audit kinds) are checked
 *     by the code, not by CHECK clauses.
 * Tables live in the first schema of the search_path (current_schema()),
 * so one database can hold several doorauth stores in separate schemas
 * (options=-csearch_path%3Dname in the URL).  Times are int8 Unix seconds.
 * Account ids are 32 hex digits in COLLATE "C" text: they sort by byte as
 * in SQLite.  Rows keep the order they were made in through identity
 * columns (SQLite's rowid).
 */
#include "store/pg_int.h"
#include "util/buf.h"

#include <string.h>

static const char V1[] =
    "CREATE TABLE accounts ("
    " id TEXT COLLATE \"C\" PRIMARY KEY,"
    " created_at BIGINT NOT NULL);"

    "CREATE TABLE identities ("
    " seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " account_id TEXT COLLATE \"C\" NOT NULL"
    "  REFERENCES accounts(id) ON DELETE CASCADE,"
    " provider TEXT NOT NULL,"
    " issuer TEXT NOT NULL,"
    " subject TEXT NOT NULL,"
    " linked_at BIGINT NOT NULL,"
    " last_login_at BIGINT NOT NULL,"
    " kept_claims TEXT,"
    " UNIQUE (issuer, subject));"
    "CREATE INDEX identities_account ON identities(account_id, provider);"

    "CREATE TABLE sessions ("
    " id_hash BYTEA PRIMARY KEY CHECK (length(id_hash) = 32),"
    " account_id TEXT COLLATE \"C\" NOT NULL"
    "  REFERENCES accounts(id) ON DELETE CASCADE,"
    " created_at BIGINT NOT NULL,"
    " last_seen_at BIGINT NOT NULL,"
    " idle_expires_at BIGINT NOT NULL,"
    " absolute_expires_at BIGINT NOT NULL,"
    " csrf_secret BYTEA,"
    " provider TEXT,"
    " issuer TEXT,"
    " provider_sid TEXT,"
    " provider_sub TEXT,"
    " CHECK (idle_expires_at <= absolute_expires_at));"
    "CREATE INDEX sessions_account ON sessions(account_id);"
    "CREATE INDEX sessions_sid ON sessions(issuer, provider_sid)"
    " WHERE provider_sid IS NOT NULL;"
    "CREATE INDEX sessions_sub ON sessions(issuer, provider_sub)"
    " WHERE provider_sub IS NOT NULL;"
    "CREATE INDEX sessions_idle ON sessions(idle_expires_at);"

    "CREATE TABLE provider_tokens ("
    " account_id TEXT COLLATE \"C\" NOT NULL"
    "  REFERENCES accounts(id) ON DELETE CASCADE,"
    " provider TEXT NOT NULL,"
    " access_token BYTEA,"
    " refresh_token BYTEA,"
    " expires_at BIGINT,"
    " scope TEXT,"
    " updated_at BIGINT NOT NULL,"
    " PRIMARY KEY (account_id, provider));"

    "CREATE TABLE audit ("
    " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " at BIGINT NOT NULL,"
    " account_id TEXT COLLATE \"C\""
    "  REFERENCES accounts(id) ON DELETE SET NULL,"
    " kind TEXT NOT NULL,"
    " provider TEXT,"
    " issuer TEXT,"
    " detail TEXT);"
    "CREATE INDEX audit_account ON audit(account_id, id);"
    "CREATE INDEX audit_at ON audit(at);"

    "CREATE TABLE used_states ("
    " key TEXT PRIMARY KEY,"
    " expires_at BIGINT NOT NULL);"
    "CREATE INDEX used_states_expires ON used_states(expires_at);"

    "CREATE TABLE jti_admissions ("
    " event_id TEXT NOT NULL,"
    " jti TEXT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " admitted_at BIGINT NOT NULL,"
    " PRIMARY KEY (event_id, jti));"
    "CREATE INDEX jti_admissions_expires ON jti_admissions(expires_at);"

    "CREATE TABLE signing_keys ("
    " kid TEXT PRIMARY KEY,"
    " alg TEXT NOT NULL,"
    " private_pem BYTEA NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " not_before BIGINT NOT NULL,"
    " retire_at BIGINT,"
    " retired BOOLEAN NOT NULL DEFAULT false);"

    "CREATE TABLE transmissions ("
    " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " at BIGINT NOT NULL,"
    " provider TEXT NOT NULL,"
    " endpoint TEXT NOT NULL,"
    " fields TEXT NOT NULL,"
    " purpose TEXT NOT NULL,"
    " account_id TEXT COLLATE \"C\""
    "  REFERENCES accounts(id) ON DELETE CASCADE,"
    " outcome TEXT NOT NULL);"
    "CREATE INDEX transmissions_at ON transmissions(at);"
    "CREATE INDEX transmissions_account ON transmissions(account_id, id);";

/* Anonymous statistics: counts by event, hour and tier, nothing else. */
static const char V2[] = "CREATE TABLE event_stats ("
                         " event_id TEXT COLLATE \"C\" NOT NULL,"
                         " hour BIGINT NOT NULL,"
                         " tier TEXT COLLATE \"C\" NOT NULL,"
                         " count BIGINT NOT NULL CHECK (count >= 0),"
                         " PRIMARY KEY (event_id, hour, tier));";

/* The HTTP status of each transmission (issue 8's records): 0 for browser
 * redirects and when no answer came. */
static const char V3[] =
    "ALTER TABLE transmissions ADD COLUMN http_status INTEGER NOT NULL"
    " DEFAULT 0 CHECK (http_status BETWEEN 0 AND 999);";

const door__pg_migration door__pg_migrations[] = {
    {1, V1},
    {2, V2},
    {3, V3},
};
const int door__pg_latest =
    (int)(sizeof door__pg_migrations / sizeof door__pg_migrations[0]);

/* The comment that marks doorauth's schema_version table (SQLite's
 * application_id). */
#define MARK "doorauth store"

static const char Q_BEGIN[] = "BEGIN ISOLATION LEVEL READ COMMITTED;"
                              "SET LOCAL lock_timeout TO '60s'";
static const char Q_LOCK[] = "SELECT pg_advisory_xact_lock($1::int8)";
static const char Q_SCHEMA[] = "SELECT current_schema() IS NOT NULL";
static const char Q_VERSION_TABLE[] =
    "SELECT coalesce(obj_description(c.oid, 'pg_class'), '')"
    " FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND c.relname = 'schema_version'";
static const char Q_OTHER_OBJECTS[] =
    "SELECT count(*) FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema()"
    " AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')";
static const char Q_CREATE_VERSION_TABLE[] =
    "CREATE TABLE schema_version ("
    " version INTEGER PRIMARY KEY,"
    " applied_at BIGINT NOT NULL);"
    "COMMENT ON TABLE schema_version IS '" MARK "'";
static const char Q_VERSION[] =
    "SELECT coalesce(max(version), 0) FROM schema_version";
static const char Q_RECORD[] =
    "INSERT INTO schema_version (version, applied_at)"
    " VALUES ($1::int4, extract(epoch FROM now())::int8)";

typedef struct mctx {
  PGconn *db;
  const char *where;
  const door_log *log;
  door_detail *d;
} mctx;

static door_err fail(mctx *x, const PGresult *r) {
  int retry;
  return door__pg_db_err(x->db, r, x->where, x->log, x->d, &retry);
}

/* Runs sql (at most one integer parameter, text results); *text gets a
 * copy of the first column of the first row (NULL: no row) when asked. */
static door_err one(mctx *x, const char *sql, const char *arg, char *text,
                    size_t cap, int *row) {
  const char *vals[1] = {arg};
  PGresult *r = arg ? PQexecParams(x->db, sql, 1, NULL, vals, NULL, NULL, 0)
                    : PQexec(x->db, sql);
  ExecStatusType st = PQresultStatus(r);
  door_err err = DOOR_OK;
  if (!r || (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)) {
    err = fail(x, r);
  } else if (row) {
    *row = PQntuples(r) > 0;
    if (*row && text) {
      size_t n = (size_t)PQgetlength(r, 0, 0);
      if (n >= cap)
        n = cap - 1;
      memcpy(text, PQgetvalue(r, 0, 0), n);
      text[n] = '\0';
    }
  }
  PQclear(r);
  return err;
}

static int64_t to_i64(const char *s) {
  int64_t v = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    v = v * 10 + (*s - '0');
  return v;
}

door_err door__pg_version(PGconn *db, const char *where, int *v,
                          door_detail *d) {
  door_detail local;
  mctx x = {db, where, NULL, d ? d : &local};
  char text[64];
  int row = 0;
  door_err err = one(&x, Q_VERSION_TABLE, NULL, text, sizeof text, &row);
  *v = 0;
  if (!err && row)
    err = one(&x, Q_VERSION, NULL, text, sizeof text, &row);
  if (!err && row)
    *v = (int)to_i64(text);
  return err;
}

static door_err refuse(mctx *x, door_err code, const char *what,
                       const char *hint) {
  return door_detail_set(x->d, code, x->where, what, hint);
}

/* One step in its own transaction under the advisory lock: creates the
 * version table in an empty schema, or applies the next migration.
 * *done = 1 when up to date. */
static door_err step_once(mctx *x, const door__pg_migration *m, int n,
                          int *version, int *done) {
  char text[64], key[24], nb[24];
  int row = 0, next;
  door_err err;
  *done = 0;
  door__u64_to_str((uint64_t)DOOR__PG_MIGRATE_LOCK, key);
  err = one(x, Q_BEGIN, NULL, NULL, 0, NULL);
  if (!err)
    err = one(x, Q_LOCK, key, NULL, 0, NULL);
  if (!err)
    err = one(x, Q_SCHEMA, NULL, text, sizeof text, &row);
  if (err)
    goto out;
  if (strcmp(text, "t") != 0) {
    err = refuse(x, DOOR_ESTORE_SCHEMA, "no schema of the search_path exists",
                 "create the schema, or fix search_path in store.url");
    goto out;
  }
  err = one(x, Q_VERSION_TABLE, NULL, text, sizeof text, &row);
  if (err)
    goto out;
  if (row && strcmp(text, MARK) != 0) {
    err = refuse(x, DOOR_ESTORE_SCHEMA,
                 "the database holds a schema_version that is not doorauth's",
                 "point store.url at doorauth's own database or schema");
    goto out;
  }
  if (!row) {
    err = one(x, Q_OTHER_OBJECTS, NULL, text, sizeof text, &row);
    if (!err && to_i64(text) > 0)
      err = refuse(x, DOOR_ESTORE_SCHEMA,
                   "the database holds tables that are not doorauth's",
                   "point store.url at doorauth's own database or schema");
    if (!err)
      err = one(x, Q_CREATE_VERSION_TABLE, NULL, NULL, 0, NULL);
    if (err)
      goto out;
  }
  err = one(x, Q_VERSION, NULL, text, sizeof text, &row);
  if (err)
    goto out;
  *version = (int)to_i64(text);
  if (*version > n) {
    err = refuse(x, DOOR_ESTORE_SCHEMA_NEWER,
                 "the database was migrated by a newer doorauth",
                 "run that version or newer, or restore a backup: doorauth "
                 "never downgrades a database");
    goto out;
  }
  if (*version == n) {
    *done = 1;
    return one(x, "COMMIT", NULL, NULL, 0, NULL);
  }
  next = *version + 1;
  if (m[next - 1].version != next) {
    err = refuse(x, DOOR_EINTERNAL, "migration list out of order", NULL);
    goto out;
  }
  door__u64_to_str((uint64_t)next, nb);
  err = one(x, m[next - 1].sql, NULL, NULL, 0, NULL);
  if (!err)
    err = one(x, Q_RECORD, nb, NULL, 0, NULL);
  if (err == DOOR_ESTORE || err == DOOR_EINVAL || err == DOOR_EEXISTS ||
      err == DOOR_ENOTFOUND) {
    door_detail why = *x->d;
    door__log(x->log, DOOR_LOG_ERROR, "store.migrate_failed", "version", nb,
              "error", why.what, NULL);
    err = door_detail_set(x->d, DOOR_ESTORE_SCHEMA, nb, why.what,
                          "the migration was rolled back; report this with "
                          "the database's schema");
  }
  if (err)
    goto out;
  err = one(x, "COMMIT", NULL, NULL, 0, NULL);
  if (!err)
    *version = next;
  return err;
out:
  if (PQtransactionStatus(x->db) != PQTRANS_IDLE)
    PQclear(PQexec(x->db, "ROLLBACK"));
  return err;
}

door_err door__pg_migrate(PGconn *db, const door__pg_migration *m, int n,
                          const char *where, const door_log *log, int *from,
                          int *to, door_detail *d) {
  door_detail local;
  mctx x = {db, where, log, &local};
  door_err err;
  int version = 0, first = -1, done = 0;
  char nb[2][24];
  door_detail_clear(&local);
  while (!done) {
    err = step_once(&x, m, n, &version, &done);
    if (err) {
      if (d)
        *d = local;
      return err;
    }
    if (first < 0)
      first = done ? version : version - 1;
    if (!done) {
      door__u64_to_str((uint64_t)(version - 1), nb[0]);
      door__u64_to_str((uint64_t)version, nb[1]);
      door__log(log, DOOR_LOG_INFO, "store.migrate", "from", nb[0], "to", nb[1],
                NULL);
    }
  }
  if (from)
    *from = first;
  if (to)
    *to = version;
  return DOOR_OK;
}
