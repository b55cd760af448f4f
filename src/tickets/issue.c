/* Issuing participation tokens (doorauth/tickets.h): the door_tickets
 * object, the token, the JWKS and key administration. */
#include "tickets/gate_int.h"
#include "store/store.h"
#include "tickets/tickets_int.h"
#include "util/json.h"
#include "util/log.h"
#include "util/random.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DOOR__TK_MAX_AGE_DEFAULT 300
#define DOOR__TK_LIFETIME_FLOOR 300
#define DOOR__TK_REFRESH_DEFAULT 2
/* Connections of the tickets' own store handle. */
#define DOOR__TK_STORE_CONNECTIONS 2

void door_tickets_options_init(door_tickets_options *o) {
  if (o)
    memset(o, 0, sizeof *o);
}

int64_t door__tk_now(const door_tickets *t) {
  return t->clock ? t->clock(t->clock_ud) : (int64_t)time(NULL);
}

void door__tk_copy(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (cap == 0)
    return;
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

void door_tickets_free(door_tickets *t) {
  if (!t)
    return;
  door__tk_ring_unref(t->ring);
  door__tk_pcache_clear(t);
  door__store_close(t->store);
  OPENSSL_cleanse(t->pairwise, sizeof t->pairwise);
  OPENSSL_cleanse(t->seal, sizeof t->seal);
  free(t->state_dir);
  free(t->issuer);
  pthread_mutex_destroy(&t->mu);
  pthread_mutex_destroy(&t->pmu);
  free(t);
}

door_err door_tickets_new(const door_config *cfg, const door_tickets_options *o,
                          door_tickets **out, door_detail *d) {
  door_tickets_options defaults;
  door_store_options so;
  door_tickets *t;
  const char *state_dir, *issuer, *url;
  size_t i;
  door_err err;
  if (!out)
    return DOOR_EINVAL;
  *out = NULL;
  if (!o) {
    door_tickets_options_init(&defaults);
    o = &defaults;
  }
  state_dir = o->state_dir ? o->state_dir : cfg ? cfg->broker.state_dir : NULL;
  issuer = o->issuer ? o->issuer : cfg ? cfg->broker.public_url : NULL;
  url = o->store_url ? o->store_url : cfg ? cfg->store.url : NULL;
  if (!url || !*url)
    return door_detail_set(d, DOOR_ECONFIG_MISSING, "url",
                           "no store for the signing keys",
                           "set [store] url (the one every broker shares)");
  if (!issuer || !*issuer)
    return door_detail_set(d, DOOR_ECONFIG_MISSING, "public_url",
                           "no issuer for participation tokens",
                           "set [broker] public_url");
  t = calloc(1, sizeof *t);
  if (!t)
    return DOOR_ENOMEM;
  if (pthread_mutex_init(&t->mu, NULL) != 0) {
    free(t);
    return DOOR_ENOMEM;
  }
  if (pthread_mutex_init(&t->pmu, NULL) != 0) {
    pthread_mutex_destroy(&t->mu);
    free(t);
    return DOOR_ENOMEM;
  }
  t->log = o->log;
  t->clock = o->clock;
  t->clock_ud = o->clock_ud;
  t->entitlement = o->entitlement;
  t->entitlement_ud = o->entitlement_ud;
  t->jwks_max_age =
      o->jwks_max_age > 0 ? o->jwks_max_age : DOOR__TK_MAX_AGE_DEFAULT;
  t->prepublish = o->prepublish > 0 ? o->prepublish : 2 * t->jwks_max_age + 60;
  t->refresh = o->key_refresh > 0 ? o->key_refresh : DOOR__TK_REFRESH_DEFAULT;
  t->max_lifetime = o->max_token_lifetime;
  if (t->max_lifetime <= 0) {
    t->max_lifetime = DOOR__TK_LIFETIME_FLOOR;
    for (i = 0; cfg && i < cfg->nevents; i++)
      if (cfg->events[i].token_lifetime > t->max_lifetime)
        t->max_lifetime = cfg->events[i].token_lifetime;
  }
  t->issuer = strdup(issuer);
  err = t->issuer ? DOOR_OK : DOOR_ENOMEM;
  if (!err && state_dir && *state_dir && !(t->state_dir = strdup(state_dir)))
    err = DOOR_ENOMEM;
  if (!err)
    err = door__tk_seal_key(cfg, t->seal, d);
  if (!err) {
    door__store_options_init(&so);
    so.log = t->log;
    so.max_connections = DOOR__TK_STORE_CONNECTIONS;
    err = door__store_open(url, &so, &t->store, d);
  }
  if (!err)
    err = door__tk_store_start(t, door__tk_now(t), d);
  if (err) {
    door_tickets_free(t);
    return err;
  }
  door__log(t->log, DOOR_LOG_INFO, "tickets.keys", "keys",
            t->ring->n > 1 ? "several" : "one", "store",
            door__store_backend(t->store), NULL);
  *out = t;
  return DOOR_OK;
}

/* The current ring (a reference).  Read again from the store every
 * `refresh` seconds, and at once when a key's retirement time has passed
 * or no key signs; one thread reads while the others keep using the ring
 * they have.  When the store cannot be read the ring in hand stays. */
static door__tk_ring *door__tk_ring_get(door_tickets *t, int64_t now) {
  door__tk_ring *r, *fresh = NULL;
  door_detail d;
  size_t i;
  int reread = 0;
  door_err err;
  pthread_mutex_lock(&t->mu);
  if (now != t->ring_read_at) {
    reread = now - t->ring_read_at >= t->refresh || now < t->ring_read_at ||
             !door__tk_ring_signer(t->ring, now);
    for (i = 0; i < t->ring->n; i++)
      if (!door__tk_key_published(&t->ring->keys[i], now))
        reread = 1;
    if (reread)
      t->ring_read_at = now; /* this thread reads; the others go on */
  }
  r = door__tk_ring_ref(t->ring);
  pthread_mutex_unlock(&t->mu);
  if (!reread)
    return r;
  door_detail_clear(&d);
  err = door__tk_store_read(t, now, r, &fresh, &d);
  if (err) {
    door__log(t->log, DOOR_LOG_WARN, "tickets.keys_unread", "error",
              door_err_name(err), "where", d.where, "what", d.what, NULL);
    return r;
  }
  pthread_mutex_lock(&t->mu);
  door__tk_ring_unref(t->ring);
  t->ring = door__tk_ring_ref(fresh);
  pthread_mutex_unlock(&t->mu);
  door__tk_ring_unref(r);
  return fresh;
}

door_err door_tickets_subject(door_tickets *t, const char *account_id,
                              const char *event_id, char out[64]) {
  if (!t || !account_id || !*account_id || !event_id || !*event_id || !out)
    return DOOR_EINVAL;
  return door__tk_pairwise_sub(t->pairwise, account_id, event_id, out);
}

door_err door__tk_pairwise_sub(const unsigned char key[32],
                               const char *account_id, const char *event_id,
                               char out[64]) {
  unsigned char mac[32];
  unsigned int mlen = 0;
  door_buf in, enc;
  door_err err;
  door__buf_init(&in, 1024);
  door__buf_init(&enc, 64);
  err = door__buf_puts(&in, account_id);
  if (!err)
    err = door__buf_append(&in, "", 1); /* the 0x00 separator */
  if (!err)
    err = door__buf_puts(&in, event_id);
  if (!err && (!HMAC(EVP_sha256(), key, 32, (const unsigned char *)in.data,
                     in.len, mac, &mlen) ||
               mlen != 32))
    err = DOOR_ECRYPTO;
  if (!err)
    err = door__b64url_encode(mac, sizeof mac, &enc);
  if (!err)
    memcpy(out, enc.data, enc.len + 1);
  door__buf_free(&in);
  door__buf_free(&enc);
  return err;
}

void door_tickets_token_clear(door_tickets_token *tk) {
  if (!tk)
    return;
  if (tk->token) {
    OPENSSL_cleanse(tk->token, strlen(tk->token));
    free(tk->token);
  }
  memset(tk, 0, sizeof *tk);
}

static door_err door__tk_window(const door_event_config *ev, int64_t now,
                                door_detail *d) {
  if (now < ev->start)
    return door_detail_set(d, DOOR_ETICKETS_EVENT_NOT_STARTED, "event",
                           "the event has not started yet",
                           "come back when it starts");
  if (now >= ev->end)
    return door_detail_set(d, DOOR_ETICKETS_EVENT_CLOSED, "event",
                           "the event has ended", NULL);
  return DOOR_OK;
}

door_err door_tickets_issue(door_tickets *t, const door_config *cfg,
                            const char *event_id, const char *account_id,
                            const door_tickets_grant *grant, int64_t now,
                            door_tickets_token *out, door_detail *d) {
  const door_event_config *ev;
  door__tk_ring *ring = NULL;
  const door__tk_key *key;
  unsigned char rnd[16];
  const char *tier;
  json_t *claims = NULL, *hdr = NULL;
  door_buf payload, tok, jti;
  int64_t life;
  door_err err;
  if (out)
    memset(out, 0, sizeof *out);
  if (!t || !cfg || !event_id || !account_id || !*account_id || !grant || !out)
    return door_detail_set(d, DOOR_EINVAL, NULL, "missing argument", NULL);
  ev = door__config_event(cfg, event_id);
  if (!ev)
    return door_detail_set(d, DOOR_ETICKETS_EVENT_UNKNOWN, "event",
                           "no such event", NULL);
  err = door__tk_window(ev, now, d);
  if (err)
    return err;
  life = ev->token_lifetime;
  if (ev->end - now < life)
    life = ev->end - now;
  if (grant->valid_until) {
    if (grant->valid_until <= now)
      return door_detail_set(d, DOOR_ETICKETS_NO_TICKET, "ticket",
                             "the ticket is no longer valid", NULL);
    if (grant->valid_until - now < life)
      life = grant->valid_until - now;
  }
  tier = grant->tier[0] ? grant->tier : "general";
  if (!door__gate_value_ok(tier, strlen(tier), DOOR_GATE_TIER_MAX) ||
      !door__gate_value_ok(event_id, strlen(event_id), DOOR_GATE_AUD_MAX))
    return door_detail_set(d, DOOR_EINVAL, "tier",
                           "tier or event id is not a short plain string",
                           NULL);
  door__buf_init(&payload, 16384);
  door__buf_init(&tok, 16384);
  door__buf_init(&jti, 64);
  ring = door__tk_ring_get(t, now);
  key = door__tk_ring_signer(ring, now);
  if (!key) {
    err = door_detail_set(d, DOOR_ETICKETS_NO_KEY, "signing-keys",
                          "no signing key is active",
                          "door-broker keys rotate --now");
    goto out;
  }
  err = door__tk_pairwise_sub(t->pairwise, account_id, event_id, out->sub);
  if (!err && door__random(rnd, sizeof rnd) != DOOR_OK)
    err = DOOR_ERANDOM;
  if (!err)
    err = door__b64url_encode(rnd, sizeof rnd, &jti);
  if (err)
    goto out;
  claims = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s}", "iss", t->issuer,
                     "aud", event_id, "sub", out->sub, "tier", tier, "iat",
                     (json_int_t)now, "nbf", (json_int_t)now, "exp",
                     (json_int_t)(now + life), "jti", jti.data);
  hdr = json_pack("{s:s}", "typ", DOOR_GATE_TYP);
  if (!claims || !hdr) {
    err = DOOR_ENOMEM;
    goto out;
  }
  err = door__json_dump(claims, &payload);
  if (!err)
    err = door__jws_sign(key->jwk, DOOR_ALG_ES256, hdr, payload.data,
                         payload.len, &tok);
  if (err)
    goto out;
  out->token = door__buf_detach(&tok);
  if (!out->token) {
    err = DOOR_ENOMEM;
    goto out;
  }
  door__tk_copy(out->kid, sizeof out->kid, key->kid);
  door__tk_copy(out->jti, sizeof out->jti, jti.data);
  door__tk_copy(out->tier, sizeof out->tier, tier);
  door__tk_copy(out->event_id, sizeof out->event_id, event_id);
  out->iat = now;
  out->exp = now + life;
  door__log(t->log, DOOR_LOG_INFO, "tickets.issued", "event", event_id, "kid",
            key->kid, "jti", jti.data, NULL);
