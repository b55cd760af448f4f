/* Sentences for the person at the browser: which provider, what went wrong
 * in plain words, what to try.  Never any provider-supplied text. */
#include "doorauth/login.h"

#include <string.h>

typedef enum door_msg_kind {
  DOOR_MSG_GENERIC = 0,
  DOOR_MSG_RESTART,     /* no pending login, tampered, malformed callback */
  DOOR_MSG_REPLAYED,    /* already used */
  DOOR_MSG_EXPIRED,     /* took too long */
  DOOR_MSG_MIXUP,       /* answer does not match the login */
  DOOR_MSG_CANCELLED,   /* the provider's error answer */
  DOOR_MSG_UNREACHABLE, /* network, TLS, timeouts, HTTP status */
  DOOR_MSG_VERIFY,      /* tokens did not verify */
  DOOR_MSG_UNKNOWN,     /* provider not configured */
  DOOR_MSG_RETURN_TO,   /* return_to refused */
  DOOR_MSG_COUNT
} door_msg_kind;

/* "{p}" stands for the provider's display name. */
static const char *const door__msg_en[DOOR_MSG_COUNT] = {
    "Signing in with {p} did not work. Please try again in a few minutes.",
    "We could not match this answer from {p} to a sign-in started in this "
    "browser. Please start again from the DOOR sign-in page.",
    "This sign-in with {p} was already completed. Please sign in again.",
    "Signing in with {p} took too long. Please sign in again.",
    "The answer from {p} did not match the sign-in you started, so it was "
    "stopped for your safety. Please sign in again.",
    "{p} did not complete the sign-in (it may have been cancelled). Please "
    "try again.",
    "{p} could not be reached. Please try again in a few minutes.",
    "The sign-in with {p} could not be verified. Please try again later; if "
    "this keeps happening, contact DOOR support.",
    "This sign-in method is not available. Please choose another one.",
    "The page to return to after signing in is not allowed. Please start "
    "from DOOR.",
};

static const char *const door__msg_ja[DOOR_MSG_COUNT] = {
    "{p}でのログインに失敗しました。しばらくしてからもう一度お試しください。",
    "{p}からの応答を、このブラウザで開始したログインと照合できませんでした。"
    "DOORのログイン画面からもう一度お試しください。",
    "この{p}でのログインはすでに完了しています。もう一度ログインしてください。",
    "{p}でのログインに時間がかかりすぎました。もう一度ログインしてください。",
    "{p}からの応答が開始したログインと一致しないため、安全のため中止しました。"
    "もう一度ログインしてください。",
    "{p}でのログインが完了しませんでした（キャンセルされた可能性があります）。"
    "もう一度お試しください。",
    "{p}に接続できませんでした。しばらくしてからもう一度お試しください。",
    "{p}"
    "でのログインを確認できませんでした。時間をおいてもう一度お試しください。"
    "繰り返し発生する場合はDOORサポートにお問い合わせください。",
    "このログイン方法は利用できません。別の方法を選んでください。",
    "ログイン後の戻り先が許可されていません。DOORから操作をやり直してください"
    "。",
};

