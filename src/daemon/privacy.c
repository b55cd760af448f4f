/* door-broker's privacy publishing (see privacy.h): the words for the
 * disclosures in English and Japanese, the /privacy page, the text the
 * CLI prints, and the operators' statistics route.
 *
 * The Japanese follows DOOR's published notice on external transmission
 * ("ドコモがお客様個人に割り当てた識別子", "本サービスのアカウントログイン
 * 認証および、参加者限定イベントの参加認証のために利用します"). */
#include "daemon/privacy.h"
#include "daemon/html.h"
#include "daemon/pages.h"
#include "doorauth/broker_privacy.h"
#include "util/json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DOOR__ISJA(lang) ((lang) && strcmp((lang), "ja") == 0)

/* ---- words ----------------------------------------------------------------
 */

typedef struct door__words {
  const char *title, *intro, *col_org, *col_service, *col_data, *col_purpose;
  const char *nothing, *also_both, *also_protocol, *also_cred, *details;
  const char *col_endpoint, *col_fields, *none_sent, *back;
} door__words;

static const door__words door__w_en = {
    "What DOOR sends to sign-in providers",
    "When you sign in to DOOR with an external account, DOOR sends that "
    "account's provider only what is listed here, for the purposes listed. "
    "This table is made from the configuration the service runs now.",
    "Recipient",
    "Service",
    "Data sent",
    "Purpose",
    "nothing about the user",
    "Protocol values and DOOR's own client credentials are also sent; they "
    "carry nothing about the user.",
    "Protocol values are also sent; they carry nothing about the user.",
    "DOOR's own client credentials are also sent; they carry nothing about "
    "the user.",
    "Every field, by endpoint",
    "Endpoint",
    "Fields",
    "nothing",
    "Back to sign-in",
};

static const door__words door__w_ja = {
    "外部送信について（ログインサービスへの送信）",
    "外部サービスのアカウントでDOORにログインするとき、DOORがそのサービスに"
    "送信する情報と利用目的は次のとおりです。この表は、本サービスが現在動作"
    "している設定から作られています。",
    "送信先",
    "外部サービス",
    "送信する情報",
    "利用目的",
    "お客様に関する情報は送信しません",
    "このほか、プロトコル上の値とDOORのクライアント認証情報を送信します。"
    "これらはお客様に関する情報を含みません。",
    "このほか、プロトコル上の値を送信します。これはお客様に関する情報を含み"
    "ません。",
    "このほか、DOORのクライアント認証情報を送信します。これはお客様に関する"
    "情報を含みません。",
    "送信先ごとの全項目",
    "送信先の窓口",
    "項目",
    "なし",
    "ログインに戻る",
};

static const door__words *door__w(const char *lang) {
  return DOOR__ISJA(lang) ? &door__w_ja : &door__w_en;
}

/* How a credential that stands for the user's identifier is called. */
static const char *door__field_word(const char *name, const char *lang) {
  static const struct {
    const char *name, *en, *ja;
  } t[] = {
      {"code", "authorization code", "認可コード"},
      {"access_token", "access token", "アクセストークン"},
      {"header:Authorization", "access token", "アクセストークン"},
      {"refresh_token", "refresh token", "リフレッシュトークン"},
      {"id_token_hint", "ID token hint", "IDトークン"},
      {"login_hint", "login hint", "ログインヒント"},
      {"sub", "subject identifier", "識別子"},
  };
  size_t i;
  for (i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcmp(t[i].name, name) == 0)
      return DOOR__ISJA(lang) ? t[i].ja : t[i].en;
  return name;
}

static const char *door__purpose_word(const char *p, const char *lang) {
  int ja = DOOR__ISJA(lang);
  if (strcmp(p, "login") == 0)
    return ja ? "本サービスのアカウントログイン認証"
              : "account login authentication";
  if (strcmp(p, "event") == 0)
    return ja ? "参加者限定イベントの参加認証"
              : "participant authentication at ticketed events";
  if (strcmp(p, "logout") == 0)
    return ja ? "外部サービスでのログアウト（セッションの終了）"
              : "ending the session at the provider";
  if (strcmp(p, "metadata") == 0)
    return ja ? "外部サービスの設定と鍵の取得" : "provider metadata and keys";
  return p;
}