out:
  if (err)
    door_tickets_token_clear(out);
  json_decref(claims);
  json_decref(hdr);
  door__buf_free(&payload);
  if (tok.data)
    OPENSSL_cleanse(tok.data, tok.len);
  door__buf_free(&tok);
  door__buf_free(&jti);
  door__tk_ring_unref(ring);
  return err;
}

door_err door_tickets_participation(door_tickets *t, const door_config *cfg,
                                    door_rp *rp, const char *event_id,
                                    const door_tickets_account *acct,
                                    int64_t now, door_tickets_grant *grant,
                                    door_tickets_token *out, door_detail *d) {
  door_err err;
  if (out)
    memset(out, 0, sizeof *out);
  if (!grant || !out)
    return DOOR_EINVAL;
  err = door_tickets_check(t, cfg, rp, event_id, acct, now, grant, d);
  if (err) {
    if (t)
      door__log(t->log, DOOR_LOG_INFO, "tickets.refused", "event", event_id,
                "reason", door_err_name(err), NULL);
    return err;
  }
  return door_tickets_issue(t, cfg, event_id, acct->account_id, grant, now, out,
                            d);
}

door_err door_tickets_token_json(const door_tickets_token *tk, int single_use,
                                 char **out) {
  json_t *o;
  door_buf b;
  door_err err;
  if (!out)
    return DOOR_EINVAL;
  *out = NULL;
  if (!tk || !tk->token)
    return DOOR_EINVAL;
  o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:b}", "token", tk->token, "token_type",
                DOOR_GATE_TYP, "event", tk->event_id, "tier", tk->tier,
                "expires_at", (json_int_t)tk->exp, "single_use",
                single_use ? 1 : 0);
  if (!o)
    return DOOR_ENOMEM;
  door__buf_init(&b, 65536);
  err = door__json_dump(o, &b);
  json_decref(o);
  if (!err) {
    *out = door__buf_detach(&b);
    if (!*out)
      err = DOOR_ENOMEM;
  }
  door__buf_free(&b);
  return err;
}