static door_msg_kind door__msg_kind(door_err err) {
  switch (err) {
  case DOOR_ELOGIN_NO_PENDING:
  case DOOR_ELOGIN_SEAL:
  case DOOR_ELOGIN_CALLBACK:
  case DOOR_ELOGIN_DUP_PARAM:
  case DOOR_ELOGIN_STATE_MISSING:
  case DOOR_ELOGIN_CODE_MISSING:
    return DOOR_MSG_RESTART;
  case DOOR_ELOGIN_REPLAYED:
    return DOOR_MSG_REPLAYED;
  case DOOR_ELOGIN_EXPIRED:
    return DOOR_MSG_EXPIRED;
  case DOOR_ELOGIN_PROVIDER_MISMATCH:
  case DOOR_ELOGIN_ISSUER_MISMATCH:
  case DOOR_EISS_PARAM_MISSING:
  case DOOR_EISS_PARAM_MISMATCH:
    return DOOR_MSG_MIXUP;
  case DOOR_ELOGIN_PROVIDER_ERROR:
    return DOOR_MSG_CANCELLED;
  case DOOR_EHTTP:
  case DOOR_EHTTP_TLS:
  case DOOR_EHTTP_TIMEOUT:
  case DOOR_EHTTP_STATUS:
  case DOOR_EHTTP_REDIRECT:
  case DOOR_EHTTP_URL_REFUSED:
    return DOOR_MSG_UNREACHABLE;
  case DOOR_ETOKEN_ERROR:
  case DOOR_ETOKEN_RESPONSE:
  case DOOR_ETOKEN_TYPE:
  case DOOR_EID_TOKEN_MISSING:
  case DOOR_EIDT_ISS:
  case DOOR_EIDT_AUD:
  case DOOR_EIDT_AUD_UNTRUSTED:
  case DOOR_EIDT_AZP:
  case DOOR_EIDT_EXP:
  case DOOR_EIDT_IAT:
  case DOOR_EIDT_TOO_OLD:
  case DOOR_EIDT_NBF:
  case DOOR_EIDT_NONCE:
  case DOOR_EIDT_AT_HASH:
  case DOOR_EIDT_SUB:
  case DOOR_EIDT_CLAIM_TYPE:
  case DOOR_EUSERINFO:
  case DOOR_EUSERINFO_SUB:
  case DOOR_EDISCOVERY:
  case DOOR_EDISCOVERY_ISSUER:
  case DOOR_EDISCOVERY_INSECURE:
  case DOOR_ESIG_INVALID:
  case DOOR_ESIG_LENGTH:
  case DOOR_ESIG_RANGE:
  case DOOR_EKID_UNKNOWN:
  case DOOR_EKID_AMBIGUOUS:
  case DOOR_EALG_NONE:
  case DOOR_EALG_UNKNOWN:
  case DOOR_EALG_NOT_ALLOWED:
  case DOOR_EALG_KEY_MISMATCH:
  case DOOR_EJWS_SEGMENTS:
  case DOOR_EJWS_HEADER:
  case DOOR_EJWS_PAYLOAD:
  case DOOR_EJWS_TOOBIG:
  case DOOR_EJWS_CRIT:
  case DOOR_EJWS_KEYREF:
  case DOOR_EJWKS_INVALID:
  case DOOR_EJWK_INVALID:
    return DOOR_MSG_VERIFY;
  case DOOR_EPROVIDER_UNKNOWN:
    return DOOR_MSG_UNKNOWN;
  case DOOR_ERETURN_TO_REFUSED:
    return DOOR_MSG_RETURN_TO;
  default:
    return DOOR_MSG_GENERIC;
  }
}

static void door__put(char *out, size_t cap, size_t *len, const char *s,
                      size_t n) {
  if (*len + 1 >= cap)
    return;
  if (n > cap - 1 - *len) {
    n = cap - 1 - *len;
    /* Do not cut a UTF-8 sequence in two. */
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy(out + *len, s, n);
  *len += n;
}

size_t door_login_error_message(door_err err, const char *provider_display,
                                const char *lang, char *out, size_t cap) {
  door_msg_kind k = door__msg_kind(err);
  const char *t =
      (lang && strcmp(lang, "ja") == 0) ? door__msg_ja[k] : door__msg_en[k];
  const char *name =
      provider_display && *provider_display
          ? provider_display
          : (lang && strcmp(lang, "ja") == 0 ? "外部サービス" : "the provider");
  size_t len = 0;
  if (!out || cap == 0)
    return 0;
  while (*t) {
    const char *p = strstr(t, "{p}");
    size_t n = p ? (size_t)(p - t) : strlen(t);
    door__put(out, cap, &len, t, n);
    t += n;
    if (p) {
      door__put(out, cap, &len, name, strlen(name));
      t += 3;
    }
  }
  out[len] = '\0';
  return len;
}
