/* Participation end to end against the real door-idp over TLS and the real
 * door-gate:
 *   - an XMarket user holding a ticket signs in (door_rp), asks for a
 *     participation token (door_tickets_participation: XMarket's ticket
 *     list with her access token) and door-gate admits it;
 *   - a user without a ticket for the event (one for another event, one
 *     refunded) is refused with TICKETS_NO_TICKET (403);
 *   - a d-account user on the event's participant list gets a token, one
 *     not on it is refused;
 *   - single use: door-gate --single-use admits the token once and refuses
 *     it the second time (GATE_REPLAYED, exit status 1); two gate
 *     processes sharing one SQLite store admit a token exactly once.
 *
 * argv: door-idp ca.pem server.pem server.key gate.json daccount-disco.json
 *       door-gate
 */
#include "doorauth/gate.h"
#include "doorauth/login.h"
#include "doorauth/tickets.h"
#include "harness.h"
#include "privacy_audit.h"
#include "store/store.h"
#include "t.h"
#include "tickets/gate_int.h"
#include "tickets/tickets_int.h"
#include "util/config.h"
#include "util/errlist.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

jmp_buf t__jmp;
static e2e_env env;
static e2e_env *E = &env;
static const char *g_gate_bin;
static char g_dir[64];
static door_config *g_cfg;
static door_rp *g_rp;
static door_tickets *g_t;

#define ISSUER "https://door.localhost"

static void path_in(door_buf *b, const char *name) {
  door__buf_reset(b);
  door__buf_puts(b, g_dir);
  door__buf_putc(b, '/');
  door__buf_puts(b, name);
}

static void put_time(door_buf *b, time_t t) {
  struct tm tm;
  char s[32];
  gmtime_r(&t, &tm);
  strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
  door__buf_puts(b, s);
}

static door_config *make_config(void) {
  door_buf t, p;
  door_config *cfg = NULL;
  door_errlist errs;
  time_t now = time(NULL);
  size_t i;
  door__buf_init(&t, 1 << 16);
  door__buf_init(&p, 512);
  door__buf_puts(&t, "[broker]\npublic_url = " ISSUER "\n"
                     "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
                     "Hh8\nca_file = ");
  door__buf_puts(&t, E->ca);
  door__buf_puts(&t, "\nstate_dir = ");
  path_in(&p, "state");
  door__buf_puts(&t, p.data);
  door__buf_puts(&t, "\n[store]\nurl = sqlite::memory:\n"
                     "[provider \"xmarket\"]\ntype = xmarket\nissuer = ");
  door__buf_puts(&t, e2e_url(E, "xmarket", "issuer"));
  door__buf_puts(&t, "\nclient_id = door-xm\n"
                     "client_secret = planted-secret-gate-xmarket-"
                     "0123456789abcdef\n"
                     "scopes = openid profile\nallowed_algs = ES256\n"
                     "[provider \"daccount\"]\ntype = daccount\nissuer = ");
  door__buf_puts(&t, e2e_url(E, "daccount", "issuer"));
  door__buf_puts(&t, "\nclient_id = door-rs\n"
                     "client_secret = planted-secret-gate-daccount-rs-"
                     "0123456789abcdef\nauthif = 1\nscopes = openid\n"
                     "[event \"ev-gate\"]\ntitle = Gate E2E\nstart = ");
  put_time(&t, now - 3600);
  door__buf_puts(&t, "\nend = ");
  put_time(&t, now + 7200);
  door__buf_puts(&t, "\nproviders = xmarket daccount\n"
                     "tiers = vip, general, XM_PREMIUM=vip\n"
                     "single_use = yes\ntoken_lifetime = 5m\n"
                     "participants_file = ");
  path_in(&p, "participants.txt");
  door__buf_puts(&t, p.data);
  door__buf_putc(&t, '\n');
  door__errlist_init(&errs);
  if (door__config_load_mem("gate-e2e.conf", t.data, t.len, NULL, &cfg,
                            &errs)) {
    for (i = 0; i < errs.n; i++) {
      door_buf line;
      door__buf_init(&line, 4096);
      door__diag_format(&errs.items[i], &line);
      printf("# config: %s\n", door__buf_str(&line));
      door__buf_free(&line);
    }
    cfg = NULL;
  }
  door__errlist_free(&errs);
  door__buf_free(&t);
  door__buf_free(&p);
  return cfg;
}

