/* door-idp end to end: RP-initiated logout and back-channel logout tokens
 * (received by an HTTPS listener in this program), the admin API (keys,
 * clock, clients, users, tickets), the interactive HTML login, scenario
 * errors on the command line, and plain HTTP. */
#include "harness.h"
#include "t.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

jmp_buf t__jmp;
static e2e_env env;
static e2e_env *E = &env;

#define GE_REDIRECT "https://rp.localhost/callback/generic"
#define GE_RS_SECRET "planted-secret-generic-rs-0123456789abcdef"
#define GE_ES_SECRET "planted-secret-generic-es-0123456789abcdef"
#define BCL_SECRET "planted-secret-generic-bcl-0123456789abcdef"

static const char *jstr(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

/* ---- the RP's back-channel logout endpoint ------------------------------- */

typedef struct receiver {
  e2e_tls_rx tls;
  pthread_mutex_t lock;
  json_t *posts; /* [{"path", "ctype", "body"}] */
} receiver;

static receiver rx;

typedef struct rx_req {
  door_buf body;
  int started;
} rx_req;

static enum MHD_Result rx_handler(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **con_cls) {
  receiver *r = cls;
  rx_req *q = *con_cls;
  struct MHD_Response *resp;
  const char *ct;
  enum MHD_Result ret;
  (void)method;
  (void)version;
  if (!q) {
    q = calloc(1, sizeof *q);
    door__buf_init(&q->body, 65536);
    *con_cls = q;
    return MHD_YES;
  }
  if (*size) {
    door__buf_append(&q->body, data, *size);
    *size = 0;
    return MHD_YES;
  }
  ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
  pthread_mutex_lock(&r->lock);
  json_array_append_new(r->posts, json_pack("{s:s, s:s, s:s}", "path", url,
                                            "ctype", ct ? ct : "", "body",
                                            door__buf_str(&q->body)));
  pthread_mutex_unlock(&r->lock);
  resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  ret = MHD_queue_response(c, 200, resp);
  MHD_destroy_response(resp);
  return ret;
}

static void rx_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe) {
  rx_req *q = *con_cls;
  (void)cls;
  (void)c;
  (void)toe;
  if (q) {
    door__buf_free(&q->body);
    free(q);
  }
  *con_cls = NULL;
}

static int rx_start(receiver *r) {
  pthread_mutex_init(&r->lock, NULL);
  r->posts = json_array();
  return e2e_tls_rx_start(&r->tls, E, rx_handler, r, rx_done, r);
}

static void rx_stop(receiver *r) {
  e2e_tls_rx_stop(&r->tls);
  json_decref(r->posts);
  pthread_mutex_destroy(&r->lock);
}

/* Takes the received POSTs (new reference) and empties the list. */
static json_t *rx_take(receiver *r) {
  json_t *p;
  pthread_mutex_lock(&r->lock);
  p = r->posts;
  r->posts = json_array();
  pthread_mutex_unlock(&r->lock);
  return p;
}

/* ---- helpers ------------------------------------------------------------- */

static long admin(const char *method, const char *path, const char *body,
                  json_t **out) {
  long st = e2e_admin_call(E, method, path, body, out);
  T_NE_INT(st, -1);
  return st;
}

static void flow_init(e2e_flow *f, const char *client, const char *secret) {
  memset(f, 0, sizeof *f);
  f->profile = "generic";
  f->client_id = client;
  f->secret = secret;
  f->redirect_uri = GE_REDIRECT;
  f->user = "alice";
  f->nonce = "n";
  f->pkce = 1;
  f->auth = strcmp(client, "rp-es") == 0 ? "post" : "basic";
}

static void register_bcl_client(void) {
  door_buf body;
  door__buf_init(&body, 4096);
  door__buf_puts(&body, "{\"client_secret\":\"" BCL_SECRET "\","
                        "\"redirect_uris\":[\"" GE_REDIRECT "\"],"
                        "\"post_logout_redirect_uris\":"
                        "[\"https://rp.localhost/bye2\"],"
                        "\"backchannel_logout_uri\":"
                        "\"https://127.0.0.1:");
  door__buf_put_u64(&body, (uint64_t)rx.tls.port);
  door__buf_puts(&body, "/bcl\",\"backchannel_logout_session_required\":"
                        "true}");
  T_EQ_INT(admin("PUT", "/profiles/generic/clients/rp-bcl", body.data, NULL),
           200);
  door__buf_free(&body);
}

