/* POST /api/events/{id}/participation: the JSON API and, for the /account
 * page's forms (format=html), the token page and its error pages (see
 * pages.h).  The token is a secret: it goes into the answer only (no
 * cache), is wiped from our copies, and is never logged.
 */
#include "daemon/html.h"
#include "daemon/pages.h"
#include "daemon/qr.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DOOR_P_MSG_MAX 1024
#define DOOR_P_MAX_PROVIDERS 64
#define DOOR_P_MAX_EVENTS 256
#define DOOR_P_QR_PX 320 /* CSS pixels per side of the QR code */

typedef enum door_ptxt {
  P_TITLE,
  P_EVENT,
  P_TIER,
  P_EXPIRES,
  P_VALID_FOR, /* "about {p} minutes from now" */
  P_SINGLE_USE,
  P_MULTI_USE,
  P_SHOW,
  P_TEXT,
  P_QR_LABEL,
  P_BACK,
  P_TITLE_ERR,
  P_CODE,
  P_RETRY,
  P_SIGNIN_WITH, /* "Sign in with {p} again" */
  P_SIGNIN,
  P_COUNT_
} door_ptxt;

static const char *const door__p_en[P_COUNT_] = {
    "Your entry token",
    "Event",
    "Tier",
    "Valid until",
    "about {p} min from now",
    "Single use: the gate admits it once.",
    "The gate admits it until it expires.",
    "Show this code at the event's gate.",
    "Or copy the token (it is for you only: do not share it):",
    "QR code of the entry token",
    "Back to your account",
    "No entry token",
    "Error code",
    "Try again",
    "Sign in with {p} again",
    "Sign in",
};

static const char *const door__p_ja[P_COUNT_] = {
    "入場トークン",
    "イベント",
    "区分",
    "有効期限",
    "あと約{p}分",
    "1回限り有効：ゲートで1度だけ入場できます。",
    "有効期限までゲートで使えます。",
    "イベント会場のゲートでこのコードを見せてください。",
    ("またはトークンをコピーしてください（ご本人専用です。他の人に渡さないでく"
     "ださい）："),
    "入場トークンのQRコード",
    "アカウントページに戻る",
    "入場トークンを発行できません",
    "エラーコード",
    "もう一度試す",
    "{p}でもう一度ログイン",
    "ログイン",
};

static const char *door__pt(const char *lang, door_ptxt t) {
  return strcmp(lang, "ja") == 0 ? door__p_ja[t] : door__p_en[t];
}

/* door__pt(t) with "{p}" replaced by `v`, escaped. */
static door_err door__ptp(door_buf *b, const char *lang, door_ptxt t,
                          const char *v) {
  const char *s = door__pt(lang, t), *p = strstr(s, "{p}");
  door_buf tmp;
  door_err err;
  door__buf_init(&tmp, 4096);
  err = door__buf_append(&tmp, s, p ? (size_t)(p - s) : strlen(s));
  if (!err && p && !(err = door__buf_puts(&tmp, v)))
    err = door__buf_puts(&tmp, p + 3);
  if (!err)
    err = door__html_escape(b, door__buf_str(&tmp));
  door__buf_free(&tmp);
  return err;
}

static const char *door__form(const door_dreq *q, const char *name) {
  int dup = 0;
  const char *v = door__kvlist_get(&q->form, name, &dup);
  return dup ? NULL : v;
}

/* The /account page's forms ask for pages. */
static int door__wants_page(const door_dreq *q) {
  const char *f = door__form(q, "format");
  return f && strcmp(f, "html") == 0;
}

static door_err door__pjson(door_dresp *r, unsigned status, const char *text) {
  return door__dresp_text(r, status, "application/json", text);
}

