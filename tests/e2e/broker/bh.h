/* e2e harness for door-broker: starts the real build/door-idp (scenario
 * tests/data/idp/broker.json with https://BROKER replaced by the broker's
 * base URL) and the real build/door-broker (a generated configuration:
 * door-idp's issuers, ca_file = the test CA, SQLite in a temporary
 * directory, TLS with the test certificates, a free loopback port), then
 * plays browsers with libcurl: one easy handle per browser, its cookie
 * engine on, redirects followed by hand so login_hint can be added at the
 * provider.
 *
 * Programs get: argv[1] door-idp, argv[2] door-broker, argv[3] ca.pem,
 * argv[4] server.pem, argv[5] server.key, argv[6] the scenario template,
 * argv[7] (optional) the sqlite3 program.
 *
 * door-idp's admin API (clock, faults, request log): idp_admin_call with
 * e->admin (tests/e2e/common/idp_admin.h, included here).
 */
#ifndef DOOR_E2E_BROKER_BH_H
#define DOOR_E2E_BROKER_BH_H

#include "idp_admin.h"
#include "util/buf.h"
#include "util/url.h"

#include <jansson.h>
#include <sys/types.h>

typedef struct bh_env {
  const char *idp_bin, *broker_bin, *ca, *cert, *key, *tpl, *sqlite3;
  char dir[256];
  char scenario[320], config[320], db[320], ready[320];
  char idp_log[320], broker_log[320];
  pid_t idp_pid, broker_pid;
  json_t *ready_json;
  int port;
  char base[64];   /* https://127.0.0.1:PORT */
  char origin[64]; /* the same: the Origin browsers send */
  char admin[128]; /* door-idp admin origin: idp_admin_call(e->admin, ...)
                    * (tests/e2e/common/idp_admin.h, in bh_srcs) */
} bh_env;

/* Everything up: door-idp, the configuration, door-broker.  0 on success.
 * `generic_display` names the generic provider. */
int bh_setup(bh_env *e, int argc, char **argv);
/* (Re)writes the broker configuration. */
int bh_write_config(bh_env *e, const char *generic_display);
/* Starts door-broker and waits until /healthz answers.  0 on success. */
int bh_start_broker(bh_env *e);
/* Sends `sig` to door-broker. */
int bh_kill_broker(bh_env *e, int sig);
/* Waits for door-broker to exit: its exit status, 128+signal, or -1. */
int bh_wait_broker(bh_env *e, int timeout_s);
/* Stops both programs and removes the temporary directory.  Prints the
 * broker's log when `show_logs`. */
void bh_teardown(bh_env *e, int show_logs);

/* A free loopback port (bind port 0, read it, close), or -1. */
int bh_free_port(void);

/* door-broker --config CONFIG ARGS... (tests/common/run_prog.c): CONFIG is
 * e->config when NULL; ARGS end at the first NULL (at most BH_CLI_MAX).
 * Its stdout replaces `out`'s contents.  Its exit status, or -1 when it
 * could not run or was killed.  bh_cli(e, config, out, "keys", "list")
 * adds the final NULL. */
#define BH_CLI_MAX 12
int bh_cli_argv(const bh_env *e, const char *config, door_buf *out,
                const char *const *args);
#define bh_cli(e, config, out, ...)                                            \
  bh_cli_argv((e), (config), (out), (const char *const[]){__VA_ARGS__, NULL})
/* build/door-gate (next to door-broker) verify `token` for event ev-e2e
 * with the broker's JWKS over HTTPS (--ca-file the test CA): its exit
 * status (-1 when it could not run), its stdout replacing `out`'s. */
int bh_gate_verify(const bh_env *e, door_buf *out, const char *token);

/* door-idp's ready file: profiles.<p>.<key>. */
const char *bh_idp_url(bh_env *e, const char *profile, const char *key);

typedef struct bh_resp {
  long status;
  door_buf body;
  door_kvlist headers; /* names lowercased, in order */
} bh_resp;

void bh_resp_init(bh_resp *r);
void bh_resp_free(bh_resp *r);
void bh_resp_reset(bh_resp *r);
/* The first header of that (lowercase) name, or NULL. */
const char *bh_header(const bh_resp *r, const char *name);
/* 1 when a Set-Cookie header starts with `prefix`. */
int bh_set_cookie_has(const bh_resp *r, const char *prefix);

typedef struct bh_browser {
  void *curl;
  bh_env *e;
  const char *lang;   /* Accept-Language, or NULL */
  const char *cookie; /* an explicit Cookie header (no engine), or NULL */
  int quiet;          /* no "# curl: ..." lines (polling) */
} bh_browser;

/* A browser with its own cookie jar (cookie engine on).  `jarless`: no
 * cookie engine (use b->cookie). */
bh_browser *bh_browser_new(bh_env *e, int jarless);
void bh_browser_free(bh_browser *b);

/* One request: GET (form NULL) or POST of a form; Origin sent on POST
 * (`origin`, or the broker's when NULL).  0 when an answer came. */
int bh_get(bh_browser *b, const char *url, bh_resp *r);
int bh_post(bh_browser *b, const char *url, const char *form,
            const char *origin, bh_resp *r);
/* base + path. */
int bh_get_path(bh_browser *b, const char *path, bh_resp *r);
int bh_post_path(bh_browser *b, const char *path, const char *form, bh_resp *r);

/* From a provider's authorization URL to the broker's answer at the
 * callback: adds login_hint=user; approves as `user` when the provider
 * shows its sign-in page (prompt=login).  The callback's answer is in
 * `out`.  0 when the callback answered. */
int bh_at_provider(bh_browser *b, const char *authz_url, const char *user,
                   bh_resp *out);
/* GET /login/PROVIDER[?return_to=..] then bh_at_provider.  Returns the
 * callback's status (302 on success), -1 when something broke. */
long bh_login(bh_browser *b, const char *provider, const char *user,
              const char *return_to, bh_resp *out);

/* The CSRF token from /account (malloc'ed), or NULL when not signed in. */
char *bh_csrf(bh_browser *b);
/* POST /account/link then bh_at_provider: the callback's status. */
long bh_link(bh_browser *b, const char *provider, const char *user,
             bh_resp *out);
/* GET /api/session: its status; *json (may be NULL) gets the body. */
long bh_session(bh_browser *b, json_t **json);

/* The session cookie header ("__Host-door-session=...") a response set,
 * malloc'ed, or NULL. */
char *bh_session_cookie(const bh_resp *r);

/* Query parameter of a URL (decoded, malloc'ed) or NULL. */
char *bh_query_param(const char *url, const char *name);
/* Percent-encodes `s` for a form. */
char *bh_enc(const char *s);

#endif