static const char *door__data_word(const char *k, const char *lang) {
  int ja = DOOR__ISJA(lang);
  if (strcmp(k, "user_identifier") == 0)
    return ja ? "お客様の識別子" : "user identifier";
  if (strcmp(k, "event") == 0)
    return ja ? "イベント" : "event";
  if (strcmp(k, "protocol") == 0)
    return ja ? "プロトコル上の値" : "protocol value";
  if (strcmp(k, "client_credential") == 0)
    return ja ? "クライアント認証情報" : "client credential";
  return k;
}

static const char *door__s(const json_t *o, const char *k) {
  const char *v = json_string_value(json_object_get(o, k));
  return v ? v : "";
}

/* The names of a provider in `lang`: the notice's Japanese names for the
 * built-in providers, when the configuration did not rename them. */
static void door__names(const json_t *p, const char *lang, const char **org,
                        const char **service, const char **assigner) {
  const char *type = door__s(p, "type");
  *org = door__s(p, "organisation");
  *service = door__s(p, "service");
  *assigner = *service;
  if (!DOOR__ISJA(lang))
    return;
  if (strcmp(type, "daccount") == 0) {
    if (strcmp(*org, "NTT DOCOMO, INC.") == 0)
      *org = "株式会社NTTドコモ";
    if (strcmp(*service, "d-account") == 0) {
      *service = "dアカウント";
      *assigner = "ドコモ";
    }
  }
}

/* The data sent, in words: the user identifier (and the credentials that
 * carry it), the event. */
static door_err door__data_sent(const json_t *p, const char *lang,
                                door_buf *out) {
  const json_t *user = json_object_get(p, "user_data");
  const char *org, *service, *assigner, *seen[16];
  size_t i, j, nseen = 0, nwords = 0;
  int ja = DOOR__ISJA(lang), any_event = 0;
  door_err err = DOOR_OK;
  door__names(p, lang, &org, &service, &assigner);
  for (i = 0; i < json_array_size(user); i++) {
    const json_t *f = json_array_get(user, i);
    if (strcmp(door__s(f, "data"), "event") == 0)
      any_event = 1;
  }
  for (i = 0; !err && i < json_array_size(user); i++) {
    const json_t *f = json_array_get(user, i);
    const char *w;
    int dup = 0;
    if (strcmp(door__s(f, "data"), "user_identifier") != 0)
      continue;
    w = door__field_word(door__s(f, "name"), lang);
    for (j = 0; j < nseen; j++)
      dup |= strcmp(seen[j], w) == 0;
    if (dup || nseen == sizeof seen / sizeof seen[0])
      continue;
    seen[nseen++] = w;
  }
  if (nseen) {
    if (ja) {
      err = door__buf_puts(out, assigner);
      if (!err)
        err = door__buf_puts(out, "がお客様個人に割り当てた識別子（");
    } else {
      err = door__buf_puts(out, "the identifier ");
      if (!err)
        err = door__buf_puts(out, service);
      if (!err)
        err = door__buf_puts(out, " assigned to the user (");
    }
    for (j = 0; !err && j < nseen; j++) {
      if (j)
        err = door__buf_puts(out, ja ? "、" : ", ");
      if (!err)
        err = door__buf_puts(out, seen[j]);
    }
    if (!err)
      err = door__buf_puts(out, ja ? "）" : ")");
    nwords++;
  }
  if (!err && any_event) {
    if (nwords)
      err = door__buf_puts(out, ja ? "、" : "; ");
    if (!err)
      err = door__buf_puts(out, ja ? "お客様が参加を希望するイベントのID"
                                   : "the ID of the DOOR event the user asks "
                                     "to enter");
    nwords++;
  }
  if (!err && !nwords)
    err = door__buf_puts(out, door__w(lang)->nothing);
  return err;
}