/* The configured title of `event_id` (the id when there is none). */
static void door__event_title(door_daemon *dd, const char *event_id, char *out,
                              size_t cap) {
  door_broker_event_info *ev = NULL;
  size_t n = door_broker_events(dd->broker, NULL, 0), m, i;
  const char *t = event_id;
  if (n > DOOR_P_MAX_EVENTS)
    n = DOOR_P_MAX_EVENTS;
  if (n && (ev = calloc(n, sizeof *ev))) {
    m = door_broker_events(dd->broker, ev, n);
    for (i = 0; i < m && i < n; i++)
      if (strcmp(ev[i].id, event_id) == 0) {
        t = ev[i].title;
        break;
      }
  }
  snprintf(out, cap, "%s", t);
  free(ev);
}

/* The display name of a configured provider, or NULL. */
static int door__provider_display(door_daemon *dd, const char *name, char *out,
                                  size_t cap) {
  door_broker_provider_info p[DOOR_P_MAX_PROVIDERS];
  size_t n = door_broker_providers(dd->broker, p, DOOR_P_MAX_PROVIDERS), i;
  for (i = 0; i < n && i < DOOR_P_MAX_PROVIDERS; i++)
    if (strcmp(p[i].name, name) == 0) {
      snprintf(out, cap, "%s", p[i].display_name);
      return 1;
    }
  return 0;
}

/* ---- pages ---------------------------------------------------------------
 */

static door_err door__row(door_buf *b, const char *lang, door_ptxt label,
                          const char *id) {
  door_err err;
  if ((err = door__buf_puts(b, "<tr><th>")) ||
      (err = door__html_escape(b, door__pt(lang, label))) ||
      (err = door__buf_puts(b, "</th><td id=\"")) ||
      (err = door__buf_puts(b, id)))
    return err;
  return door__buf_puts(b, "\">");
}

/* The token page: title, tier, expiry, the QR code, the token as text. */
static door_err door__page_token(door_dresp *r, const char *lang,
                                 const char *title, const char *tier,
                                 int64_t exp, int64_t now, int single_use,
                                 const char *token) {
  door_buf b;
  char mins[24];
  door_qr_info qi;
  door_err err;
  int64_t left = exp > now ? (exp - now + 59) / 60 : 0;
  door__buf_init(&b, DOOR_DAEMON_PAGE_MAX);
  snprintf(mins, sizeof mins, "%lld", (long long)left);
  if ((err = door__page_head(&b, lang, door__pt(lang, P_TITLE))) ||
      (err = door__buf_puts(&b, "<table class=\"facts\">")) ||
      (err = door__row(&b, lang, P_EVENT, "event-title")) ||
      (err = door__html_escape(&b, title)) ||
      (err = door__buf_puts(&b, "</td></tr>")) ||
      (err = door__row(&b, lang, P_TIER, "tier")) ||
      (err = door__html_escape(&b, tier)) ||
      (err = door__buf_puts(&b, "</td></tr>")) ||
      (err = door__row(&b, lang, P_EXPIRES, "expires")) ||
      (err = door__buf_puts(&b, "<time datetime=\"")) ||
      (err = door__buf_put_i64(&b, exp)) || (err = door__buf_puts(&b, "\">")) ||
      (err = door__html_date(&b, exp)) ||
      (err = door__buf_puts(&b, "</time> <span class=\"muted\">(")) ||
      (err = door__ptp(&b, lang, P_VALID_FOR, mins)) ||
      (err = door__buf_puts(&b, ")</span></td></tr></table>"
                                "<p class=\"muted\" id=\"use\">")) ||
      (err = door__html_escape(
           &b, door__pt(lang, single_use ? P_SINGLE_USE : P_MULTI_USE))) ||
      (err = door__buf_puts(&b, "</p><p>")) ||
      (err = door__html_escape(&b, door__pt(lang, P_SHOW))) ||
      (err = door__buf_puts(&b, "</p><div class=\"qrbox\" id=\"qr\">")) ||
      (err = door__qr_svg(&b, token, strlen(token), DOOR_P_QR_PX,
                          door__pt(lang, P_QR_LABEL), &qi)) ||
      (err = door__buf_puts(&b, "</div><p class=\"muted\">")) ||
      (err = door__html_escape(&b, door__pt(lang, P_TEXT))) ||
      (err = door__buf_puts(&b, "</p><pre class=\"token\" id=\"token\">")) ||
      (err = door__html_escape(&b, token)) ||
      (err = door__buf_puts(&b, "</pre><a class=\"btn\" href=\"/account\">")) ||
      (err = door__html_escape(&b, door__pt(lang, P_BACK))) ||
      (err = door__buf_puts(&b, "</a>")))
    goto out;
  err = door__page_finish(r, 200, &b);
out:
  if (b.data)
    OPENSSL_cleanse(b.data, b.len);
  door__buf_free(&b);
  return err;
}