/* ---- keys ------------------------------------------------------------------
 */

door_err door_tickets_jwks(door_tickets *t, char **json, int64_t *max_age,
                           door_detail *d) {
  door__tk_ring *ring;
  json_t *arr, *root = NULL;
  door_buf b;
  size_t i;
  int64_t now;
  door_err err = DOOR_OK;
  (void)d;
  if (!t || !json)
    return DOOR_EINVAL;
  *json = NULL;
  now = door__tk_now(t);
  ring = door__tk_ring_get(t, now);
  door__buf_init(&b, 1 << 20);
  arr = json_array();
  if (!arr)
    err = DOOR_ENOMEM;
  /* Each public key with "alg":"ES256" (keys read from PEM carry none). */
  for (i = 0; !err && i < ring->n; i++) {
    json_t *k = NULL;
    if (!door__tk_key_published(&ring->keys[i], now))
      continue;
    err = door__jwk_public_json(ring->keys[i].jwk, 0, &k);
    if (!err && (json_object_set_new(k, "alg", json_string("ES256")) ||
                 json_array_append_new(arr, k)))
      err = DOOR_ENOMEM;
    else if (err)
      json_decref(k);
  }
  if (!err && !(root = json_pack("{s:O}", "keys", arr)))
    err = DOOR_ENOMEM;
  if (!err)
    err = door__json_dump(root, &b);
  if (!err) {
    *json = door__buf_detach(&b);
    if (!*json)
      err = DOOR_ENOMEM;
  }
  if (!err && max_age)
    *max_age = t->jwks_max_age;
  json_decref(arr);
  json_decref(root);
  door__buf_free(&b);
  door__tk_ring_unref(ring);
  return err;
}

