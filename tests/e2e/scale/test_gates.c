/* Single use across gates sharing a PostgreSQL store: door_tickets issues
 * participation tokens for a single-use event; two gate processes (the
 * library's door_gate with door__tickets_store_guard over the store, as
 * docs/gate.md says gates that share a record do: door-gate itself links no
 * store) verify every token at the same moment.  Each token is admitted
 * exactly once over both, the other gate refuses it as GATE_REPLAYED, and
 * jti_admissions holds one row per token (psql).
 *
 * Runs under tests/pg/cluster.sh run (DOOR_TEST_STORE_URL).
 */
#include "doorauth/gate.h"
#include "doorauth/tickets.h"
#include "store/store.h"
#include "psql.h"
#include "t.h"
#include "tickets/tickets_int.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/errlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ISSUER "https://door.scale.test"
#define EVENT "ev-scale"
#define N_TOKENS 200
#define N_GATES 2

static char g_dir[128];
static const char *g_url;
static door_config *g_cfg;
static char *g_tokens[N_TOKENS];
static char g_jwks[256];

static void put_time(door_buf *b, time_t t) {
  struct tm tm;
  char s[32];
  gmtime_r(&t, &tm);
  strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
  door__buf_puts(b, s);
}

static void test_issue(void) {
  door_buf t;
  door_errlist errs;
  door_tickets *tk = NULL;
  door_tickets_grant gr;
  door_detail d;
  char *jwks = NULL;
  int64_t max_age = 0;
  time_t now = time(NULL);
  FILE *f;
  int i;
  door_store *st = NULL;
  g_url = getenv("DOOR_TEST_STORE_URL");
  T_OK(g_url && strncmp(g_url, "postgres", 8) == 0);
  /* The schema, made once before the gates race to it. */
  T_EQ_ERR(door__store_open(g_url, NULL, &st, NULL), DOOR_OK);
  door__store_close(st);
  snprintf(g_dir, sizeof g_dir, "/tmp/door-e2e-gates.XXXXXX");
  T_OK(mkdtemp(g_dir) != NULL);
  door__buf_init(&t, 1 << 16);
  door__buf_puts(&t, "[broker]\npublic_url = " ISSUER "\n"
                     "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
                     "Hh8\nstate_dir = ");
  door__buf_puts(&t, g_dir);
  door__buf_puts(&t, "/state\n[store]\nurl = ");
  door__buf_puts(&t, g_url);
  door__buf_puts(&t, "\n[provider \"generic\"]\ntype = generic\n"
                     "issuer = https://idp.scale.test\nclient_id = door\n"
                     "client_secret = planted-secret-gates-0123456789abcdef\n"
                     "[event \"" EVENT "\"]\ntitle = Scale\nstart = ");
  put_time(&t, now - 3600);
  door__buf_puts(&t, "\nend = ");
  put_time(&t, now + 7200);
  door__buf_puts(&t, "\nsingle_use = yes\ntoken_lifetime = 5m\n");
  door__errlist_init(&errs);
  T_EQ_ERR(
      door__config_load_mem("gates.conf", t.data, t.len, NULL, &g_cfg, &errs),
      DOOR_OK);
  door__errlist_free(&errs);
  door__buf_free(&t);
  T_EQ_ERR(door_tickets_new(g_cfg, NULL, &tk, &d), DOOR_OK);
  now = time(NULL); /* the first key signs from its creation on */
  memset(&gr, 0, sizeof gr);
  snprintf(gr.via, sizeof gr.via, "roster");
  snprintf(gr.tier, sizeof gr.tier, "general");
  for (i = 0; i < N_TOKENS; i++) {
    door_tickets_token tok;
    char acct[64];
    memset(&tok, 0, sizeof tok);
    snprintf(acct, sizeof acct, "%032x", i + 1);
    T_EQ_ERR(
        door_tickets_issue(tk, g_cfg, EVENT, acct, &gr, (int64_t)now, &tok, &d),
        DOOR_OK);
    g_tokens[i] = strdup(tok.token);
    T_OK(g_tokens[i] != NULL);
    door_tickets_token_clear(&tok);
  }
  T_EQ_ERR(door_tickets_jwks(tk, &jwks, &max_age, &d), DOOR_OK);
  snprintf(g_jwks, sizeof g_jwks, "%s/jwks.json", g_dir);
  f = fopen(g_jwks, "wb");
  T_OK(f != NULL);
  T_EQ_INT(fputs(jwks, f) >= 0, 1);
  T_EQ_INT(fclose(f), 0);
  free(jwks);
  door_tickets_free(tk);
}

