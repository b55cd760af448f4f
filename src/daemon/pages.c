/* door-broker's HTML pages (see pages.h). */
#include "daemon/pages.h"
#include "daemon/html.h"

#include <string.h>

typedef enum door_txt {
  T_TITLE_SIGNIN,
  T_SIGNIN_WITH, /* "Sign in with {p}" */
  T_CHOOSE,
  T_TO_ACCOUNT,
  T_TITLE_ACCOUNT,
  T_ACCOUNT_ID,
  T_IDENTITIES,
  T_COL_PROVIDER,
  T_COL_LINKED,
  T_COL_LAST,
  T_UNLINK,
  T_LINK_MORE,
  T_LINK_WITH, /* "Link {p}" */
  T_LOGOUT,
  T_TITLE_ERROR,
  T_CODE,
  T_RETRY,
  T_BACK_ACCOUNT,
  T_SIGNIN,
  T_TITLE_OUT,
  T_OUT_TEXT,
  T_NONE_CONFIGURED,
  T_EVENTS,
  T_GET_TOKEN,
  T_ONLY_METHOD,
  T_PRIVACY,
  T_COUNT_
} door_txt;

static const char *const door__en[T_COUNT_] = {
    "Sign in to DOOR",
    "Sign in with {p}",
    "Choose how to sign in. DOOR never sees your password.",
    "You are signed in: go to your account",
    "Your DOOR account",
    "Account ID",
    "Sign-in methods",
    "Provider",
    "Linked since",
    "Last sign-in",
    "Unlink",
    "Add a sign-in method",
    "Link {p}",
    "Sign out",
    "Something went wrong",
    "Error code",
    "Try again",
    "Back to your account",
    "Sign in",
    "Signed out",
    "You are signed out of DOOR.",
    "No sign-in method is configured.",
    "Events",
    "Get an entry token for {p}",
    ("This is your only sign-in method, so it cannot be unlinked: add another "
     "one first."),
    "What is sent to sign-in providers",
};

static const char *const door__ja[T_COUNT_] = {
    "DOORにログイン",
    "{p}でログイン",
    "ログイン方法を選んでください。DOORがパスワードを知ることはありません。",
    "ログイン中です：アカウントページへ",
    "DOORアカウント",
    "アカウントID",
    "ログイン方法",
    "サービス",
    "連携日時",
    "最終ログイン",
    "連携を解除",
    "ログイン方法を追加",
    "{p}を連携",
    "ログアウト",
    "問題が発生しました",
    "エラーコード",
    "もう一度試す",
    "アカウントページに戻る",
    "ログイン",
    "ログアウトしました",
    "DOORからログアウトしました。",
    "ログイン方法が設定されていません。",
    "イベント",
    "{p}の入場トークンを取得",
    ("ログイン方法が1つだけのため、連携を解除できません。先に別のログイン方法を"
     "追加してください。"),
    "外部送信について",
};

static const char *door__t(const char *lang, door_txt t) {
  return strcmp(lang, "ja") == 0 ? door__ja[t] : door__en[t];
}

/* A text with "{p}" replaced by `name`, escaped. */
static door_err door__tp(door_buf *b, const char *lang, door_txt t,
                         const char *name) {
  const char *s = door__t(lang, t), *p = strstr(s, "{p}");
  door_buf tmp;
  door_err err;
  door__buf_init(&tmp, 4096);
  err =
      p ? door__buf_append(&tmp, s, (size_t)(p - s)) : door__buf_puts(&tmp, s);
  if (!err && p)
    err = door__buf_puts(&tmp, name);
  if (!err && p)
    err = door__buf_puts(&tmp, p + 3);
  if (!err)
    err = door__html_escape(b, door__buf_str(&tmp));
  door__buf_free(&tmp);
  return err;
}

