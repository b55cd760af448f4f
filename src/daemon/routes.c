/* door-broker's routes: each maps one request to broker calls and a page
 * or JSON answer.
 *
 *   GET  /                          login chooser
 *   GET  /login/{provider}          302 to the provider (return_to=...)
 *   GET  /callback/{provider}       302 to return_to, or an error page
 *   GET  /account                   the account page (or 303 to sign in)
 *   POST /account/link              303 to the provider (csrf_token,
 *                                   provider)
 *   POST /account/unlink            303 to /account (csrf_token, issuer +
 *                                   subject, or provider)
 *   POST /logout                    303 to the provider or /logged-out
 *   GET  /logged-out                "signed out" page
 *   GET  /api/session               JSON of the session, 401 without
 *   GET  /healthz                   200 when the store answers
 *   GET  /metrics                   Prometheus text
 *   GET  /.well-known/jwks.json     participation-token keys (cacheable)
 *   POST /api/events/{id}/participation  participation token (csrf_token)
 *   POST /backchannel-logout/{provider}  Back-Channel Logout 1.0
 *   GET  /privacy                   what each provider receives (privacy.c)
 *   GET  /api/events/{id}/stats     anonymous counts (operators' bearer
 *                                   token; privacy.c)
 */
#include "daemon/daemon.h"
#include "daemon/pages.h"
#include "daemon/privacy.h"

#include <stdlib.h>
#include <string.h>

#define DOOR_D_MAX_PROVIDERS 64
#define DOOR_D_MAX_EVENTS 256
#define DOOR_D_MSG_MAX 1024

/* "PREFIX{name}" with name 1..32 of a-z 0-9 _ - (configuration names). */
static const char *door__path_name(const char *path, const char *prefix) {
  size_t n = strlen(prefix), i;
  const char *s;
  if (strncmp(path, prefix, n) != 0)
    return NULL;
  s = path + n;
  for (i = 0; s[i]; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '_' || s[i] == '-'))
      return NULL;
  return i >= 1 && i <= 32 ? s : NULL;
}

static const char *door__arg(const door_kvlist *l, const char *name) {
  int dup = 0;
  const char *v = door__kvlist_get(l, name, &dup);
  return dup ? NULL : v;
}

/* An error page with the broker's message for `err`. */
static door_err door__fail(door_daemon *dd, const door_dreq *q, door_dresp *r,
                           door_err err, const char *provider,
                           const char *retry, int retry_kind) {
  char msg[DOOR_D_MSG_MAX];
  door_broker_error_message(dd->broker, err, provider, q->lang, msg,
                            sizeof msg);
  return door__page_error(r, (unsigned)door_broker_error_status(err), q->lang,
                          msg, err, retry, retry_kind);
}

static door_err door__method(door_dresp *r, const char *allow) {
  door_err err = door__dresp_text(r, 405, "text/plain; charset=utf-8",
                                  "method not allowed\n");
  if (!err)
    err = door__dresp_header(r, "Allow", allow);
  return err;
}

static door_err door__json(door_dresp *r, unsigned status, const char *text) {
  return door__dresp_text(r, status, "application/json", text);
}

/* ---- pages --------------------------------------------------------------- */

static door_err door__chooser(door_daemon *dd, const door_dreq *q,
                              door_dresp *r) {
  door_broker_provider_info p[DOOR_D_MAX_PROVIDERS];
  door_broker_session s;
  size_t n = door_broker_providers(dd->broker, p, DOOR_D_MAX_PROVIDERS);
  int signed_in =
      door_broker_session_get(dd->broker, q->cookie, &s, NULL) == DOOR_OK;
  door_broker_session_clear(&s);
  return door__page_chooser(r, q->lang, p,
                            n < DOOR_D_MAX_PROVIDERS ? n : DOOR_D_MAX_PROVIDERS,
                            door__arg(&q->args, "return_to"), signed_in);
}

static door_err door__login(door_daemon *dd, const door_dreq *q, door_dresp *r,
                            const char *provider) {
  door_broker_begin p;
  door_broker_reply br;
  door_detail d;
  door_err err;
  memset(&p, 0, sizeof p);
  p.provider = provider;
  p.return_to = door__arg(&q->args, "return_to");
  err = door_broker_login_begin(dd->broker, &p, q->cookie, &br, &d);
  if (err)
    err = door__fail(dd, q, r, err, provider, "/", 0);
  else if (!(err = door__dresp_redirect(r, 302, br.location)))
    err = door__dresp_cookies(r, &br);
  door_broker_reply_clear(&br);
  return err;
}

