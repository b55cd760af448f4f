/* Store test helpers: a fresh temporary directory per test with a real
 * SQLite file in it, raw SQL for checking what the store wrote. */
#ifndef DOOR_TEST_T_STORE_H
#define DOOR_TEST_T_STORE_H

#include "t.h"

#include "doorauth/error.h"
#include "store/store.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct t_db {
  char dir[256];
  char path[320]; /* dir/doorauth.db */
  char url[336];  /* sqlite:path */
} t_db;

static inline void t_db_make(t_db *t) {
  const char *tmp = getenv("TMPDIR");
  snprintf(t->dir, sizeof t->dir, "%s/door-store-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(t->dir)) {
    perror("mkdtemp");
    abort();
  }
  snprintf(t->path, sizeof t->path, "%s/doorauth.db", t->dir);
  snprintf(t->url, sizeof t->url, "sqlite:%s", t->path);
}

/* Removes the files in the directory, then the directory. */
static inline void t_db_remove(t_db *t) {
  DIR *dir = opendir(t->dir);
  struct dirent *e;
  char p[600];
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

/* Raw handle on the same file (checks only). */
static inline sqlite3 *t_raw(const t_db *t) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

/* The first column of the first row of `sql` as an integer (-1 on error). */
static inline long long t_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  long long v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* The same as text, copied into out. */
static inline const char *t_text(sqlite3 *db, const char *sql, char *out,
                                 size_t cap) {
  sqlite3_stmt *st = NULL;
  out[0] = '\0';
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return out;
}

#define T_ISS "https://op.example/"
#define T_ISS2 "https://xmarket.example/"

#endif