static const char door__style[] =
    "body{font-family:system-ui,-apple-system,'Hiragino Sans','Noto Sans "
    "JP',sans-serif;margin:0;background:#f4f5f7;color:#1d1f23}"
    "main{max-width:34rem;margin:3rem auto;background:#fff;padding:2rem;"
    "border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.08)}"
    "h1{font-size:1.4rem;margin-top:0}"
    ".btn,button{display:block;width:100%;box-sizing:border-box;margin:.5rem "
    "0;padding:.8rem 1rem;border:1px solid #c9ccd2;border-radius:8px;"
    "background:#fff;color:#1d1f23;font-size:1rem;text-align:center;"
    "text-decoration:none;cursor:pointer;font-family:inherit;line-height:"
    "1.3}"
    ".btn:hover,button:hover{background:#eef0f3}"
    "button.danger{color:#a40e26;width:auto;display:inline-block;"
    "padding:.3rem .8rem;margin:0}"
    "table{width:100%;border-collapse:collapse;margin:1rem 0}"
    "td,th{text-align:left;padding:.4rem;border-bottom:1px solid #e3e5e8;"
    "font-size:.9rem}"
    "code{font-size:.85rem;word-break:break-all}"
    ".err{color:#a40e26}.muted{color:#5f6570;font-size:.85rem}"
    "form{margin:0}"
    "form.signout{margin-top:1.5rem;padding-top:1rem;border-top:1px solid "
    "#e3e5e8}"
    ".btn.primary{background:#1d4ed8;border-color:#1d4ed8;color:#fff}"
    ".facts th{width:35%;color:#5f6570;font-weight:normal}"
    ".qrbox{text-align:center;margin:1rem 0}"
    ".qrbox svg{max-width:100%;height:auto}"
    "pre.token{font-family:ui-monospace,'DejaVu Sans Mono',monospace;"
    "font-size:.8rem;white-space:pre-wrap;word-break:break-all;"
    "user-select:all;background:#f4f5f7;border:1px solid #e3e5e8;"
    "border-radius:8px;padding:.8rem;margin:.5rem 0 1rem}";

door_err door__page_head(door_buf *b, const char *lang, const char *title) {
  door_err err;
  if ((err = door__buf_puts(b, "<!DOCTYPE html>\n<html lang=\"")) ||
      (err = door__buf_puts(b, strcmp(lang, "ja") == 0 ? "ja" : "en")) ||
      (err = door__buf_puts(b, "\"><head><meta charset=\"utf-8\"><meta "
                               "name=\"viewport\" content=\"width=device-"
                               "width,initial-scale=1\"><title>")) ||
      (err = door__html_escape(b, title)) ||
      (err = door__buf_puts(b, "</title><style>")) ||
      (err = door__buf_puts(b, door__style)) ||
      (err = door__buf_puts(b, "</style></head><body><main><h1>")) ||
      (err = door__html_escape(b, title)))
    return err;
  return door__buf_puts(b, "</h1>");
}

door_err door__page_finish(door_dresp *r, unsigned status, door_buf *b) {
  door_err err = door__buf_puts(b, "</main></body></html>\n");
  if (err)
    return err;
  r->status = status;
  r->content_type = "text/html; charset=utf-8";
  door__buf_reset(&r->body);
  return door__buf_append(&r->body, b->data, b->len);
}

door_err door__page_hidden(door_buf *b, const char *name, const char *value) {
  door_err err;
  if ((err = door__buf_puts(b, "<input type=\"hidden\" name=\"")) ||
      (err = door__html_escape(b, name)) ||
      (err = door__buf_puts(b, "\" value=\"")) ||
      (err = door__html_escape(b, value)))
    return err;
  return door__buf_puts(b, "\">");
}

door_err door__page_chooser(door_dresp *r, const char *lang,
                            const door_broker_provider_info *p, size_t n,
                            const char *return_to, int signed_in) {
  door_buf b, href;
  size_t i;
  door_err err;
  door__buf_init(&b, DOOR_DAEMON_PAGE_MAX);
  door__buf_init(&href, 8192);
  err = door__page_head(&b, lang, door__t(lang, T_TITLE_SIGNIN));
  if (!err && signed_in)
    err = door__buf_puts(&b, "<p><a class=\"btn\" href=\"/account\">");
  if (!err && signed_in)
    err = door__html_escape(&b, door__t(lang, T_TO_ACCOUNT));
  if (!err && signed_in)
    err = door__buf_puts(&b, "</a></p>");
  if (!err)
    err = door__buf_puts(&b, "<p class=\"muted\">");
  if (!err)
    err =
        door__html_escape(&b, door__t(lang, n ? T_CHOOSE : T_NONE_CONFIGURED));
  if (!err)
    err = door__buf_puts(&b, "</p>");
  for (i = 0; !err && i < n; i++) {
    door__buf_reset(&href);
    err = door__buf_puts(&href, "/login/");
    if (!err)
      err = door__url_encode(&href, p[i].name, strlen(p[i].name));
    if (!err && return_to && *return_to) {
      door_buf q;
      door__buf_init(&q, 4096);
      err = door__form_append(&q, "return_to", return_to);
      if (!err)
        err = door__buf_putc(&href, '?');
      if (!err)
        err = door__buf_append(&href, q.data, q.len);
      door__buf_free(&q);
    }
    if (!err)
      err = door__buf_puts(&b, "<a class=\"btn\" href=\"");
    if (!err)
      err = door__html_escape(&b, door__buf_str(&href));
    if (!err)
      err = door__buf_puts(&b, "\">");
    if (!err)
      err = door__tp(&b, lang, T_SIGNIN_WITH, p[i].display_name);
    if (!err)
      err = door__buf_puts(&b, "</a>");
  }
  /* Footer: what each provider receives (privacy.c). */
  if (!err)
    err = door__buf_puts(&b, "<footer><p class=\"muted\"><a id=\"privacy\" "
                             "href=\"/privacy\">");
  if (!err)
    err = door__html_escape(&b, door__t(lang, T_PRIVACY));
  if (!err)
    err = door__buf_puts(&b, "</a></p></footer>");
  if (!err)
    err = door__page_finish(r, 200, &b);
  door__buf_free(&b);
  door__buf_free(&href);
  return err;
}