/* Checks one received logout token. */
static void check_logout_token(const json_t *post, const char *sid) {
  door_kvlist form;
  const char *tok;
  door_jws jws;
  json_t *ev;
  T_EQ_STR(jstr(post, "path"), "/bcl");
  T_EQ_STR(jstr(post, "ctype"), "application/x-www-form-urlencoded");
  door__kvlist_init(&form);
  T_EQ_ERR(door__form_parse(jstr(post, "body"), strlen(jstr(post, "body")), 8,
                            65536, &form),
           DOOR_OK);
  tok = door__kvlist_get(&form, "logout_token", NULL);
  T_OK(tok != NULL);
  T_EQ_ERR(e2e_verify(E, "generic", tok, NULL, &jws), DOOR_OK);
  T_EQ_STR(jws.typ, "logout+jwt");
  T_EQ_STR(jstr(jws.payload, "iss"), e2e_url(E, "generic", "issuer"));
  T_EQ_STR(jstr(jws.payload, "aud"), "rp-bcl");
  T_OK(json_is_integer(json_object_get(jws.payload, "iat")));
  T_OK(jstr(jws.payload, "jti") != NULL);
  ev = json_object_get(json_object_get(jws.payload, "events"),
                       "http://schemas.openid.net/event/backchannel-logout");
  T_OK(json_is_object(ev) && json_object_size(ev) == 0);
  T_EQ_STR(jstr(jws.payload, "sub"), "alice-sub");
  if (sid)
    T_EQ_STR(jstr(jws.payload, "sid"), sid);
  else
    T_OK(!json_object_get(jws.payload, "sid"));
  T_OK(!json_object_get(jws.payload, "nonce"));
  door__jws_clear(&jws);
  door__kvlist_free(&form);
}

/* ---- tests ----------------------------------------------------------------
 */

static void test_end_session_sends_backchannel_logout(void) {
  e2e_flow f;
  json_t *tok, *posts, *claims;
  e2e_resp r;
  door_buf url;
  char *state;
  register_bcl_client();
  flow_init(&f, "rp-bcl", BCL_SECRET);
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  claims = e2e_jwt_part(jstr(tok, "id_token"), 1);
  T_OK(jstr(claims, "sid") != NULL);
  json_decref(rx_take(&rx));
  door__buf_init(&url, 16384);
  door__buf_puts(&url, e2e_url(E, "generic", "end_session_endpoint"));
  door__buf_putc(&url, '?');
  {
    door_buf q;
    door__buf_init(&q, 16384);
    door__form_append(&q, "id_token_hint", jstr(tok, "id_token"));
    door__form_append(&q, "post_logout_redirect_uri",
                      "https://rp.localhost/bye2");
    door__form_append(&q, "state", "bye-state");
    door__buf_append(&url, q.data, q.len);
    door__buf_free(&q);
  }
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL, NULL, NULL, &r), 0);
  T_EQ_INT(r.status, 302);
  T_OK(strncmp(e2e_header(&r, "location"), "https://rp.localhost/bye2?", 26) ==
       0);
  state = e2e_query_param(e2e_header(&r, "location"), "state");
  T_EQ_STR(state, "bye-state");
  free(state);
  e2e_resp_free(&r);
  posts = rx_take(&rx);
  T_EQ_INT(json_array_size(posts), 1);
  check_logout_token(json_array_get(posts, 0), jstr(claims, "sid"));
  json_decref(posts);
  /* The session is over: logging out again tells nobody. */
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL, NULL, NULL, &r), 0);
  T_EQ_INT(r.status, 302);
  e2e_resp_free(&r);
  posts = rx_take(&rx);
  T_EQ_INT(json_array_size(posts), 0);
  json_decref(posts);
  json_decref(claims);
  json_decref(tok);
  door__buf_free(&url);
}