/* begin, the browser's trip to door-idp, finish. */
static door_err login_with(const char *provider, const char *user,
                           door_login_result *r) {
  door_login_params p;
  door_login_start start;
  door_detail d;
  door_buf url;
  e2e_resp resp;
  const char *loc, *q;
  char cookie[4096], redirect[512];
  size_t n;
  door_err err;
  memset(r, 0, sizeof *r);
  memset(&p, 0, sizeof p);
  p.provider = provider;
  err = door_login_begin(g_rp, &p, &start, &d);
  if (err)
    return err;
  door__buf_init(&url, 16384);
  door__buf_puts(&url, start.authorization_url);
  door__buf_puts(&url, "&");
  door__form_append(&url, "login_hint", user);
  e2e_resp_init(&resp);
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL, NULL, NULL, &resp),
           0);
  loc = e2e_header(&resp, "location");
  T_EQ_ERR(door_login_redirect_uri(g_rp, provider, redirect, sizeof redirect),
           DOOR_OK);
  if (!loc || strncmp(loc, redirect, strlen(redirect)) != 0)
    printf("# %s %s: status %ld, location %s\n", provider, user, resp.status,
           loc ? loc : "(none)");
  T_OK(loc && strncmp(loc, redirect, strlen(redirect)) == 0);
  q = strchr(loc, '?');
  T_OK(q != NULL);
  n = strcspn(start.set_cookie, ";");
  T_OK(n < sizeof cookie);
  memcpy(cookie, start.set_cookie, n);
  cookie[n] = '\0';
  err = door_login_finish(g_rp, provider, q + 1, cookie, NULL, r, &d);
  if (err)
    printf("# finish %s: %s %s\n", provider, door_err_name(err), d.what);
  e2e_resp_free(&resp);
  door__buf_free(&url);
  door_login_start_clear(&start);
  return err;
}

/* The broker's access-token store, for one signed-in account. */
static door_err stored_token(void *ud, const char *provider, int refresh,
                             char **token, door_detail *d) {
  const door_login_result *r = ud;
  (void)d;
  if (refresh || strcmp(provider, r->provider) != 0 || !r->tokens.access_token)
    return DOOR_ENOTFOUND;
  *token = strdup(r->tokens.access_token);
  return *token ? DOOR_OK : DOOR_ENOMEM;
}

static door_err participate(const door_login_result *r, const char *account,
                            door_tickets_grant *gr, door_tickets_token *tk,
                            door_detail *d) {
  door_tickets_identity id = {r->provider, r->issuer, r->subject};
  door_tickets_account a;
  memset(&a, 0, sizeof a);
  a.account_id = account;
  a.identities = &id;
  a.n_identities = 1;
  a.access_token = stored_token;
  a.ud = (void *)r;
  return door_tickets_participation(g_t, g_cfg, g_rp, "ev-gate", &a,
                                    (int64_t)time(NULL), gr, tk, d);
}

/* Runs door-gate verify with `input` on stdin; its stdout into `out`.
 * Returns the exit status. */
static int run_gate(const char *const *extra, const char *input,
                    door_buf *out) {
  door_buf jwks;
  const char *argv[16];
  int in[2], outp[2], status = -1;
  size_t n = 0, i;
  pid_t pid;
  char chunk[4096];
  ssize_t got;
  door__buf_init(&jwks, 512);
  path_in(&jwks, "jwks.json");
  argv[n++] = g_gate_bin;
  argv[n++] = "verify";
  argv[n++] = "--jwks";
  argv[n++] = jwks.data;
  argv[n++] = "--issuer";
  argv[n++] = ISSUER;
  argv[n++] = "--event";
  argv[n++] = "ev-gate";
  for (i = 0; extra && extra[i]; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  if (pipe(in) || pipe(outp))
    return -1;
  pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(outp[1], 1);
    close(in[1]);
    close(outp[0]);
    execv(g_gate_bin, (char *const *)argv);
    _exit(127);
  }
  close(in[0]);
  close(outp[1]);
  if (input && write(in[1], input, strlen(input)) != (ssize_t)strlen(input))
    printf("# short write to door-gate\n");
  close(in[1]);
  while ((got = read(outp[0], chunk, sizeof chunk)) > 0)
    door__buf_append(out, chunk, (size_t)got);
  close(outp[0]);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
    status = -1;
  else
    status = WEXITSTATUS(status);
  door__buf_free(&jwks);
  return status;
}