static int door__linked(const door_broker_session *s, const char *provider) {
  size_t i;
  for (i = 0; i < s->n_identities; i++)
    if (strcmp(s->identities[i].provider, provider) == 0)
      return 1;
  return 0;
}

/* One identity; `only`: the account's last one, which the library refuses
 * to unlink (STORE_LAST_IDENTITY), so no Unlink button is offered (the
 * page says why under the table). */
static door_err door__identity_row(door_buf *b, const char *lang,
                                   const door_broker_session *s,
                                   const door_broker_identity *t, int only) {
  door_err err;
  if ((err = door__buf_puts(b, "<tr><td>")) ||
      (err = door__html_escape(b, t->display_name)) ||
      (err = door__buf_puts(b, "</td><td>")) ||
      (err = door__html_date(b, t->linked_at)) ||
      (err = door__buf_puts(b, "</td><td>")) ||
      (err = door__html_date(b, t->last_login_at)))
    return err;
  if (only)
    return door__buf_puts(b, "</td><td></td></tr>");
  if ((err = door__buf_puts(b, "</td><td><form method=\"post\" "
                               "action=\"/account/unlink\">")) ||
      (err = door__page_hidden(b, "csrf_token", s->csrf_token)) ||
      (err = door__page_hidden(b, "issuer", t->issuer)) ||
      (err = door__page_hidden(b, "subject", t->subject)) ||
      (err = door__buf_puts(b, "<button class=\"danger\">")) ||
      (err = door__html_escape(b, door__t(lang, T_UNLINK))))
    return err;
  return door__buf_puts(b, "</button></form></td></tr>");
}

/* Configured events: a POST form each (the session's CSRF token and
 * format=html) to /api/events/ID/participation, which answers with the
 * token page (participation.c): the token as text and as a QR code, or a
 * page saying why not.  API clients, which send no format, get JSON. */
static door_err door__events(door_buf *b, const char *lang,
                             const door_broker_session *s,
                             const door_broker_event_info *ev, size_t nev) {
  door_err err = DOOR_OK;
  size_t i;
  if (nev == 0)
    return DOOR_OK;
  if ((err = door__buf_puts(b, "<h2>")) ||
      (err = door__html_escape(b, door__t(lang, T_EVENTS))) ||
      (err = door__buf_puts(b, "</h2>")))
    return err;
  for (i = 0; !err && i < nev; i++)
    if (!(err = door__buf_puts(b, "<form method=\"post\" "
                                  "action=\"/api/events/")) &&
        !(err = door__html_escape(b, ev[i].id)) &&
        !(err = door__buf_puts(b, "/participation\">")) &&
        !(err = door__page_hidden(b, "csrf_token", s->csrf_token)) &&
        !(err = door__page_hidden(b, "format", "html")) &&
        !(err = door__buf_puts(b, "<button>")) &&
        !(err = door__tp(b, lang, T_GET_TOKEN, ev[i].title)))
      err = door__buf_puts(b, "</button></form>");
  return err;
}

