/* A configuration, a state directory and a store for the issuing tests.
 * The store is a fresh database per tkcfg_open on the backend the run
 * names (store/t_store.h: SQLite unless DOOR_TEST_STORE_URL names a
 * PostgreSQL server); the keys are sealed with TKCFG_COOKIE_KEY. */
#ifndef DOOR_TEST_TICKETS_TKCFG_H
#define DOOR_TEST_TICKETS_TKCFG_H

#include "doorauth/tickets.h"
#include "store/t_store.h"
#include "util/config.h"
#include "util/errlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Events around TK_NOW (2025-10-09T08:53:20Z):
 *   live-2025   08:00 - 12:00, xmarket + daccount, tiers, participants
 *   closing     08:00 - 08:55 (ends 100 s after TK_NOW), single use
 *   later       2025-10-10, not started
 *   over        2025-10-08, ended
 *   open-all    08:00 - 12:00, every provider, no tiers */
#define TKCFG_EVENTS                                                           \
  "[event \"live-2025\"]\ntitle = Live\n"                                      \
  "start = 2025-10-09T08:00:00Z\nend = 2025-10-09T12:00:00Z\n"                 \
  "providers = xmarket daccount\n"                                             \
  "tiers = vip, general, XM_PREMIUM=vip\n"                                     \
  "token_lifetime = 10m\n"                                                     \
  "[event \"closing\"]\ntitle = Closing\n"                                     \
  "start = 2025-10-09T08:00:00Z\nend = 2025-10-09T08:55:00Z\n"                 \
  "single_use = yes\n"                                                         \
  "[event \"later\"]\ntitle = Later\n"                                         \
  "start = 2025-10-10T08:00:00Z\nend = 2025-10-10T12:00:00Z\n"                 \
  "[event \"over\"]\ntitle = Over\n"                                           \
  "start = 2025-10-08T08:00:00Z\nend = 2025-10-08T12:00:00Z\n"                 \
  "[event \"open-all\"]\ntitle = Open\n"                                       \
  "start = 2025-10-09T08:00:00Z\nend = 2025-10-09T12:00:00Z\n"

#define TKCFG_COOKIE_KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define TKCFG_OTHER_KEY "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"

typedef struct tkcfg {
  char dir[64];   /* temporary directory */
  char state[96]; /* dir/state */
  char plist[96]; /* dir/participants.txt */
  t_db db;        /* the store's database */
  door_config *cfg;
} tkcfg;

static inline void tkcfg_write(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

/* Makes the directory, the participants file (`participants`, may be
 * NULL: none) and loads the configuration.  0 on success. */
/* The configuration text with `cookie_key` into *text (initialised). */
static inline void tkcfg_text(const tkcfg *t, const char *cookie_key,
                              const char *participants, door_buf *text);

/* Loads the configuration with another cookie_key (same store, same state
 * directory) into *out.  0 on success. */
static inline int tkcfg_load_key(const tkcfg *t, const char *cookie_key,
                                 door_config **out) {
  door_buf text;
  door_errlist errs;
  int rc;
  tkcfg_text(t, cookie_key, NULL, &text);
  door__errlist_init(&errs);
  rc = door__config_load_mem("tickets-test.conf", text.data, text.len, NULL,
                             out, &errs)
           ? -1
           : 0;
  door__errlist_free(&errs);
  door__buf_free(&text);
  return rc;
}

static inline int tkcfg_open(tkcfg *t, const char *participants) {
  door_buf text;
  door_errlist errs;
  size_t i;
  int rc;
  memset(t, 0, sizeof *t);
  t_db_make(&t->db);
  memcpy(t->dir, "/tmp/door-tickets-XXXXXX", 25);
  if (!mkdtemp(t->dir))
    return -1;
  memcpy(t->state, t->dir, strlen(t->dir));
  memcpy(t->state + strlen(t->dir), "/state", 7);
  memcpy(t->plist, t->dir, strlen(t->dir));
  memcpy(t->plist + strlen(t->dir), "/participants.txt", 18);
  if (participants)
    tkcfg_write(t->plist, participants);
  tkcfg_text(t, TKCFG_COOKIE_KEY, participants, &text);
  door__errlist_init(&errs);
  rc = door__config_load_mem("tickets-test.conf", text.data, text.len, NULL,
                             &t->cfg, &errs)
           ? -1
           : 0;
  for (i = 0; i < errs.n; i++) {
    door_buf line;
    door__buf_init(&line, 4096);
    door__diag_format(&errs.items[i], &line);
    printf("# config: %s\n", door__buf_str(&line));
    door__buf_free(&line);
  }
  door__errlist_free(&errs);
  door__buf_free(&text);
  return rc;
}

static inline void tkcfg_text(const tkcfg *t, const char *cookie_key,
                              const char *participants, door_buf *out) {
  door_buf text;
  door__buf_init(&text, 1 << 16);
  door__buf_puts(&text, "[broker]\npublic_url = https://door.example.jp\n"
                        "cookie_key = ");
  door__buf_puts(&text, cookie_key);
  door__buf_puts(&text, "\nstate_dir = ");
  door__buf_puts(&text, t->state);
  door__buf_puts(&text, "\n[store]\nurl = ");
  door__buf_puts(&text, t->db.url);
  door__buf_puts(&text,
                 "\n"
                 "[provider \"xmarket\"]\ntype = xmarket\n"
                 "issuer = https://xmarket.example\nclient_id = door\n"
                 "client_secret = s3cret-for-tests-only\n"
                 "[provider \"daccount\"]\ntype = daccount\n"
                 "issuer = https://conf.uw.docomo.ne.jp/\nclient_id = door\n"
                 "client_secret = s3cret-for-tests-only\n"
                 "[provider \"generic\"]\ntype = generic\n"
                 "issuer = https://generic.example\nclient_id = door\n"
                 "client_secret = s3cret-for-tests-only\n" TKCFG_EVENTS);
  if (participants) {
    /* participants_file for live-2025 and open-all */
    door_buf t2;
    const char *at = strstr(text.data, "token_lifetime = 10m\n");
    door__buf_init(&t2, 1 << 16);
    door__buf_append(&t2, text.data, (size_t)(at - text.data));
    door__buf_puts(&t2, "participants_file = ");
    door__buf_puts(&t2, t->plist);
    door__buf_putc(&t2, '\n');
    door__buf_puts(&t2, at);
    door__buf_puts(&t2, "participants_file = ");
    door__buf_puts(&t2, t->plist);
    door__buf_putc(&t2, '\n');
    door__buf_free(&text);
    text = t2;
  }
  *out = text;
}

static inline void tkcfg_close(tkcfg *t) {
  door_buf cmd;
  door__config_free(t->cfg);
  t->cfg = NULL;
  if (t->db.url[0])
    t_db_remove(&t->db);
  if (!t->dir[0])
    return;
  /* remove the temporary tree */
  door__buf_init(&cmd, 512);
  door__buf_puts(&cmd, "rm -rf '");
  door__buf_puts(&cmd, t->dir);
  door__buf_puts(&cmd, "'");
  if (system(cmd.data) != 0)
    printf("# could not remove %s\n", t->dir);
  door__buf_free(&cmd);
}

#endif
