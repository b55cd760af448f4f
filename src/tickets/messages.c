/* Sentences for the person asking for a participation token, and the HTTP
 * status of each refusal.  Never any provider-supplied text. */
#include "doorauth/tickets.h"

#include <string.h>

typedef enum door_tk_msg {
  DOOR_TK_GENERIC = 0,
  DOOR_TK_EVENT_UNKNOWN,
  DOOR_TK_NOT_STARTED,
  DOOR_TK_CLOSED,
  DOOR_TK_NO_PROVIDER,
  DOOR_TK_NO_TICKET,
  DOOR_TK_TIER,
  DOOR_TK_NOT_PARTICIPANT,
  DOOR_TK_RELOGIN,
  DOOR_TK_UNREACHABLE,
  DOOR_TK_COUNT
} door_tk_msg;

/* "{p}" stands for the provider's display name. */
static const char *const door__tk_en[DOOR_TK_COUNT] = {
    "We could not prepare your entry right now. Please try again in a few "
    "minutes.",
    "This event does not exist. Please check the link you followed.",
    "This event has not started yet. Please come back when it opens.",
    "This event has ended, so no more entries can be made.",
    "To enter this event, link an account it accepts (for example XMarket "
    "for ticketed events) to your DOOR account.",
    "We could not find a ticket for this event in your {p} account. If you "
    "bought one with another account, sign in with that one.",
    "Your ticket is for a kind of entry this event does not offer here. "
    "Please check your ticket.",
    "Your account is not on the list of participants for this event. If you "
    "were invited, ask the organiser which account they added.",
    "Please sign in with {p} again so we can check your tickets.",
    "{p} could not be reached to check your ticket. Please try again in a "
    "few minutes.",
};

static const char *const door__tk_ja[DOOR_TK_COUNT] = {
    "入場の準備ができませんでした。しばらくしてからもう一度お試しください。",
    "このイベントは存在しません。リンクをご確認ください。",
    "このイベントはまだ始まっていません。開場後にもう一度お越しください。",
    "このイベントは終了したため、入場できません。",
    "このイベントに入場するには、対象のアカウント（チケット制のイベントでは"
    "XMarketなど）をDOORアカウントに連携してください。",
    "{p}のアカウントにこのイベントのチケットが見つかりませんでした。"
    "別のアカウントで購入した場合は、そのアカウントでログインしてください。",
    "お持ちのチケットの種類では、このイベントに入場できません。"
    "チケットをご確認ください。",
    "このイベントの参加者リストにあなたのアカウントがありません。"
    "招待された場合は、どのアカウントが登録されたか主催者にご確認ください。",
    "チケットを確認するため、{p}でもう一度ログインしてください。",
    "チケットを確認するための{p}に接続できませんでした。"
    "しばらくしてからもう一度お試しください。",
};

static door_tk_msg door__tk_kind(door_err err) {
  switch (err) {
  case DOOR_ETICKETS_EVENT_UNKNOWN:
    return DOOR_TK_EVENT_UNKNOWN;
  case DOOR_ETICKETS_EVENT_NOT_STARTED:
    return DOOR_TK_NOT_STARTED;
  case DOOR_ETICKETS_EVENT_CLOSED:
    return DOOR_TK_CLOSED;
  case DOOR_ETICKETS_NO_PROVIDER:
    return DOOR_TK_NO_PROVIDER;
  case DOOR_ETICKETS_NO_TICKET:
    return DOOR_TK_NO_TICKET;
  case DOOR_ETICKETS_TIER:
    return DOOR_TK_TIER;
  case DOOR_ETICKETS_NOT_PARTICIPANT:
    return DOOR_TK_NOT_PARTICIPANT;
  case DOOR_ETICKETS_RELOGIN_NEEDED:
    return DOOR_TK_RELOGIN;
  case DOOR_EENTITLEMENT:
  case DOOR_EHTTP:
  case DOOR_EHTTP_TLS:
  case DOOR_EHTTP_TIMEOUT:
  case DOOR_EHTTP_STATUS:
  case DOOR_EHTTP_REDIRECT:
  case DOOR_EHTTP_URL_REFUSED:
  case DOOR_EHTTP_TOOBIG:
  case DOOR_EDISCOVERY:
    return DOOR_TK_UNREACHABLE;
  default:
    return DOOR_TK_GENERIC;
  }
}

static void door__tk_put(char *out, size_t cap, size_t *len, const char *s,
                         size_t n) {
  if (*len + 1 >= cap)
    return;
  if (n > cap - 1 - *len) {
    n = cap - 1 - *len;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--; /* never cut a UTF-8 sequence */
  }
  memcpy(out + *len, s, n);
  *len += n;
}

size_t door_tickets_error_message(door_err err, const char *provider_display,
                                  const char *lang, char *out, size_t cap) {
  int ja = lang && strcmp(lang, "ja") == 0;
  const char *t =
      ja ? door__tk_ja[door__tk_kind(err)] : door__tk_en[door__tk_kind(err)];
  const char *name = provider_display && *provider_display
                         ? provider_display
                         : (ja ? "外部サービス" : "the provider");
  size_t len = 0;
  if (!out || cap == 0)
    return 0;
  while (*t) {
    const char *p = strstr(t, "{p}");
    size_t n = p ? (size_t)(p - t) : strlen(t);
    door__tk_put(out, cap, &len, t, n);
    if (!p)
      break;
    door__tk_put(out, cap, &len, name, strlen(name));
    t = p + 3;
  }
  out[len] = '\0';
  return len;
}

int door_tickets_error_status(door_err err) {
  switch (door__tk_kind(err)) {
  case DOOR_TK_EVENT_UNKNOWN:
    return 404;
  case DOOR_TK_NOT_STARTED:
  case DOOR_TK_CLOSED:
  case DOOR_TK_NO_PROVIDER:
  case DOOR_TK_NO_TICKET:
  case DOOR_TK_TIER:
  case DOOR_TK_NOT_PARTICIPANT:
  case DOOR_TK_RELOGIN:
    return 403;
  case DOOR_TK_UNREACHABLE:
    return 502;
  default:
    break;
  }
  if (err == DOOR_OK)
    return 200;
  if (err == DOOR_ESTORE_BUSY)
    return 503;
  return 500;
}
