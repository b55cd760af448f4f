/* Store URLs, connection settings and schema migrations, on the backend
 * the run names (t_store.h); the cases about SQLite files and PostgreSQL
 * locks run on their own backend only. */
#include "t_store.h"

#include "store/pg_int.h"
#include "store/sqlite_int.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

static int latest(const t_db *t) {
  return t->pg ? door__pg_latest : door__sq_latest;
}

static void test_fresh_database_gets_the_latest_version(void) {
  t_db t;
  door_store *st;
  t_conn *db;
  int cur = -1, last = -1;
  char buf[64];
  t_db_make(&t);
  st = t_open(&t);
  T_OK(st);
  T_EQ_STR(door__store_backend(st), t_backend());
  T_EQ_ERR(door__store_schema_version(st, &cur, &last, NULL), DOOR_OK);
  T_EQ_INT(last, latest(&t));
  T_EQ_INT(cur, last);
  door__store_close(st);
  db = t_raw(&t);
  T_OK(db);
  T_EQ_INT(t_int(db, "SELECT max(version) FROM schema_version"), latest(&t));
  T_EQ_INT(t_int(db, "SELECT count(*) FROM schema_version"), latest(&t));
  if (t.pg) {
    T_EQ_STR(t_text(db,
                    "SELECT obj_description('schema_version'::regclass,"
                    " 'pg_class')",
                    buf, sizeof buf),
             "doorauth store");
  } else {
    T_EQ_INT(t_int(db, "PRAGMA application_id"), DOOR__SQ_APPLICATION_ID);
    /* WAL is a property of the file: it stays after the store closed. */
    T_EQ_STR(t_text(db, "PRAGMA journal_mode", buf, sizeof buf), "wal");
  }
  T_EQ_INT(t_int(db, t_sql(&t,
                           "SELECT count(*) FROM sqlite_master"
                           " WHERE type='table' AND name IN ('accounts',"
                           "'identities','sessions','provider_tokens',"
                           "'audit','used_states','jti_admissions',"
                           "'signing_keys','transmissions')",
                           "SELECT count(*) FROM information_schema.tables"
                           " WHERE table_schema = current_schema()"
                           " AND table_name IN ('accounts','identities',"
                           "'sessions','provider_tokens','audit',"
                           "'used_states','jti_admissions','signing_keys',"
                           "'transmissions')")),
           9);
  t_close(db);
  t_db_remove(&t);
}

static void test_reopen_is_a_no_op(void) {
  t_db t;
  door_store *st;
  t_conn *db;
  long long applied;
  t_db_make(&t);
  st = t_open(&t);
  T_OK(st);
  door__store_close(st);
  db = t_raw(&t);
  T_OK(db);
  /* Mark the recorded times: a re-run would insert or rewrite rows. */
  T_EQ_INT(t_exec(db, "UPDATE schema_version SET applied_at = 7"), 0);
  applied = t_int(db, "SELECT count(*) FROM schema_version");
  t_close(db);
  st = t_open(&t);
  T_OK(st);
  door__store_close(st);
  db = t_raw(&t);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM schema_version"), applied);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM schema_version"
                     " WHERE applied_at <> 7"),
           0);
  t_close(db);
  t_db_remove(&t);
}

static void test_newer_database_is_refused(void) {
  t_db t;
  door_store *st = NULL;
  t_conn *db;
  door_detail d;
  t_db_make(&t);
  st = t_open(&t);
  T_OK(st);
  door__store_close(st);
  db = t_raw(&t);
  T_EQ_INT(t_exec(db, "INSERT INTO schema_version VALUES (999, 0);"
                      "CREATE TABLE from_the_future (x INTEGER);"),
           0);
  t_close(db);
  st = (door_store *)1;
  T_EQ_ERR(door__store_open(t.url, NULL, &st, &d), DOOR_ESTORE_SCHEMA_NEWER);
  T_OK(st == NULL);
  T_OK(strstr(d.hint, "never downgrades") != NULL);
  /* Refusing did not touch it. */
  db = t_raw(&t);
  T_EQ_INT(t_int(db, "SELECT max(version) FROM schema_version"), 999);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM from_the_future"), 0);
  t_close(db);
  t_db_remove(&t);
}

