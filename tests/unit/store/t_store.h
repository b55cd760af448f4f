/* Store test helpers: a fresh database per test on the backend the run
 * names, and raw SQL for checking what the store wrote.
 *
 * DOOR_TEST_STORE_URL picks the backend.  Unset or sqlite:...: each
 * t_db_make makes a temporary directory with an SQLite file in it.
 * postgres://... or postgresql://...: a database the tests may use to
 * create others (tests/pg/cluster.sh run sets it); each t_db_make creates
 * a fresh database door_t_<pid>_<n> there, t_db_remove drops it.  The raw
 * handle (t_raw) speaks to either; t_sql picks a statement per backend
 * where their SQL differs.
 */
#ifndef DOOR_TEST_T_STORE_H
#define DOOR_TEST_T_STORE_H

#include "t.h"

#include "doorauth/error.h"
#include "store/store.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct t_db {
  int pg;         /* 1: PostgreSQL */
  char dir[256];  /* SQLite: the temporary directory */
  char path[320]; /* SQLite: dir/doorauth.db */
  char name[64];  /* PostgreSQL: the database */
  char url[1200]; /* the store URL */
} t_db;

/* The URL the run names, or NULL for SQLite. */
static inline const char *t_pg_base(void) {
  const char *u = getenv("DOOR_TEST_STORE_URL");
  if (u && (strncmp(u, "postgres://", 11) == 0 ||
            strncmp(u, "postgresql://", 13) == 0))
    return u;
  return NULL;
}

static inline int t_is_pg(void) { return t_pg_base() != NULL; }

/* "name" of the backend this run tests. */
static inline const char *t_backend(void) {
  return t_is_pg() ? "postgres" : "sqlite";
}

/* Prints why a case does nothing on this backend. */
static inline void t_only(const char *backend) {
  printf("# %s only: nothing to check on %s\n", backend, t_backend());
}

/* base with its database replaced by `name`: scheme://authority/name?query */
static inline void t_pg_url(const char *base, const char *name, char *out,
                            size_t cap) {
  const char *auth = strstr(base, "://");
  const char *path, *query;
  auth = auth ? auth + 3 : base;
  path = auth + strcspn(auth, "/?");
  query = strchr(path, '?');
  snprintf(out, cap, "%.*s/%s%s", (int)(path - base), base, name,
           query ? query : "");
}

/* Runs one statement on the run's base database (create and drop). */
static inline void t_pg_admin(const char *sql) {
  PGconn *c = PQconnectdb(t_pg_base());
  PGresult *r = NULL;
  if (PQstatus(c) == CONNECTION_OK)
    r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    printf("# %s: %s", sql, PQerrorMessage(c));
    abort();
  }
  PQclear(r);
  PQfinish(c);
}

/* CREATE or DROP DATABASE with the quoted name (no parameters there). */
static inline void t_pg_database(const char *verb, const char *name,
                                 const char *tail) {
  PGconn *c = PQconnectdb(t_pg_base());
  char *id = PQescapeIdentifier(c, name, strlen(name));
  char sql[256];
  if (!id) {
    printf("# %s", PQerrorMessage(c));
    abort();
  }
  snprintf(sql, sizeof sql, "%s DATABASE %s%s", verb, id, tail);
  PQfreemem(id);
  PQfinish(c);
  t_pg_admin(sql);
}

static inline void t_db_make(t_db *t) {
  static unsigned counter;
  const char *tmp = getenv("TMPDIR");
  const char *base = t_pg_base();
  memset(t, 0, sizeof *t);
  if (base) {
    t->pg = 1;
    snprintf(t->name, sizeof t->name, "door_t_%ld_%u", (long)getpid(),
             counter++);
    t_pg_database("CREATE", t->name, "");
    t_pg_url(base, t->name, t->url, sizeof t->url);
    return;
  }
  snprintf(t->dir, sizeof t->dir, "%s/door-store-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(t->dir)) {
    perror("mkdtemp");
    abort();
  }
  snprintf(t->path, sizeof t->path, "%s/doorauth.db", t->dir);
  snprintf(t->url, sizeof t->url, "sqlite:%s", t->path);
}

