/* door-broker end to end, against the real door-idp over TLS on loopback:
 * the chooser, logins with d-account and XMarket (a new account each), the
 * session API, linking the other provider from a session, linking an
 * identity of another account (refused), unlinking (the last refused),
 * logout, signing in again to the same account, CSRF (a callback without a
 * pending login, forged forms), code injection, RP-initiated and
 * back-channel logout with the generic profile, metrics, the accounts CLI,
 * /.well-known/jwks.json, the keys CLI (list, rotate, list again),
 * SIGHUP reload keeping sessions, SIGTERM letting a login in flight finish
 * and exiting 0. */
#include "bh_privacy.h"
#include "bh.h"
#include "jose/jose.h"
#include "t.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bh_env env;
static bh_env *E = &env;
/* Browsers that live across cases. */
static bh_browser *A, *B;
static char account_a[33], account_b[33];

static int has(const char *s, const char *part) {
  return s && strstr(s, part) != NULL;
}

static const char *jstr(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

/* The account id of a browser's session ("" when none). */
static void session_account(bh_browser *b, char out[33]) {
  json_t *j = NULL;
  out[0] = '\0';
  if (bh_session(b, &j) == 200 && jstr(j, "account_id") &&
      strlen(jstr(j, "account_id")) == 32)
    memcpy(out, jstr(j, "account_id"), 33);
  json_decref(j);
}

static size_t n_identities(bh_browser *b) {
  json_t *j = NULL;
  size_t n = 0;
  if (bh_session(b, &j) == 200)
    n = json_array_size(json_object_get(j, "identities"));
  json_decref(j);
  return n;
}

/* A Set-Cookie header of `r` for the session, checked for its attributes. */
static void check_session_cookie(const bh_resp *r) {
  size_t i;
  int seen = 0;
  for (i = 0; i < r->headers.n; i++) {
    const char *v = r->headers.items[i].value;
    if (strcmp(r->headers.items[i].name, "set-cookie") != 0 ||
        strncmp(v, "__Host-door-session=", 20) != 0 || v[20] == ';')
      continue;
    seen = 1;
    T_EQ_INT(strcspn(v + 20, ";"), 43); /* 256 bits, base64url */
    T_OK(has(v, "; Path=/"));
    T_OK(has(v, "; HttpOnly"));
    T_OK(has(v, "; SameSite=Lax"));
    T_OK(has(v, "; Secure"));
    T_OK(!has(v, "Domain="));
  }
  T_OK(seen);
}

static void test_chooser_health_and_headers(void) {
  bh_browser *b = bh_browser_new(E, 0);
  bh_resp r;
  bh_resp_init(&r);
  T_EQ_INT(bh_get_path(b, "/healthz", &r), 0);
  T_EQ_INT(r.status, 200);
  b->lang = "ja-JP,ja;q=0.9,en;q=0.5";
  T_EQ_INT(bh_get_path(b, "/", &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(has(r.body.data, "<html lang=\"ja\">"));
  T_OK(has(r.body.data, "d アカウントでログイン"));
  T_OK(has(r.body.data, "XMarketでログイン"));
  T_OK(has(r.body.data, "Generic OPでログイン"));
  T_OK(has(bh_header(&r, "content-security-policy"), "default-src 'none'"));
  T_OK(has(bh_header(&r, "content-security-policy"), "frame-ancestors 'none'"));
  T_EQ_STR(bh_header(&r, "referrer-policy"), "same-origin");
  T_EQ_STR(bh_header(&r, "cache-control"), "no-store");
  T_OK(!has(r.body.data, "<script") && !has(r.body.data, "src=\"http"));
  b->lang = "en";
  T_EQ_INT(bh_get_path(b, "/", &r), 0);
  T_OK(has(r.body.data, "Sign in with XMarket"));
  T_EQ_INT(bh_session(b, NULL), 401);
  bh_resp_free(&r);
  bh_browser_free(b);
}

static void test_login_daccount_new_account(void) {
  bh_resp r;
  json_t *j = NULL, *id;
  bh_resp_init(&r);
  A = bh_browser_new(E, 0);
  T_EQ_INT(bh_login(A, "daccount", "taro", "/account", &r), 302);
  T_EQ_STR(bh_header(&r, "location"), "/account");
  check_session_cookie(&r);
  T_EQ_INT(bh_session(A, &j), 200);
  T_EQ_INT(strlen(jstr(j, "account_id")), 32);
  memcpy(account_a, jstr(j, "account_id"), 33);
  id = json_array_get(json_object_get(j, "identities"), 0);
  T_EQ_INT(json_array_size(json_object_get(j, "identities")), 1);
  T_EQ_STR(jstr(id, "provider"), "daccount");
  T_EQ_STR(jstr(id, "issuer"), bh_idp_url(E, "daccount", "issuer"));
  T_OK(jstr(id, "subject") && *jstr(id, "subject"));
  json_decref(j);
  bh_resp_free(&r);
}

static void test_login_xmarket_new_account(void) {
  bh_resp r;
  json_t *j = NULL;
  bh_resp_init(&r);
  B = bh_browser_new(E, 0);
  T_EQ_INT(bh_login(B, "xmarket", "hanako", NULL, &r), 302);
  T_EQ_STR(bh_header(&r, "location"), "/");
  T_EQ_INT(bh_session(B, &j), 200);
  memcpy(account_b, jstr(j, "account_id"), 33);
  T_OK(strcmp(account_a, account_b) != 0);
  T_EQ_STR(
      jstr(json_array_get(json_object_get(j, "identities"), 0), "provider"),
      "xmarket");
  json_decref(j);
  bh_resp_free(&r);
}

static void test_link_other_provider_from_session(void) {
  bh_resp r;
  char acc[33];
  bh_resp_init(&r);
  /* A fresh login at XMarket (prompt=login: the provider's own page). */
  T_EQ_INT(bh_link(A, "xmarket", "yuki", &r), 302);
  T_EQ_STR(bh_header(&r, "location"), "/account");
  check_session_cookie(&r); /* a new session id after the link */
  session_account(A, acc);
  T_EQ_STR(acc, account_a);
  T_EQ_INT(n_identities(A), 2);
  bh_resp_free(&r);
}

static void test_link_identity_of_another_account_refused(void) {
  bh_resp r;
  char acc[33];
  bh_resp_init(&r);
  /* hanako's XMarket identity belongs to B's account. */
  T_EQ_INT(bh_link(A, "xmarket", "hanako", &r), 409);
  T_OK(has(r.body.data, "already linked to another DOOR account"));
  T_OK(has(r.body.data, "STORE_IDENTITY_TAKEN"));
  T_OK(!bh_session_cookie(&r));
  T_EQ_INT(n_identities(A), 2);
  session_account(B, acc);
  T_EQ_STR(acc, account_b);
  T_EQ_INT(n_identities(B), 1);
  /* The same in Japanese. */
  A->lang = "ja";
  T_EQ_INT(bh_link(A, "xmarket", "hanako", &r), 409);
  T_OK(has(r.body.data, "別のDOORアカウントに連携済み"));
  A->lang = NULL;
  bh_resp_free(&r);
}

static void test_unlink_one_then_last_refused(void) {
  json_t *j = NULL, *ids;
  char form[4096], *tok, *iss, *sub;
  size_t i;
  bh_resp r;
  bh_resp_init(&r);
  T_EQ_INT(bh_session(A, &j), 200);
  ids = json_object_get(j, "identities");
  for (i = 0; i < json_array_size(ids); i++)
    if (strcmp(jstr(json_array_get(ids, i), "provider"), "daccount") == 0)
      break;
  T_OK(i < json_array_size(ids));
  tok = bh_csrf(A);
  iss = bh_enc(jstr(json_array_get(ids, i), "issuer"));
  sub = bh_enc(jstr(json_array_get(ids, i), "subject"));
  snprintf(form, sizeof form, "csrf_token=%s&issuer=%s&subject=%s", tok, iss,
           sub);
  free(iss);
  free(sub);
  json_decref(j);
  /* Without the token: refused, nothing changes. */
  T_EQ_INT(bh_post_path(A, "/account/unlink", strchr(form, '&') + 1, &r), 0);
  T_EQ_INT(r.status, 403);
  T_EQ_INT(n_identities(A), 2);
  T_EQ_INT(bh_post_path(A, "/account/unlink", form, &r), 0);
  T_EQ_INT(r.status, 303);
  T_EQ_STR(bh_header(&r, "location"), "/account");
  T_EQ_INT(n_identities(A), 1);
  /* The last one (XMarket yuki): refused with a clear page. */
  snprintf(form, sizeof form, "csrf_token=%s&provider=xmarket", tok);
  free(tok);
  T_EQ_INT(bh_post_path(A, "/account/unlink", form, &r), 0);
  T_EQ_INT(r.status, 409);
  T_OK(has(r.body.data, "only way to sign in"));
  T_OK(has(r.body.data, "STORE_LAST_IDENTITY"));
  T_EQ_INT(n_identities(A), 1);
  bh_resp_free(&r);
}

static void test_logout_then_401(void) {
  char form[256], *tok = bh_csrf(A);
  bh_resp r;
  bh_resp_init(&r);
  T_OK(tok != NULL);
  /* A form from elsewhere (foreign Origin) is refused. */
  snprintf(form, sizeof form, "csrf_token=%s", tok);
  {
    char url[512];
    snprintf(url, sizeof url, "%s/logout", E->base);
    T_EQ_INT(bh_post(A, url, form, "https://evil.example", &r), 0);
    T_EQ_INT(r.status, 403);
  }
  T_EQ_INT(bh_session(A, NULL), 200);
  T_EQ_INT(bh_post_path(A, "/logout", form, &r), 0);
  free(tok);
  T_EQ_INT(r.status, 303);
  /* XMarket has no end-session endpoint: the broker's own page. */
  T_OK(has(bh_header(&r, "location"), "/logged-out"));
  T_OK(bh_set_cookie_has(&r, "__Host-door-session=;"));
  T_EQ_INT(bh_session(A, NULL), 401);
  {
    char *loc = strdup(bh_header(&r, "location"));
    T_EQ_INT(bh_get(A, loc, &r), 0);
    free(loc);
  }
  T_EQ_INT(r.status, 200);
  bh_resp_free(&r);
}

static void test_same_identity_same_account(void) {
  bh_browser *c = bh_browser_new(E, 0);
  char acc[33];
  bh_resp r;
  bh_resp_init(&r);
  /* yuki (XMarket) is linked to A's account: signing in lands there. */
  T_EQ_INT(bh_login(c, "xmarket", "yuki", NULL, &r), 302);
  session_account(c, acc);
  T_EQ_STR(acc, account_a);
  /* taro (d-account) was unlinked: a new account, never a match by any
   * other claim. */
  T_EQ_INT(bh_login(c, "daccount", "taro", NULL, &r), 302);
  session_account(c, acc);
  T_OK(acc[0] && strcmp(acc, account_a) != 0 && strcmp(acc, account_b) != 0);
  /* hanako again: B's account. */
  T_EQ_INT(bh_login(c, "xmarket", "hanako", NULL, &r), 302);
  session_account(c, acc);
  T_EQ_STR(acc, account_b);
  bh_resp_free(&r);
  bh_browser_free(c);
}

static void test_same_email_is_not_a_match(void) {
  bh_browser *c = bh_browser_new(E, 0);
  char a1[33], a2[33];
  bh_resp r;
  bh_resp_init(&r);
  /* alice and bob share an e-mail address at the generic provider. */
  T_EQ_INT(bh_login(c, "generic", "alice", NULL, &r), 302);
  session_account(c, a1);
  T_EQ_INT(bh_login(c, "generic", "bob", NULL, &r), 302);
  session_account(c, a2);
  T_OK(a1[0] && a2[0] && strcmp(a1, a2) != 0);
  bh_resp_free(&r);
  bh_browser_free(c);
}

static void test_callback_without_pending_login(void) {
  bh_browser *c = bh_browser_new(E, 0);
  bh_resp r;
  bh_resp_init(&r);
  T_EQ_INT(bh_get_path(c,
                       "/callback/generic?code=abc&state="
                       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                       &r),
           0);
  T_OK(r.status >= 400 && r.status < 500);
  T_OK(has(r.body.data, "LOGIN_NO_PENDING"));
  T_OK(has(r.body.data, "href=\"/login/generic\"")); /* a retry */
  T_OK(!bh_session_cookie(&r));
  T_EQ_INT(bh_session(c, NULL), 401);
  bh_resp_free(&r);
  bh_browser_free(c);
}

static void test_code_injection_fails(void) {
  bh_browser *x = bh_browser_new(E, 0), *y = bh_browser_new(E, 0);
  char *state_x, *code_y, *loc_y, *iss, *enc, url[4096];
  bh_resp r;
  bh_resp_init(&r);
  /* The victim x starts a login (its state cookie is set). */
  T_EQ_INT(bh_get_path(x, "/login/generic", &r), 0);
  T_EQ_INT(r.status, 302);
  state_x = bh_query_param(bh_header(&r, "location"), "state");
  T_OK(state_x != NULL);
  /* The attacker y gets a code for its own login... */
  T_EQ_INT(bh_get_path(y, "/login/generic", &r), 0);
  {
    char *authz = strdup(bh_header(&r, "location"));
    char hint[8192];
    snprintf(hint, sizeof hint, "%s&login_hint=bob", authz);
    free(authz);
    T_EQ_INT(bh_get(y, hint, &r), 0);
  }
  T_EQ_INT(r.status, 302);
  loc_y = strdup(bh_header(&r, "location"));
  code_y = bh_query_param(loc_y, "code");
  T_OK(code_y != NULL);
  /* ...and x's browser is made to present it with x's valid state. */
  iss = bh_query_param(loc_y, "iss");
  enc = bh_enc(iss ? iss : "");
  snprintf(url, sizeof url, "%s/callback/generic?code=%s&state=%s&iss=%s",
           E->base, code_y, state_x, enc);
  free(iss);
  free(enc);
  T_EQ_INT(bh_get(x, url, &r), 0);
  T_OK(r.status >= 400 && r.status < 500);
  T_OK(!bh_session_cookie(&r));
  T_EQ_INT(bh_session(x, NULL), 401);
  free(state_x);
  free(code_y);
  free(loc_y);
  bh_resp_free(&r);
  bh_browser_free(x);
  bh_browser_free(y);
}

static void test_rp_initiated_logout(void) {
  bh_browser *c = bh_browser_new(E, 0);
  char form[256], *tok, *hint, *post;
  char *loc;
  bh_resp r;
  bh_resp_init(&r);
  T_EQ_INT(bh_login(c, "generic", "alice", NULL, &r), 302);
  T_OK(bh_set_cookie_has(&r, "__Host-door-logout="));
  tok = bh_csrf(c);
  snprintf(form, sizeof form, "csrf_token=%s", tok);
  free(tok);
  T_EQ_INT(bh_post_path(c, "/logout", form, &r), 0);
  T_EQ_INT(r.status, 303);
  loc = strdup(bh_header(&r, "location"));
  T_OK(has(loc, bh_idp_url(E, "generic", "end_session_endpoint")));
  hint = bh_query_param(loc, "id_token_hint");
  post = bh_query_param(loc, "post_logout_redirect_uri");
  T_OK(hint && strncmp(hint, "eyJ", 3) == 0);
  T_OK(post && has(post, "/logged-out") && has(post, E->base));
  free(hint);
  free(post);
  T_EQ_INT(bh_session(c, NULL), 401);
  /* The provider ends its session and sends the browser back. */
  T_EQ_INT(bh_get(c, loc, &r), 0);
  free(loc);
  T_EQ_INT(r.status, 302);
  T_OK(has(bh_header(&r, "location"), "/logged-out"));
  loc = strdup(bh_header(&r, "location"));
  T_EQ_INT(bh_get(c, loc, &r), 0);
  free(loc);
  T_EQ_INT(r.status, 200);
  bh_resp_free(&r);
  bh_browser_free(c);
}

static void test_backchannel_logout(void) {
  bh_browser *c = bh_browser_new(E, 0), *adm = bh_browser_new(E, 1);
  char url[512];
  bh_resp r;
  bh_resp_init(&r);
  T_EQ_INT(bh_login(c, "generic", "bob", NULL, &r), 302);
  T_EQ_INT(bh_session(c, NULL), 200);
  /* A forged token straight to the endpoint: refused. */
  T_EQ_INT(bh_post_path(adm, "/backchannel-logout/generic",
                        "logout_token=eyJhbGciOiJub25lIn0.e30.", &r),
           0);
  T_EQ_INT(r.status, 400);
  T_EQ_INT(bh_session(c, NULL), 200);
  /* door-idp's generic profile sends a signed logout token for bob. */
  snprintf(url, sizeof url, "%s/profiles/generic/backchannel-logout", E->admin);
  T_EQ_INT(bh_post(adm, url, "{\"user\":\"bob\"}", "null", &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(has(r.body.data, "\"status\":200"));
  T_EQ_INT(bh_session(c, NULL), 401);
  bh_resp_free(&r);
  bh_browser_free(c);
  bh_browser_free(adm);
}

static void test_metrics(void) {
  bh_browser *b = bh_browser_new(E, 1);
  bh_resp r;
  bh_resp_init(&r);
  T_EQ_INT(bh_get_path(b, "/metrics", &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(has(bh_header(&r, "content-type"), "text/plain; version=0.0.4"));
  T_OK(has(r.body.data, "door_logins_total{provider=\"daccount\","
                        "outcome=\"created\"} 2\n"));
  T_OK(has(r.body.data, "door_logins_total{provider=\"xmarket\","
                        "outcome=\"linked\"} 1\n"));
  T_OK(has(r.body.data, "door_logins_total{provider=\"xmarket\","
                        "outcome=\"store_identity_taken\"} 2\n"));
  T_OK(has(r.body.data, "door_login_finish_seconds_bucket{provider="
                        "\"generic\",le=\"+Inf\"}"));
  /* One from door-idp's end-session (RP-initiated logout), one from its
   * admin API; the forged one refused. */
  T_OK(has(r.body.data, "door_backchannel_logouts_total{provider="
                        "\"generic\",outcome=\"ok\"} 2\n"));
  T_OK(has(r.body.data, "door_backchannel_logouts_total{provider="
                        "\"generic\",outcome=\"refused\"} 1\n"));
  T_OK(has(r.body.data, "door_jwks_fetches_total{provider=\"generic\"} "));
  T_OK(!has(r.body.data, "door_jwks_fetches_total{provider=\"generic\"} 0\n"));
  T_OK(has(r.body.data, "door_store_call_seconds_count{op="
                        "\"login_identity\"}"));
  T_OK(has(r.body.data, "door_sessions "));
  bh_resp_free(&r);
  bh_browser_free(b);
}

static void test_accounts_cli(void) {
  door_buf out;
  door__buf_init(&out, 1 << 22);
  T_EQ_INT(bh_cli(E, NULL, &out, "accounts", "list", "--json"), 0);
  T_OK(has(out.data, account_a) && has(out.data, account_b));
  T_EQ_INT(bh_cli(E, NULL, &out, "accounts", "list"), 0);
  T_OK(has(out.data, account_a));
  T_OK(has(out.data, " accounts\n"));
  T_EQ_INT(bh_cli(E, NULL, &out, "accounts", "show", account_a), 0);
  T_OK(has(out.data, "xmarket"));
  T_OK(has(out.data, bh_idp_url(E, "xmarket", "issuer")));
  T_EQ_INT(bh_cli(E, NULL, &out, "accounts", "show", account_b, "--json"), 0);
  T_OK(has(out.data, "\"identities\":[{\"provider\":\"xmarket\""));
  /* The last identity stays; an unknown account is an error. */
  T_EQ_INT(bh_cli(E, NULL, &out, "accounts", "unlink", account_b, "xmarket"),
           1);
  T_EQ_INT(bh_cli(E, NULL, &out, "accounts", "show",
                  "0123456789abcdef0123456789abcdef"),
           1);
  T_EQ_INT(bh_cli(E, NULL, &out, "accounts", "frobnicate"), 2);
  /* Deleting B's account ends its session too. */
  T_EQ_INT(bh_session(B, NULL), 200);
  T_EQ_INT(bh_cli(E, NULL, &out, "accounts", "delete", account_b, "--json"), 0);
  T_OK(has(out.data, "\"identities\":1"));
  T_EQ_INT(bh_session(B, NULL), 401);
  T_EQ_INT(bh_cli(E, NULL, &out, "accounts", "show", account_b), 1);
  door__buf_free(&out);
}

static void test_sighup_reload_keeps_sessions(void) {
  bh_browser *c = bh_browser_new(E, 0);
  char acc[33], again[33];
  int i, seen = 0;
  bh_resp r;
  bh_resp_init(&r);
  T_EQ_INT(bh_login(c, "generic", "u7", NULL, &r), 302);
  session_account(c, acc);
  T_OK(acc[0]);
  T_EQ_INT(bh_write_config(E, "Generic Reloaded"), 0);
  T_EQ_INT(bh_kill_broker(E, SIGHUP), 0);
  for (i = 0; i < 100 && !seen; i++) {
    T_EQ_INT(bh_get_path(c, "/", &r), 0);
    seen = has(r.body.data, "Sign in with Generic Reloaded");
    if (!seen)
      usleep(50000);
  }
  T_OK(seen);
  session_account(c, again);
  T_EQ_STR(again, acc);
  /* Logins keep working under the new configuration. */
  T_EQ_INT(bh_login(c, "daccount", "jiro", NULL, &r), 302);
  bh_resp_free(&r);
  bh_browser_free(c);
}

typedef struct inflight {
  bh_browser *b;
  char *url;
  long status;
  char *cookie;
} inflight;

static void *finish_login(void *arg) {
  inflight *f = arg;
  bh_resp r;
  bh_resp_init(&r);
  if (bh_get(f->b, f->url, &r) == 0) {
    f->status = r.status;
    f->cookie = bh_session_cookie(&r);
  }
  bh_resp_free(&r);
  return NULL;
}

/* SIGTERM while a login is half way through its code exchange (door-idp
 * holds the token answer 1.5 s): that login still completes with a
 * session, then the broker exits 0. */
static void test_sigterm_lets_logins_in_flight_finish(void) {
  bh_browser *c = bh_browser_new(E, 0), *adm = bh_browser_new(E, 1);
  inflight f;
  pthread_t th;
  char url[512], *authz;
  bh_resp r;
  bh_resp_init(&r);
  memset(&f, 0, sizeof f);
  T_EQ_INT(bh_get_path(c, "/login/generic", &r), 0);
  T_EQ_INT(r.status, 302);
  authz = malloc(strlen(bh_header(&r, "location")) + 32);
  memcpy(authz, bh_header(&r, "location"),
         strlen(bh_header(&r, "location")) + 1);
  memcpy(authz + strlen(authz), "&login_hint=u6", 15);
  T_EQ_INT(bh_get(c, authz, &r), 0);
  free(authz);
  T_EQ_INT(r.status, 302);
  f.b = c;
  f.url = strdup(bh_header(&r, "location"));
  snprintf(url, sizeof url, "%s/faults", E->admin);
  T_EQ_INT(bh_post(adm, url,
                   "{\"fault\":\"http.delay\",\"profile\":\"generic\","
                   "\"endpoint\":\"token\",\"param\":1500,\"count\":1}",
                   "null", &r),
           0);
  T_EQ_INT(r.status, 201);
  T_EQ_INT(pthread_create(&th, NULL, finish_login, &f), 0);
  usleep(500000); /* the callback is waiting for the token endpoint */
  T_EQ_INT(bh_kill_broker(E, SIGTERM), 0);
  pthread_join(th, NULL);
  T_EQ_INT(f.status, 302);
  T_OK(f.cookie != NULL);
  T_EQ_INT(bh_wait_broker(E, 40), 0);
  free(f.url);
  free(f.cookie);
  bh_resp_free(&r);
  bh_browser_free(c);
  bh_browser_free(adm);
}

/* The number of keys in the broker's /.well-known/jwks.json (-1: not a
 * good answer); each is an ES256 P-256 signing key with a 43-character
 * kid.  `kid` (64 bytes, may be NULL) receives the first key's kid. */
static int jwks_keys(char *kid) {
  bh_browser *b = bh_browser_new(E, 1);
  bh_resp r;
  json_t *j = NULL, *keys;
  size_t i;
  int n = -1;
  bh_resp_init(&r);
  if (bh_get_path(b, "/.well-known/jwks.json", &r) || r.status != 200 ||
      !has(bh_header(&r, "content-type"), "application/json") ||
      !has(bh_header(&r, "cache-control"), "public, max-age=300"))
    goto out;
  j = json_loads(r.body.data, 0, NULL);
  keys = json_object_get(j, "keys");
  if (!json_is_array(keys))
    goto out;
  for (i = 0; i < json_array_size(keys); i++) {
    json_t *k = json_array_get(keys, i);
    if (!has(jstr(k, "kty"), "EC") || !has(jstr(k, "crv"), "P-256") ||
        !has(jstr(k, "alg"), "ES256") || !has(jstr(k, "use"), "sig") ||
        !jstr(k, "kid") || strlen(jstr(k, "kid")) != 43 || jstr(k, "d"))
      goto out;
  }
  n = (int)json_array_size(keys);
  if (kid && n > 0)
    snprintf(kid, 64, "%s", jstr(json_array_get(keys, 0), "kid"));
out:
  json_decref(j);
  bh_resp_free(&r);
  bh_browser_free(b);
  return n;
}

/* One signing key, made at the broker's first start, published. */
static void test_jwks(void) {
  char kid[64] = "";
  T_EQ_INT(jwks_keys(kid), 1);
  T_EQ_INT((int)strlen(kid), 43);
}

/* POST /api/events/ev-e2e/participation: an XMarket user with a ticket
 * gets a token signed by a published key (the provider's access token was
 * kept at login) that build/door-gate admits; XMarket yuki without a ticket
 * and a d-account user on no list get
 * 403 with the reason; no CSRF token: 403; no session: 401. */
static void test_participation(void) {
  bh_browser *x = bh_browser_new(E, 0), *dc = bh_browser_new(E, 0);
  bh_resp r;
  json_t *j = NULL;
  char *csrf = NULL, *form = NULL, *enc = NULL, kid[64] = "";
  const char *path = "/api/events/ev-e2e/participation";
  size_t len;
  bh_resp_init(&r);
  T_EQ_INT(bh_post_path(x, path, "csrf_token=x", &r), 0);
  T_EQ_INT(r.status, 401);
  T_EQ_INT(bh_login(x, "xmarket", "hanako", NULL, &r), 302);
  /* The account page offers the event's token through a POST form. */
  T_EQ_INT(bh_get_path(x, "/account", &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(has(r.body.data, "action=\"/api/events/ev-e2e/participation\"") &&
       has(r.body.data, "E2E Live"));
  T_OK((csrf = bh_csrf(x)) != NULL);
  T_EQ_INT(bh_post_path(x, path, "csrf_token=wrong", &r), 0);
  T_EQ_INT(r.status, 403);
  enc = bh_enc(csrf ? csrf : "");
  len = strlen(enc) + 16;
  form = malloc(len);
  snprintf(form, len, "csrf_token=%s", enc);
  T_EQ_INT(bh_post_path(x, path, form, &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(has(bh_header(&r, "cache-control"), "no-store"));
  j = json_loads(r.body.data, 0, NULL);
  T_OK(j && has(jstr(j, "tier"), "vip") && has(jstr(j, "event"), "ev-e2e"));
  T_OK(j && json_integer_value(json_object_get(j, "expires_at")) > 0);
  T_OK(j && jstr(j, "token") && strchr(jstr(j, "token"), '.'));
  /* The token's kid is the published key. */
  T_EQ_INT(jwks_keys(kid), 1);
  if (j && jstr(j, "token") && kid[0]) {
    unsigned char hdr[1024];
    const char *t = jstr(j, "token");
    size_t hl = (size_t)(strchr(t, '.') - t), n = 0;
    T_OK(door__b64url_decode(t, hl, hdr, sizeof hdr - 1, &n) == DOOR_OK);
    hdr[n] = '\0';
    T_OK(has((const char *)hdr, kid) && has((const char *)hdr, "ES256"));
  }
  /* The real door-gate admits it with the broker's published keys. */
  if (j && jstr(j, "token")) {
    door_buf g;
    door__buf_init(&g, 1 << 16);
    T_EQ_INT(bh_gate_verify(E, &g, jstr(j, "token")), 0);
    T_OK(has(g.data, "\"admitted\":true") && has(g.data, "\"tier\":\"vip\""));
    door__buf_free(&g);
  }
  json_decref(j);
  j = NULL;
  free(form);
  free(enc);
  free(csrf);
  /* XMarket yuki has no ticket for the event. */
  {
    bh_browser *y = bh_browser_new(E, 0);
    char *yc = NULL, *ye = NULL, *yf = NULL;
    T_EQ_INT(bh_login(y, "xmarket", "yuki", NULL, &r), 302);
    T_OK((yc = bh_csrf(y)) != NULL);
    ye = bh_enc(yc ? yc : "");
    len = strlen(ye) + 16;
    yf = malloc(len);
    snprintf(yf, len, "csrf_token=%s", ye);
    T_EQ_INT(bh_post_path(y, path, yf, &r), 0);
    T_EQ_INT(r.status, 403);
    j = json_loads(r.body.data, 0, NULL);
    T_OK(j && has(jstr(j, "error"), "TICKETS_NO_TICKET"));
    T_OK(j && jstr(j, "message") && strlen(jstr(j, "message")) > 10);
    T_OK(j && !json_object_get(j, "token"));
    json_decref(j);
    j = NULL;
    free(yf);
    free(ye);
    free(yc);
    bh_browser_free(y);
  }
  /* d-account jiro: no ticket check, not on the participant list. */
  T_EQ_INT(bh_login(dc, "daccount", "jiro", NULL, &r), 302);
  T_OK((csrf = bh_csrf(dc)) != NULL);
  enc = bh_enc(csrf ? csrf : "");
  len = strlen(enc) + 16;
  form = malloc(len);
  snprintf(form, len, "csrf_token=%s", enc);
  T_EQ_INT(bh_post_path(dc, path, form, &r), 0);
  T_EQ_INT(r.status, 403);
  j = json_loads(r.body.data, 0, NULL);
  T_OK(j && has(jstr(j, "error"), "TICKETS_NOT_PARTICIPANT"));
  T_OK(j && jstr(j, "message") && strlen(jstr(j, "message")) > 10);
  T_OK(j && !json_object_get(j, "token"));
  json_decref(j);
  free(form);
  free(enc);
  free(csrf);
  bh_resp_free(&r);
  bh_browser_free(x);
  bh_browser_free(dc);
}

/* The number of signing keys in `keys list --json` output with `state`
 * (NULL: any); -1 when it does not parse. */
static int keys_with_state(const char *text, const char *state) {
  json_t *j = json_loads(text, 0, NULL), *keys;
  size_t i;
  int n = 0;
  if (!j)
    return -1;
  keys = json_object_get(j, "keys");
  if (!json_is_array(keys)) {
    json_decref(j);
    return -1;
  }
  for (i = 0; i < json_array_size(keys); i++) {
    json_t *k = json_array_get(keys, i);
    if (!jstr(k, "kid") || strlen(jstr(k, "kid")) != 43 ||
        !has(jstr(k, "alg"), "ES256")) {
      n = -1;
      break;
    }
    if (!state || has(jstr(k, "state"), state))
      n++;
  }
  json_decref(j);
  return n;
}

/* keys list / rotate / list: the broker made one key at its first start;
 * a rotation publishes a second that signs later ("next") while the first
 * keeps signing and gets a retirement time. */
static void test_keys_cli(void) {
  door_buf out;
  json_t *j;
  char kid[64] = "";
  door__buf_init(&out, 1 << 20);
  T_EQ_INT(bh_cli(E, NULL, &out, "keys", "list", "--json"), 0);
  T_EQ_INT(keys_with_state(out.data, NULL), 1);
  T_EQ_INT(keys_with_state(out.data, "active"), 1);
  T_EQ_INT(bh_cli(E, NULL, &out, "keys", "rotate", "--json"), 0);
  j = json_loads(out.data, 0, NULL);
  T_OK(j && jstr(j, "kid") && strlen(jstr(j, "kid")) == 43);
  if (j && jstr(j, "kid"))
    snprintf(kid, sizeof kid, "%s", jstr(j, "kid"));
  json_decref(j);
  T_EQ_INT(bh_cli(E, NULL, &out, "keys", "list", "--json"), 0);
  T_EQ_INT(keys_with_state(out.data, NULL), 2);
  T_EQ_INT(keys_with_state(out.data, "active"), 1);
  T_EQ_INT(keys_with_state(out.data, "next"), 1);
  T_OK(kid[0] && has(out.data, kid));
  /* The serving broker publishes the new key within a second or so. */
  {
    int i, n = 0;
    for (i = 0; i < 30 && (n = jwks_keys(NULL)) != 2; i++)
      usleep(100 * 1000);
    T_EQ_INT(n, 2);
  }
  /* Text for people: one line per key. */
  T_EQ_INT(bh_cli(E, NULL, &out, "keys", "list"), 0);
  T_OK(has(out.data, kid) && has(out.data, "  next  ") &&
       has(out.data, "  active  "));
  T_EQ_INT(bh_cli(E, NULL, &out, "keys", "frobnicate"), 2);
  T_EQ_INT(bh_cli(E, NULL, &out, "keys", "list", "--now"), 2);
  door__buf_free(&out);
}

/* Issue 8: every request door-idp received from door-broker during the
 * cases above carried only fields of the provider's manifest. */
static void test_privacy_audit(void) {
  static const door_tx_endpoint expect[] = {
      DOOR_TX_AUTHORIZE, DOOR_TX_TOKEN, DOOR_TX_TICKETS, DOOR_TX_END_SESSION};
  bh_privacy_audit(E, expect, sizeof expect / sizeof expect[0]);
}

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_chooser_health_and_headers),
      T_CASE(test_login_daccount_new_account),
      T_CASE(test_login_xmarket_new_account),
      T_CASE(test_link_other_provider_from_session),
      T_CASE(test_link_identity_of_another_account_refused),
      T_CASE(test_unlink_one_then_last_refused),
      T_CASE(test_logout_then_401),
      T_CASE(test_same_identity_same_account),
      T_CASE(test_same_email_is_not_a_match),
      T_CASE(test_callback_without_pending_login),
      T_CASE(test_code_injection_fails),
      T_CASE(test_rp_initiated_logout),
      T_CASE(test_backchannel_logout),
      T_CASE(test_metrics),
      T_CASE(test_accounts_cli),
      T_CASE(test_jwks),
      T_CASE(test_participation),
      T_CASE(test_keys_cli),
      T_CASE(test_sighup_reload_keeps_sessions),
      T_CASE(test_sigterm_lets_logins_in_flight_finish),
      T_CASE(test_privacy_audit),
  };
  int rc;
  if (bh_setup(E, argc, argv)) {
    printf("1..1\nnot ok 1 - setup (door-idp and door-broker)\n");
    bh_teardown(E, 1);
    return 1;
  }
  rc = t_run(cases, sizeof cases / sizeof cases[0]);
  bh_browser_free(A);
  bh_browser_free(B);
  bh_teardown(E, rc != 0);
  return rc;
}

jmp_buf t__jmp;