static void write_jwks(void) {
  char *jwks = NULL;
  int64_t age = 0;
  door_buf p;
  door__buf_init(&p, 512);
  T_EQ_ERR(door_tickets_jwks(g_t, &jwks, &age, NULL), DOOR_OK);
  path_in(&p, "jwks.json");
  T_EQ_ERR(door__gate_write_file(p.data, jwks, strlen(jwks), 0644, NULL),
           DOOR_OK);
  free(jwks);
  door__buf_free(&p);
}

static void test_setup(void) {
  door_rp_options o;
  door_detail d;
  door_buf p;
  memcpy(g_dir, "/tmp/door-e2e-gate-XXXXXX", 26);
  T_OK(mkdtemp(g_dir) != NULL);
  door__buf_init(&p, 512);
  path_in(&p, "participants.txt");
  T_EQ_ERR(door__gate_write_file(p.data, "# none yet\n", 11, 0644, NULL),
           DOOR_OK);
  door__buf_free(&p);
  g_cfg = make_config();
  T_OK(g_cfg != NULL);
  door_rp_options_init(&o);
  T_EQ_ERR(door_rp_new(g_cfg, &o, &g_rp, &d), DOOR_OK);
  T_EQ_ERR(door_tickets_new(g_cfg, NULL, &g_t, &d), DOOR_OK);
  write_jwks();
}

static void test_ticket_holder_admitted(void) {
  door_login_result r;
  door_tickets_grant gr;
  door_tickets_token tk;
  door_detail d;
  door_buf out, in;
  const char *const single[] = {"--single-use", NULL};
  T_EQ_ERR(login_with("xmarket", "hanako", &r), DOOR_OK);
  T_EQ_ERR(participate(&r, "acct-hanako", &gr, &tk, &d), DOOR_OK);
  T_EQ_STR(gr.via, "ticket");
  T_EQ_STR(gr.ticket_id, "XM-0001");
  T_EQ_STR(tk.tier, "vip"); /* XM_PREMIUM=vip */
  door__buf_init(&out, 4096);
  door__buf_init(&in, 4096);
  /* TOKEN as an argument: admitted, exit 0 */
  {
    const char *const arg[] = {tk.token, NULL};
    json_t *j = NULL;
    char sub[64];
    T_EQ_INT(run_gate(arg, NULL, &out), 0);
    T_EQ_ERR(door__json_parse(out.data, out.len, 4, &j, NULL), DOOR_OK);
    T_OK(json_is_true(json_object_get(j, "admitted")));
    T_EQ_STR(json_string_value(json_object_get(j, "tier")), "vip");
    T_EQ_ERR(door_tickets_subject(g_t, "acct-hanako", "ev-gate", sub), DOOR_OK);
    T_EQ_STR(json_string_value(json_object_get(j, "sub")), sub);
    T_EQ_STR(json_string_value(json_object_get(j, "jti")), tk.jti);
    json_decref(j);
  }
  /* single use on stdin: once, then GATE_REPLAYED, exit status 1 */
  door__buf_reset(&out);
  door__buf_puts(&in, tk.token);
  door__buf_puts(&in, "\n");
  door__buf_puts(&in, tk.token);
  door__buf_puts(&in, "\r\nnot-a-token\n");
  T_EQ_INT(run_gate(single, in.data, &out), 1);
  {
    char *l2 = strchr(out.data, '\n'), *l3;
    T_OK(l2 != NULL);
    *l2++ = '\0';
    l3 = strchr(l2, '\n');
    T_OK(l3 != NULL);
    *l3++ = '\0';
    T_OK(strstr(out.data, "\"admitted\":true") != NULL);
    T_EQ_STR(l2, "{\"admitted\":false,\"reason\":\"GATE_REPLAYED\","
                 "\"message\":\"single-use token was already admitted\"}");
    T_OK(strstr(l3, "\"reason\":\"JWS_SEGMENTS\"") != NULL);
  }
  /* all admitted: exit 0; another event: refused */
  door__buf_reset(&out);
  door__buf_reset(&in);
  door__buf_puts(&in, tk.token);
  door__buf_puts(&in, "\n");
  T_EQ_INT(run_gate(NULL, in.data, &out), 0);
  door__buf_reset(&out);
  {
    const char *const other[] = {"--event", "ev-other", NULL};
    /* the later --event wins */
    T_EQ_INT(run_gate(other, in.data, &out), 1);
    T_OK(strstr(out.data, "\"reason\":\"GATE_AUD\"") != NULL);
  }
  door_tickets_token_clear(&tk);
  door_login_result_clear(&r);
  door__buf_free(&out);
  door__buf_free(&in);
}