static void test_foreign_database_is_refused(void) {
  t_db t;
  door_store *st = NULL;
  sqlite3 *sq = NULL;
  t_conn *db;
  door_detail d;
  t_db_make(&t);
  if (t.pg) {
    db = t_raw(&t);
    T_OK(db);
    T_EQ_INT(t_exec(db, "CREATE TABLE users (name TEXT)"), 0);
    t_close(db);
  } else {
    T_EQ_INT(sqlite3_open(t.path, &sq), SQLITE_OK);
    T_EQ_INT(
        sqlite3_exec(sq, "CREATE TABLE users (name TEXT)", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(sq);
  }
  T_EQ_ERR(door__store_open(t.url, NULL, &st, &d), DOOR_ESTORE_SCHEMA);
  T_OK(st == NULL);
  db = t_raw(&t);
  T_EQ_INT(t_int(db, t_sql(&t,
                           "SELECT count(*) FROM sqlite_master"
                           " WHERE name = 'schema_version'",
                           "SELECT count(*) FROM pg_class"
                           " WHERE relname = 'schema_version'")),
           0);
  t_close(db);
  /* Another program's application_id; on PostgreSQL, another program's
   * schema_version table (without doorauth's mark). */
  t_db_remove(&t);
  t_db_make(&t);
  if (t.pg) {
    db = t_raw(&t);
    T_OK(db);
    T_EQ_INT(t_exec(db, "CREATE TABLE schema_version (version INTEGER)"), 0);
    t_close(db);
  } else {
    T_EQ_INT(sqlite3_open(t.path, &sq), SQLITE_OK);
    T_EQ_INT(sqlite3_exec(sq, "PRAGMA application_id = 42", NULL, NULL, NULL),
             SQLITE_OK);
    sqlite3_close(sq);
  }
  T_EQ_ERR(door__store_open(t.url, NULL, &st, &d), DOOR_ESTORE_SCHEMA);
  t_db_remove(&t);
}

static void test_garbage_file_is_corrupt(void) {
  t_db t;
  door_store *st = NULL;
  door_detail d;
  FILE *f;
  if (t_is_pg()) {
    t_only("sqlite");
    return;
  }
  t_db_make(&t);
  f = fopen(t.path, "wb");
  T_OK(f);
  fputs("this is not an SQLite database, it is a text file that is long "
        "enough to have a header of one hundred bytes, and a bit more.\n",
        f);
  fclose(f);
  T_EQ_ERR(door__store_open(t.url, NULL, &st, &d), DOOR_ESTORE_CORRUPT);
  T_OK(st == NULL);
  t_db_remove(&t);
}

/* A migration list of two where the second fails: the first stays, the
 * second leaves nothing behind. */
static void test_failed_migration_rolls_back_sqlite(void) {
  static const door__sq_migration m[] = {
      {1, "CREATE TABLE a (x INTEGER);"},
      {2, "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);"},
  };
  static const door__sq_migration fixed[] = {
      {1, "CREATE TABLE a (x INTEGER);"},
      {2, "CREATE TABLE b (y INTEGER);"},
  };
  t_db t;
  sqlite3 *db = NULL;
  door_detail d;
  int from = -1, to = -1, v = -1;
  if (t_is_pg()) {
    t_only("sqlite");
    return;
  }
  t_db_make(&t);
  T_EQ_INT(sqlite3_open(t.path, &db), SQLITE_OK);
  T_EQ_ERR(door__sq_migrate(db, m, 2, NULL, &from, &to, &d),
           DOOR_ESTORE_SCHEMA);
  T_EQ_STR(d.where, "2");
  T_EQ_ERR(door__sq_version(db, &v, NULL), DOOR_OK);
  T_EQ_INT(v, 1);
  T_EQ_INT(t_int(&(t_conn){db, NULL},
                 "SELECT count(*) FROM sqlite_master WHERE name = 'a'"),
           1);
  T_EQ_INT(t_int(&(t_conn){db, NULL},
                 "SELECT count(*) FROM sqlite_master WHERE name = 'b'"),
           0);
  T_OK(sqlite3_get_autocommit(db));
  /* The corrected list continues from version 1. */
  T_EQ_ERR(door__sq_migrate(db, fixed, 2, NULL, &from, &to, &d), DOOR_OK);
  T_EQ_INT(from, 1);
  T_EQ_INT(to, 2);
  T_EQ_ERR(door__sq_migrate(db, fixed, 2, NULL, &from, &to, &d), DOOR_OK);
  T_EQ_INT(from, 2);
  T_EQ_INT(to, 2);
  /* And the short list now meets a newer database. */
  T_EQ_ERR(door__sq_migrate(db, fixed, 1, NULL, &from, &to, &d),
           DOOR_ESTORE_SCHEMA_NEWER);
  sqlite3_close(db);
  t_db_remove(&t);
}

static void test_failed_migration_rolls_back_pg(void) {
  static const door__pg_migration m[] = {
      {1, "CREATE TABLE a (x INTEGER);"},
      {2, "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);"},
  };
  static const door__pg_migration fixed[] = {
      {1, "CREATE TABLE a (x INTEGER);"},
      {2, "CREATE TABLE b (y INTEGER);"},
  };
  t_db t;
  t_conn *db;
  door_detail d;
  int from = -1, to = -1, v = -1;
  if (!t_is_pg()) {
    t_only("postgres");
    return;
  }
  t_db_make(&t);
  db = t_raw(&t);
  T_OK(db);
  T_EQ_ERR(door__pg_migrate(db->pg, m, 2, "test", NULL, &from, &to, &d),
           DOOR_ESTORE_SCHEMA);
  T_EQ_STR(d.where, "2");
  T_EQ_ERR(door__pg_version(db->pg, "test", &v, NULL), DOOR_OK);
  T_EQ_INT(v, 1);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM pg_class WHERE relname = 'a'"), 1);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM pg_class WHERE relname = 'b'"), 0);
  T_EQ_INT(PQtransactionStatus(db->pg), PQTRANS_IDLE);
  T_EQ_ERR(door__pg_migrate(db->pg, fixed, 2, "test", NULL, &from, &to, &d),
           DOOR_OK);
  T_EQ_INT(from, 1);
  T_EQ_INT(to, 2);
  T_EQ_ERR(door__pg_migrate(db->pg, fixed, 2, "test", NULL, &from, &to, &d),
           DOOR_OK);
  T_EQ_INT(from, 2);
  T_EQ_INT(to, 2);
  T_EQ_ERR(door__pg_migrate(db->pg, fixed, 1, "test", NULL, &from, &to, &d),
           DOOR_ESTORE_SCHEMA_NEWER);
  t_close(db);
  t_db_remove(&t);
}

