/* door-broker's /account page and its entry-token pages over real HTTPS
 * (the bh.h harness: the real door-idp and door-broker on loopback, libcurl
 * browsers): the last identity offers no Unlink, the event form asks for
 * pages (format=html), the token page shows the event, tier, expiry and
 * the token as text and as a QR code that zbarimg decodes to that very
 * token, which build/door-gate admits; refusals are pages with a retry;
 * TICKETS_RELOGIN_NEEDED offers "Sign in with XMarket again", which works;
 * the JSON API is unchanged for clients that do not ask for pages.
 *
 * Arguments: those of bh.h (argv[1..6]), then rsvg-convert and zbarimg
 * (argv[7], argv[8]; tests/e2e/broker/meson.build).
 */
#include "bh.h"
#include "bh_privacy.h"
#include "qr_read.h"
#include "t.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bh_env env;
static bh_env *E = &env;
static const char *rsvg = "/usr/bin/rsvg-convert", *zbar = "/usr/bin/zbarimg";
static const char *const PATH = "/api/events/ev-e2e/participation";

static int has(const char *s, const char *part) {
  return s && strstr(s, part) != NULL;
}

/* The text between `open` and the next `close` in s (malloc'ed) or NULL. */
static char *between(const char *s, const char *open, const char *close) {
  const char *a = s ? strstr(s, open) : NULL, *b;
  char *out;
  if (!a)
    return NULL;
  a += strlen(open);
  if (!(b = strstr(a, close)))
    return NULL;
  out = malloc((size_t)(b - a) + 1);
  memcpy(out, a, (size_t)(b - a));
  out[b - a] = '\0';
  return out;
}

/* "csrf_token=...&format=html" (or without format) for browser b. */
static char *token_form(bh_browser *b, int page) {
  char *csrf = bh_csrf(b), *enc, *form;
  size_t len;
  if (!csrf)
    return NULL;
  enc = bh_enc(csrf);
  len = strlen(enc) + 40;
  form = malloc(len);
  snprintf(form, len, "csrf_token=%s%s", enc, page ? "&format=html" : "");
  free(enc);
  free(csrf);
  return form;
}

/* The page's QR code (its <svg>...</svg>) rendered by rsvg-convert and
 * read by zbarimg (tests/common/qr_read.c): the decoded text in `text`. */
static void qr_decode(const char *page, door_buf *text) {
  char *svg = between(page, "<div class=\"qrbox\" id=\"qr\">", "</div>");
  char stem[4096];
  T_OK(svg != NULL && has(svg, "<svg") && has(svg, "</svg>"));
  snprintf(stem, sizeof stem, "%s/page-qr", E->dir);
  qr_read_svg(rsvg, zbar, stem, svg, strlen(svg), text);
  free(svg);
}

static size_t discard(char *p, size_t size, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return size * n;
}

/* PUT of a JSON body to door-idp's admin API: the HTTP status. */
static long admin_put(const char *path, const char *json) {
  char url[300];
  long status = -1;
  CURL *c = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: "
                                                 "application/json");
  snprintf(url, sizeof url, "%s%s", E->admin, path);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_CAINFO, E->ca);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return status;
}

/* XMarket hanako alone: no Unlink (her only identity) and a note why; the
 * event's form posts format=html; Sign out is there.  After linking
 * d-account taro both identities have an Unlink button and the note goes. */
