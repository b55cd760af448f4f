/* door_gate: the participation-token verifier (doorauth/gate.h).
 *
 * verify runs the fast path: split and decode like door__jws_parse (same
 * caps, order and codes), read the header and the claims with the strict
 * reader, find the key, check the signature with the key's prepared
 * contexts, then the claims.  When the strict reader does not take the
 * header or the claims, the token is refused and door__gate_diagnose names
 * the reason with the JOSE module's full parser: it can only return an
 * error. */
#include "tickets/gate_int.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Decoded sizes of the default caps (2048 and 12288 encoded bytes). */
#define DOOR__GATE_HDR_BUF 1536
#define DOOR__GATE_PAYLOAD_BUF 9216
/* A token naming an unknown kid fetches the URL again at most this often. */
#define DOOR__GATE_KID_COOLDOWN 60
#define DOOR__GATE_AGE_MIN 60
#define DOOR__GATE_AGE_MAX 86400
#define DOOR__GATE_AGE_DEFAULT 300

struct door_gate {
  char *issuer;
  size_t issuer_len;
  int64_t leeway;
  int single_use;
  const door_gate_jti_guard *guard;
  door__gate_jti *mem;
  pthread_mutex_t mu; /* keys, next_refresh, kid_fetch_at */
  door__gate_keys *keys;
  int64_t next_refresh, kid_fetch_at;
  /* URL sources */
  int is_url;
  char *url, *ca_file, *cache_file;
  int allow_insecure_loopback;
  long timeout_ms;
  pthread_mutex_t fetch_mu; /* one fetch at a time */
  int64_t (*clock)(void *ud);
  void *clock_ud;
};

void door_gate_options_init(door_gate_options *o) {
  if (!o)
    return;
  memset(o, 0, sizeof *o);
  o->leeway = DOOR_GATE_LEEWAY_DEFAULT;
}

static int64_t door__gate_now(const door_gate *g) {
  return g->clock ? g->clock(g->clock_ud) : (int64_t)time(NULL);
}

static int64_t door__gate_age(int64_t max_age) {
  if (max_age < 0)
    return DOOR__GATE_AGE_DEFAULT;
  if (max_age < DOOR__GATE_AGE_MIN)
    return DOOR__GATE_AGE_MIN;
  return max_age > DOOR__GATE_AGE_MAX ? DOOR__GATE_AGE_MAX : max_age;
}

static void door__gate_swap(door_gate *g, door__gate_keys *ks) {
  door__gate_keys *old;
  pthread_mutex_lock(&g->mu);
  old = g->keys;
  g->keys = ks;
  pthread_mutex_unlock(&g->mu);
  door__gate_keys_unref(old);
}

/* Fetches the URL and parses it; writes the cache file on success. */
static door_err door__gate_fetch_keys(door_gate *g, door__gate_keys **out,
                                      int64_t *max_age, door_detail *d) {
  door__gate_fetch f;
  char *body = NULL;
  size_t len = 0;
  door_err err;
  f.url = g->url;
  f.ca_file = g->ca_file;
  f.allow_insecure_loopback = g->allow_insecure_loopback;
  f.timeout_ms = g->timeout_ms;
  err = door__gate_fetch_jwks(&f, &body, &len, max_age, d);
  if (!err)
    err = door__gate_keys_parse(body, len, out, d);
  if (!err && g->cache_file) /* a cache that cannot be written is no error */
    (void)door__gate_write_file(g->cache_file, body, len, 0644, NULL);
  free(body);
  return err;
}

static door_err door__gate_load(door_gate *g, const door_gate_options *o,
                                door_detail *d) {
  char *text = NULL;
  size_t len = 0;
  int64_t max_age = -1;
  door__gate_keys *ks = NULL;
  door_err err;
  if (o->jwks)
    return door__gate_keys_parse(
        o->jwks, o->jwks_len ? o->jwks_len : strlen(o->jwks), &g->keys, d);
  if (o->jwks_file) {
    err =
        door__gate_read_file(o->jwks_file, DOOR__GATE_JWKS_MAX, &text, &len, d);
    if (!err)
      err = door__gate_keys_parse(text, len, &g->keys, d);
    free(text);
    return err;
  }
  err = door__gate_fetch_keys(g, &ks, &max_age, d);
  if (!err) {
    g->keys = ks;
    g->next_refresh = door__gate_now(g) + door__gate_age(max_age);
    return DOOR_OK;
  }
  if (!g->cache_file)
    return err;
  /* Offline: the last good copy. */
  if (door__gate_read_file(g->cache_file, DOOR__GATE_JWKS_MAX, &text, &len,
                           NULL) ||
      door__gate_keys_parse(text, len, &ks, NULL)) {
    free(text);
    return err;
  }
  free(text);
  g->keys = ks;
  g->next_refresh = door__gate_now(g) + DOOR__GATE_AGE_MIN;
  return DOOR_OK;
}