static void test_end_session_checks_post_logout_uri(void) {
  e2e_flow f;
  json_t *tok;
  e2e_resp r;
  door_buf url, q;
  flow_init(&f, "rp-rs", GE_RS_SECRET);
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  door__buf_init(&url, 16384);
  door__buf_init(&q, 16384);
  door__form_append(&q, "id_token_hint", jstr(tok, "id_token"));
  door__form_append(&q, "post_logout_redirect_uri", "https://evil.test/x");
  door__buf_puts(&url, e2e_url(E, "generic", "end_session_endpoint"));
  door__buf_putc(&url, '?');
  door__buf_append(&url, q.data, q.len);
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL, NULL, NULL, &r), 0);
  T_EQ_INT(r.status, 400);
  T_OK(e2e_header(&r, "location") == NULL);
  e2e_resp_free(&r);
  /* A hint that was not issued here. */
  door__buf_reset(&url);
  door__buf_puts(&url, e2e_url(E, "generic", "end_session_endpoint"));
  door__buf_puts(&url, "?id_token_hint=eyJhbGciOiJub25lIn0.e30.");
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL, NULL, NULL, &r), 0);
  T_EQ_INT(r.status, 400);
  e2e_resp_free(&r);
  json_decref(tok);
  door__buf_free(&url);
  door__buf_free(&q);
}

static void test_admin_backchannel_logout(void) {
  json_t *res, *posts;
  register_bcl_client();
  json_decref(rx_take(&rx));
  T_EQ_INT(admin("POST", "/profiles/generic/backchannel-logout",
                 "{\"user\":\"alice\",\"client_id\":\"rp-bcl\"}", &res),
           200);
  T_EQ_INT(json_array_size(json_object_get(res, "sent")), 1);
  T_EQ_INT(json_integer_value(json_object_get(
               json_array_get(json_object_get(res, "sent"), 0), "status")),
           200);
  posts = rx_take(&rx);
  T_EQ_INT(json_array_size(posts), 1);
  check_logout_token(json_array_get(posts, 0), NULL);
  json_decref(posts);
  json_decref(res);
}

static void test_admin_keys(void) {
  json_t *k, *tok, *hdr;
  e2e_flow f;
  door_jws jws;
  door_jwks *set;
  char kid[64], id[64];
  /* Rotation: a new ES256 kid, published and used from now on. */
  T_EQ_INT(
      admin("POST", "/profiles/generic/keys/rotate", "{\"alg\":\"ES256\"}", &k),
      201);
  T_OK(jstr(k, "kid") && strlen(jstr(k, "kid")) < sizeof kid);
  memcpy(kid, jstr(k, "kid"), strlen(jstr(k, "kid")) + 1);
  json_decref(k);
  flow_init(&f, "rp-es", GE_ES_SECRET);
  tok = e2e_login(E, &f);
  T_EQ_ERR(e2e_verify(E, "generic", jstr(tok, "id_token"), NULL, &jws),
           DOOR_OK);
  T_EQ_STR(jws.kid, kid);
  door__jws_clear(&jws);
  json_decref(tok);
  /* A signing key that is not in the JWKS. */
  T_EQ_INT(admin("POST", "/profiles/generic/keys",
                 "{\"alg\":\"ES256\",\"published\":false,\"active\":true}", &k),
           201);
  memcpy(id, jstr(k, "id"), strlen(jstr(k, "id")) + 1);
  json_decref(k);
  tok = e2e_login(E, &f);
  T_EQ_ERR(e2e_verify(E, "generic", jstr(tok, "id_token"), NULL, &jws),
           DOOR_EKID_UNKNOWN);
  door__jws_clear(&jws);
  json_decref(tok);
  /* Published: it verifies. */
  {
    door_buf path;
    door__buf_init(&path, 256);
    door__buf_puts(&path, "/profiles/generic/keys/");
    door__buf_puts(&path, id);
    T_EQ_INT(admin("PATCH", path.data, "{\"published\":true}", NULL), 200);
    tok = e2e_login(E, &f);
    T_EQ_ERR(e2e_verify(E, "generic", jstr(tok, "id_token"), NULL, &jws),
             DOOR_OK);
    door__jws_clear(&jws);
    json_decref(tok);
    /* Dropped: gone from the JWKS; the rotated key signs again. */
    T_EQ_INT(admin("DELETE", path.data, NULL, NULL), 204);
    door__buf_free(&path);
  }
  set = e2e_jwks(E, "generic");
  T_OK(set != NULL);
  {
    const door_jwk *key = NULL;
    T_EQ_ERR(door__jwks_select(set, id, DOOR_ALG_ES256, &key),
             DOOR_EKID_UNKNOWN);
  }
  door__jwks_unref(set);
  tok = e2e_login(E, &f);
  hdr = e2e_jwt_part(jstr(tok, "id_token"), 0);
  T_EQ_STR(jstr(hdr, "kid"), kid);
  json_decref(hdr);
  json_decref(tok);
}