static void test_no_ticket_refused(void) {
  door_login_result r;
  door_tickets_grant gr;
  door_tickets_token tk;
  door_detail d;
  char msg[512];
  door_err err;
  T_EQ_ERR(login_with("xmarket", "jiro", &r), DOOR_OK);
  err = participate(&r, "acct-jiro", &gr, &tk, &d);
  T_EQ_ERR(err, DOOR_ETICKETS_NO_TICKET);
  T_OK(tk.token == NULL);
  T_EQ_INT(door_tickets_error_status(err), 403);
  door_tickets_error_message(err, "XMarket", "en", msg, sizeof msg);
  T_OK(strstr(msg, "could not find a ticket") != NULL);
  /* a sign-in whose token XMarket no longer takes: sign in again */
  free(r.tokens.access_token);
  r.tokens.access_token = strdup("not-a-valid-access-token");
  T_EQ_ERR(participate(&r, "acct-jiro", &gr, &tk, &d),
           DOOR_ETICKETS_RELOGIN_NEEDED);
  T_EQ_STR(d.where, "xmarket");
  door_login_result_clear(&r);
}

static void test_participant_list(void) {
  door_login_result taro, saburo;
  door_tickets_grant gr;
  door_tickets_token tk;
  door_detail d;
  door_buf p, list;
  T_EQ_ERR(login_with("daccount", "taro", &taro), DOOR_OK);
  T_EQ_ERR(login_with("daccount", "saburo", &saburo), DOOR_OK);
  door__buf_init(&p, 512);
  door__buf_init(&list, 512);
  door__buf_puts(&list, "# ev-gate guests\n");
  door__buf_puts(&list, taro.subject);
  door__buf_puts(&list, " guest\n");
  path_in(&p, "participants.txt");
  sleep(1); /* a new mtime for the cache */
  T_EQ_ERR(door__gate_write_file(p.data, list.data, list.len, 0644, NULL),
           DOOR_OK);
  T_EQ_ERR(participate(&taro, "acct-taro", &gr, &tk, &d), DOOR_OK);
  T_EQ_STR(gr.via, "participants");
  T_EQ_STR(tk.tier, "guest");
  door_tickets_token_clear(&tk);
  T_EQ_ERR(participate(&saburo, "acct-saburo", &gr, &tk, &d),
           DOOR_ETICKETS_NOT_PARTICIPANT);
  door_login_result_clear(&taro);
  door_login_result_clear(&saburo);
  door__buf_free(&p);
  door__buf_free(&list);
}

/* One gate process: verifies `token` once through the shared store and
 * exits 0 when admitted, 1 when refused as replayed, 2 otherwise. */
static int gate_process(const char *db, const char *jwks, const char *token) {
  door_store *st = NULL;
  door_gate_jti_guard guard;
  door_gate_options o;
  door_gate *g = NULL;
  door_gate_result r;
  door_err err;
  if (door__store_open(db, NULL, &st, NULL))
    return 2;
  guard = door__tickets_store_guard(st);
  door_gate_options_init(&o);
  o.issuer = ISSUER;
  o.jwks_file = jwks;
  o.single_use = 1;
  o.jti_guard = &guard;
  if (door_gate_new(&o, &g, NULL))
    return 2;
  err = door_gate_verify(g, token, strlen(token), "ev-gate",
                         (int64_t)time(NULL), &r, NULL);
  door_gate_free(g);
  door__store_close(st);
  return err == DOOR_OK ? 0 : err == DOOR_EGATE_REPLAYED ? 1 : 2;
}