/* Removes the files in the directory, then the directory; or drops the
 * database (and any connection left on it). */
static inline void t_db_remove(t_db *t) {
  DIR *dir;
  struct dirent *e;
  char p[600];
  if (t->pg) {
    t_pg_database("DROP", t->name, " WITH (FORCE)");
    return;
  }
  dir = opendir(t->dir);
  if (!dir)
    return;
  while ((e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(p, sizeof p, "%s/%s", t->dir, e->d_name);
    unlink(p);
  }
  closedir(dir);
  rmdir(t->dir);
}

static inline door_store *t_open(const t_db *t) {
  door_store *st = NULL;
  door_detail d;
  door_err err = door__store_open(t->url, NULL, &st, &d);
  if (err) {
    char line[700];
    door_detail_format(&d, line, sizeof line);
    printf("# open: %s\n", line);
    return NULL;
  }
  return st;
}

/* A fresh database and the store on it (aborts when it cannot open). */
static inline door_store *t_fresh(t_db *t) {
  door_store *st;
  t_db_make(t);
  st = t_open(t);
  if (!st)
    abort();
  return st;
}

/* Closes the store and removes the database. */
static inline void t_done(t_db *t, door_store *st) {
  door__store_close(st);
  t_db_remove(t);
}

/* A raw connection to the same database (checks only). */
typedef struct t_conn {
  sqlite3 *sq;
  PGconn *pg;
} t_conn;

static inline t_conn *t_raw(const t_db *t) {
  t_conn *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  if (t->pg) {
    c->pg = PQconnectdb(t->url);
    if (PQstatus(c->pg) == CONNECTION_OK)
      return c;
    PQfinish(c->pg);
  } else {
    if (sqlite3_open_v2(t->path, &c->sq, SQLITE_OPEN_READWRITE, NULL) ==
        SQLITE_OK) {
      sqlite3_busy_timeout(c->sq, 5000);
      return c;
    }
    sqlite3_close(c->sq);
  }
  free(c);
  return NULL;
}

static inline void t_close(t_conn *c) {
  if (!c)
    return;
  sqlite3_close(c->sq);
  PQfinish(c->pg);
  free(c);
}

/* Runs statements; 0 on success. */
static inline int t_exec(t_conn *c, const char *sql) {
  PGresult *r;
  int ok;
  if (c->sq)
    return sqlite3_exec(c->sq, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
  r = PQexec(c->pg, sql);
  ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
       PQresultStatus(r) == PGRES_TUPLES_OK;
  if (!ok)
    printf("# %s: %s", sql, PQerrorMessage(c->pg));
  PQclear(r);
  return ok ? 0 : -1;
}

/* The first column of the first row of `sql` as text, copied into out
 * ("" on error or NULL). */
static inline const char *t_text(t_conn *c, const char *sql, char *out,
                                 size_t cap) {
  out[0] = '\0';
  if (c->sq) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->sq, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
      snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
  } else {
    PGresult *r = PQexec(c->pg, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
        !PQgetisnull(r, 0, 0))
      snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
    else if (PQresultStatus(r) != PGRES_TUPLES_OK)
      printf("# %s: %s", sql, PQerrorMessage(c->pg));
    PQclear(r);
  }
  return out;
}

/* The same as an integer (-1 on error). */
static inline long long t_int(t_conn *c, const char *sql) {
  char buf[64];
  if (c->sq) {
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(c->sq, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  }
  return *t_text(c, sql, buf, sizeof buf) ? strtoll(buf, NULL, 10) : -1;
}

/* The statement for this backend. */
static inline const char *t_sql(const t_db *t, const char *sqlite,
                                const char *pg) {
  return t->pg ? pg : sqlite;
}

#define T_ISS "https://op.example/"
#define T_ISS2 "https://xmarket.example/"

#endif
