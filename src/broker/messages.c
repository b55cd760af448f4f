/* People-facing sentences and HTTP statuses for broker failures.  Login
 * failures use door_login_error_message; the broker's own failures are
 * here, in English and Japanese.  Never any provider-supplied text. */
#include "broker/broker_int.h"

#include <string.h>

typedef struct door__bmsg {
  door_err err;
  const char *en, *ja; /* "{p}": the provider's display name */
} door__bmsg;

static const door__bmsg door__bmsgs[] = {
    {DOOR_ESTORE_IDENTITY_TAKEN,
     "This {p} account is already linked to another DOOR account, so it "
     "was not linked to this one. Sign in with it to use that DOOR account, "
     "or unlink it there first.",
     "この{p}のアカウントは別のDOORアカウントに連携済みのため、このアカウントに"
     "は連携しませんでした。そのDOORアカウントを使うには{p}でログインするか、"
     "先にそちらで連携を解除してください。"},
    {DOOR_ESTORE_LAST_IDENTITY,
     "This is the only way to sign in to your DOOR account, so it cannot be "
     "unlinked. Link another sign-in method first.",
     "DOORアカウントにログインする唯一の方法のため、連携を解除できません。"
     "先に別のログイン方法を連携してください。"},
    {DOOR_ESTORE_AMBIGUOUS,
     "Several {p} accounts are linked. Choose the one to unlink on your "
     "account page.",
     "複数の{p}アカウントが連携されています。アカウントページで解除するものを"
     "選んでください。"},
    {DOOR_EBROKER_NO_SESSION,
     "You are not signed in, or your session has ended. Please sign in.",
     "ログインしていないか、セッションが終了しました。ログインしてください。"},
    {DOOR_EBROKER_CSRF,
     "This request did not come from a DOOR page, so it was not carried "
     "out. Please go back to your account page and try again.",
     "DOORのページからの操作ではないため、実行しませんでした。アカウントページ"
     "に戻ってもう一度お試しください。"},
    {DOOR_EBROKER_LINK_SESSION,
     "Linking {p} must be finished in the same signed-in session it was "
     "started from. Please sign in and start linking again.",
     "{p}の連携は、開始したときと同じログイン中のセッションで完了する必要が"
     "あります。ログインしてからもう一度連携してください。"},
    {DOOR_ENOTFOUND, "That was not found. It may have been removed already.",
     "見つかりませんでした。すでに削除されている可能性があります。"},
    {DOOR_ESTORE_BUSY, "DOOR is busy right now. Please try again in a moment.",
     "DOORが混み合っています。少し時間をおいてもう一度お試しください。"},
    {DOOR_ESTORE_UNAVAILABLE,
     "DOOR cannot reach its database right now. Please try again in a "
     "moment.",
     "DOORが現在データベースに接続できません。少し時間をおいてもう一度お試し"
     "ください。"},
};

static void door__bput(char *out, size_t cap, size_t *len, const char *s,
                       size_t n) {
  if (*len + 1 >= cap)
    return;
  if (n > cap - 1 - *len) {
    n = cap - 1 - *len;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy(out + *len, s, n);
  *len += n;
}

size_t door_broker_error_message(door_broker *b, door_err err,
                                 const char *provider, const char *lang,
                                 char *out, size_t cap) {
  int ja = lang && strcmp(lang, "ja") == 0;
  const char *display = NULL, *t = NULL, *name;
  door__bgen *g = NULL;
  size_t i, len = 0;
  if (!out || cap == 0)
    return 0;
  for (i = 0; i < sizeof door__bmsgs / sizeof door__bmsgs[0]; i++)
    if (door__bmsgs[i].err == err)
      t = ja ? door__bmsgs[i].ja : door__bmsgs[i].en;
  if (b && provider) {
    g = door__bgen_get(b);
    if (door__bgen_provider(g, provider))
      display = door__bgen_display(g, provider);
  }
  if (!t) {
    len = door_login_error_message(err, display, ja ? "ja" : "en", out, cap);
    door__bgen_put(g);
    return len;
  }
  name = display ? display : (ja ? "外部サービス" : "provider");
  while (*t) {
    const char *p = strstr(t, "{p}");
    size_t n = p ? (size_t)(p - t) : strlen(t);
    door__bput(out, cap, &len, t, n);
    t += n;
    if (p) {
      door__bput(out, cap, &len, name, strlen(name));
      t += 3;
    }
  }
  out[len] = '\0';
  door__bgen_put(g);
  return len;
}

int door_broker_error_status(door_err err) {
  switch (err) {
  case DOOR_OK:
    return 200;
  case DOOR_EBROKER_NO_SESSION:
    return 401;
  case DOOR_EBROKER_CSRF:
  case DOOR_EBROKER_LINK_SESSION:
    return 403;
  case DOOR_EPROVIDER_UNKNOWN:
  case DOOR_ENOTFOUND:
    return 404;
  case DOOR_ESTORE_IDENTITY_TAKEN:
  case DOOR_ESTORE_LAST_IDENTITY:
  case DOOR_ESTORE_AMBIGUOUS:
    return 409;
  case DOOR_EHTTP:
  case DOOR_EHTTP_TLS:
  case DOOR_EHTTP_TIMEOUT:
  case DOOR_EHTTP_STATUS:
  case DOOR_EHTTP_REDIRECT:
  case DOOR_EHTTP_URL_REFUSED:
  case DOOR_EHTTP_TOOBIG:
  case DOOR_EHTTP_HEADERS_TOOBIG:
  case DOOR_EDISCOVERY:
  case DOOR_EDISCOVERY_ISSUER:
  case DOOR_EDISCOVERY_INSECURE:
    return 502;
  case DOOR_ESTORE_BUSY:
  case DOOR_ESTORE_UNAVAILABLE:
    return 503;
  case DOOR_ENOMEM:
  case DOOR_EINTERNAL:
  case DOOR_ECRYPTO:
  case DOOR_ERANDOM:
  case DOOR_EIO:
  case DOOR_ESTORE:
  case DOOR_ESTORE_CORRUPT:
  case DOOR_ESTORE_SCHEMA:
  case DOOR_ESTORE_SCHEMA_NEWER:
    return 500;
  default:
    return 400;
  }
}