static char *door__gate_dup(const char *s, door_err *err) {
  char *c;
  if (!s)
    return NULL;
  c = strdup(s);
  if (!c)
    *err = DOOR_ENOMEM;
  return c;
}

door_err door_gate_new(const door_gate_options *o, door_gate **out,
                       door_detail *d) {
  door_gate *g;
  door_err err = DOOR_OK;
  int sources;
  if (!out)
    return DOOR_EINVAL;
  *out = NULL;
  if (!o || !o->issuer || !*o->issuer)
    return door_detail_set(d, DOOR_EINVAL, "issuer", "no issuer given",
                           "give the broker's public URL");
  sources = !!o->jwks + !!o->jwks_file + !!o->jwks_url;
  if (sources != 1)
    return door_detail_set(d, DOOR_EINVAL, "jwks",
                           "give exactly one key source",
                           "a JWKS string, file or URL");
  if (o->leeway < 0 || o->leeway > 3600)
    return door_detail_set(d, DOOR_EINVAL, "leeway",
                           "leeway must be 0 to 3600 seconds", NULL);
  g = calloc(1, sizeof *g);
  if (!g)
    return DOOR_ENOMEM;
  if (pthread_mutex_init(&g->mu, NULL) != 0) {
    free(g);
    return DOOR_ENOMEM;
  }
  if (pthread_mutex_init(&g->fetch_mu, NULL) != 0) {
    pthread_mutex_destroy(&g->mu);
    free(g);
    return DOOR_ENOMEM;
  }
  g->issuer = door__gate_dup(o->issuer, &err);
  g->issuer_len = strlen(o->issuer);
  g->leeway = o->leeway;
  g->single_use = o->single_use ? 1 : 0;
  g->guard = o->jti_guard;
  g->clock = o->clock;
  g->clock_ud = o->clock_ud;
  g->is_url = o->jwks_url != NULL;
  g->url = door__gate_dup(o->jwks_url, &err);
  g->ca_file = door__gate_dup(o->ca_file, &err);
  g->cache_file = door__gate_dup(o->jwks_cache_file, &err);
  g->allow_insecure_loopback = o->allow_insecure_loopback;
  g->timeout_ms = o->timeout_ms;
  if (!err && g->single_use && !g->guard)
    err = door__gate_jti_new(o->jti_max, &g->mem);
  if (!err)
    err = door__gate_load(g, o, d);
  if (err) {
    door_gate_free(g);
    return err;
  }
  *out = g;
  return DOOR_OK;
}

void door_gate_free(door_gate *g) {
  if (!g)
    return;
  door__gate_keys_unref(g->keys);
  door__gate_jti_free(g->mem);
  free(g->issuer);
  free(g->url);
  free(g->ca_file);
  free(g->cache_file);
  pthread_mutex_destroy(&g->mu);
  pthread_mutex_destroy(&g->fetch_mu);
  free(g);
}

size_t door_gate_key_count(door_gate *g) {
  size_t n;
  if (!g)
    return 0;
  pthread_mutex_lock(&g->mu);
  n = g->keys ? g->keys->n : 0;
  pthread_mutex_unlock(&g->mu);
  return n;
}

