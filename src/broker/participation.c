/* Participation tokens for a signed-in session (docs/gate.md, "The
 * broker's route"): the provider tokens kept at login for providers with
 * an entitlement check, the access_token callback of door_tickets_account
 * (an expired or refused access token is replaced through the refresh
 * grant with the kept refresh token, and the new tokens kept sealed), and
 * door_tickets_participation on the generation's configuration and
 * door_rp.
 */
#include "broker/broker_int.h"
#include "broker/stats.h"
#include "doorauth/provider.h"
#include "doorauth/tickets.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

int door__broker_keeps_tokens(const door_config *cfg, const char *provider) {
  const door_provider_config *p = door__config_provider(cfg, provider);
  const door_provider_ops *ops;
  if (!p || p->type < 0 || (size_t)p->type >= door__config_nprovider_types)
    return 0;
  ops = door_provider_find(door__config_provider_types[p->type].name);
  return ops && (ops->caps & DOOR_PCAP_ENTITLEMENT) != 0;
}

/* Provider tokens are sealed in the store like the logout hint
 * (door__hint_seal: AES-256-GCM under the key derived from cookie_key),
 * bound to the account and the provider; a changed cookie_key makes them
 * unreadable (a new sign-in). */
#define DOOR__TOK_ACCESS "door-provider-access-token"
#define DOOR__TOK_REFRESH "door-provider-refresh-token"

static void door__account_hash(const char *account_id,
                               uint8_t h[DOOR_STORE_HASH_LEN]) {
  SHA256((const unsigned char *)account_id, strlen(account_id), h);
}

void door__broker_keep_tokens(door_broker *b, door__bgen *g,
                              const char *account_id, const char *provider,
                              const door_login_tokens *t) {
  door_store_tokens_new n;
  door_detail d;
  door_buf at, rt;
  uint8_t h[DOOR_STORE_HASH_LEN];
  door_err err;
  if (!t->access_token || !door__broker_keeps_tokens(g->cfg, provider))
    return;
  door__account_hash(account_id, h);
  door__buf_init(&at, 64 << 10);
  door__buf_init(&rt, 64 << 10);
  door_detail_clear(&d);
  err = door__hint_seal(g->hint_key, DOOR__TOK_ACCESS, h, provider,
                        t->access_token, &at);
  if (!err && t->refresh_token)
    err = door__hint_seal(g->hint_key, DOOR__TOK_REFRESH, h, provider,
                          t->refresh_token, &rt);
  if (err) {
    door__log(&g->log, DOOR_LOG_WARN, "broker.tokens_not_kept", "provider",
              provider, "err", door_err_name(err), NULL);
    goto out;
  }
  memset(&n, 0, sizeof n);
  n.account_id = account_id;
  n.provider = provider;
  n.access_token = (const uint8_t *)at.data;
  n.access_len = at.len;
  n.refresh_token = rt.len ? (const uint8_t *)rt.data : NULL;
  n.refresh_len = rt.len;
  n.expires_at = t->expires_at;
  n.scope = t->scope;
  n.now = door__broker_now(b);
  door_detail_clear(&d);
  /* Not fatal to the login: a participation check then asks for a new
   * sign-in (TICKETS_RELOGIN_NEEDED). */
  if (door__store_tokens_put(b->store, &n, &d))
    door__log_detail(&g->log, DOOR_LOG_WARN, "broker.tokens_not_kept", &d);
out:
  if (at.data)
    OPENSSL_cleanse(at.data, at.len);
  if (rt.data)
    OPENSSL_cleanse(rt.data, rt.len);
  door__buf_free(&at);
  door__buf_free(&rt);
}

typedef struct door__ptok_ctx {
  door_broker *b;
  door__bgen *g;
  const char *account_id;
  const door_broker_session *s; /* for the identity's subject */
  int64_t now;
  door_txlog *tx; /* refresh grants and ticket checks, recorded after */
} door__ptok_ctx;

/* Opens one sealed token of (account, provider); DOOR_ENOTFOUND when it
 * does not open (another cookie_key, or not ours: sign in again). */
static door_err door__ptok_open(door__ptok_ctx *c, const char *kind,
                                const char *provider, const uint8_t *sealed,
                                size_t len, char **token) {
  uint8_t h[DOOR_STORE_HASH_LEN];
  char *prov = NULL;
  door_err err;
  *token = NULL;
  if (!sealed || len == 0)
    return DOOR_ENOTFOUND;
  door__account_hash(c->account_id, h);
  err = door__hint_open(c->g->hint_key, kind, h, (const char *)sealed, len,
                        &prov, token);
  if (!err && strcmp(prov, provider) != 0) {
    door__broker_free_secret(*token);
    *token = NULL;
    err = DOOR_ELOGIN_SEAL;
  }
  free(prov);
  return err ? DOOR_ENOTFOUND : DOOR_OK;
}

/* The subject of the session's identity at `provider`, or NULL. */
static const char *door__ptok_subject(const door__ptok_ctx *c,
                                      const char *provider) {
  size_t i;
  for (i = 0; c->s && i < c->s->n_identities; i++)
    if (strcmp(c->s->identities[i].provider, provider) == 0)
      return c->s->identities[i].subject;
  return NULL;
}

/* A new access token with the kept refresh token (door_rp_refresh_expect:
 * the answer's ID token, if any, must be about the same subject), kept
 * sealed in the store like at login.  DOOR_ENOTFOUND when there is no
 * refresh token or the provider refused it (sign in again). */
