/* XMarket (Gugenka) — the contract door-idp's `xmarket` profile defines:
 * OAuth 2.0 + OIDC code flow with PKCE S256 (required), ES256 ID tokens
 * with kid, userinfo, refresh, and a ticket list
 *   GET <tickets_endpoint>?event_id=ID
 *   Authorization: Bearer <access token with the tickets scope>
 *   -> 200 {"tickets":[{"ticket_id","event_id","tier","status",
 *                        "valid_from"?,"valid_until"?}, ...]}
 * Every endpoint and name is configurable: tickets_endpoint (default
 * ISSUER-ORIGIN/api/v1/tickets) and tickets_scope (default "tickets"),
 * which is added to the login's scope so the access token can be used
 * for the entitlement check.
 */
#include "doorauth/provider.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/json.h"
#include "util/log.h"
#include "util/url.h"

#include <stdlib.h>
#include <string.h>

#define DOOR_TICKETS_MAX 262144

typedef struct door_xmarket {
  char *tickets_endpoint;
  char *tickets_scope;
} door_xmarket;

static door_err door__xm_default_endpoint(const char *issuer, char **out,
                                          door_detail *d) {
  door_url u;
  door_buf b;
  door_err err = door__url_parse(issuer, &u, d);
  if (err)
    return err;
  door__buf_init(&b, 4096);
  err = door__url_origin(&u, &b);
  if (!err)
    err = door__buf_puts(&b, "/api/v1/tickets");
  if (!err) {
    *out = door__buf_detach(&b);
    if (!*out)
      err = DOOR_ENOMEM;
  }
  door__buf_free(&b);
  door__url_free(&u);
  return err;
}

static door_err door__xm_configure(void *state, const door_provider_config *cfg,
                                   door_provider_settings *s, door_detail *d) {
  door_xmarket *st = state;
  const door_config_value *v;
  if (!s->pkce)
    return door_detail_set(d, DOOR_ECONFIG_VALUE, "pkce",
                           "XMarket requires PKCE", "set pkce = yes");
  v = door__config_provider_value(cfg, "tickets_endpoint");
  if (v && v->set && v->text) {
    st->tickets_endpoint = strdup(v->text);
    if (!st->tickets_endpoint)
      return DOOR_ENOMEM;
  } else {
    door_err err =
        door__xm_default_endpoint(s->issuer, &st->tickets_endpoint, d);
    if (err)
      return err;
  }
  v = door__config_provider_value(cfg, "tickets_scope");
  st->tickets_scope =
      strdup(v && v->set && v->text && *v->text ? v->text : "tickets");
  if (!st->tickets_scope)
    return DOOR_ENOMEM;
  return DOOR_OK;
}

static int door__has_word(const char *list, const char *word) {
  size_t n = strlen(word);
  const char *p = list;
  while (p && *p) {
    size_t len = strcspn(p, " ");
    if (len == n && memcmp(p, word, n) == 0)
      return 1;
    p += len;
    while (*p == ' ')
      p++;
  }
  return 0;
}

/* Adds tickets_scope to the scope parameter. */
static door_err door__xm_authorize(const void *state,
                                   const door_provider_settings *s,
                                   struct door_kvlist *params, door_detail *d) {
  const door_xmarket *st = state;
  const char *scope = door__kvlist_get(params, "scope", NULL);
  door_buf b;
  door_err err;
  (void)s;
  (void)d;
  if (!scope || door__has_word(scope, st->tickets_scope))
    return DOOR_OK;
  door__buf_init(&b, 4096);
  err = door__buf_puts(&b, scope);
  if (!err)
    err = door__buf_putc(&b, ' ');
  if (!err)
    err = door__buf_puts(&b, st->tickets_scope);
  if (!err)
    err = door_provider_param_set(params, "scope", door__buf_str(&b));
  door__buf_free(&b);
  return err;
}

static door_err door__xm_fail(door_detail *d, const char *where,
                              const char *what, const char *hint) {
  return door_detail_set(d, DOOR_EENTITLEMENT, where, what, hint);
}

static door_err door__xm_status(long status, door_detail *d) {
  if (status == 401)
    return door__xm_fail(d, "tickets_endpoint",
                         "XMarket no longer accepts this sign-in",
                         "sign in with XMarket again");
  if (status == 403)
    return door__xm_fail(d, "tickets_endpoint",
                         "the XMarket sign-in does not allow reading "
                         "tickets (tickets scope missing)",
                         "sign in with XMarket again and allow ticket "
                         "access");
  return door__xm_fail(d, "tickets_endpoint",
                       "XMarket's ticket list answered with an unexpected "
                       "status",
                       "try again later");
}