door_err door_tickets_keys_list(door_tickets *t, char **json, door_detail *d) {
  door__tk_ring *ring;
  const door__tk_key *signer;
  json_t *root = NULL, *arr = NULL;
  door_buf b;
  size_t i;
  int64_t now;
  door_err err = DOOR_OK;
  (void)d;
  if (!t || !json)
    return DOOR_EINVAL;
  *json = NULL;
  now = door__tk_now(t);
  ring = door__tk_ring_get(t, now);
  signer = door__tk_ring_signer(ring, now);
  door__buf_init(&b, 1 << 20);
  arr = json_array();
  if (!arr)
    err = DOOR_ENOMEM;
  for (i = 0; !err && i < ring->n; i++) {
    const door__tk_key *k = &ring->keys[i];
    const char *state = k == signer                      ? "active"
                        : k->not_before > now            ? "next"
                        : door__tk_key_published(k, now) ? "retiring"
                                                         : "retired";
    json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:s}", "kid", k->kid, "alg",
                          "ES256", "created_at", (json_int_t)k->created_at,
                          "not_before", (json_int_t)k->not_before, "retire_at",
                          (json_int_t)k->retire_at, "state", state);
    if (!o || json_array_append_new(arr, o))
      err = DOOR_ENOMEM;
  }
  if (!err && !(root = json_pack("{s:O}", "keys", arr)))
    err = DOOR_ENOMEM;
  if (!err)
    err = door__json_dump(root, &b);
  if (!err) {
    *json = door__buf_detach(&b);
    if (!*json)
      err = DOOR_ENOMEM;
  }
  json_decref(arr);
  json_decref(root);
  door__buf_free(&b);
  door__tk_ring_unref(ring);
  return err;
}