static door_err door__callback(door_daemon *dd, const door_dreq *q,
                               door_dresp *r, const char *provider) {
  door_broker_reply br;
  door_detail d;
  door_buf retry;
  door_err err, e2;
  door__buf_init(&retry, 256);
  err = door_broker_login_finish(dd->broker, provider, q->query, q->cookie, &br,
                                 &d);
  if (!err) {
    e2 = door__dresp_redirect(r, 302, br.location);
  } else if (err == DOOR_ESTORE_IDENTITY_TAKEN ||
             err == DOOR_EBROKER_LINK_SESSION) {
    e2 = door__fail(dd, q, r, err, provider, "/account", 1);
  } else {
    e2 = door__buf_puts(&retry, "/login/");
    if (!e2)
      e2 = door__buf_puts(&retry, provider);
    if (!e2)
      e2 = door__fail(dd, q, r, err, provider, door__buf_str(&retry), 0);
  }
  if (!e2)
    e2 = door__dresp_cookies(r, &br); /* also on failure: deletions */
  door_broker_reply_clear(&br);
  door__buf_free(&retry);
  return e2;
}

static door_err door__account(door_daemon *dd, const door_dreq *q,
                              door_dresp *r) {
  door_broker_provider_info p[DOOR_D_MAX_PROVIDERS];
  door_broker_event_info *ev = NULL;
  door_broker_session s;
  size_t n, nev;
  door_err err = door_broker_session_get(dd->broker, q->cookie, &s, NULL);
  if (err == DOOR_EBROKER_NO_SESSION)
    return door__dresp_redirect(r, 303, "/?return_to=%2Faccount");
  if (err)
    return door__fail(dd, q, r, err, NULL, "/account", 1);
  n = door_broker_providers(dd->broker, p, DOOR_D_MAX_PROVIDERS);
  /* Events only where participation tokens are served. */
  nev = dd->tickets ? door_broker_events(dd->broker, NULL, 0) : 0;
  if (nev > DOOR_D_MAX_EVENTS)
    nev = DOOR_D_MAX_EVENTS;
  if (nev && !(ev = calloc(nev, sizeof *ev))) {
    door_broker_session_clear(&s);
    return DOOR_ENOMEM;
  }
  if (nev) {
    /* A reload in between may have fewer events. */
    size_t m = door_broker_events(dd->broker, ev, nev);
    nev = m < nev ? m : nev;
  }
  err = door__page_account(r, q->lang, &s, p,
                           n < DOOR_D_MAX_PROVIDERS ? n : DOOR_D_MAX_PROVIDERS,
                           ev, nev);
  free(ev);
  door_broker_session_clear(&s);
  return err;
}

/* POST forms: body size, form decoding and Origin first. */
static door_err door__post_checks(door_daemon *dd, const door_dreq *q,
                                  door_dresp *r, int *done) {
  *done = 1;
  if (q->body_too_big)
    return door__dresp_text(r, 413, "text/plain; charset=utf-8",
                            "request body too large\n");
  if (q->args_bad)
    return door__dresp_text(r, 400, "text/plain; charset=utf-8",
                            "the form does not decode\n");
  if (door_broker_origin_check(dd->broker, q->origin))
    return door__fail(dd, q, r, DOOR_EBROKER_CSRF, NULL, "/account", 1);
  *done = 0;
  return DOOR_OK;
}

static door_err door__link(door_daemon *dd, const door_dreq *q, door_dresp *r) {
  door_broker_begin p;
  door_broker_reply br;
  door_detail d;
  door_err err;
  int done;
  if ((err = door__post_checks(dd, q, r, &done)) || done)
    return err;
  memset(&p, 0, sizeof p);
  p.provider = door__arg(&q->form, "provider");
  p.return_to = "/account";
  p.link = 1;
  p.csrf_token = door__arg(&q->form, "csrf_token");
  if (!p.provider)
    return door__fail(dd, q, r, DOOR_EPROVIDER_UNKNOWN, NULL, "/account", 1);
  err = door_broker_login_begin(dd->broker, &p, q->cookie, &br, &d);
  if (err)
    err = door__fail(dd, q, r, err, p.provider,
                     err == DOOR_EBROKER_NO_SESSION ? "/" : "/account",
                     err == DOOR_EBROKER_NO_SESSION ? 2 : 1);
  else if (!(err = door__dresp_redirect(r, 303, br.location)))
    err = door__dresp_cookies(r, &br);
  door_broker_reply_clear(&br);
  return err;
}