/* "Used for A, B and C." / "A、Bおよび、Cのために利用します。" */
static door_err door__purposes(const json_t *p, const char *lang,
                               door_buf *out) {
  const json_t *ps = json_object_get(p, "purposes");
  size_t i, n = json_array_size(ps);
  int ja = DOOR__ISJA(lang);
  door_err err = DOOR_OK;
  if (n == 0 && !json_array_size(json_object_get(p, "local_events")))
    return door__buf_puts(out, "-");
  if (!ja && n)
    err = door__buf_puts(out, "Used for ");
  for (i = 0; !err && i < n; i++) {
    if (i && i + 1 == n)
      err = door__buf_puts(out, ja ? "および、" : " and ");
    else if (i)
      err = door__buf_puts(out, ja ? "、" : ", ");
    if (!err)
      err = door__buf_puts(
          out,
          door__purpose_word(json_string_value(json_array_get(ps, i)), lang));
  }
  if (!err && n)
    err = door__buf_puts(out, ja ? "のために利用します。" : ".");
  if (!err && n && json_array_size(json_object_get(p, "local_events")))
    err = door__buf_puts(out, ja ? "また、" : " Also used");
  else if (!err && json_array_size(json_object_get(p, "local_events")))
    err = door__buf_puts(out, ja ? "" : "Used");
  if (!err && json_array_size(json_object_get(p, "local_events")))
    err = door__buf_puts(
        out, ja ? "参加者限定イベントの参加認証（イベントの参加者リストとの"
                  "照合）のためにDOOR内で利用します。このために外部サービスへ"
                  "送信する情報はありません。"
                : " within DOOR for participant authentication at "
                  "participant-limited events (compared with the event's "
                  "participant list); nothing is sent to the provider for "
                  "this.");
  return err;
}

/* The line on protocol values and client credentials, or "" when the
 * provider gets neither. */
static const char *door__also(const json_t *p, const char *lang) {
  const json_t *o = json_object_get(p, "other_data");
  int proto = 0, cred = 0;
  size_t i;
  for (i = 0; i < json_array_size(o); i++) {
    const char *k = json_string_value(json_array_get(o, i));
    proto |= k && strcmp(k, "protocol") == 0;
    cred |= k && strcmp(k, "client_credential") == 0;
  }
  if (proto && cred)
    return door__w(lang)->also_both;
  if (proto)
    return door__w(lang)->also_protocol;
  if (cred)
    return door__w(lang)->also_cred;
  return "";
}

static door_err door__parse(const char *json, json_t **j) {
  door_err err = door__json_parse(json, strlen(json), 16, j, NULL);
  if (!err && !json_is_array(json_object_get(*j, "providers"))) {
    json_decref(*j);
    *j = NULL;
    err = DOOR_EJSON_TYPE;
  }
  return err;
}

/* ---- text ------------------------------------------------------------------
 */

door_err door__disclosures_text(const char *json, const char *lang,
                                door_buf *out) {
  const door__words *w = door__w(lang);
  json_t *j = NULL, *ps;
  size_t i;
  door_err err = door__parse(json, &j);
  if (err)
    return err;
  ps = json_object_get(j, "providers");
  err = door__buf_puts(out, w->title);
  if (!err)
    err = door__buf_putc(out, '\n');
  if (!err && json_array_size(ps) == 0)
    err = door__buf_puts(out, DOOR__ISJA(lang)
                                  ? "\nログインサービスは設定されていません。\n"
                                  : "\nNo sign-in provider is configured.\n");
  for (i = 0; !err && i < json_array_size(ps); i++) {
    const json_t *p = json_array_get(ps, i);
    const char *org, *service, *assigner, *also = door__also(p, lang);
    door__names(p, lang, &org, &service, &assigner);
    if ((err = door__buf_putc(out, '\n')) ||
        (err = door__buf_puts(out, service)) ||
        (err = door__buf_puts(out, DOOR__ISJA(lang) ? "（" : " (")) ||
        (err = door__buf_puts(out, org)) ||
        (err = door__buf_puts(out, DOOR__ISJA(lang) ? "）" : ")")) ||
        (err = door__buf_puts(out, "  [provider \"")) ||
        (err = door__buf_puts(out, door__s(p, "provider"))) ||
        (err = door__buf_puts(out, "\"]\n  ")) ||
        (err = door__buf_puts(out, w->col_data)) ||
        (err = door__buf_puts(out, ": ")) ||
        (err = door__data_sent(p, lang, out)) ||
        (err = door__buf_puts(out, "\n  ")) ||
        (err = door__buf_puts(out, w->col_purpose)) ||
        (err = door__buf_puts(out, ": ")) ||
        (err = door__purposes(p, lang, out)) ||
        (err = door__buf_putc(out, '\n')))
      break;
    if (*also && !(err = door__buf_puts(out, "  ")) &&
        !(err = door__buf_puts(out, also)))
      err = door__buf_putc(out, '\n');
  }
  json_decref(j);
  return err;
}

/* ---- the page -------------------------------------------------------------
 */

