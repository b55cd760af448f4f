/* The SQLite schema and its migrations.
 *
 * Rules for whoever adds a migration:
 *   - append to door__sq_migrations; never edit a migration that shipped
 *     (databases in the field already ran it);
 *   - each runs in its own transaction with foreign keys on; a migration
 *     that must rebuild a table (SQLite cannot alter a constraint) follows
 *     https://sqlite.org/lang_altertable.html#otheralter inside it and must
 *     keep every foreign key satisfied at COMMIT;
 *   - constraints a later version may widen (e.g. the audit kinds) are
 *     checked by the code, not by CHECK clauses, so widening them needs no
 *     rebuild;
 *   - JSON columns (kept_claims, fields) are checked by store.c, not by
 *     json_valid(): connections run with trusted_schema=OFF, under which
 *     SQLite refuses json_valid() in a schema.
 * Times are integer Unix seconds.  Account ids are 32 hex digits (text).
 */
#include "store/sqlite_int.h"
#include "util/buf.h"

#include <string.h>

static const char V1[] =
    "CREATE TABLE accounts ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " created_at INTEGER NOT NULL);"

    "CREATE TABLE identities ("
    " account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    " provider TEXT NOT NULL,"
    " issuer TEXT NOT NULL,"
    " subject TEXT NOT NULL,"
    " linked_at INTEGER NOT NULL,"
    " last_login_at INTEGER NOT NULL,"
    " kept_claims TEXT,"
    " UNIQUE (issuer, subject));"
    "CREATE INDEX identities_account ON identities(account_id, provider);"

    "CREATE TABLE sessions ("
    " id_hash BLOB PRIMARY KEY NOT NULL CHECK (length(id_hash) = 32),"
    " account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    " created_at INTEGER NOT NULL,"
    " last_seen_at INTEGER NOT NULL,"
    " idle_expires_at INTEGER NOT NULL,"
    " absolute_expires_at INTEGER NOT NULL,"
    " csrf_secret BLOB,"
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
    " account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    " provider TEXT NOT NULL,"
    " access_token BLOB,"
    " refresh_token BLOB,"
    " expires_at INTEGER,"
    " scope TEXT,"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY (account_id, provider));"

    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " account_id TEXT REFERENCES accounts(id) ON DELETE SET NULL,"
    " kind TEXT NOT NULL,"
    " provider TEXT,"
    " issuer TEXT,"
    " detail TEXT);"
    "CREATE INDEX audit_account ON audit(account_id, id);"
    "CREATE INDEX audit_at ON audit(at);"

    "CREATE TABLE used_states ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " expires_at INTEGER NOT NULL);"
    "CREATE INDEX used_states_expires ON used_states(expires_at);"

    "CREATE TABLE jti_admissions ("
    " event_id TEXT NOT NULL,"
    " jti TEXT NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " admitted_at INTEGER NOT NULL,"
    " PRIMARY KEY (event_id, jti));"
    "CREATE INDEX jti_admissions_expires ON jti_admissions(expires_at);"

    "CREATE TABLE signing_keys ("
    " kid TEXT PRIMARY KEY NOT NULL,"
    " alg TEXT NOT NULL,"
    " private_pem BLOB NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " not_before INTEGER NOT NULL,"
    " retire_at INTEGER,"
    " retired INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)));"

    "CREATE TABLE transmissions ("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " provider TEXT NOT NULL,"
    " endpoint TEXT NOT NULL,"
    " fields TEXT NOT NULL,"
    " purpose TEXT NOT NULL,"
    " account_id TEXT REFERENCES accounts(id) ON DELETE CASCADE,"
    " outcome TEXT NOT NULL);"
    "CREATE INDEX transmissions_at ON transmissions(at);"
    "CREATE INDEX transmissions_account ON transmissions(account_id, id);";

/* Anonymous statistics: counts by event, hour and tier, nothing else. */
static const char V2[] = "CREATE TABLE event_stats ("
                         " event_id TEXT NOT NULL,"
                         " hour INTEGER NOT NULL,"
                         " tier TEXT NOT NULL,"
                         " count INTEGER NOT NULL CHECK (count >= 0),"
                         " PRIMARY KEY (event_id, hour, tier));";

/* The HTTP status of each transmission (issue 8's records): 0 for browser
 * redirects and when no answer came. */
static const char V3[] =
    "ALTER TABLE transmissions ADD COLUMN http_status INTEGER NOT NULL"
    " DEFAULT 0 CHECK (http_status BETWEEN 0 AND 999);";

const door__sq_migration door__sq_migrations[] = {
    {1, V1},
    {2, V2},
    {3, V3},
};
const int door__sq_latest =
    (int)(sizeof door__sq_migrations / sizeof door__sq_migrations[0]);

static const char Q_HAS_VERSION_TABLE[] =
    "SELECT count(*) FROM sqlite_master"
    " WHERE type = 'table' AND name = 'schema_version'";
static const char Q_OTHER_OBJECTS[] =
    "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' "
    "ESCAPE '\\'";
