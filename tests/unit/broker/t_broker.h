/* Broker test helpers: a temporary directory with an SQLite store and a
 * door_broker made from a configuration text (providers are configured
 * but never contacted: these tests do not log in over the network). */
#ifndef DOOR_TEST_T_BROKER_H
#define DOOR_TEST_T_BROKER_H

#include "t.h"

#include "broker/broker_int.h"
#include "doorauth/broker.h"
#include "util/config.h"
#include "util/errlist.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct t_env {
  char dir[256];
  char db[320];
  door_broker *b;
  int64_t now; /* the broker's clock */
} t_env;

static int64_t t_clock(void *ud) { return ((t_env *)ud)->now; }

/* A configuration: public_url (https or http loopback), the store in the
 * temp dir, two providers (generic without discovery, taking HS256 ID and
 * logout tokens keyed with its client secret); `extra` is appended to
 * [broker]. */
static inline door_config *t_config(t_env *e, const char *public_url,
                                    const char *display, const char *extra) {
  char text[4096];
  door_config *cfg = NULL;
  door_errlist errs;
  size_t i;
  snprintf(text, sizeof text,
           "[broker]\npublic_url = %s\n"
           "cookie_key = planted-secret-broker-cookie-key-0123456788\n"
           "session_idle = 10m\nsession_absolute = 1h\n%s\n"
           "[store]\nurl = sqlite:%s\n"
           "[provider \"daccount\"]\ntype = daccount\n"
           "issuer = https://127.0.0.1:9/\nclient_id = c1\n"
           "client_secret = planted-secret-unit-0123456789abcdef\n"
           "display_name = %s\n"
           "[provider \"generic\"]\ntype = generic\n"
           "issuer = https://127.0.0.1:9/g\nclient_id = c2\n"
           "client_secret = planted-secret-unit-0123456789abcdef\n"
           "end_session_endpoint = https://127.0.0.1:9/g/logout\n"
           "allowed_algs = HS256 RS256\n"
           "discovery = no\n"
           "authorization_endpoint = https://127.0.0.1:9/g/authorize\n"
           "token_endpoint = https://127.0.0.1:9/g/token\n"
           "jwks_uri = https://127.0.0.1:9/g/jwks\n",
           public_url, extra ? extra : "", e->db, display);
  door__errlist_init(&errs);
  if (door__config_load_mem("unit.ini", text, strlen(text), NULL, &cfg,
                            &errs)) {
    for (i = 0; i < errs.n; i++) {
      door_buf l;
      door__buf_init(&l, 2048);
      door__diag_format(&errs.items[i], &l);
      printf("# %s\n", door__buf_str(&l));
      door__buf_free(&l);
    }
  }
  door__errlist_free(&errs);
  return cfg;
}

static inline void t_env_make(t_env *e, const char *public_url) {
  const char *tmp = getenv("TMPDIR");
  door_broker_options o;
  door_detail d;
  door_config *cfg;
  memset(e, 0, sizeof *e);
  snprintf(e->dir, sizeof e->dir, "%s/door-broker-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(e->dir))
    abort();
  snprintf(e->db, sizeof e->db, "%s/door.db", e->dir);
  e->now = 1800000000;
  cfg = t_config(e, public_url, "d アカウント", NULL);
  if (!cfg)
    abort();
  door_broker_options_init(&o);
  o.clock = t_clock;
  o.clock_ud = e;
  o.log_sink = NULL;
  door_detail_clear(&d);
  if (door_broker_new(cfg, &o, &e->b, &d)) {
    char line[700];
    door_detail_format(&d, line, sizeof line);
    printf("# broker: %s\n", line);
    abort();
  }
}

static inline void t_env_free(t_env *e) {
  DIR *dir;
  struct dirent *de;
  char p[600];
  door_broker_free(e->b);
  e->b = NULL;
  dir = opendir(e->dir);
  while (dir && (de = readdir(dir)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    snprintf(p, sizeof p, "%s/%s", e->dir, de->d_name);
    unlink(p);
  }
  if (dir)
    closedir(dir);
  rmdir(e->dir);
}

/* An account with one identity, and a session for it: returns the Cookie
 * header in `cookie` (and the reply's cookies are checked by callers that
 * want to). */
static inline void t_signed_in(t_env *e, const char *subject, char *account,
                               char *cookie, size_t cap) {
  door__bgen *g = door__bgen_get(e->b);
  door_broker_reply r;
  int created = 0;
  size_t i;
  memset(&r, 0, sizeof r);
  T_EQ_ERR(door__store_login_identity(e->b->store, "https://127.0.0.1:9/",
                                      subject, "daccount", NULL, e->now,
                                      account, &created, NULL),
           DOOR_OK);
  T_EQ_ERR(door__session_start(e->b, g, account, "daccount",
                               "https://127.0.0.1:9/", "sid-1", subject, NULL,
                               &r, NULL),
           DOOR_OK);
  cookie[0] = '\0';
  for (i = 0; i < r.n_set_cookie; i++) {
    const char *c = r.set_cookie[i], *semi = strchr(c, ';');
    if (strstr(c, "door-session=") && semi) {
      size_t n = (size_t)(semi - c);
      T_OK(n < cap);
      memcpy(cookie, c, n);
      cookie[n] = '\0';
    }
  }
  door_broker_reply_clear(&r);
  door__bgen_put(g);
  T_OK(cookie[0] != '\0');
}

#endif