static door_err door__cell(door_buf *b, const char *text) {
  door_err err = door__buf_puts(b, "<td>");
  if (!err)
    err = door__html_escape(b, text);
  if (!err)
    err = door__buf_puts(b, "</td>");
  return err;
}

/* A cell built in `tmp` (reset first) by fn. */
static door_err
door__cell_fn(door_buf *b, door_buf *tmp, const json_t *p, const char *lang,
              door_err (*fn)(const json_t *, const char *, door_buf *)) {
  door_err err;
  door__buf_reset(tmp);
  err = fn(p, lang, tmp);
  if (!err)
    err = door__cell(b, door__buf_str(tmp));
  return err;
}

/* Every endpoint of one provider with the fields it may get. */
static door_err door__details(door_buf *b, const json_t *p, const char *lang) {
  const door__words *w = door__w(lang);
  const json_t *eps = json_object_get(p, "endpoints");
  const char *org, *service, *assigner;
  size_t i, k;
  door_err err;
  door__names(p, lang, &org, &service, &assigner);
  if ((err = door__buf_puts(b, "<h3>")) ||
      (err = door__html_escape(b, service)) ||
      (err = door__buf_puts(b, "</h3><table><tr><th>")) ||
      (err = door__html_escape(b, w->col_endpoint)) ||
      (err = door__buf_puts(b, "</th><th>")) ||
      (err = door__html_escape(b, w->col_fields)) ||
      (err = door__buf_puts(b, "</th></tr>")))
    return err;
  for (i = 0; !err && i < json_array_size(eps); i++) {
    const json_t *ep = json_array_get(eps, i);
    const json_t *fs = json_object_get(ep, "fields");
    if ((err = door__buf_puts(b, "<tr><td style=\"white-space:nowrap\">"
                                 "<code>")) ||
        (err = door__html_escape(b, door__s(ep, "endpoint"))) ||
        (err = door__buf_puts(b, "</code></td><td>")))
      break;
    if (json_array_size(fs) == 0)
      err = door__html_escape(b, w->none_sent);
    for (k = 0; !err && k < json_array_size(fs); k++) {
      const json_t *f = json_array_get(fs, k);
      if ((k && (err = door__buf_puts(b, ", "))) ||
          (err = door__buf_puts(b, "<code>")) ||
          (err = door__html_escape(b, door__s(f, "name"))) ||
          (err = door__buf_puts(b, "</code> (")) ||
          (err =
               door__html_escape(b, door__data_word(door__s(f, "data"), lang))))
        break;
      err = door__buf_puts(b, ")");
    }
    if (!err)
      err = door__buf_puts(b, "</td></tr>");
  }
  if (!err)
    err = door__buf_puts(b, "</table>");
  return err;
}

