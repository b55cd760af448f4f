/* door-broker's web layer without a socket: HTML escaping, Accept-Language
 * selection, the 401 JSON of /api/session, security headers, method and
 * path refusals, pages (escaped display names, CSRF fields), POST checks. */
#include "t_broker.h"

#include "daemon/daemon.h"
#include "daemon/html.h"
#include "daemon/pages.h"

static t_env env;

static int has(const char *s, const char *part) {
  return s && strstr(s, part) != NULL;
}

static const char *hdr(const door_dresp *r, const char *name) {
  size_t i;
  for (i = 0; i < r->headers.n; i++)
    if (strcmp(r->headers.items[i].name, name) == 0)
      return r->headers.items[i].value;
  return NULL;
}

static void test_html_escape(void) {
  door_buf b;
  door__buf_init(&b, 4096);
  T_EQ_ERR(door__html_escape(&b, "<a href=\"x\" onclick='y'>&amp;</a>"),
           DOOR_OK);
  T_EQ_STR(b.data, "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;"
                   "&lt;/a&gt;");
  door__buf_reset(&b);
  T_EQ_ERR(door__html_escape(&b, "dアカウント\tok\n"), DOOR_OK);
  T_EQ_STR(b.data, "dアカウント\tok\n");
  door__buf_reset(&b);
  /* Invalid UTF-8 (a lone continuation byte, an overlong '<', a surrogate)
   * and control characters become U+FFFD, never raw bytes. */
  T_EQ_ERR(door__html_escape(&b, "a\x80"
                                 "b\xC0\xBC"
                                 "c\xED\xA0\x80"
                                 "d\x01"),
           DOOR_OK);
  T_EQ_STR(b.data, "a\xEF\xBF\xBD"
                   "b\xEF\xBF\xBD\xEF\xBF\xBD"
                   "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                   "d\xEF\xBF\xBD");
  door__buf_reset(&b);
  T_EQ_ERR(door__html_escape(&b, NULL), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "");
  door__buf_free(&b);
}

static void test_accept_language(void) {
  T_EQ_STR(door__lang_pick(NULL), "en");
  T_EQ_STR(door__lang_pick(""), "en");
  T_EQ_STR(door__lang_pick("ja"), "ja");
  T_EQ_STR(door__lang_pick("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7"), "ja");
  T_EQ_STR(door__lang_pick("en-US,en;q=0.9,ja;q=0.8"), "en");
  T_EQ_STR(door__lang_pick("fr, ja;q=0.5"), "ja");
  T_EQ_STR(door__lang_pick("en;q=0.4, ja;q=0.6"), "ja");
  T_EQ_STR(door__lang_pick("ja;q=0, en;q=0.1"), "en");
  T_EQ_STR(door__lang_pick("ja;q=0"), "en");
  T_EQ_STR(door__lang_pick("*"), "en");
  T_EQ_STR(door__lang_pick("JA-jp"), "ja");
  T_EQ_STR(door__lang_pick("jav, jam"), "en"); /* not Japanese */
  T_EQ_STR(door__lang_pick("ja;q=2"), "en");   /* malformed q */
  T_EQ_STR(door__lang_pick("ja;q=abc"), "en");
  T_EQ_STR(door__lang_pick("en;q=0.5, ja;q=0.5"), "en"); /* first wins */
  T_EQ_STR(door__lang_pick(" , ;q=1, ja "), "ja");
}

static void test_date(void) {
  door_buf b;
  door__buf_init(&b, 64);
  T_EQ_ERR(door__html_date(&b, 1800000000), DOOR_OK);
  T_EQ_STR(b.data, "2027-01-15 08:00 UTC");
  door__buf_free(&b);
}

/* One request through the routes. */
static void run(door_daemon *dd, const char *method, const char *path,
                const char *query, const char *cookie, const char *body,
                const char *origin, door_dresp *r) {
  door_dreq q;
  memset(&q, 0, sizeof q);
  door__kvlist_init(&q.form);
  door__kvlist_init(&q.args);
  q.method = method;
  q.path = path;
  q.query = query ? query : "";
  q.cookie = cookie;
  q.origin = origin;
  q.lang = "en";
  q.body = body ? body : "";
  q.body_len = body ? strlen(body) : 0;
  if (*q.query)
    T_EQ_ERR(door__form_parse(q.query, strlen(q.query), 64, 16384, &q.args),
             DOOR_OK);
  if (body)
    T_EQ_ERR(door__form_parse(body, strlen(body), 64, 16384, &q.form), DOOR_OK);
  door__dresp_init(r);
  T_EQ_ERR(door__route(dd, &q, r), DOOR_OK);
  T_EQ_ERR(door__dresp_security(r, 1), DOOR_OK);
  door__kvlist_free(&q.form);
  door__kvlist_free(&q.args);
}

static void test_api_session_401_json(void) {
  door_daemon dd;
  door_dresp r;
  char account[33], cookie[128];
  memset(&dd, 0, sizeof dd);
  t_env_make(&env, "https://door.example/");
  dd.broker = env.b;
  run(&dd, "GET", "/api/session", NULL, NULL, NULL, NULL, &r);
  T_EQ_INT(r.status, 401);
  T_EQ_STR(r.content_type, "application/json");
  T_EQ_STR(door__buf_str(&r.body), "{\"error\":\"not_signed_in\"}");
  T_EQ_STR(hdr(&r, "Cache-Control"), "no-store");
  door__dresp_free(&r);
  run(&dd, "GET", "/api/session", NULL, "__Host-door-session=garbage", NULL,
      NULL, &r);
  T_EQ_INT(r.status, 401);
  door__dresp_free(&r);
  t_signed_in(&env, "web-1", account, cookie, sizeof cookie);
  run(&dd, "GET", "/api/session", NULL, cookie, NULL, NULL, &r);
  T_EQ_INT(r.status, 200);
  T_OK(has(r.body.data, account));
  T_OK(has(r.body.data, "\"identities\":[{\"provider\":\"daccount\""));
  door__dresp_free(&r);
  t_env_free(&env);
}

static void test_security_headers_and_refusals(void) {
  door_daemon dd;
  door_dresp r;
  memset(&dd, 0, sizeof dd);
  t_env_make(&env, "https://door.example/");
  dd.broker = env.b;
  run(&dd, "GET", "/", NULL, NULL, NULL, NULL, &r);
  T_EQ_INT(r.status, 200);
  T_OK(has(hdr(&r, "Content-Security-Policy"), "default-src 'none'"));
  T_OK(has(hdr(&r, "Content-Security-Policy"), "style-src 'unsafe-inline'"));
  T_OK(has(hdr(&r, "Content-Security-Policy"), "frame-ancestors 'none'"));
  T_EQ_STR(hdr(&r, "Referrer-Policy"), "same-origin");
  T_EQ_STR(hdr(&r, "X-Content-Type-Options"), "nosniff");
  T_EQ_STR(hdr(&r, "Cache-Control"), "no-store");
  T_OK(hdr(&r, "Strict-Transport-Security") != NULL);
  T_OK(!has(r.body.data, "<script"));
  T_OK(has(r.body.data, "href=\"/login/daccount\""));
  T_OK(has(r.body.data, "Sign in with d アカウント"));
  door__dresp_free(&r);
  run(&dd, "POST", "/", NULL, NULL, "", NULL, &r);
  T_EQ_INT(r.status, 405);
  T_EQ_STR(hdr(&r, "Allow"), "GET");
  door__dresp_free(&r);
  run(&dd, "GET", "/logout", NULL, NULL, NULL, NULL, &r);
  T_EQ_INT(r.status, 405);
  door__dresp_free(&r);
  /* A HEAD (a prefetcher) never begins nor finishes a login. */
  run(&dd, "HEAD", "/login/generic", NULL, NULL, NULL, NULL, &r);
  T_EQ_INT(r.status, 405);
  door__dresp_free(&r);
  run(&dd, "HEAD", "/callback/generic", "code=a&state=b", NULL, NULL, NULL, &r);
  T_EQ_INT(r.status, 405);
  door__dresp_free(&r);
  run(&dd, "HEAD", "/healthz", NULL, NULL, NULL, NULL, &r);
  T_EQ_INT(r.status, 200);
  door__dresp_free(&r);
  run(&dd, "GET", "/nothing/here", NULL, NULL, NULL, NULL, &r);
  T_EQ_INT(r.status, 404);
  door__dresp_free(&r);
  run(&dd, "GET", "/login/no_such", NULL, NULL, NULL, NULL, &r);
  T_EQ_INT(r.status, 404);
  T_OK(has(r.body.data, "PROVIDER_UNKNOWN"));
  door__dresp_free(&r);
  run(&dd, "GET", "/login/..%2F", NULL, NULL, NULL, NULL, &r);
  T_EQ_INT(r.status, 404);
  door__dresp_free(&r);
  /* A callback with no login started in this browser: 4xx, no session. */
  run(&dd, "GET", "/callback/daccount",
      "code=c&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL,
      NULL, &r);
  T_EQ_INT(r.status, 400);
  T_OK(has(r.body.data, "LOGIN_NO_PENDING"));
  T_OK(!has(hdr(&r, "Set-Cookie"), "door-session=A"));
  door__dresp_free(&r);
  /* A login start: 302 to the provider with the pending-login cookie. */
  run(&dd, "GET", "/login/generic", "return_to=%2Faccount", NULL, NULL, NULL,
      &r);
  T_EQ_INT(r.status, 302);
  T_OK(has(hdr(&r, "Set-Cookie"), "__Host-door-login-"));
  door__dresp_free(&r);
  run(&dd, "GET", "/login/generic", "return_to=https%3A%2F%2Fevil.example%2F",
      NULL, NULL, NULL, &r);
  T_EQ_INT(r.status, 400);
  T_OK(has(r.body.data, "RETURN_TO_REFUSED"));
  door__dresp_free(&r);
  t_env_free(&env);
}

static void test_account_page_and_post_checks(void) {
  door_daemon dd;
  door_dresp r;
  door_broker_session s;
  char account[33], cookie[128], form[256];
  memset(&dd, 0, sizeof dd);
  t_env_make(&env, "https://door.example/");
  dd.broker = env.b;
  run(&dd, "GET", "/account", NULL, NULL, NULL, NULL, &r);
  T_EQ_INT(r.status, 303);
  door__dresp_free(&r);
  t_signed_in(&env, "web-2", account, cookie, sizeof cookie);
  T_EQ_ERR(door_broker_session_get(env.b, cookie, &s, NULL), DOOR_OK);
  run(&dd, "GET", "/account", NULL, cookie, NULL, NULL, &r);
  T_EQ_INT(r.status, 200);
  T_OK(has(r.body.data, account));
  T_OK(has(r.body.data, s.csrf_token));
  /* One identity: the library refuses to unlink the last one, so the page
   * offers no Unlink button and says why. */
  T_OK(!has(r.body.data, "action=\"/account/unlink\""));
  T_OK(has(r.body.data, "id=\"only-method\""));
  T_OK(has(r.body.data, "name=\"provider\" value=\"generic\""));
  T_OK(has(r.body.data, "action=\"/logout\""));
  door__dresp_free(&r);
  /* Logout: a foreign Origin or a wrong token is refused (403) and the
   * session stays; the right token and origin end it. */
  snprintf(form, sizeof form, "csrf_token=%s", s.csrf_token);
  run(&dd, "POST", "/logout", NULL, cookie, form, "https://evil.example", &r);
  T_EQ_INT(r.status, 403);
  door__dresp_free(&r);
  run(&dd, "POST", "/logout", NULL, cookie, "csrf_token=nope",
      "https://door.example", &r);
  T_EQ_INT(r.status, 403);
  T_OK(has(r.body.data, "BROKER_CSRF"));
  door__dresp_free(&r);
  run(&dd, "GET", "/api/session", NULL, cookie, NULL, NULL, &r);
  T_EQ_INT(r.status, 200);
  door__dresp_free(&r);
  run(&dd, "POST", "/account/unlink", NULL, cookie, form,
      "https://door.example", &r);
  T_EQ_INT(r.status, 400); /* no identity named */
  door__dresp_free(&r);
  run(&dd, "POST", "/logout", NULL, cookie, form, "https://door.example", &r);
  T_EQ_INT(r.status, 303);
  T_EQ_STR(hdr(&r, "Location"), "https://door.example/logged-out");
  door__dresp_free(&r);
  run(&dd, "GET", "/api/session", NULL, cookie, NULL, NULL, &r);
  T_EQ_INT(r.status, 401);
  door__dresp_free(&r);
  door_broker_session_clear(&s);
  t_env_free(&env);
}

static void test_pages_escape_names(void) {
  door_broker_provider_info p[1];
  door_dresp r;
  memset(p, 0, sizeof p);
  memcpy(p[0].name, "x", 2);
  memcpy(p[0].display_name, "<b>\"X\"</b>", 11);
  door__dresp_init(&r);
  T_EQ_ERR(door__page_chooser(&r, "ja", p, 1, "/a?b=<c>", 0), DOOR_OK);
  T_OK(has(r.body.data, "&lt;b&gt;&quot;X&quot;&lt;/b&gt;でログイン"));
  T_OK(has(r.body.data, "href=\"/login/x?return_to=%2Fa%3Fb%3D%3Cc%3E\""));
  T_OK(has(r.body.data, "<html lang=\"ja\">"));
  T_OK(!has(r.body.data, "<b>\"X\""));
  door__dresp_free(&r);
  door__dresp_init(&r);
  T_EQ_ERR(
      door__page_error(&r, 409, "en", "<oops>", DOOR_EBROKER_CSRF, "/x\"y", 1),
      DOOR_OK);
  T_EQ_INT(r.status, 409);
  T_OK(has(r.body.data, "&lt;oops&gt;"));
  T_OK(has(r.body.data, "href=\"/x&quot;y\""));
  T_OK(has(r.body.data, "Back to your account"));
  door__dresp_free(&r);
}

T_MAIN(T_CASE(test_html_escape), T_CASE(test_accept_language),
       T_CASE(test_date), T_CASE(test_api_session_401_json),
       T_CASE(test_security_headers_and_refusals),
       T_CASE(test_account_page_and_post_checks),
       T_CASE(test_pages_escape_names))