door_err door__page_account(door_dresp *r, const char *lang,
                            const door_broker_session *s,
                            const door_broker_provider_info *p, size_t n,
                            const door_broker_event_info *ev, size_t nev) {
  door_buf b;
  size_t i;
  int more = 0;
  door_err err;
  door__buf_init(&b, DOOR_DAEMON_PAGE_MAX);
  if ((err = door__page_head(&b, lang, door__t(lang, T_TITLE_ACCOUNT))) ||
      (err = door__buf_puts(&b, "<p>")) ||
      (err = door__html_escape(&b, door__t(lang, T_ACCOUNT_ID))) ||
      (err = door__buf_puts(&b, ": <code id=\"account-id\">")) ||
      (err = door__html_escape(&b, s->account_id)) ||
      (err = door__buf_puts(&b, "</code></p><h2>")) ||
      (err = door__html_escape(&b, door__t(lang, T_IDENTITIES))) ||
      (err = door__buf_puts(&b, "</h2><table><tr><th>")) ||
      (err = door__html_escape(&b, door__t(lang, T_COL_PROVIDER))) ||
      (err = door__buf_puts(&b, "</th><th>")) ||
      (err = door__html_escape(&b, door__t(lang, T_COL_LINKED))) ||
      (err = door__buf_puts(&b, "</th><th>")) ||
      (err = door__html_escape(&b, door__t(lang, T_COL_LAST))) ||
      (err = door__buf_puts(&b, "</th><th></th></tr>")))
    goto out;
  for (i = 0; !err && i < s->n_identities; i++)
    err = door__identity_row(&b, lang, s, &s->identities[i],
                             s->n_identities == 1);
  if (!err)
    err = door__buf_puts(&b, "</table>");
  if (!err && s->n_identities == 1 &&
      !(err = door__buf_puts(&b, "<p class=\"muted\" id=\"only-method\">")) &&
      !(err = door__html_escape(&b, door__t(lang, T_ONLY_METHOD))))
    err = door__buf_puts(&b, "</p>");
  for (i = 0; !err && i < n; i++) {
    if (door__linked(s, p[i].name))
      continue;
    if (!more) {
      more = 1;
      if ((err = door__buf_puts(&b, "<h2>")) ||
          (err = door__html_escape(&b, door__t(lang, T_LINK_MORE))) ||
          (err = door__buf_puts(&b, "</h2>")))
        break;
    }
    if ((err = door__buf_puts(&b, "<form method=\"post\" "
                                  "action=\"/account/link\">")) ||
        (err = door__page_hidden(&b, "csrf_token", s->csrf_token)) ||
        (err = door__page_hidden(&b, "provider", p[i].name)) ||
        (err = door__buf_puts(&b, "<button>")) ||
        (err = door__tp(&b, lang, T_LINK_WITH, p[i].display_name)) ||
        (err = door__buf_puts(&b, "</button></form>")))
      break;
  }
  if (!err)
    err = door__events(&b, lang, s, ev, nev);
  if (!err &&
      !(err = door__buf_puts(&b, "<form method=\"post\" class=\"signout\" "
                                 "action=\"/logout\">")) &&
      !(err = door__page_hidden(&b, "csrf_token", s->csrf_token)) &&
      !(err = door__buf_puts(&b, "<button>")) &&
      !(err = door__html_escape(&b, door__t(lang, T_LOGOUT))) &&
      !(err = door__buf_puts(&b, "</button></form>")))
    err = door__page_finish(r, 200, &b);
out:
  door__buf_free(&b);
  return err;
}

door_err door__page_error(door_dresp *r, unsigned status, const char *lang,
                          const char *message, door_err code,
                          const char *retry_href, int retry_kind) {
  static const door_txt kinds[3] = {T_RETRY, T_BACK_ACCOUNT, T_SIGNIN};
  door_buf b;
  door_err err;
  door__buf_init(&b, DOOR_DAEMON_PAGE_MAX);
  if ((err = door__page_head(&b, lang, door__t(lang, T_TITLE_ERROR))) ||
      (err = door__buf_puts(&b, "<p class=\"err\" id=\"message\">")) ||
      (err = door__html_escape(&b, message)) ||
      (err = door__buf_puts(&b, "</p><p class=\"muted\">")) ||
      (err = door__html_escape(&b, door__t(lang, T_CODE))) ||
      (err = door__buf_puts(&b, ": <code id=\"code\">")) ||
      (err = door__html_escape(&b, door_err_name(code))) ||
      (err = door__buf_puts(&b, "</code></p><a class=\"btn\" href=\"")) ||
      (err = door__html_escape(&b, retry_href ? retry_href : "/")) ||
      (err = door__buf_puts(&b, "\">")) ||
      (err = door__html_escape(
           &b,
           door__t(
               lang,
               kinds[retry_kind >= 0 && retry_kind < 3 ? retry_kind : 0]))) ||
      (err = door__buf_puts(&b, "</a>")))
    goto out;
  err = door__page_finish(r, status, &b);
out:
  door__buf_free(&b);
  return err;
}

door_err door__page_logged_out(door_dresp *r, const char *lang) {
  door_buf b;
  door_err err;
  door__buf_init(&b, DOOR_DAEMON_PAGE_MAX);
  if (!(err = door__page_head(&b, lang, door__t(lang, T_TITLE_OUT))) &&
      !(err = door__buf_puts(&b, "<p>")) &&
      !(err = door__html_escape(&b, door__t(lang, T_OUT_TEXT))) &&
      !(err = door__buf_puts(&b, "</p><a class=\"btn\" href=\"/\">")) &&
      !(err = door__html_escape(&b, door__t(lang, T_SIGNIN))) &&
      !(err = door__buf_puts(&b, "</a>")))
    err = door__page_finish(r, 200, &b);
  door__buf_free(&b);
  return err;
}