door_err door_tickets_keys_rotate(door_tickets *t, unsigned flags, char *kid,
                                  door_detail *d) {
  door__tk_ring *cur, *fresh = NULL;
  char newkid[DOOR__TK_KID_MAX + 1];
  int64_t now;
  door_err err;
  if (!t || (flags & ~DOOR_TICKETS_ROTATE_NOW))
    return DOOR_EINVAL;
  now = door__tk_now(t);
  cur = door__tk_ring_get(t, now);
  err = cur->n + 1 > DOOR__TK_MAX_KEYS && !(flags & DOOR_TICKETS_ROTATE_NOW)
            ? door_detail_set(d, DOOR_ETOOBIG, "signing_keys",
                              "too many published signing keys",
                              "wait for old keys to retire, or rotate --now")
            : DOOR_OK;
  if (!err)
    err = door__tk_store_rotate(t, now, flags, newkid, d);
  if (!err) /* the keys in hand are not opened again */
    err = door__tk_store_read(t, now, cur, &fresh, d);
  door__tk_ring_unref(cur);
  if (err)
    return err;
  pthread_mutex_lock(&t->mu);
  door__tk_ring_unref(t->ring);
  t->ring = fresh;
  t->ring_read_at = now;
  pthread_mutex_unlock(&t->mu);
  if (kid)
    memcpy(kid, newkid, sizeof newkid);
  door__log(t->log, DOOR_LOG_INFO, "tickets.rotated", "kid", newkid, "now",
            (flags & DOOR_TICKETS_ROTATE_NOW) ? "yes" : "no", NULL);
  return DOOR_OK;
}