static door_err door__unlink(door_daemon *dd, const door_dreq *q,
                             door_dresp *r) {
  const char *iss = door__arg(&q->form, "issuer");
  const char *sub = door__arg(&q->form, "subject");
  const char *prov = door__arg(&q->form, "provider");
  door_detail d;
  door_err err;
  int done;
  if ((err = door__post_checks(dd, q, r, &done)) || done)
    return err;
  err = door_broker_unlink(dd->broker, q->cookie,
                           door__arg(&q->form, "csrf_token"),
                           iss && sub ? NULL : prov, iss && sub ? iss : NULL,
                           iss && sub ? sub : NULL, &d);
  if (!err)
    return door__dresp_redirect(r, 303, "/account");
  return door__fail(dd, q, r, err, prov,
                    err == DOOR_EBROKER_NO_SESSION ? "/" : "/account",
                    err == DOOR_EBROKER_NO_SESSION ? 2 : 1);
}

static door_err door__logout(door_daemon *dd, const door_dreq *q,
                             door_dresp *r) {
  door_broker_reply br;
  door_detail d;
  door_err err, e2;
  int done;
  if ((err = door__post_checks(dd, q, r, &done)) || done)
    return err;
  err = door_broker_logout(dd->broker, q->cookie,
                           door__arg(&q->form, "csrf_token"), &br, &d);
  if (!err || (err == DOOR_EBROKER_NO_SESSION && br.location))
    e2 = door__dresp_redirect(r, 303, br.location);
  else
    e2 = door__fail(dd, q, r, err, NULL, "/account", 1);
  if (!e2)
    e2 = door__dresp_cookies(r, &br);
  door_broker_reply_clear(&br);
  return e2;
}

/* ---- APIs ------------------------------------------------------------------
 */

static door_err door__api_session(door_daemon *dd, const door_dreq *q,
                                  door_dresp *r) {
  door_broker_session s;
  char *json = NULL;
  door_err err = door_broker_session_get(dd->broker, q->cookie, &s, NULL);
  if (err == DOOR_EBROKER_NO_SESSION)
    return door__json(r, 401, "{\"error\":\"not_signed_in\"}");
  if (err)
    return door__json(r, (unsigned)door_broker_error_status(err),
                      "{\"error\":\"unavailable\"}");
  err = door_broker_session_json(&s, &json);
  if (!err)
    err = door__json(r, 200, json);
  free(json);
  door_broker_session_clear(&s);
  return err;
}

static door_err door__healthz(door_daemon *dd, door_dresp *r) {
  if (door_broker_health(dd->broker, NULL) != DOOR_OK)
    return door__json(r, 503, "{\"status\":\"store unavailable\"}");
  return door__json(r, 200, "{\"status\":\"ok\"}");
}

/* The event id of /api/events/{id}/participation into out (a-z, A-Z,
 * 0-9, '_', '-', '.'; 1..200 characters); 0 when the path is another. */
static int door__event_path(const char *path, char *out, size_t cap) {
  static const char pre[] = "/api/events/", suf[] = "/participation";
  const char *s;
  size_t i;
  if (strncmp(path, pre, sizeof pre - 1) != 0)
    return 0;
  s = path + sizeof pre - 1;
  for (i = 0; s[i] && s[i] != '/'; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' ||
          s[i] == '.'))
      return 0;
  if (i == 0 || i > 200 || i >= cap || strcmp(s + i, suf) != 0)
    return 0;
  memcpy(out, s, i);
  out[i] = '\0';
  return 1;
}

/* The participation-token public keys, cacheable for the max-age the
 * tickets library advises (gates refresh by it, see docs/gate.md). */
static door_err door__jwks(door_daemon *dd, door_dresp *r) {
  char *json = NULL;
  int64_t max_age = 0;
  door_detail d;
  door_err err;
  door_buf v;
  if (!dd->tickets)
    return door__json(r, 404, "{\"error\":\"no signing keys configured\"}");
  door_detail_clear(&d);
  err = door_tickets_jwks(dd->tickets, &json, &max_age, &d);
  if (err) {
    door__log_detail(&dd->log, DOOR_LOG_ERROR, "daemon.jwks_failed", &d);
    return door__json(r, 500, "{\"error\":\"JWKS unavailable\"}");
  }
  door__buf_init(&v, 64);
  err = door__buf_puts(&v, "public, max-age=");
  if (!err)
    err = door__buf_put_i64(&v, max_age);
  if (!err)
    err = door__json(r, 200, json);
  if (!err) {
    r->cacheable = 1;
    err = door__dresp_header(r, "Cache-Control", door__buf_str(&v));
  }
  door__buf_free(&v);
  free(json);
  return err;
}