static void test_admin_clock(void) {
  e2e_flow f;
  json_t *tok, *c, *clk;
  flow_init(&f, "rp-rs", GE_RS_SECRET);
  T_EQ_INT(
      admin("PUT", "/profiles/generic/clock", "{\"fixed\":1700000000}", &clk),
      200);
  T_EQ_INT(json_integer_value(json_object_get(clk, "now")), 1700000000);
  json_decref(clk);
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  c = e2e_jwt_part(jstr(tok, "id_token"), 1);
  T_EQ_INT(json_integer_value(json_object_get(c, "iat")), 1700000000);
  json_decref(c);
  json_decref(tok);
  T_EQ_INT(admin("PUT", "/profiles/generic/clock", "{\"offset\":-86400}", &clk),
           200);
  T_OK(json_integer_value(json_object_get(clk, "now")) < e2e_now() - 86000);
  json_decref(clk);
  T_EQ_INT(admin("PUT", "/profiles/generic/clock", "{}", &clk), 200);
  T_OK(json_integer_value(json_object_get(clk, "now")) >= e2e_now() - 5);
  json_decref(clk);
  T_EQ_INT(
      admin("PUT", "/profiles/generic/clock", "{\"fixed\":\"soon\"}", NULL),
      400);
}

static void test_admin_clients_and_users(void) {
  json_t *j;
  e2e_flow f;
  /* Add, read, change, remove a client. */
  T_EQ_INT(admin("POST", "/profiles/generic/clients",
                 "{\"client_id\":\"rp-new\",\"client_secret\":"
                 "\"planted-secret-new\",\"redirect_uris\":"
                 "[\"https://rp.localhost/new\"]}",
                 NULL),
           201);
  T_EQ_INT(admin("POST", "/profiles/generic/clients",
                 "{\"client_id\":\"rp-new\",\"client_secret\":\"x\","
                 "\"redirect_uris\":[\"https://rp.localhost/new\"]}",
                 NULL),
           409);
  T_EQ_INT(admin("GET", "/profiles/generic/clients/rp-new", NULL, &j), 200);
  T_EQ_STR(jstr(j, "client_id"), "rp-new");
  json_decref(j);
  flow_init(&f, "rp-new", "planted-secret-new");
  f.redirect_uri = "https://rp.localhost/new";
  T_EQ_INT(e2e_authorize(E, &f), 302);
  T_OK(f.code[0]);
  T_EQ_INT(admin("PATCH", "/profiles/generic/clients/rp-new",
                 "{\"redirect_uris\":[\"https://rp.localhost/changed\"]}",
                 NULL),
           200);
  T_EQ_INT(e2e_authorize(E, &f), 400); /* no longer registered */
  f.redirect_uri = "https://rp.localhost/changed";
  T_EQ_INT(e2e_authorize(E, &f), 302);
  /* Validation errors name the member. */
  T_EQ_INT(admin("PATCH", "/profiles/generic/clients/rp-new",
                 "{\"redirect_uris\":[\"ftp://x\"]}", &j),
           400);
  T_EQ_STR(jstr(j, "where"), "body.redirect_uris[0]");
  json_decref(j);
  T_EQ_INT(admin("DELETE", "/profiles/generic/clients/rp-new", NULL, NULL),
           204);
  T_EQ_INT(e2e_authorize(E, &f), 400);
  T_EQ_INT(admin("GET", "/profiles/generic/clients/rp-new", NULL, NULL), 404);
  /* Users: add one with claims; its claims reach the id_token. */
  T_EQ_INT(admin("PUT", "/profiles/generic/users/bob",
                 "{\"claims\":{\"sub\":\"bob-sub\",\"name\":\"Bob\"}}", NULL),
           200);
  flow_init(&f, "rp-rs", GE_RS_SECRET);
  f.user = "bob";
  f.scope = "openid profile";
  j = e2e_login(E, &f);
  T_OK(j != NULL);
  {
    json_t *c = e2e_jwt_part(jstr(j, "id_token"), 1);
    T_EQ_STR(jstr(c, "sub"), "bob-sub");
    T_EQ_STR(jstr(c, "name"), "Bob");
    json_decref(c);
  }
  json_decref(j);
  T_EQ_INT(admin("DELETE", "/profiles/generic/users/bob", NULL, NULL), 204);
  T_EQ_INT(admin("GET", "/profiles/generic/users", NULL, &j), 200);
  T_EQ_INT(json_array_size(j), 1); /* alice, from the scenario */
  json_decref(j);
  /* Tickets (xmarket): replace, append, read. */
  T_EQ_INT(admin("PUT", "/profiles/xmarket/users/hanako/tickets",
                 "[{\"ticket_id\":\"n-1\",\"event_id\":\"ev-9\","
                 "\"tier\":\"vip\",\"valid_from\":1,\"valid_until\":2}]",
                 NULL),
           200);
  T_EQ_INT(admin("POST", "/profiles/xmarket/users/hanako/tickets",
                 "{\"ticket_id\":\"n-2\",\"event_id\":\"ev-9\","
                 "\"tier\":\"general\",\"status\":\"refunded\"}",
                 NULL),
           200);
  T_EQ_INT(admin("GET", "/profiles/xmarket/users/hanako/tickets", NULL, &j),
           200);
  T_EQ_INT(json_array_size(j), 2);
  T_EQ_STR(jstr(json_array_get(j, 0), "status"), "active");
  T_EQ_STR(jstr(json_array_get(j, 1), "status"), "refunded");
  json_decref(j);
  T_EQ_INT(admin("POST", "/profiles/xmarket/users/hanako/tickets",
                 "{\"ticket_id\":\"n-3\"}", &j),
           400);
  json_decref(j);
  T_EQ_INT(admin("GET", "/profiles/nope/users", NULL, NULL), 404);
}