/* One gate process: waits for the start signal (EOF on `go`), verifies
 * every token (in the order `dir`), writes "admitted replayed other" to
 * `out`. */
static int gate_process(int go, int out, int dir) {
  door_store *st = NULL;
  door_gate_jti_guard guard;
  door_gate_options o;
  door_gate *g = NULL;
  int admitted = 0, replayed = 0, other = 0, i;
  char line[64], c;
  if (door__store_open(g_url, NULL, &st, NULL))
    return 2;
  guard = door__tickets_store_guard(st);
  door_gate_options_init(&o);
  o.issuer = ISSUER;
  o.jwks_file = g_jwks;
  o.single_use = 1;
  o.jti_guard = &guard;
  if (door_gate_new(&o, &g, NULL))
    return 2;
  while (read(go, &c, 1) > 0)
    ;
  for (i = 0; i < N_TOKENS; i++) {
    const char *tok = g_tokens[dir ? N_TOKENS - 1 - i : i];
    door_gate_result r;
    door_err err = door_gate_verify(g, tok, strlen(tok), EVENT,
                                    (int64_t)time(NULL), &r, NULL);
    if (err == DOOR_OK)
      admitted++;
    else if (err == DOOR_EGATE_REPLAYED)
      replayed++;
    else
      other++;
  }
  door_gate_free(g);
  door__store_close(st);
  snprintf(line, sizeof line, "%d %d %d\n", admitted, replayed, other);
  return write(out, line, strlen(line)) > 0 ? 0 : 2;
}

static void test_two_gates(void) {
  int go[2], out[N_GATES][2], i;
  pid_t pids[N_GATES];
  long admitted = 0, replayed = 0, other = 0;
  T_EQ_INT(pipe(go), 0);
  fflush(stdout);
  for (i = 0; i < N_GATES; i++) {
    T_EQ_INT(pipe(out[i]), 0);
    pids[i] = fork();
    T_OK(pids[i] >= 0);
    if (pids[i] == 0) {
      close(go[1]);
      close(out[i][0]);
      /* Even gates from the first token, odd ones from the last: both
       * orders meet in the middle and race on every token. */
      _exit(gate_process(go[0], out[i][1], i % 2));
    }
    close(out[i][1]);
  }
  close(go[0]);
  usleep(200000); /* both gates have their keys and store */
  close(go[1]);   /* go */
  for (i = 0; i < N_GATES; i++) {
    char buf[64] = "";
    int st = 0, a = 0, r = 0, o = 0;
    ssize_t n = read(out[i][0], buf, sizeof buf - 1);
    close(out[i][0]);
    T_EQ_INT(waitpid(pids[i], &st, 0), pids[i]);
    T_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    T_OK(n > 0);
    buf[n] = '\0';
    T_EQ_INT(sscanf(buf, "%d %d %d", &a, &r, &o), 3);
    printf("# gate %d: %d admitted, %d replayed, %d other\n", i, a, r, o);
    admitted += a;
    replayed += r;
    other += o;
  }
  T_EQ_INT(admitted, N_TOKENS);
  T_EQ_INT(replayed, N_TOKENS * (N_GATES - 1));
  T_EQ_INT(other, 0);
  T_EQ_INT(
      psql_num(g_url,
               "SELECT count(*) FROM jti_admissions WHERE event_id = '" EVENT
               "'"),
      N_TOKENS);
}

static void test_cleanup(void) {
  char cmd[256];
  int i;
  for (i = 0; i < N_TOKENS; i++)
    free(g_tokens[i]);
  door__config_free(g_cfg);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  T_EQ_INT(system(cmd), 0);
}

T_MAIN(T_CASE(test_issue), T_CASE(test_two_gates), T_CASE(test_cleanup))
