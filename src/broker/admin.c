/* Back-channel logout, operators' account commands, maintenance and
 * health (see doorauth/broker.h). */
#include "broker/broker_int.h"
#include "jose/jose.h"
#include "oidc/logout.h"
#include "util/json.h"
#include "util/url.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

/* ---- back-channel logout ----------------------------------------------------
 */

/* The one-time key of a logout token: its issuer and jti, hashed. */
static door_err door__bcl_key(const door_logout_claims *c, door_buf *out) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  door_buf in;
  door_err err;
  door__buf_init(&in, DOOR_STORE_ISSUER_MAX + DOOR_LOGOUT_JTI_MAX + 2);
  err = door__buf_append(&in, c->issuer, strlen(c->issuer) + 1);
  if (!err)
    err = door__buf_puts(&in, c->jti);
  if (!err) {
    SHA256((const unsigned char *)in.data, in.len, h);
    err = door__buf_puts(out, "bcl:");
  }
  if (!err)
    err = door__b64url_encode(h, sizeof h, out);
  door__buf_free(&in);
  return err;
}

static door_err door__bcl_token(const char *body, size_t len, door_buf *tok,
                                door_detail *d) {
  door_kvlist kv;
  const char *t;
  int dup = 0;
  door_err err;
  door__kvlist_init(&kv);
  err = door__form_parse(body ? body : "", body ? len : 0, 16,
                         DOOR_LOGOUT_TOKEN_MAX, &kv);
  if (err) {
    door__kvlist_free(&kv);
    return door_detail_set(d, err, "body",
                           "the logout request body is not a form", NULL);
  }
  t = door__kvlist_get(&kv, "logout_token", &dup);
  if (!t || dup || !*t)
    err = door_detail_set(d, DOOR_EINVAL, "logout_token",
                          dup ? "logout_token is given twice"
                              : "the request has no logout_token",
                          NULL);
  else
    err = door__buf_puts(tok, t);
  door__kvlist_free(&kv);
  return err;
}

door_err door_broker_backchannel_logout(door_broker *b, const char *provider,
                                        const char *body, size_t len,
                                        uint64_t *ended, door_detail *d) {
  door__bgen *g;
  const door_provider_config *pc;
  door_logout_claims c;
  door_m_provider *m = NULL;
  door_buf tok, key;
  uint64_t n = 0, t0;
  int64_t until;
  door_err err;
  if (ended)
    *ended = 0;
  if (!b)
    return DOOR_EINVAL;
  memset(&c, 0, sizeof c);
  door__buf_init(&tok, DOOR_LOGOUT_TOKEN_MAX + 1);
  door__buf_init(&key, 128);
  g = door__bgen_get(b);
  if (door__bgen_provider(g, provider))
    m = door__metrics_provider(&b->metrics, provider);
  if ((err = door__bcl_token(body, len, &tok, d)) ||
      (err = door__logout_token_validate(g->rp, provider, door__buf_str(&tok),
                                         &c, d)) ||
      (err = door__bcl_key(&c, &key)))
    goto out;
  /* Kept until the token could no longer be accepted anyway: past its
   * exp and past the iat age limit. */
  pc = door__bgen_provider(g, provider);
  until =
      c.iat + (pc && pc->id_token_max_age > 0 ? pc->id_token_max_age : 86400);
  if (c.exp > until)
    until = c.exp;
  err =
      DOOR__ST(b, t0, DOOR_M_ST_STATE,
               door__store_state_consume(b->store, door__buf_str(&key),
                                         until + g->cfg->broker.clock_skew, d));
  if (err == DOOR_ESTORE_DUPLICATE) {
    err = door_detail_set(d, DOOR_ELOGOUT_TOKEN_REPLAYED, "jti",
                          "this logout token was already used", NULL);
    goto out;
  }
  if (err)
    goto out;
  if (c.sid)
    err = DOOR__ST(
        b, t0, DOOR_M_ST_SESSION_DELETE,
        door__store_sessions_delete_by_sid(b->store, c.issuer, c.sid, &n, d));
  else
    err = DOOR__ST(
        b, t0, DOOR_M_ST_SESSION_DELETE,
        door__store_sessions_delete_by_sub(b->store, c.issuer, c.sub, &n, d));
  if (err)
    goto out;
  if (ended)
    *ended = n;
  door__log(&g->log, DOOR_LOG_INFO, "broker.backchannel_logout", "provider",
            provider, "by", c.sid ? "sid" : "sub", "sessions_ended",
            n ? (n == 1 ? "1" : "several") : "0", NULL);
out:
  if (m) {
    atomic_fetch_add(err ? &m->bcl_failed : &m->bcl_ok, 1);
    atomic_fetch_add(&m->bcl_sessions, n);
  }
  if (err)
    door__log(&g->log, DOOR_LOG_WARN, "broker.backchannel_logout_refused",
              "provider", provider, "err", door_err_name(err), NULL);
  door__logout_claims_clear(&c);
  door__buf_free(&tok);
  door__buf_free(&key);
  door__bgen_put(g);
  return err;
}

/* ---- operators
 * ----------------------------------------------------------------
 */