static door_err door__ptok_refresh(door__ptok_ctx *c, const char *provider,
                                   const door_store_tokens *st, char **token) {
  door_login_tokens nt;
  door_detail rd;
  char *rt = NULL;
  const char *sub = door__ptok_subject(c, provider);
  door_err err;
  memset(&nt, 0, sizeof nt);
  err = door__ptok_open(c, DOOR__TOK_REFRESH, provider, st->refresh_token,
                        st->refresh_len, &rt);
  if (err || !sub)
    goto out;
  door_detail_clear(&rd);
  err = door_rp_refresh_expect(c->g->rp, provider, rt, sub, c->tx, &nt, &rd);
  if (err) {
    door__log(&c->g->log, DOOR_LOG_WARN, "broker.refresh_failed", "provider",
              provider, "err", door_err_name(err), "what", rd.what, NULL);
    err = DOOR_ENOTFOUND;
    goto out;
  }
  door__broker_keep_tokens(c->b, c->g, c->account_id, provider, &nt);
  *token = strdup(nt.access_token);
  err = *token ? DOOR_OK : DOOR_ENOMEM;
  if (!err)
    door__log(&c->g->log, DOOR_LOG_INFO, "broker.token_refreshed", "provider",
              provider, NULL);
out:
  door__broker_free_secret(rt);
  door_login_tokens_clear(&nt);
  return err;
}

/* The stored access token while it has not expired; when it has expired,
 * or the provider refused it (`refresh`), a new one from the refresh
 * grant.  DOOR_ENOTFOUND: none usable (sign in again). */
static door_err door__ptok(void *ud, const char *provider, int refresh,
                           char **token, door_detail *d) {
  door__ptok_ctx *c = ud;
  door_store_tokens st;
  door_err err;
  *token = NULL;
  memset(&st, 0, sizeof st);
  err = door__store_tokens_get(c->b->store, c->account_id, provider, &st, d);
  if (err)
    return err;
  if (!refresh && st.access_token && st.access_len &&
      !(st.expires_at && st.expires_at <= c->now))
    err = door__ptok_open(c, DOOR__TOK_ACCESS, provider, st.access_token,
                          st.access_len, token);
  else
    err = DOOR_ENOTFOUND;
  if (err == DOOR_ENOTFOUND)
    err = door__ptok_refresh(c, provider, &st, token);
  door__store_tokens_clear(&st);
  return err;
}

static door_err door__refusal_json(door_err err, const char *message,
                                   char **body) {
  json_t *o =
      json_pack("{s:s,s:s}", "error", door_err_name(err), "message", message);
  *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  return *body ? DOOR_OK : DOOR_ENOMEM;
}

door_err door_broker_participation(door_broker *b, door_tickets *t,
                                   const door_broker_session *s,
                                   const char *event_id, const char *lang,
                                   unsigned *status, char **body,
                                   door_detail *d) {
  door_tickets_identity ids[DOOR_BROKER_PART_MAX_IDS];
  door_tickets_account a;
  door_tickets_grant grant;
  door_tickets_token tok;
  door__ptok_ctx c;
  door_txlog tx;
  door__bgen *g;
  door_detail local;
  const door_event_config *ev;
  const door_provider_config *p;
  char msg[512];
  size_t i, n;
  door_err err, e2;
  *body = NULL;
  *status = 500;
  if (!d)
    d = &local;
  door_detail_clear(d);
  if (!b || !t || !s || !event_id)
    return DOOR_EINVAL;
  n = s->n_identities < DOOR_BROKER_PART_MAX_IDS ? s->n_identities
                                                 : DOOR_BROKER_PART_MAX_IDS;
  for (i = 0; i < n; i++) {
    ids[i].provider = s->identities[i].provider;
    ids[i].issuer = s->identities[i].issuer;
    ids[i].subject = s->identities[i].subject;
  }
  g = door__bgen_get(b);
  c.b = b;
  c.g = g;
  c.account_id = s->account_id;
  c.s = s;
  c.now = door__broker_now(b);
  c.tx = &tx;
  door_txlog_init(&tx);
  memset(&a, 0, sizeof a);
  a.account_id = s->account_id;
  a.identities = ids;
  a.n_identities = n;
  a.access_token = door__ptok;
  a.ud = &c;
  a.tx = &tx;
  memset(&tok, 0, sizeof tok);
  err = door_tickets_participation(t, g->cfg, g->rp, event_id, &a, c.now,
                                   &grant, &tok, d);
  /* the refresh grants and ticket checks it made, sent or refused */
  door__broker_record(b, g, &tx, s->account_id);
  if (!err) {
    /* Anonymous statistics: event, hour, tier (docs/privacy.md). */
    door__broker_stats_count(b, g, event_id, tok.tier);
    ev = door__config_event(g->cfg, event_id);
    e2 = door_tickets_token_json(&tok, ev ? ev->single_use : 0, body);
    door_tickets_token_clear(&tok);
    if (!e2)
      *status = 200;
    door__bgen_put(g);
    return e2;
  }
  p = d->where[0] ? door__config_provider(g->cfg, d->where) : NULL;
  *status = (unsigned)door_tickets_error_status(err);
  door_tickets_error_message(err, p && p->display_name ? p->display_name : NULL,
                             lang ? lang : "en", msg, sizeof msg);
  door__bgen_put(g);
  e2 = door__refusal_json(err, msg, body);
  return e2 ? e2 : err;
}
