/* Issues participation tokens with the library (door_tickets) for the
 * interop tests, and prints what they need as one JSON object:
 *   {"issuer","event","jwks":{...},"tokens":[...],"subs":[...],
 *    "other_event":TOKEN (for "ev-other"),"expired":TOKEN}
 * usage: issue_helper DIR      (DIR: a fresh directory for the state) */
#include "doorauth/tickets.h"
#include "util/config.h"
#include "util/errlist.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ISSUER "https://door.example.jp"

static int64_t g_created;
static int64_t created_clock(void *ud) {
  (void)ud;
  return g_created;
}

static void put_time(door_buf *b, time_t t) {
  struct tm tm;
  char s[32];
  gmtime_r(&t, &tm);
  strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
  door__buf_puts(b, s);
}

static void event(door_buf *b, const char *id, time_t start, time_t end) {
  door__buf_puts(b, "[event \"");
  door__buf_puts(b, id);
  door__buf_puts(b, "\"]\ntitle = Interop\nstart = ");
  put_time(b, start);
  door__buf_puts(b, "\nend = ");
  put_time(b, end);
  door__buf_puts(b, "\ntoken_lifetime = 10m\n");
}

static int fail(const char *what, door_err err) {
  fprintf(stderr, "issue_helper: %s: %s\n", what, door_err_name(err));
  return 1;
}

int main(int argc, char **argv) {
  time_t now = time(NULL);
  door_buf text;
  door_config *cfg = NULL;
  door_errlist errs;
  door_tickets_options o;
  door_tickets *t = NULL;
  door_tickets_grant gr;
  door_tickets_token tk;
  json_t *out, *tokens, *subs, *jwks = NULL;
  char *jwks_text = NULL, *dump;
  door_err err;
  int i;
  if (argc != 2) {
    fputs("usage: issue_helper DIR\n", stderr);
    return 2;
  }
  door__buf_init(&text, 1 << 16);
  door__buf_puts(&text,
                 "[broker]\npublic_url = " ISSUER
                 "\ncookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
                 "\nstate_dir = ");
  door__buf_puts(&text, argv[1]);
  door__buf_puts(&text, "/state\n[store]\nurl = sqlite::memory:\n");
  event(&text, "ev-interop", now - 3600, now + 7200);
  event(&text, "ev-other", now - 3600, now + 7200);
  event(&text, "ev-past", now - 3 * 86400, now - 2 * 86400);
  door__errlist_init(&errs);
  err = door__config_load_mem("interop.conf", text.data, text.len, NULL, &cfg,
                              &errs);
  door__errlist_free(&errs);
  door__buf_free(&text);
  if (err)
    return fail("configuration", err);
  /* keys made four days ago, so that the past event can have a token */
  g_created = (int64_t)now - 4 * 86400;
  door_tickets_options_init(&o);
  o.clock = created_clock;
  err = door_tickets_new(cfg, &o, &t, NULL);
  if (err)
    return fail("door_tickets_new", err);
  out = json_object();
  tokens = json_array();
  subs = json_array();
  memset(&gr, 0, sizeof gr);
  memcpy(gr.tier, "vip", 4);
  for (i = 0; i < 4; i++) {
    char account[32];
    size_t n;
    memcpy(account, "acct-", 5);
    n = door__u64_to_str((uint64_t)i, account + 5);
    account[5 + n] = '\0';
    err = door_tickets_issue(t, cfg, "ev-interop", account, &gr, (int64_t)now,
                             &tk, NULL);
    if (err)
      return fail("issue", err);
    json_array_append_new(tokens, json_string(tk.token));
    json_array_append_new(subs, json_string(tk.sub));
    door_tickets_token_clear(&tk);
  }
  err = door_tickets_issue(t, cfg, "ev-other", "acct-0", &gr, (int64_t)now, &tk,
                           NULL);
  if (err)
    return fail("issue ev-other", err);
  json_object_set_new(out, "other_event", json_string(tk.token));
  door_tickets_token_clear(&tk);
  err = door_tickets_issue(t, cfg, "ev-past", "acct-0", &gr,
                           (int64_t)now - 3 * 86400 + 60, &tk, NULL);
  if (err)
    return fail("issue ev-past", err);
  json_object_set_new(out, "expired", json_string(tk.token));
  door_tickets_token_clear(&tk);
  err = door_tickets_jwks(t, &jwks_text, NULL, NULL);
  if (!err)
    err = door__json_parse(jwks_text, strlen(jwks_text), 8, &jwks, NULL);
  if (err)
    return fail("jwks", err);
  json_object_set_new(out, "issuer", json_string(ISSUER));
  json_object_set_new(out, "event", json_string("ev-interop"));
  json_object_set_new(out, "jwks", jwks);
  json_object_set_new(out, "tokens", tokens);
  json_object_set_new(out, "subs", subs);
  dump = json_dumps(out, JSON_COMPACT);
  puts(dump);
  free(dump);
  free(jwks_text);
  json_decref(out);
  door_tickets_free(t);
  door__config_free(cfg);
  return 0;
}