/* A broker starting while another migrates waits for the advisory lock,
 * then finds the work done. */
typedef struct late_open {
  const t_db *t;
  door_err err;
  volatile int done;
} late_open;

static void *open_late(void *p) {
  late_open *o = p;
  door_store *st = NULL;
  o->err = door__store_open(o->t->url, NULL, &st, NULL);
  door__store_close(st);
  o->done = 1;
  return NULL;
}

static void test_migrations_wait_for_the_advisory_lock(void) {
  late_open o;
  pthread_t th;
  t_db t;
  t_conn *db;
  char sql[96];
  struct timespec pause = {0, 300000000L};
  if (!t_is_pg()) {
    t_only("postgres");
    return;
  }
  t_db_make(&t);
  db = t_raw(&t);
  T_OK(db);
  snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%d)",
           DOOR__PG_MIGRATE_LOCK);
  T_EQ_INT(t_exec(db, sql), 0);
  memset(&o, 0, sizeof o);
  o.t = &t;
  o.err = DOOR_EINTERNAL;
  T_EQ_INT(pthread_create(&th, NULL, open_late, &o), 0);
  nanosleep(&pause, NULL);
  T_EQ_INT(o.done, 0);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM pg_class"
                     " WHERE relname = 'schema_version'"),
           0);
  snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%d)",
           DOOR__PG_MIGRATE_LOCK);
  T_EQ_INT(t_exec(db, sql), 0);
  pthread_join(th, NULL);
  T_EQ_ERR(o.err, DOOR_OK);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM schema_version"), door__pg_latest);
  t_close(db);
  t_db_remove(&t);
}