/* A refusal as a page: the message, the code, then (when `csrf`) the same
 * POST again, a sign-in button for `relogin` (a provider name, may be
 * NULL), and the way back (or to sign in when `signin`). */
static door_err door__page_refused(door_daemon *dd, door_dresp *r,
                                   unsigned status, const char *lang,
                                   const char *message, door_err code,
                                   const char *event_id, const char *csrf,
                                   const char *relogin, int signin) {
  char disp[256];
  door_buf b, href;
  door_err err;
  door__buf_init(&b, DOOR_DAEMON_PAGE_MAX);
  door__buf_init(&href, 4096);
  if ((err = door__page_head(&b, lang, door__pt(lang, P_TITLE_ERR))) ||
      (err = door__buf_puts(&b, "<p class=\"err\" id=\"message\">")) ||
      (err = door__html_escape(&b, message)) ||
      (err = door__buf_puts(&b, "</p><p class=\"muted\">")) ||
      (err = door__html_escape(&b, door__pt(lang, P_CODE))) ||
      (err = door__buf_puts(&b, ": <code id=\"code\">")) ||
      (err = door__html_escape(&b, door_err_name(code))) ||
      (err = door__buf_puts(&b, "</code></p>")))
    goto out;
  if (relogin && door__provider_display(dd, relogin, disp, sizeof disp)) {
    if ((err = door__buf_puts(&href, "/login/")) ||
        (err = door__url_encode(&href, relogin, strlen(relogin))) ||
        (err = door__buf_puts(&href, "?return_to=%2Faccount")) ||
        (err = door__buf_puts(&b, "<a class=\"btn primary\" id=\"relogin\" "
                                  "href=\"")) ||
        (err = door__html_escape(&b, door__buf_str(&href))) ||
        (err = door__buf_puts(&b, "\">")) ||
        (err = door__ptp(&b, lang, P_SIGNIN_WITH, disp)) ||
        (err = door__buf_puts(&b, "</a>")))
      goto out;
  }
  if (csrf && ((err = door__buf_puts(&b, "<form method=\"post\" id=\"retry\" "
                                         "action=\"/api/events/")) ||
               (err = door__html_escape(&b, event_id)) ||
               (err = door__buf_puts(&b, "/participation\">")) ||
               (err = door__page_hidden(&b, "csrf_token", csrf)) ||
               (err = door__page_hidden(&b, "format", "html")) ||
               (err = door__buf_puts(&b, "<button>")) ||
               (err = door__html_escape(&b, door__pt(lang, P_RETRY))) ||
               (err = door__buf_puts(&b, "</button></form>"))))
    goto out;
  if ((err = door__buf_puts(&b, signin
                                    ? "<a class=\"btn\" href=\"/?return_to="
                                      "%2Faccount\">"
                                    : "<a class=\"btn\" href=\"/account\">")) ||
      (err =
           door__html_escape(&b, door__pt(lang, signin ? P_SIGNIN : P_BACK))) ||
      (err = door__buf_puts(&b, "</a>")))
    goto out;
  err = door__page_finish(r, status, &b);
out:
  door__buf_free(&b);
  door__buf_free(&href);
  return err;
}