static const char Q_CREATE_VERSION_TABLE[] =
    "CREATE TABLE schema_version ("
    " version INTEGER PRIMARY KEY NOT NULL,"
    " applied_at INTEGER NOT NULL)";
static const char Q_SET_APPLICATION_ID[] = "PRAGMA application_id = 1146048338";
static const char Q_APPLICATION_ID[] = "PRAGMA application_id";
static const char Q_VERSION[] =
    "SELECT coalesce(max(version), 0) FROM schema_version";
static const char Q_RECORD[] =
    "INSERT INTO schema_version (version, applied_at)"
    " VALUES (?1, CAST(strftime('%s', 'now') AS INTEGER))";

/* One integer from a statement without parameters or with one int. */
static int one_int(sqlite3 *db, const char *sql, int has_arg, int arg,
                   int64_t *v) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK && has_arg)
    rc = sqlite3_bind_int(st, 1, arg);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      if (v)
        *v = sqlite3_column_int64(st, 0);
      rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

door_err door__sq_version(sqlite3 *db, int *v, door_detail *d) {
  int64_t has = 0, ver = 0;
  int rc = one_int(db, Q_HAS_VERSION_TABLE, 0, 0, &has);
  if (rc == SQLITE_OK && has)
    rc = one_int(db, Q_VERSION, 0, 0, &ver);
  if (rc != SQLITE_OK)
    return door__sq_db_err(db, rc, "schema_version", NULL, d);
  *v = (int)ver;
  return DOOR_OK;
}

static door_err db_fail(sqlite3 *db, int rc, const door_log *log,
                        door_detail *d) {
  return door__sq_db_err(db, rc, sqlite3_db_filename(db, "main"), log, d);
}

/* One step, in its own transaction: creates the version table on an empty
 * database, or applies the next migration.  *done = 1 when up to date. */
static door_err step_once(sqlite3 *db, const door__sq_migration *m, int n,
                          const door_log *log, int *version, int *done,
                          door_detail *d) {
  int64_t has = 0, others = 0, appid = 0, ver = 0;
  door_err err = DOOR_OK;
  int rc, next;
  *done = 0;
  rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return db_fail(db, rc, log, d);
  rc = one_int(db, Q_APPLICATION_ID, 0, 0, &appid);
  if (rc == SQLITE_OK)
    rc = one_int(db, Q_HAS_VERSION_TABLE, 0, 0, &has);
  if (rc == SQLITE_OK && !has)
    rc = one_int(db, Q_OTHER_OBJECTS, 0, 0, &others);
  if (rc != SQLITE_OK)
    goto fail;
  if ((appid != 0 && appid != DOOR__SQ_APPLICATION_ID) || (!has && others)) {
    err =
        door_detail_set(d, DOOR_ESTORE_SCHEMA, sqlite3_db_filename(db, "main"),
                        "the database holds tables that are not doorauth's",
                        "point store.url at doorauth's own database file");
    goto out;
  }
  if (!has) {
    rc = sqlite3_exec(db, Q_CREATE_VERSION_TABLE, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
      rc = sqlite3_exec(db, Q_SET_APPLICATION_ID, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
      goto fail;
  }
  rc = one_int(db, Q_VERSION, 0, 0, &ver);
  if (rc != SQLITE_OK)
    goto fail;
  *version = (int)ver;
  if (ver > n) {
    err = door_detail_set(
        d, DOOR_ESTORE_SCHEMA_NEWER, sqlite3_db_filename(db, "main"),
        "the database was migrated by a newer doorauth",
        "run that version or newer, or restore a backup: doorauth never "
        "downgrades a database");
    goto out;
  }
  if (ver == n) {
    *done = 1;
    goto commit;
  }
  next = (int)ver + 1;
  if (m[next - 1].version != next) {
    err = door_detail_set(d, DOOR_EINTERNAL, "migrations",
                          "migration list out of order", NULL);
    goto out;
  }
  rc = sqlite3_exec(db, m[next - 1].sql, NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = one_int(db, Q_RECORD, 1, next, NULL);
  if (rc != SQLITE_OK) {
    char nb[24];
    door_detail local;
    door__u64_to_str((uint64_t)next, nb);
    door_detail_set(&local, DOOR_ESTORE_SCHEMA, nb, sqlite3_errmsg(db),
                    "the migration was rolled back; report this with the "
                    "database's schema");
    door__log(log, DOOR_LOG_ERROR, "store.migrate_failed", "version", nb,
              "error", sqlite3_errmsg(db), NULL);
    if (d)
      *d = local;
    err = DOOR_ESTORE_SCHEMA;
    goto out;
  }
  *version = next;
commit:
  rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    goto fail;
  return DOOR_OK;
fail:
  err = db_fail(db, rc, log, d);
out:
  if (!sqlite3_get_autocommit(db))
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return err;
}

door_err door__sq_migrate(sqlite3 *db, const door__sq_migration *m, int n,
                          const door_log *log, int *from, int *to,
                          door_detail *d) {
  door_err err;
  int version = 0, first = -1, done = 0;
  char nb[2][24];
  while (!done) {
    err = step_once(db, m, n, log, &version, &done, d);
    if (err)
      return err;
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