static void test_urls(void) {
  door_store *st = NULL;
  door_detail d;
  t_db t;
  char url[400];
  T_EQ_ERR(door__store_open("mysql://db/x", NULL, &st, &d), DOOR_ECONFIG_VALUE);
  T_OK(strstr(d.hint, "sqlite:") != NULL);
  T_EQ_ERR(door__store_open("/var/lib/doorauth.db", NULL, &st, &d),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__store_open(":memory:", NULL, &st, &d), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__store_open(NULL, NULL, &st, &d), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__store_open("sqlite:", NULL, &st, &d), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__store_open("sqlite://host/db", NULL, &st, &d),
           DOOR_ECONFIG_VALUE);
  /* PostgreSQL URLs reach libpq: malformed ones are configuration errors,
   * a server that is not there is unavailable (no server needed here). */
  T_EQ_ERR(door__store_open("postgres:doorauth", NULL, &st, &d),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__store_open("postgresql://[::1/doorauth", NULL, &st, &d),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(
      door__store_open("postgres:///doorauth?no_such_option=1", NULL, &st, &d),
      DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__store_open("postgres://u@/doorauth?host=/nonexistent-dir",
                            NULL, &st, &d),
           DOOR_ESTORE_UNAVAILABLE);
  T_EQ_STR(d.where, "postgres://u@/nonexistent-dir/doorauth");
  T_EQ_ERR(door__store_open("postgresql:///doorauth?host=/nonexistent-dir",
                            NULL, &st, &d),
           DOOR_ESTORE_UNAVAILABLE);
  T_OK(st == NULL);
  T_EQ_ERR(
      door__store_open("sqlite:/nonexistent-dir/x/doorauth.db", NULL, &st, &d),
      DOOR_EIO);
  T_EQ_ERR(door__store_open("sqlite::memory:", NULL, &st, &d), DOOR_OK);
  door__store_close(st);
  st = NULL;
  /* sqlite:///abs is sqlite:/abs */
  if (!t_is_pg()) {
    t_db_make(&t);
    snprintf(url, sizeof url, "sqlite://%s", t.path);
    T_EQ_ERR(door__store_open(url, NULL, &st, &d), DOOR_OK);
    door__store_close(st);
    T_EQ_INT(access(t.path, F_OK), 0);
    t_db_remove(&t);
  }
  door__store_close(NULL);
}

static void test_file_mode_is_private(void) {
  t_db t;
  door_store *st;
  struct stat sb;
  mode_t old;
  if (t_is_pg()) {
    t_only("sqlite");
    return;
  }
  old = umask(0);
  t_db_make(&t);
  st = t_open(&t);
  umask(old);
  T_OK(st);
  T_EQ_INT(stat(t.path, &sb), 0);
  T_EQ_INT(sb.st_mode & 0777, 0600);
  door__store_close(st);
  t_db_remove(&t);
}

static void test_options(void) {
  t_db t;
  door_store_options o;
  door_store *st = NULL;
  door_detail d;
  door__store_options_init(&o);
  o.busy_timeout_ms = -1;
  T_EQ_ERR(door__store_open("sqlite::memory:", &o, &st, &d), DOOR_EINVAL);
  o.busy_timeout_ms = 100;
  o.max_connections = 3;
  T_EQ_ERR(door__store_open("sqlite::memory:", &o, &st, &d), DOOR_OK);
  door__store_close(st);
  T_EQ_ERR(door__store_open("sqlite::memory:", NULL, NULL, &d), DOOR_EINVAL);
  t_db_make(&t);
  T_EQ_ERR(door__store_open(t.url, &o, &st, &d), DOOR_OK);
  door__store_close(st);
  t_db_remove(&t);
}

static void test_session_hash(void) {
  static const uint8_t want[32] = {
      0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
      0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
      0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  uint8_t h[32];
  T_EQ_ERR(door__store_session_hash("abc", 3, h), DOOR_OK);
  T_EQ_MEM(h, want, 32);
  T_EQ_ERR(door__store_session_hash("", 0, h), DOOR_EINVAL);
}

T_MAIN(T_CASE(test_fresh_database_gets_the_latest_version),
       T_CASE(test_reopen_is_a_no_op), T_CASE(test_newer_database_is_refused),
       T_CASE(test_foreign_database_is_refused),
       T_CASE(test_garbage_file_is_corrupt),
       T_CASE(test_failed_migration_rolls_back_sqlite),
       T_CASE(test_failed_migration_rolls_back_pg),
       T_CASE(test_migrations_wait_for_the_advisory_lock), T_CASE(test_urls),
       T_CASE(test_file_mode_is_private), T_CASE(test_options),
       T_CASE(test_session_hash))