/* The picker and consent pages, driven like a browser would. */
static void test_interactive_login(void) {
  e2e_flow f;
  e2e_resp r;
  door_buf form, url;
  const char *html;
  char *code, *cookie_end;
  char cookie[256];
  T_EQ_INT(admin("PUT", "/profiles/generic/users/evil",
                 "{\"claims\":{\"name\":\"<b>Evil & \\\"co\\\"</b>\"}}", NULL),
           200);
  flow_init(&f, "rp-rs", GE_RS_SECRET);
  f.user = NULL; /* no login_hint: the user picker */
  f.state = "st<x>";
  T_EQ_INT(e2e_authorize(E, &f), 200);
  /* Fetch it again to read the page. */
  door__buf_init(&url, 16384);
  door__buf_puts(&url, e2e_url(E, "generic", "authorization_endpoint"));
  door__buf_puts(&url, "?response_type=code&client_id=rp-rs&redirect_uri=");
  door__url_encode(&url, GE_REDIRECT, strlen(GE_REDIRECT));
  door__buf_puts(&url, "&scope=openid&state=st%3Cx%3E&code_challenge="
                       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
                       "&code_challenge_method=S256");
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL, NULL, NULL, &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(strncmp(e2e_header(&r, "content-type"), "text/html", 9) == 0);
  T_OK(strstr(e2e_header(&r, "content-security-policy"), "default-src 'none'"));
  html = r.body.data;
  T_OK(strstr(html, "&lt;b&gt;Evil &amp; &quot;co&quot;&lt;/b&gt;") != NULL);
  T_OK(strstr(html, "<b>Evil") == NULL);
  T_OK(strstr(html, "value=\"st&lt;x&gt;\"") != NULL);
  T_OK(strstr(html, "<link") == NULL && strstr(html, "<script") == NULL);
  e2e_resp_free(&r);
  /* Pick alice: the consent page; approve: the code. */
  door__buf_init(&form, 16384);
  door__form_append(&form, "response_type", "code");
  door__form_append(&form, "client_id", "rp-rs");
  door__form_append(&form, "redirect_uri", GE_REDIRECT);
  door__form_append(&form, "scope", "openid");
  door__form_append(&form, "state", "st<x>");
  door__form_append(&form, "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  door__form_append(&form, "code_challenge_method", "S256");
  door__form_append(&form, "user", "alice");
  door__buf_puts(&form, "&door_idp_action=login");
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "POST", e2e_url(E, "generic", "authorization_endpoint"),
                    form.data, NULL, NULL, NULL, NULL, &r),
           0);
  T_EQ_INT(r.status, 200);
  T_OK(strstr(r.body.data, "value=\"approve\"") != NULL);
  e2e_resp_free(&r);
  form.len -= strlen("login");
  door__buf_puts(&form, "approve");
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "POST", e2e_url(E, "generic", "authorization_endpoint"),
                    form.data, NULL, NULL, NULL, NULL, &r),
           0);
  T_EQ_INT(r.status, 302);
  code = e2e_query_param(e2e_header(&r, "location"), "code");
  T_OK(code != NULL);
  free(code);
  code = e2e_query_param(e2e_header(&r, "location"), "state");
  T_EQ_STR(code, "st<x>");
  free(code);
  /* The session cookie makes prompt=none work. */
  T_OK(e2e_header(&r, "set-cookie") != NULL);
  cookie_end = strchr(e2e_header(&r, "set-cookie"), ';');
  T_OK(cookie_end &&
       (size_t)(cookie_end - e2e_header(&r, "set-cookie")) < sizeof cookie);
  memcpy(cookie, e2e_header(&r, "set-cookie"),
         (size_t)(cookie_end - e2e_header(&r, "set-cookie")));
  cookie[cookie_end - e2e_header(&r, "set-cookie")] = '\0';
  e2e_resp_free(&r);
  door__buf_puts(&url, "&prompt=none");
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL, NULL, cookie, &r), 0);
  T_EQ_INT(r.status, 302);
  code = e2e_query_param(e2e_header(&r, "location"), "code");
  T_OK(code != NULL);
  free(code);
  e2e_resp_free(&r);
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL, NULL, NULL, &r), 0);
  code = e2e_query_param(e2e_header(&r, "location"), "error");
  T_EQ_STR(code, "login_required");
  free(code);
  e2e_resp_free(&r);
  /* Deny. */
  form.len -= strlen("approve");
  door__buf_puts(&form, "deny");
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "POST", e2e_url(E, "generic", "authorization_endpoint"),
                    form.data, NULL, NULL, NULL, NULL, &r),
           0);
  code = e2e_query_param(e2e_header(&r, "location"), "error");
  T_EQ_STR(code, "access_denied");
  free(code);
  e2e_resp_free(&r);
  door__buf_free(&form);
  door__buf_free(&url);
  T_EQ_INT(admin("DELETE", "/profiles/generic/users/evil", NULL, NULL), 204);
}