static const char *const door__route_names[DOOR_R_COUNT_] = {
    "chooser", "login",       "callback",   "account",       "link",
    "unlink",  "logout",      "logged_out", "api_session",   "healthz",
    "metrics", "backchannel", "jwks",       "participation", "privacy",
    "stats",   "other"};

static door_err door__metrics(door_daemon *dd, door_dresp *r) {
  static const char *const cls[6] = {"other", "1xx", "2xx",
                                     "3xx",   "4xx", "5xx"};
  char *text = NULL;
  size_t i, j;
  door_err err = door_broker_metrics(dd->broker, &text);
  if (err)
    return err;
  r->status = 200;
  r->content_type = "text/plain; version=0.0.4; charset=utf-8";
  door__buf_reset(&r->body);
  err = door__buf_puts(&r->body, text);
  free(text);
  if (!err)
    err = door__buf_puts(&r->body,
                         "# HELP door_http_requests_total Requests answered "
                         "by route and status class.\n"
                         "# TYPE door_http_requests_total counter\n");
  for (i = 0; !err && i < DOOR_R_COUNT_; i++)
    for (j = 0; !err && j < 6; j++) {
      uint64_t n = atomic_load(&dd->requests[i][j]);
      if (!n)
        continue;
      if ((err =
               door__buf_puts(&r->body, "door_http_requests_total{route=\"")) ||
          (err = door__buf_puts(&r->body, door__route_names[i])) ||
          (err = door__buf_puts(&r->body, "\",code=\"")) ||
          (err = door__buf_puts(&r->body, cls[j])) ||
          (err = door__buf_puts(&r->body, "\"} ")) ||
          (err = door__buf_put_u64(&r->body, n)))
        break;
      err = door__buf_putc(&r->body, '\n');
    }
  if (!err)
    err =
        door__buf_puts(&r->body, "# HELP door_http_in_flight Requests being "
                                 "answered.\n# TYPE door_http_in_flight gauge\n"
                                 "door_http_in_flight ");
  if (!err)
    err = door__buf_put_i64(&r->body, atomic_load(&dd->in_flight));
  if (!err)
    err = door__buf_puts(&r->body,
                         "\n# HELP door_start_time_seconds Start time of "
                         "this process.\n# TYPE door_start_time_seconds "
                         "gauge\ndoor_start_time_seconds ");
  if (!err)
    err = door__buf_put_i64(&r->body, dd->started_at);
  if (!err)
    err = door__buf_putc(&r->body, '\n');
  return err;
}

static door_err door__backchannel(door_daemon *dd, const door_dreq *q,
                                  door_dresp *r, const char *provider) {
  door_detail d;
  door_err err;
  if (q->body_too_big)
    return door__json(r, 413, "{\"error\":\"invalid_request\"}");
  err = door_broker_backchannel_logout(dd->broker, provider, q->body,
                                       q->body_len, NULL, &d);
  if (!err)
    return door__json(r, 200, "{}");
  if (err == DOOR_EPROVIDER_UNKNOWN)
    return door__json(r, 404, "{\"error\":\"invalid_request\"}");
  if (door_broker_error_status(err) >= 500)
    return door__json(r, (unsigned)door_broker_error_status(err),
                      "{\"error\":\"temporarily_unavailable\"}");
  /* 400 with an OAuth-style error (section 2.8); no detail leaks. */
  return door__json(r, 400, "{\"error\":\"invalid_request\"}");
}

/* ---- dispatch ---------------------------------------------------------------
 */

/* The provider whose redirect_uri (door_broker_redirect_uri) has this
 * path, for callbacks registered elsewhere than /callback/{provider}.
 * Writes its name into `out`; 0 when none. */