door_err door_gate_refresh(door_gate *g, int force, door_detail *d) {
  door__gate_keys *ks = NULL;
  int64_t now, max_age = -1, due;
  door_err err;
  if (!g)
    return DOOR_EINVAL;
  if (!g->is_url)
    return door_detail_set(d, DOOR_EUNSUPPORTED, "jwks",
                           "only a key set from a URL is refreshed", NULL);
  now = door__gate_now(g);
  pthread_mutex_lock(&g->mu);
  due = g->next_refresh;
  pthread_mutex_unlock(&g->mu);
  if (!force && now < due)
    return DOOR_OK;
  pthread_mutex_lock(&g->fetch_mu);
  err = door__gate_fetch_keys(g, &ks, &max_age, d);
  pthread_mutex_lock(&g->mu);
  g->next_refresh = now + (err ? DOOR__GATE_AGE_MIN : door__gate_age(max_age));
  pthread_mutex_unlock(&g->mu);
  if (!err)
    door__gate_swap(g, ks);
  pthread_mutex_unlock(&g->fetch_mu);
  return err;
}

/* A token named a kid we do not have: fetch again (URL sources, at most
 * once per cooldown, never waiting for another thread's fetch).  Returns
 * the keys to retry with (a new reference) or NULL. */
static door__gate_keys *door__gate_kid_refetch(door_gate *g) {
  door__gate_keys *ks = NULL;
  int64_t now, max_age = -1;
  int go;
  if (!g->is_url)
    return NULL;
  now = door__gate_now(g);
  pthread_mutex_lock(&g->mu);
  go = now >= g->kid_fetch_at;
  if (go)
    g->kid_fetch_at = now + DOOR__GATE_KID_COOLDOWN;
  pthread_mutex_unlock(&g->mu);
  if (!go || pthread_mutex_trylock(&g->fetch_mu) != 0)
    return NULL;
  if (!door__gate_fetch_keys(g, &ks, &max_age, NULL)) {
    pthread_mutex_lock(&g->mu);
    g->next_refresh = now + door__gate_age(max_age);
    pthread_mutex_unlock(&g->mu);
    door__gate_swap(g, door__gate_keys_ref(ks));
  }
  pthread_mutex_unlock(&g->fetch_mu);
  return ks;
}

/* ---- the reason for a token the fast path did not take ------------------ */

static int door__is(const char *k, const char *name) {
  return strcmp(k, name) == 0;
}

static door_err door__gate_check_claim(const char *k, const json_t *v,
                                       door_detail *d) {
  static const struct {
    const char *name;
    size_t cap;
  } strs[] = {{"iss", DOOR_GATE_ISS_MAX},
              {"aud", DOOR_GATE_AUD_MAX},
              {"sub", DOOR_GATE_SUB_MAX},
              {"tier", DOOR_GATE_TIER_MAX},
              {"jti", DOOR_GATE_JTI_MAX}};
  size_t i;
  for (i = 0; i < sizeof strs / sizeof strs[0]; i++)
    if (door__is(k, strs[i].name)) {
      if (!json_is_string(v) ||
          !door__gate_value_ok(json_string_value(v), json_string_length(v),
                               strs[i].cap))
        return door_detail_set(d, DOOR_EGATE_CLAIMS, k,
                               "claim is not a short string without control "
                               "characters",
                               NULL);
      return DOOR_OK;
    }
  if (door__is(k, "iat") || door__is(k, "nbf") || door__is(k, "exp")) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > DOOR__GATE_INT_MAX)
      return door_detail_set(d, DOOR_EGATE_CLAIMS, k,
                             "time claim is not a non-negative integer", NULL);
    return DOOR_OK;
  }
  return door_detail_set(d, DOOR_EGATE_CLAIMS, "claims",
                         "unexpected claim in a participation token", NULL);
}