static void test_two_gates_one_store(void) {
  door_login_result r;
  door_tickets_grant gr;
  door_tickets_token tk;
  door_buf db, jwks;
  pid_t pids[2];
  int admitted = 0, replayed = 0, round, i;
  T_EQ_ERR(login_with("xmarket", "hanako", &r), DOOR_OK);
  door__buf_init(&db, 512);
  door__buf_init(&jwks, 512);
  path_in(&db, "gates.db");
  {
    door_buf u;
    door__buf_init(&u, 512);
    door__buf_puts(&u, "sqlite:");
    door__buf_puts(&u, db.data);
    door__buf_reset(&db);
    door__buf_puts(&db, u.data);
    door__buf_free(&u);
  }
  path_in(&jwks, "jwks.json");
  for (round = 0; round < 3; round++) {
    T_EQ_ERR(participate(&r, "acct-hanako", &gr, &tk, NULL), DOOR_OK);
    fflush(stdout);
    for (i = 0; i < 2; i++) {
      pids[i] = fork();
      T_OK(pids[i] >= 0);
      if (pids[i] == 0)
        _exit(gate_process(db.data, jwks.data, tk.token));
    }
    for (i = 0; i < 2; i++) {
      int st = 0;
      T_EQ_INT(waitpid(pids[i], &st, 0), pids[i]);
      T_OK(WIFEXITED(st));
      if (WEXITSTATUS(st) == 0)
        admitted++;
      else if (WEXITSTATUS(st) == 1)
        replayed++;
    }
    door_tickets_token_clear(&tk);
  }
  T_EQ_INT(admitted, 3);
  T_EQ_INT(replayed, 3);
  door_login_result_clear(&r);
  door__buf_free(&db);
  door__buf_free(&jwks);
}

/* Issue 8: every request door-idp received from the relying party in this
 * suite (logins and ticket checks) carried only manifest fields. */
static void test_privacy_audit(void) {
  static const char *const names[] = {"xmarket", "daccount"};
  static const char *const browser_added[] = {"login_hint", NULL};
  privacy_profile profiles[2];
  privacy_audit_result res;
  size_t i;
  for (i = 0; i < 2; i++) {
    profiles[i].profile = names[i];
    profiles[i].issuer = e2e_url(E, names[i], "issuer");
  }
  T_EQ_INT(privacy_audit_log(E->admin, g_cfg, g_rp, profiles, 2, browser_added,
                             &res, NULL),
           0);
  privacy_audit_print(&res);
  T_OK(res.by_endpoint[DOOR_TX_TOKEN] > 0);
  T_OK(res.by_endpoint[DOOR_TX_TICKETS] > 0);
  T_EQ_INT(res.violations, 0);
}

static void test_shutdown(void) {
  door_buf cmd;
  door_tickets_free(g_t);
  door_rp_free(g_rp);
  door__config_free(g_cfg);
  g_t = NULL;
  g_rp = NULL;
  g_cfg = NULL;
  door__buf_init(&cmd, 256);
  door__buf_puts(&cmd, "rm -rf '");
  door__buf_puts(&cmd, g_dir);
  door__buf_puts(&cmd, "'");
  T_EQ_INT(system(cmd.data), 0);
  door__buf_free(&cmd);
  T_EQ_INT(e2e_stop(E), 0);
}

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_setup),
      T_CASE(test_ticket_holder_admitted),
      T_CASE(test_no_ticket_refused),
      T_CASE(test_participant_list),
      T_CASE(test_two_gates_one_store),
      T_CASE(test_privacy_audit),
      T_CASE(test_shutdown),
  };
  static const char *const extra[] = {"--auto-approve", NULL};
  if (argc < 8) {
    puts("1..1\nnot ok 1 - usage: ... door-gate");
    return 1;
  }
  g_gate_bin = argv[7];
  if (e2e_start(E, argc, argv, extra)) {
    puts("1..1\nnot ok 1 - door-idp started");
    e2e_stop(E);
    return 1;
  }
  return t_run(cases, sizeof cases / sizeof cases[0]);
}