static int door__callback_path(door_daemon *dd, const char *path, char *out,
                               size_t cap) {
  door_broker_provider_info p[DOOR_D_MAX_PROVIDERS];
  char uri[2048];
  size_t n = door_broker_providers(dd->broker, p, DOOR_D_MAX_PROVIDERS), i;
  for (i = 0; i < n && i < DOOR_D_MAX_PROVIDERS; i++) {
    const char *at, *slash;
    size_t len;
    if (door_broker_redirect_uri(dd->broker, p[i].name, uri, sizeof uri))
      continue;
    at = strstr(uri, "://");
    slash = at ? strchr(at + 3, '/') : NULL;
    if (!slash || strcmp(slash, path) != 0)
      continue;
    len = strlen(p[i].name);
    if (len >= cap)
      return 0;
    memcpy(out, p[i].name, len + 1);
    return 1;
  }
  return 0;
}

door_err door__route(door_daemon *dd, const door_dreq *q, door_dresp *r) {
  /* HEAD only where it changes nothing: a HEAD must never begin or
   * finish a login. */
  int get = strcmp(q->method, "GET") == 0 || strcmp(q->method, "HEAD") == 0;
  int get_only = strcmp(q->method, "GET") == 0;
  int post = strcmp(q->method, "POST") == 0;
  const char *p = q->path, *name;
  char cb[64], ev[256];
#define DOOR__R(id, ok, allow, call)                                           \
  do {                                                                         \
    r->route = (id);                                                           \
    return (ok) ? (call) : door__method(r, (allow));                           \
  } while (0)
  if (strcmp(p, "/") == 0)
    DOOR__R(DOOR_R_CHOOSER, get, "GET", door__chooser(dd, q, r));
  if ((name = door__path_name(p, "/login/")))
    DOOR__R(DOOR_R_LOGIN, get_only, "GET", door__login(dd, q, r, name));
  if ((name = door__path_name(p, "/callback/")))
    DOOR__R(DOOR_R_CALLBACK, get_only, "GET", door__callback(dd, q, r, name));
  if (strcmp(p, "/account") == 0)
    DOOR__R(DOOR_R_ACCOUNT, get, "GET", door__account(dd, q, r));
  if (strcmp(p, "/account/link") == 0)
    DOOR__R(DOOR_R_LINK, post, "POST", door__link(dd, q, r));
  if (strcmp(p, "/account/unlink") == 0)
    DOOR__R(DOOR_R_UNLINK, post, "POST", door__unlink(dd, q, r));
  if (strcmp(p, "/logout") == 0)
    DOOR__R(DOOR_R_LOGOUT, post, "POST", door__logout(dd, q, r));
  if (strcmp(p, "/logged-out") == 0)
    DOOR__R(DOOR_R_LOGGED_OUT, get, "GET", door__page_logged_out(r, q->lang));
  if (strcmp(p, "/api/session") == 0)
    DOOR__R(DOOR_R_API_SESSION, get, "GET", door__api_session(dd, q, r));
  if (strcmp(p, "/healthz") == 0)
    DOOR__R(DOOR_R_HEALTHZ, get, "GET", door__healthz(dd, r));
  if (strcmp(p, "/metrics") == 0)
    DOOR__R(DOOR_R_METRICS, get, "GET", door__metrics(dd, r));
  if ((name = door__path_name(p, "/backchannel-logout/")))
    DOOR__R(DOOR_R_BACKCHANNEL, post, "POST",
            door__backchannel(dd, q, r, name));
  if (door__event_path(p, ev, sizeof ev))
    DOOR__R(DOOR_R_PARTICIPATION, post, "POST",
            door__participation(dd, q, r, ev));
  if (strcmp(p, "/privacy") == 0)
    DOOR__R(DOOR_R_PRIVACY, get, "GET", door__route_privacy(dd, q, r));
  if (door__stats_path(p, ev, sizeof ev))
    DOOR__R(DOOR_R_STATS, get, "GET", door__route_stats(dd, q, r, ev));
  if (strcmp(p, "/.well-known/jwks.json") == 0)
    DOOR__R(DOOR_R_JWKS, get, "GET", door__jwks(dd, r));
  if (door__callback_path(dd, p, cb, sizeof cb))
    DOOR__R(DOOR_R_CALLBACK, get_only, "GET", door__callback(dd, q, r, cb));
#undef DOOR__R
  r->route = DOOR_R_OTHER;
  return door__page_error(r, 404, q->lang,
                          strcmp(q->lang, "ja") == 0
                              ? "ページが見つかりません。"
                              : "This page does not exist.",
                          DOOR_ENOTFOUND, "/", 2);
}