static door_err door__gate_diagnose(const char *token, size_t len,
                                    int header_ok, door_detail *d) {
  static const char *const need[] = {"iss", "aud", "sub", "tier",
                                     "iat", "nbf", "exp", "jti"};
  door_jws jws;
  const char *k;
  json_t *v;
  size_t i;
  door_err err = door__jws_parse(token, len, NULL, &jws, d);
  if (err)
    return err;
  if (jws.alg != DOOR_ALG_ES256)
    err = door_detail_set(d, DOOR_EALG_NOT_ALLOWED, "header.alg",
                          "participation tokens are signed with ES256 only",
                          NULL);
  else if (!jws.typ || strcmp(jws.typ, DOOR_GATE_TYP) != 0)
    err = door_detail_set(d, DOOR_EGATE_TYP, "header.typ",
                          "not a participation token",
                          "present the token the broker issued for this "
                          "event");
  else if (!jws.kid)
    err = door_detail_set(d, DOOR_EKID_UNKNOWN, "header.kid",
                          "token names no key", NULL);
  if (err)
    goto out;
  json_object_foreach(jws.header, k, v) {
    if (!door__is(k, "alg") && !door__is(k, "typ") && !door__is(k, "kid")) {
      err = door_detail_set(d, DOOR_EGATE_HEADER, "header",
                            "unexpected member in the header", NULL);
      goto out;
    }
  }
  if (!door__gate_value_ok(jws.kid, strlen(jws.kid), DOOR_GATE_KID_MAX)) {
    err = door_detail_set(d, DOOR_EKID_UNKNOWN, "header.kid",
                          "no key has such a kid", NULL);
    goto out;
  }
  json_object_foreach(jws.payload, k, v) {
    err = door__gate_check_claim(k, v, d);
    if (err)
      goto out;
  }
  for (i = 0; i < sizeof need / sizeof need[0]; i++)
    if (!json_object_get(jws.payload, need[i])) {
      err =
          door_detail_set(d, DOOR_EGATE_CLAIMS, need[i], "claim missing", NULL);
      goto out;
    }
  /* Valid JSON the strict reader did not take (for instance an escape it
   * does not decode the same way): refused all the same. */
  err = header_ok ? door_detail_set(d, DOOR_EGATE_CLAIMS, "claims",
                                    "claims are not in the broker's form", NULL)
                  : door_detail_set(d, DOOR_EGATE_HEADER, "header",
                                    "header is not in the broker's form", NULL);
out:
  door__jws_clear(&jws);
  return err;
}

/* ---- verify -------------------------------------------------------------- */

static door_err door__gate_b64(const char *s, size_t n, unsigned char *out,
                               size_t cap, size_t *len, const char *where,
                               door_detail *d) {
  door_err err = door__b64url_decode(s, n, out, cap, len);
  if (err == DOOR_ETOOBIG && cap == DOOR_JWS_SIG_MAX)
    return door_detail_set(d, DOOR_EJWS_TOOBIG, where,
                           "signature larger than RSA 4096", NULL);
  if (err)
    return door_detail_set(d, DOOR_EB64, where,
                           "segment is not strict base64url", NULL);
  return DOOR_OK;
}

static door_err door__gate_claims_check(door_gate *g,
                                        const door__gate_claims *c,
                                        const char *event_id, int64_t now,
                                        door_detail *d) {
  if (c->iss_len != g->issuer_len ||
      memcmp(c->iss, g->issuer, g->issuer_len) != 0)
    return door_detail_set(d, DOOR_EGATE_ISS, "claims.iss",
                           "token was not issued by this broker", NULL);
  if (strcmp(c->aud, event_id) != 0)
    return door_detail_set(d, DOOR_EGATE_AUD, "claims.aud",
                           "token is for another event", NULL);
  if (now >= c->exp + g->leeway)
    return door_detail_set(d, DOOR_EGATE_EXP, "claims.exp", "token has expired",
                           "get a new token from the broker");
  if (now < c->nbf - g->leeway)
    return door_detail_set(d, DOOR_EGATE_NBF, "claims.nbf",
                           "token is not valid yet", "check the gate's clock");
  if (c->iat > now + g->leeway)
    return door_detail_set(d, DOOR_EGATE_IAT, "claims.iat",
                           "token was issued in the future",
                           "check the gate's clock");
  return DOOR_OK;
}