/* Runs door-idp to completion; its exit status and stderr. */
static int run_idp(const char *const *args, door_buf *err) {
  int fds[2], st = 0;
  pid_t pid;
  char chunk[4096];
  ssize_t n;
  T_EQ_INT(pipe(fds), 0);
  pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    dup2(fds[1], 1);
    close(fds[0]);
    execv(args[0], (char *const *)args);
    _exit(127);
  }
  close(fds[1]);
  while ((n = read(fds[0], chunk, sizeof chunk)) > 0)
    door__buf_append(err, chunk, (size_t)n);
  close(fds[0]);
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_scenario_errors_exit_1(void) {
  char path[512];
  door_buf out, p;
  FILE *f;
  const char *args[] = {E->idp_bin, "--scenario", path, "--plain-http", NULL};
  door__buf_init(&p, 512);
  door__buf_puts(&p, E->dir);
  door__buf_puts(&p, "/bad-scenario.json");
  T_OK(p.len < sizeof path);
  memcpy(path, p.data, p.len + 1);
  door__buf_free(&p);
  f = fopen(path, "w");
  T_OK(f != NULL);
  fputs("{\"profiles\":{\"daccount\":{\"clients\":[{\"client_id\":\"c\","
        "\"client_secret\":\"planted-secret-x\",\"redirect_uris\":"
        "[\"https://rp/cb\",\"http://rp/cb\"]}]}}}",
        f);
  fclose(f);
  door__buf_init(&out, 65536);
  T_EQ_INT(run_idp(args, &out), 1);
  T_OK(strstr(out.data, "bad-scenario.json: "
                        "profiles.daccount.clients[0].redirect_uris[1]: "
                        "must be https") != NULL);
  door__buf_reset(&out);
  f = fopen(path, "w");
  fputs("{\"profiles\":{\"generic\":{}}, \"profiles\":{}}", f);
  fclose(f);
  T_EQ_INT(run_idp(args, &out), 1);
  T_OK(strstr(out.data, "bad-scenario.json: ") != NULL);
  door__buf_free(&out);
  unlink(path);
}