/* A broker failure (no session, CSRF) as the page or the JSON of the API. */
static door_err door__broker_refusal(door_daemon *dd, const door_dreq *q,
                                     door_dresp *r, int page, door_err code,
                                     const char *event_id, const char *json) {
  char msg[DOOR_P_MSG_MAX];
  unsigned status = (unsigned)door_broker_error_status(code);
  if (!page)
    return door__pjson(r, status, json);
  door_broker_error_message(dd->broker, code, NULL, q->lang, msg, sizeof msg);
  return door__page_refused(dd, r, status, q->lang, msg, code, event_id, NULL,
                            NULL, code == DOOR_EBROKER_NO_SESSION);
}

/* The 200 body {"token","tier","expires_at","single_use",...} as the
 * token page. */
static door_err door__token_answer(door_daemon *dd, const door_dreq *q,
                                   door_dresp *r, const char *event_id,
                                   const char *body) {
  char title[256];
  json_t *j = json_loads(body, 0, NULL);
  const char *token = json_string_value(json_object_get(j, "token"));
  const char *tier = json_string_value(json_object_get(j, "tier"));
  json_t *exp = json_object_get(j, "expires_at");
  door_err err = DOOR_EINTERNAL;
  if (token && tier && json_is_integer(exp)) {
    door__event_title(dd, event_id, title, sizeof title);
    err = door__page_token(
        r, q->lang, title, tier, json_integer_value(exp), (int64_t)time(NULL),
        json_is_true(json_object_get(j, "single_use")), token);
  }
  if (token)
    OPENSSL_cleanse((void *)token, strlen(token));
  json_decref(j);
  return err;
}

door_err door__participation(door_daemon *dd, const door_dreq *q, door_dresp *r,
                             const char *event_id) {
  door_broker_session s;
  door_detail d;
  char *body = NULL;
  unsigned status = 500;
  int page;
  door_err err;
  memset(&s, 0, sizeof s);
  if (q->body_too_big)
    return door__pjson(r, 413, "{\"error\":\"body_too_large\"}");
  if (q->args_bad)
    return door__pjson(r, 400, "{\"error\":\"bad_form\"}");
  page = door__wants_page(q);
  if (!dd->tickets) {
    if (!page)
      return door__pjson(r, 404, "{\"error\":\"no_participation_tokens\"}");
    return door__page_refused(
        dd, r, 404, q->lang,
        strcmp(q->lang, "ja") == 0
            ? "このサーバーは入場トークンを発行していません。"
            : "This server does not issue entry tokens.",
        DOOR_ENOTFOUND, event_id, NULL, NULL, 0);
  }
  if (door_broker_session_get(dd->broker, q->cookie, &s, &d))
    return door__broker_refusal(dd, q, r, page, DOOR_EBROKER_NO_SESSION,
                                event_id, "{\"error\":\"not_signed_in\"}");
  if (door_broker_origin_check(dd->broker, q->origin) ||
      door_broker_csrf_check(&s, door__form(q, "csrf_token"))) {
    err = door__broker_refusal(dd, q, r, page, DOOR_EBROKER_CSRF, event_id,
                               "{\"error\":\"BROKER_CSRF\"}");
    goto out;
  }
  err = door_broker_participation(dd->broker, dd->tickets, &s, event_id,
                                  q->lang, &status, &body, &d);
  if (err && !body)
    goto out;
  if (err && status >= 500)
    door__log_detail(&dd->log, DOOR_LOG_WARN, "daemon.participation", &d);
  if (!page) {
    err = door__pjson(r, status, body);
  } else if (!err) {
    err = door__token_answer(dd, q, r, event_id, body);
  } else {
    json_t *j = json_loads(body, 0, NULL);
    const char *msg = json_string_value(json_object_get(j, "message"));
    err = door__page_refused(
        dd, r, status, q->lang, msg ? msg : door_err_name(err), err, event_id,
        s.csrf_token,
        err == DOOR_ETICKETS_RELOGIN_NEEDED && d.where[0] ? d.where : NULL, 0);
    json_decref(j);
  }
out:
  if (body) {
    OPENSSL_cleanse(body, strlen(body));
    free(body);
  }
  door_broker_session_clear(&s);
  return err;
}