static void test_account_page_last_identity(void) {
  bh_browser *b = bh_browser_new(E, 0);
  bh_resp r;
  bh_resp_init(&r);
  T_EQ_INT(bh_login(b, "xmarket", "hanako", NULL, &r), 302);
  T_EQ_INT(bh_get_path(b, "/account", &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(!has(r.body.data, "action=\"/account/unlink\""));
  T_OK(has(r.body.data, "<p class=\"muted\" id=\"only-method\">This is your "
                        "only sign-in method, so it cannot be unlinked"));
  T_OK(has(r.body.data, "action=\"/api/events/ev-e2e/participation\""));
  T_OK(has(r.body.data, "name=\"format\" value=\"html\""));
  T_OK(has(r.body.data, "Get an entry token for E2E Live"));
  T_OK(has(r.body.data, "action=\"/logout\""));
  T_EQ_INT(bh_link(b, "daccount", "taro", &r), 302);
  T_EQ_INT(bh_get_path(b, "/account", &r), 0);
  T_EQ_INT(r.status, 200);
  {
    const char *p = r.body.data;
    int n = 0;
    while ((p = strstr(p, "action=\"/account/unlink\"")))
      n++, p++;
    T_EQ_INT(n, 2);
  }
  T_OK(!has(r.body.data, "only-method"));
  bh_resp_free(&r);
  bh_browser_free(b);
}

/* The token page: event, tier, expiry, single/multi use, the QR code
 * decodes to the token shown as text, door-gate admits it, no-store. */
static void test_token_page(void) {
  bh_browser *b = bh_browser_new(E, 0);
  bh_resp r;
  door_buf qr, gate;
  char *form = NULL, *token = NULL, *exp = NULL;
  bh_resp_init(&r);
  door__buf_init(&qr, 1 << 16);
  door__buf_init(&gate, 1 << 16);
  T_EQ_INT(bh_login(b, "xmarket", "hanako", NULL, &r), 302);
  T_OK((form = token_form(b, 1)) != NULL);
  T_EQ_INT(bh_post_path(b, PATH, form, &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(has(bh_header(&r, "content-type"), "text/html"));
  T_OK(has(bh_header(&r, "cache-control"), "no-store"));
  T_OK(has(r.body.data, "<title>Your entry token</title>"));
  T_OK(has(r.body.data, "id=\"event-title\">E2E Live</td>"));
  T_OK(has(r.body.data, "id=\"tier\">vip</td>"));
  T_OK(has(r.body.data, "The gate admits it until it expires."));
  T_OK(!has(r.body.data, "<script"));
  /* Expiry: within the event's 5-minute token lifetime. */
  exp = between(r.body.data, "<time datetime=\"", "\"");
  T_OK(exp != NULL);
  {
    long long e = strtoll(exp, NULL, 10), now = (long long)time(NULL);
    printf("# expires_at %lld, now %lld\n", e, now);
    T_OK(e > now && e <= now + 300 + 5);
  }
  T_OK(has(r.body.data, " UTC</time>"));
  token = between(r.body.data, "<pre class=\"token\" id=\"token\">", "</pre>");
  T_OK(token != NULL);
  printf("# token: %zu characters\n", strlen(token));
  T_OK(strlen(token) > 200 && strchr(token, '.') != NULL);
  qr_decode(r.body.data, &qr);
  T_EQ_INT(qr.len, strlen(token));
  T_OK(strcmp(door__buf_str(&qr), token) == 0);
  T_EQ_INT(bh_gate_verify(E, &gate, token), 0);
  T_OK(has(gate.data, "\"admitted\":true") &&
       has(gate.data, "\"tier\":\"vip\""));
  /* Japanese. */
  b->lang = "ja";
  T_EQ_INT(bh_post_path(b, PATH, form, &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(has(r.body.data, "<html lang=\"ja\">"));
  T_OK(has(r.body.data, "<title>入場トークン</title>"));
  T_OK(has(r.body.data, "入場トークンのQRコード"));
  b->lang = NULL;
  /* Without format=html: the JSON API as before. */
  free(form);
  T_OK((form = token_form(b, 0)) != NULL);
  T_EQ_INT(bh_post_path(b, PATH, form, &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(has(bh_header(&r, "content-type"), "application/json"));
  T_OK(has(r.body.data, "\"token\":\"") && !has(r.body.data, "<html"));
  free(exp);
  free(token);
  free(form);
  door__buf_free(&qr);
  door__buf_free(&gate);
  bh_resp_free(&r);
  bh_browser_free(b);
}

/* XMarket yuki (no ticket): a 403 page with the reason, the code, Try
 * again (the same POST) and the way back; no session: 401 page with Sign
 * in; a wrong CSRF token: 403 page. */
static void test_refusal_pages(void) {
  bh_browser *y = bh_browser_new(E, 0), *anon = bh_browser_new(E, 0);
  bh_resp r;
  char *form = NULL, *retry = NULL;
  bh_resp_init(&r);
  T_EQ_INT(bh_post_path(anon, PATH, "csrf_token=x&format=html", &r), 0);
  T_EQ_INT(r.status, 401);
  T_OK(has(bh_header(&r, "content-type"), "text/html"));
  T_OK(has(r.body.data, "id=\"code\">BROKER_NO_SESSION</code>"));
  T_OK(has(r.body.data, "href=\"/?return_to=%2Faccount\">Sign in</a>"));
  T_EQ_INT(bh_login(y, "xmarket", "yuki", NULL, &r), 302);
  T_EQ_INT(bh_post_path(y, PATH, "csrf_token=wrong&format=html", &r), 0);
  T_EQ_INT(r.status, 403);
  T_OK(has(r.body.data, "id=\"code\">BROKER_CSRF</code>"));
  T_OK(has(r.body.data, "href=\"/account\">Back to your account</a>"));
  T_OK((form = token_form(y, 1)) != NULL);
  T_EQ_INT(bh_post_path(y, PATH, form, &r), 0);
  T_EQ_INT(r.status, 403);
  T_OK(has(bh_header(&r, "content-type"), "text/html"));
  T_OK(has(r.body.data, "<title>No entry token</title>"));
  T_OK(has(r.body.data, "id=\"code\">TICKETS_NO_TICKET</code>"));
  {
    char *msg = between(r.body.data, "id=\"message\">", "</p>");
    printf("# message: %s\n", msg ? msg : "(none)");
    T_OK(msg && strlen(msg) > 10);
    /* the provider that showed no ticket is named */
    T_OK(msg && has(msg, "in your XMarket account"));
    free(msg);
  }
  T_OK(!has(r.body.data, "id=\"token\"") && !has(r.body.data, "<svg"));
  T_OK(!has(r.body.data, "id=\"relogin\""));
  retry = between(r.body.data, "<form method=\"post\" id=\"retry\"", "</form>");
  T_OK(retry != NULL);
  T_OK(has(retry, "action=\"/api/events/ev-e2e/participation\""));
  T_OK(has(retry, "name=\"format\" value=\"html\""));
  T_OK(has(retry, "name=\"csrf_token\""));
  T_OK(has(retry, ">Try again</button>"));
  /* The retry is the same POST: the same answer. */
  T_EQ_INT(bh_post_path(y, PATH, form, &r), 0);
  T_EQ_INT(r.status, 403);
  T_OK(has(r.body.data, "TICKETS_NO_TICKET"));
  free(retry);
  free(form);
  bh_resp_free(&r);
  bh_browser_free(y);
  bh_browser_free(anon);
}

/* XMarket refuses the kept access token and its refresh token (door-idp's
 * clock past the refresh token's 30 days):
 * TICKETS_RELOGIN_NEEDED as a page with "Sign in with XMarket again"; that
 * link signs in again (back to /account) and the next try gets a token. */
static void test_relogin_page(void) {
  bh_browser *b = bh_browser_new(E, 0);
  bh_resp r;
  char *form = NULL, *href = NULL, *authz = NULL;
  bh_resp_init(&r);
  T_EQ_INT(bh_login(b, "xmarket", "hanako", NULL, &r), 302);
  T_OK((form = token_form(b, 1)) != NULL);
  T_EQ_INT(admin_put("/profiles/xmarket/clock", "{\"offset\":2700000}"), 200);
  T_EQ_INT(bh_post_path(b, PATH, form, &r), 0);
  T_EQ_INT(admin_put("/profiles/xmarket/clock", "{}"), 200);
  T_EQ_INT(r.status, 403);
  T_OK(has(r.body.data, "id=\"code\">TICKETS_RELOGIN_NEEDED</code>"));
  href = between(r.body.data, "id=\"relogin\" href=\"", "\"");
  T_OK(href != NULL);
  T_EQ_STR(href, "/login/xmarket?return_to=%2Faccount");
  T_OK(has(r.body.data, ">Sign in with XMarket again</a>"));
  T_OK(has(r.body.data, "id=\"retry\""));
  /* Follow it: the provider, then back to /account. */
  T_EQ_INT(bh_get_path(b, href, &r), 0);
  T_EQ_INT(r.status, 302);
  authz = strdup(bh_header(&r, "location"));
  T_EQ_INT(bh_at_provider(b, authz, "hanako", &r), 0);
  T_EQ_INT(r.status, 302);
  T_OK(has(bh_header(&r, "location"), "/account"));
  free(form);
  T_OK((form = token_form(b, 1)) != NULL);
  T_EQ_INT(bh_post_path(b, PATH, form, &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(has(r.body.data, "id=\"tier\">vip</td>"));
  free(authz);
  free(href);
  free(form);
  bh_resp_free(&r);
  bh_browser_free(b);
}

/* door-broker stops on SIGTERM with status 0: in sanitizer builds no leak
 * or memory error was reported on any of the pages above. */
static void test_broker_exits_clean(void) {
  T_EQ_INT(bh_kill_broker(E, SIGTERM), 0);
  T_EQ_INT(bh_wait_broker(E, 40), 0);
}

/* Issue 8: every request door-idp received from door-broker in this
 * suite (the entry-token pages) carried only fields of the provider's manifest.
 */
static void test_privacy_audit(void) {
  static const door_tx_endpoint expect[] = {DOOR_TX_AUTHORIZE, DOOR_TX_TOKEN,
                                            DOOR_TX_TICKETS};
  bh_privacy_audit(E, expect, sizeof expect / sizeof expect[0]);
}

jmp_buf t__jmp;

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_account_page_last_identity),
      T_CASE(test_token_page),
      T_CASE(test_refusal_pages),
      T_CASE(test_relogin_page),
      T_CASE(test_privacy_audit),
      T_CASE(test_broker_exits_clean),
  };
  int rc;
  if (argc > 8) {
    rsvg = argv[7];
    zbar = argv[8];
  }
  if (bh_setup(E, argc > 7 ? 7 : argc, argv)) {
    printf("1..1\nnot ok 1 - setup (door-idp and door-broker)\n");
    bh_teardown(E, 1);
    return 1;
  }
  rc = t_run(cases, sizeof cases / sizeof cases[0]);
  bh_teardown(E, rc != 0);
  return rc;
}