static door_err door__page(door_dresp *r, const char *lang, const char *json) {
  const door__words *w = door__w(lang);
  json_t *j = NULL, *ps;
  door_buf b, tmp;
  size_t i;
  door_err err = door__parse(json, &j);
  if (err)
    return err;
  ps = json_object_get(j, "providers");
  door__buf_init(&b, DOOR_DAEMON_PAGE_MAX);
  door__buf_init(&tmp, 16384);
  if ((err = door__page_head(&b, lang, w->title)) ||
      (err = door__buf_puts(&b, "<p>")) ||
      (err = door__html_escape(&b, w->intro)) ||
      (err = door__buf_puts(&b, "</p><table id=\"disclosures\"><tr><th>")) ||
      (err = door__html_escape(&b, w->col_org)) ||
      (err = door__buf_puts(&b, "</th><th>")) ||
      (err = door__html_escape(&b, w->col_service)) ||
      (err = door__buf_puts(&b, "</th><th>")) ||
      (err = door__html_escape(&b, w->col_data)) ||
      (err = door__buf_puts(&b, "</th><th>")) ||
      (err = door__html_escape(&b, w->col_purpose)) ||
      (err = door__buf_puts(&b, "</th></tr>")))
    goto out;
  for (i = 0; !err && i < json_array_size(ps); i++) {
    const json_t *p = json_array_get(ps, i);
    const char *org, *service, *assigner;
    door__names(p, lang, &org, &service, &assigner);
    if ((err = door__buf_puts(&b, "<tr data-provider=\"")) ||
        (err = door__html_escape(&b, door__s(p, "provider"))) ||
        (err = door__buf_puts(&b, "\">")) || (err = door__cell(&b, org)) ||
        (err = door__cell(&b, service)) ||
        (err = door__cell_fn(&b, &tmp, p, lang, door__data_sent)) ||
        (err = door__cell_fn(&b, &tmp, p, lang, door__purposes)))
      break;
    err = door__buf_puts(&b, "</tr>");
  }
  if (!err)
    err = door__buf_puts(&b, "</table>");
  /* The note once per distinct wording (normally one). */
  for (i = 0; !err && i < json_array_size(ps); i++) {
    const char *also = door__also(json_array_get(ps, i), lang);
    size_t k;
    int dup = 0;
    for (k = 0; k < i; k++)
      dup |= door__also(json_array_get(ps, k), lang) == also;
    if (!*also || dup)
      continue;
    if (!(err = door__buf_puts(&b, "<p class=\"muted\">")) &&
        !(err = door__html_escape(&b, also)))
      err = door__buf_puts(&b, "</p>");
  }
  if (!err && json_array_size(ps) && !(err = door__buf_puts(&b, "<h2>")) &&
      !(err = door__html_escape(&b, w->details)))
    err = door__buf_puts(&b, "</h2>");
  for (i = 0; !err && i < json_array_size(ps); i++)
    err = door__details(&b, json_array_get(ps, i), lang);
  if (!err && !(err = door__buf_puts(&b, "<p><a class=\"btn\" href=\"/\">")) &&
      !(err = door__html_escape(&b, w->back)) &&
      !(err = door__buf_puts(&b, "</a></p>")))
    err = door__page_finish(r, 200, &b);
out:
  door__buf_free(&b);
  door__buf_free(&tmp);
  json_decref(j);
  return err;
}

door_err door__route_privacy(door_daemon *dd, const door_dreq *q,
                             door_dresp *r) {
  char *json = NULL;
  door_detail d;
  door_err err;
  door_detail_clear(&d);
  err = door_broker_disclosures_json(dd->broker, &json, &d);
  if (err) {
    door__log_detail(&dd->log, DOOR_LOG_ERROR, "daemon.disclosures_failed", &d);
    free(json);
    return door__page_error(r, 500, q->lang,
                            DOOR__ISJA(q->lang)
                                ? "外部送信の一覧を作れませんでした。"
                                : "The list of what is sent could not be made.",
                            err, "/", 0);
  }
  err = door__page(r, q->lang, json);
  free(json);
  return err;
}

/* ---- statistics -------------------------------------------------------------
 */