/* A second door-idp over plain HTTP, without --auto-approve. */
static void test_plain_http_and_no_auto_approve(void) {
  static const char *const extra[] = {"--plain-http", NULL};
  char *argv2[8];
  e2e_env e2;
  e2e_env *saved = E;
  e2e_flow f;
  int i;
  for (i = 0; i < 7; i++)
    argv2[i] = (char *)(i == 0   ? "prog"
                        : i == 1 ? saved->idp_bin
                        : i == 2 ? saved->ca
                        : i == 3 ? saved->cert
                        : i == 4 ? saved->key
                        : i == 5 ? saved->scenario
                                 : saved->daccount_ref);
  argv2[7] = NULL;
  T_EQ_INT(e2e_start(&e2, 7, argv2, extra), 0);
  E = &e2;
  T_OK(strncmp(e2e_url(E, "generic", "issuer"), "http://127.0.0.1:", 17) == 0);
  T_EQ_INT(e2e_get_status(E, e2e_url(E, "daccount", "discovery")), 200);
  flow_init(&f, "rp-rs", GE_RS_SECRET);
  T_EQ_INT(e2e_authorize(E, &f), 200); /* the picker, alice preselected */
  E = saved;
  T_EQ_INT(e2e_stop(&e2), 0);
}

static void test_clean_shutdown(void) { T_EQ_INT(e2e_stop(E), 0); }

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_end_session_sends_backchannel_logout),
      T_CASE(test_end_session_checks_post_logout_uri),
      T_CASE(test_admin_backchannel_logout),
      T_CASE(test_admin_keys),
      T_CASE(test_admin_clock),
      T_CASE(test_admin_clients_and_users),
      T_CASE(test_interactive_login),
      T_CASE(test_scenario_errors_exit_1),
      T_CASE(test_plain_http_and_no_auto_approve),
      T_CASE(test_clean_shutdown),
  };
  static const char *const extra[] = {"--auto-approve", NULL};
  int rc;
  if (e2e_start(E, argc, argv, extra) || rx_start(&rx)) {
    puts("1..1\nnot ok 1 - door-idp and the logout receiver started");
    e2e_stop(E);
    return 1;
  }
  rc = t_run(cases, sizeof cases / sizeof cases[0]);
  rx_stop(&rx);
  return rc;
}