static json_t *door__account_obj(const door_store_account *a) {
  json_t *o = json_pack("{s:s, s:I, s:[]}", "id", a->id, "created_at",
                        (json_int_t)a->created_at, "identities");
  json_t *ids = o ? json_object_get(o, "identities") : NULL;
  size_t i;
  for (i = 0; ids && i < a->n_identities; i++) {
    const door_store_identity *t = &a->identities[i];
    json_t *e = json_pack("{s:s, s:s, s:s, s:I, s:I}", "provider", t->provider,
                          "issuer", t->issuer, "subject", t->subject,
                          "linked_at", (json_int_t)t->linked_at,
                          "last_login_at", (json_int_t)t->last_login_at);
    if (!e || json_array_append_new(ids, e)) {
      json_decref(o);
      return NULL;
    }
  }
  return o;
}

static door_err door__json_out(json_t *o, char **out) {
  door_buf b;
  door_err err;
  if (!o)
    return DOOR_ENOMEM;
  door__buf_init(&b, (size_t)64 << 20);
  err = door__json_dump(o, &b);
  if (!err && !(*out = door__buf_detach(&b)))
    err = DOOR_ENOMEM;
  door__buf_free(&b);
  json_decref(o);
  return err;
}

door_err door_broker_accounts_json(door_broker *b, const char *after_id,
                                   size_t limit, char **out, door_detail *d) {
  door_store_account *a = NULL;
  json_t *o = NULL, *list;
  size_t n = 0, i;
  uint64_t t0;
  door_err err;
  if (!b || !out)
    return DOOR_EINVAL;
  *out = NULL;
  err =
      DOOR__ST(b, t0, DOOR_M_ST_ADMIN,
               door__store_accounts_list(b->store, after_id, limit, &a, &n, d));
  if (err)
    return err;
  o = json_pack("{s:[], s:n}", "accounts", "next");
  list = o ? json_object_get(o, "accounts") : NULL;
  for (i = 0; list && i < n; i++) {
    json_t *e = door__account_obj(&a[i]);
    if (!e || json_array_append_new(list, e)) {
      json_decref(o);
      o = NULL;
      break;
    }
  }
  if (o && n == limit && n > 0)
    json_object_set_new(o, "next", json_string(a[n - 1].id));
  door__store_accounts_free(a, n);
  return door__json_out(o, out);
}

door_err door_broker_account_json(door_broker *b, const char *account_id,
                                  char **out, door_detail *d) {
  door_store_account a;
  uint64_t t0;
  door_err err;
  if (!b || !out || !account_id)
    return DOOR_EINVAL;
  *out = NULL;
  memset(&a, 0, sizeof a);
  err = DOOR__ST(b, t0, DOOR_M_ST_ADMIN,
                 door__store_account_get(b->store, account_id, &a, d));
  if (!err)
    err = door__json_out(door__account_obj(&a), out);
  door__store_account_clear(&a);
  return err;
}

door_err door_broker_account_unlink(door_broker *b, const char *account_id,
                                    const char *provider, door_detail *d) {
  uint64_t t0;
  if (!b || !account_id || !provider)
    return DOOR_EINVAL;
  return DOOR__ST(b, t0, DOOR_M_ST_UNLINK,
                  door__store_unlink_identity(b->store, account_id, provider,
                                              NULL, NULL, door__broker_now(b),
                                              d));
}

door_err door_broker_account_delete(door_broker *b, const char *account_id,
                                    char **out, door_detail *d) {
  door_store_delete_counts c;
  uint64_t t0;
  door_err err;
  if (out)
    *out = NULL;
  if (!b || !account_id)
    return DOOR_EINVAL;
  memset(&c, 0, sizeof c);
  err = DOOR__ST(b, t0, DOOR_M_ST_ADMIN,
                 door__store_account_delete(b->store, account_id,
                                            door__broker_now(b), &c, d));
  if (!err && out)
    err = door__json_out(
        json_pack("{s:I, s:I, s:I, s:I, s:I}", "identities",
                  (json_int_t)c.identities, "sessions", (json_int_t)c.sessions,
                  "provider_tokens", (json_int_t)c.provider_tokens,
                  "transmissions", (json_int_t)c.transmissions,
                  "audit_anonymised", (json_int_t)c.audit_anonymised),
        out);
  return err;
}

door_err door_broker_maintenance(door_broker *b, door_detail *d) {
  int64_t now;
  uint64_t t0;
  door_err err;
  if (!b)
    return DOOR_EINVAL;
  now = door__broker_now(b);
  err = DOOR__ST(b, t0, DOOR_M_ST_ADMIN,
                 door__store_sessions_purge(b->store, now, NULL, d));
  if (!err)
    err = DOOR__ST(b, t0, DOOR_M_ST_ADMIN,
                   door__store_states_purge(b->store, now, NULL, d));
  if (!err) {
    /* Transmission records older than [store] transmission_retention. */
    door__bgen *g = door__bgen_get(b);
    int64_t keep = g->cfg->store.transmission_retention;
    uint64_t n = 0;
    door__bgen_put(g);
    if (keep > 0)
      err = DOOR__ST(
          b, t0, DOOR_M_ST_ADMIN,
          door__store_transmissions_purge(b->store, now - keep, &n, d));
  }
  return err;
}

door_err door_broker_health(door_broker *b, door_detail *d) {
  int cur = 0, latest = 0;
  if (!b)
    return DOOR_EINVAL;
  return door__store_schema_version(b->store, &cur, &latest, d);
}