int door__stats_path(const char *path, char *out, size_t cap) {
  static const char pre[] = "/api/events/", suf[] = "/stats";
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

static door_err door__json(door_dresp *r, unsigned status, const char *text) {
  return door__dresp_text(r, status, "application/json", text);
}

door_err door__route_stats(door_daemon *dd, const door_dreq *q, door_dresp *r,
                           const char *event_id) {
  char *json = NULL;
  door_detail d;
  door_err err = door_broker_stats_auth(dd->broker, q->authorization);
  /* The token first: without it nobody learns which events exist. */
  if (err == DOOR_ENOTFOUND)
    return door__json(r, 404, "{\"error\":\"stats_not_configured\"}");
  if (err) {
    err = door__json(r, 401, "{\"error\":\"unauthorized\"}");
    if (!err)
      err = door__dresp_header(r, "WWW-Authenticate",
                               "Bearer realm=\"doorauth statistics\"");
    return err;
  }
  door_detail_clear(&d);
  err = door_broker_stats_json(dd->broker, event_id, &json, &d);
  if (err == DOOR_ENOTFOUND)
    return door__json(r, 404, "{\"error\":\"unknown_event\"}");
  if (err) {
    door__log_detail(&dd->log, DOOR_LOG_WARN, "daemon.stats_failed", &d);
    free(json);
    return door__json(r, (unsigned)door_broker_error_status(err),
                      "{\"error\":\"unavailable\"}");
  }
  err = door__json(r, 200, json);
  free(json);
  return err;
}

/* A value of the statistics as text: digits, "<k" or ">=N". */
static const char *door__sv(const json_t *x, char buf[32]) {
  if (json_is_integer(x)) {
    door__u64_to_str((uint64_t)json_integer_value(x), buf);
    return buf;
  }
  return json_is_string(x) ? json_string_value(x) : "-";
}

/* Appends `s` padded with spaces to `width`. */
static door_err door__pad(door_buf *out, const char *s, size_t width) {
  size_t n = strlen(s);
  door_err err = door__buf_puts(out, s);
  while (!err && n++ < width)
    err = door__buf_putc(out, ' ');
  return err;
}

door_err door__stats_text(const char *json, door_buf *out) {
  json_t *j = NULL, *tiers, *hours;
  size_t width[66], nt, i, c;
  char buf[32];
  door_err err = door__json_parse(json, strlen(json), 16, &j, NULL);
  if (err)
    return err;
  tiers = json_object_get(j, "tiers");
  hours = json_object_get(j, "hours");
  nt = json_array_size(tiers);
  if (nt == 0 || nt > 64 || !json_is_array(hours)) {
    json_decref(j);
    return DOOR_EJSON_TYPE;
  }
  /* Column widths: hour, each tier, total. */
  width[0] = strlen("hour (UTC)");
  for (c = 0; c < nt; c++) {
    if (!json_is_string(json_array_get(tiers, c))) {
      json_decref(j);
      return DOOR_EJSON_TYPE;
    }
    width[c + 1] = strlen(json_string_value(json_array_get(tiers, c)));
  }
  width[nt + 1] = strlen("total");
  for (i = 0; i <= json_array_size(hours); i++) {
    const json_t *row = json_array_get(hours, i);
    const json_t *counts = row ? json_object_get(row, "counts")
                               : json_object_get(j, "tier_totals");
    size_t l = row ? strlen(door__s(row, "hour")) : strlen("total");
    if (l > width[0])
      width[0] = l;
    for (c = 0; c < nt; c++) {
      l = strlen(door__sv(
          json_object_get(counts, json_string_value(json_array_get(tiers, c))),
          buf));
      if (l > width[c + 1])
        width[c + 1] = l;
    }
    l = strlen(door__sv(json_object_get(row ? row : j, "total"), buf));
    if (l > width[nt + 1])
      width[nt + 1] = l;
  }
  {
    char kb[24];
    door__u64_to_str((uint64_t)json_integer_value(json_object_get(j, "k")), kb);
    if ((err = door__buf_puts(out, door__s(j, "title"))) ||
        (err = door__buf_puts(out, " (")) ||
        (err = door__buf_puts(out, door__s(j, "event"))) ||
        (err = door__buf_puts(out, "): ")) ||
        (err = door__buf_puts(out, door__s(j, "unit"))) ||
        (err = door__buf_puts(out, ", by hour (UTC) and tier\n"
                                   "Counts below ")) ||
        (err = door__buf_puts(out, kb)) ||
        (err = door__buf_puts(out, " are shown as <")) ||
        (err = door__buf_puts(out, kb)) ||
        (err = door__buf_puts(out, "; a total with a suppressed count in it "
                                   "is shown as >=N (the sum of its shown "
                                   "counts) or <")) ||
        (err = door__buf_puts(out, kb)) || (err = door__buf_puts(out, ".\n")))
      goto out;
    if (json_is_true(json_object_get(j, "truncated")))
      err = door__buf_puts(out, "A long event: only its last hours up to now "
                                "are listed.\n");
  }
  if (!err)
    err = door__buf_putc(out, '\n');
  if (!err)
    err = door__pad(out, "hour (UTC)", width[0] + 2);
  for (c = 0; !err && c < nt; c++)
    err = door__pad(out, json_string_value(json_array_get(tiers, c)),
                    width[c + 1] + 2);
  if (!err)
    err = door__buf_puts(out, "total\n");
  for (i = 0; !err && i <= json_array_size(hours); i++) {
    const json_t *row = json_array_get(hours, i);
    const json_t *counts = row ? json_object_get(row, "counts")
                               : json_object_get(j, "tier_totals");
    err = door__pad(out, row ? door__s(row, "hour") : "total", width[0] + 2);
    for (c = 0; !err && c < nt; c++)
      err = door__pad(
          out,
          door__sv(json_object_get(counts,
                                   json_string_value(json_array_get(tiers, c))),
                   buf),
          width[c + 1] + 2);
    if (!err)
      err = door__buf_puts(
          out, door__sv(json_object_get(row ? row : j, "total"), buf));
    if (!err)
      err = door__buf_putc(out, '\n');
  }
out:
  json_decref(j);
  return err;
}