static void door__copy(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* One ticket: 1 when it admits to event_id now. */
static door_err door__xm_ticket(const json_t *t, const char *event_id,
                                int64_t now, door_entitlement *out,
                                door_detail *d) {
  const char *id, *ev, *tier, *status;
  json_int_t from = 0, until = 0;
  door_err e1, e2;
  if (!json_is_object(t) || door__json_get_str(t, "ticket_id", &id) ||
      door__json_get_str(t, "event_id", &ev) ||
      door__json_get_str(t, "status", &status))
    return door__xm_fail(d, "tickets", "XMarket's ticket list is malformed",
                         "try again later");
  if (door__json_get_str(t, "tier", &tier))
    tier = "";
  e1 = door__json_get_int(t, "valid_from", &from);
  e2 = door__json_get_int(t, "valid_until", &until);
  if ((e1 && e1 != DOOR_ENOTFOUND) || (e2 && e2 != DOOR_ENOTFOUND))
    return door__xm_fail(d, "tickets", "XMarket's ticket list is malformed",
                         "try again later");
  if (strcmp(ev, event_id) != 0 || strcmp(status, "active") != 0)
    return DOOR_OK;
  if ((!e1 && now < from) || (!e2 && now >= until))
    return DOOR_OK;
  out->entitled = 1;
  door__copy(out->ticket_id, sizeof out->ticket_id, id);
  door__copy(out->tier, sizeof out->tier, tier);
  out->valid_until = e2 ? 0 : (int64_t)until;
  return DOOR_OK;
}

static door_err door__xm_parse(const char *body, size_t len,
                               const char *event_id, int64_t now,
                               door_entitlement *out, door_detail *d) {
  json_t *o = NULL, *list = NULL, *t;
  size_t i;
  door_err err;
  if (len > DOOR_TICKETS_MAX)
    return door__xm_fail(d, "tickets", "XMarket's ticket list is too large",
                         NULL);
  if (door__json_parse(body, len, 8, &o, NULL) || !json_is_object(o) ||
      door__json_get_array(o, "tickets", &list)) {
    err = door__xm_fail(d, "tickets", "XMarket's ticket list is malformed",
                        "try again later");
    goto out;
  }
  err = DOOR_OK;
  json_array_foreach(list, i, t) {
    err = door__xm_ticket(t, event_id, now, out, d);
    if (err || out->entitled)
      break;
  }
out:
  json_decref(o);
  return err;
}

static door_err door__xm_entitlement(const void *state,
                                     const door_provider_call *call,
                                     const char *access_token,
                                     const char *event_id,
                                     door_entitlement *out, door_detail *d) {
  const door_xmarket *st = state;
  door_provider_request rq;
  door_kvlist q;
  door_buf body;
  long status = 0;
  door_err err;
  memset(out, 0, sizeof *out);
  door__kvlist_init(&q);
  door__buf_init(&body, DOOR_TICKETS_MAX + 1);
  err = door__kvlist_add(&q, "event_id", event_id);
  if (err)
    goto out;
  memset(&rq, 0, sizeof rq);
  rq.endpoint = DOOR_TX_TICKETS;
  rq.url = st->tickets_endpoint;
  rq.query = &q;
  rq.bearer_token = access_token;
  err = call->send(call, &rq, &status, &body, d);
  if (err)
    goto out;
  if (status != 200) {
    err = door__xm_status(status, d);
    goto out;
  }
  err = door__xm_parse(body.data ? body.data : "", body.len, event_id,
                       call->now, out, d);
  if (!err)
    door__log(call->log, DOOR_LOG_INFO, "entitlement.checked", "provider",
              call->settings->name, "event_id", event_id, "entitled",
              out->entitled ? "yes" : "no", NULL);
out:
  door__kvlist_free(&q);
  door__buf_free(&body);
  return err;
}

static void door__xm_release(void *state) {
  door_xmarket *st = state;
  free(st->tickets_endpoint);
  free(st->tickets_scope);
  st->tickets_endpoint = st->tickets_scope = NULL;
}

/* What XMarket receives, and why (docs/privacy.md).  The tickets scope is
 * part of the login's scope; the refresh grant and the ticket check serve
 * participant authentication at ticketed events. */
static const door_tx_field door__xmarket_fields[] = {
    DOOR_TX_OIDC_AUTHORIZE(DOOR_TXP_LOGIN),
    DOOR_TX_OIDC_CODE(DOOR_TXP_LOGIN),
    DOOR_TX_CLIENT_AUTH(DOOR_TX_TOKEN, DOOR_TXP_LOGIN),
    /* the kept refresh token serves the ticket check */
    DOOR_TX_OIDC_REFRESH(DOOR_TXP_EVENT),
    DOOR_TX_CLIENT_AUTH(DOOR_TX_REFRESH, DOOR_TXP_EVENT),
    DOOR_TX_OIDC_USERINFO(DOOR_TXP_LOGIN),
    {DOOR_TX_TICKETS, "event_id", DOOR_TXD_EVENT, DOOR_TXP_EVENT},
    {DOOR_TX_TICKETS, "header:Authorization", DOOR_TXD_USER_IDENTIFIER,
     DOOR_TXP_EVENT},
    DOOR_TX_OIDC_END_SESSION,
};

static const door_tx_manifest door__xmarket_manifest = {
    "Gugenka Ltd.", "XMarket", door__xmarket_fields,
    sizeof door__xmarket_fields / sizeof door__xmarket_fields[0]};

const door_provider_ops door__provider_xmarket = {
    .type = "xmarket",
    .caps = DOOR_PCAP_OIDC | DOOR_PCAP_DISCOVERY | DOOR_PCAP_PKCE |
            DOOR_PCAP_REFRESH | DOOR_PCAP_ENTITLEMENT,
    .state_size = sizeof(door_xmarket),
    .manifest = &door__xmarket_manifest,
    .configure = door__xm_configure,
    .authorize_params = door__xm_authorize,
    .entitlement = door__xm_entitlement,
    .release = door__xm_release,
};