door_err door_gate_verify(door_gate *g, const char *token, size_t len,
                          const char *event_id, int64_t now,
                          door_gate_result *out, door_detail *d) {
  static const door_jws_limits lim = DOOR_JWS_LIMITS_DEFAULT;
  unsigned char hbuf[DOOR__GATE_HDR_BUF], pbuf[DOOR__GATE_PAYLOAD_BUF];
  unsigned char sig[DOOR_JWS_SIG_MAX];
  door__gate_header h;
  door__gate_claims c;
  door__gate_keys *ks = NULL, *again;
  door__gate_key *key;
  const char *dot1, *dot2, *p, *s;
  size_t hl, pl, sl, hlen, plen, slen;
  door_err err;

  if (out)
    memset(out, 0, sizeof *out);
  if (!g || !out || !token || !event_id || !*event_id)
    return door_detail_set(d, DOOR_EINVAL, NULL,
                           "gate, token, event id and result are required",
                           NULL);
  if (len > lim.max_total)
    return door_detail_set(d, DOOR_EJWS_TOOBIG, "token",
                           "token larger than its cap", NULL);
  dot1 = memchr(token, '.', len);
  dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
  if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
    return door_detail_set(d, DOOR_EJWS_SEGMENTS, "token",
                           "compact JWS needs exactly three segments", NULL);
  hl = (size_t)(dot1 - token);
  p = dot1 + 1;
  pl = (size_t)(dot2 - p);
  s = dot2 + 1;
  sl = len - (size_t)(s - token);
  if (hl > lim.max_header)
    return door_detail_set(d, DOOR_EJWS_TOOBIG, "header",
                           "header segment larger than its cap", NULL);
  if (pl > lim.max_payload)
    return door_detail_set(d, DOOR_EJWS_TOOBIG, "payload",
                           "payload segment larger than its cap", NULL);
  if (sl > lim.max_sig)
    return door_detail_set(d, DOOR_EJWS_TOOBIG, "signature",
                           "signature segment larger than its cap", NULL);
  err = door__gate_b64(token, hl, hbuf, sizeof hbuf, &hlen, "header", d);
  if (!err)
    err = door__gate_b64(p, pl, pbuf, sizeof pbuf, &plen, "payload", d);
  if (!err)
    err = door__gate_b64(s, sl, sig, sizeof sig, &slen, "signature", d);
  if (err)
    return err;

  if (door__gate_read_header(hbuf, hlen, &h) || strcmp(h.alg, "ES256") != 0 ||
      strcmp(h.typ, DOOR_GATE_TYP) != 0)
    return door__gate_diagnose(token, len, 0, d);
  if (door__gate_read_claims(pbuf, plen, &c))
    return door__gate_diagnose(token, len, 1, d);

  pthread_mutex_lock(&g->mu);
  ks = door__gate_keys_ref(g->keys);
  pthread_mutex_unlock(&g->mu);
  key = door__gate_keys_find(ks, h.kid, h.kid_len);
  if (!key && (again = door__gate_kid_refetch(g)) != NULL) {
    door__gate_keys_unref(ks);
    ks = again;
    key = door__gate_keys_find(ks, h.kid, h.kid_len);
  }
  if (!key) {
    err = door_detail_set(d, DOOR_EKID_UNKNOWN, "header.kid",
                          "no published key has this kid",
                          "the key may have been retired: get a new token");
    goto out;
  }
  err = door__gate_es256_verify(ks, key, token, (size_t)(dot2 - token), sig,
                                slen);
  if (err) {
    door_detail_set(d, err, "signature",
                    err == DOOR_ESIG_INVALID ? "signature does not verify"
                    : err == DOOR_ESIG_LENGTH
                        ? "ES256 signature is not 64 bytes"
                    : err == DOOR_ESIG_RANGE ? "ES256 r or s out of range"
                                             : "signature could not be checked",
                    NULL);
    goto out;
  }
  err = door__gate_claims_check(g, &c, event_id, now, d);
  if (err)
    goto out;
  if (g->single_use) {
    int64_t until = c.exp + g->leeway;
    err = g->guard ? g->guard->admit(g->guard->ud, event_id, c.jti, until, now)
                   : door__gate_jti_admit(g->mem, event_id, c.jti, until, now);
    if (err) {
      if (err == DOOR_EGATE_REPLAYED)
        door_detail_set(d, err, "claims.jti",
                        "this single-use token was already admitted", NULL);
      else
        door_detail_set(d, err, "claims.jti",
                        "the single-use record could not take the token", NULL);
      goto out;
    }
  }
  memcpy(out->sub, c.sub, sizeof out->sub);
  memcpy(out->tier, c.tier, sizeof out->tier);
  memcpy(out->jti, c.jti, sizeof out->jti);
  memcpy(out->kid, h.kid, sizeof out->kid);
  out->iat = c.iat;
  out->nbf = c.nbf;
  out->exp = c.exp;
out:
  door__gate_keys_unref(ks);
  return err;
}
