/* door_jwks: immutable, reference-counted sets of keys. */
#include "jose/jose_int.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

#define DOOR_JWKS_MAX_KEYS 64
#define DOOR_JWKS_MAX_BYTES ((size_t)256 << 10)

struct door_jwks {
  atomic_uint refs;
  size_t n;
  size_t skipped;
  door_jwk *keys[];
};

static door_err door__jwks_alloc(size_t n, door_jwks **out) {
  door_jwks *s = calloc(1, sizeof *s + (n ? n : 1) * sizeof(door_jwk *));
  *out = s;
  if (!s)
    return DOOR_ENOMEM;
  atomic_init(&s->refs, 1u);
  return DOOR_OK;
}

door_jwks *door__jwks_ref(door_jwks *set) {
  if (set)
    atomic_fetch_add_explicit(&set->refs, 1u, memory_order_relaxed);
  return set;
}

void door__jwks_unref(door_jwks *set) {
  size_t i;
  if (!set)
    return;
  if (atomic_fetch_sub_explicit(&set->refs, 1u, memory_order_acq_rel) != 1u)
    return;
  for (i = 0; i < set->n; i++)
    door__jwk_unref(set->keys[i]);
  free(set);
}

size_t door__jwks_count(const door_jwks *set) { return set ? set->n : 0; }

size_t door__jwks_skipped(const door_jwks *set) {
  return set ? set->skipped : 0;
}

const door_jwk *door__jwks_get(const door_jwks *set, size_t i) {
  return set && i < set->n ? set->keys[i] : NULL;
}

door_err door__jwks_from_keys(door_jwk *const *keys, size_t n,
                              door_jwks **out) {
  door_jwks *s;
  size_t i;
  door_err err;
  *out = NULL;
  if ((!keys && n) || n > DOOR_JWKS_MAX_KEYS)
    return DOOR_EINVAL;
  for (i = 0; i < n; i++)
    if (!keys[i])
      return DOOR_EINVAL;
  err = door__jwks_alloc(n, &s);
  if (err)
    return err;
  for (i = 0; i < n; i++)
    s->keys[i] = door__jwk_ref(keys[i]);
  s->n = n;
  *out = s;
  return DOOR_OK;
}

/* "keys[12]" */
static void door__where(char *buf, size_t i) {
  size_t n;
  memcpy(buf, "keys[", 5);
  n = 5 + door__u64_to_str((uint64_t)i, buf + 5);
  buf[n++] = ']';
  buf[n] = '\0';
}

/* Prefixes d->where with "keys[i].", so it reads "keys[0].n". */
static void door__where_prefix(door_detail *d, const char *where) {
  char w[sizeof d->where];
  size_t wl, ml;
  if (!d)
    return;
  wl = strlen(where);
  ml = strlen(d->where);
  memcpy(w, where, wl);
  if (ml && wl + 1 + ml < sizeof w) {
    w[wl++] = '.';
    memcpy(w + wl, d->where, ml);
    wl += ml;
  }
  w[wl] = '\0';
  memcpy(d->where, w, wl + 1);
}

/* 1 when a key should be skipped rather than refused: a use other than
 * "sig", or an alg we do not implement (RS384, EdDSA, ...).  Malformed
 * members are left to door__jwk_parse to refuse. */
static int door__jwks_skip_member(const json_t *k) {
  json_t *use = json_object_get(k, "use"), *alg = json_object_get(k, "alg");
  if (json_is_string(use) && strcmp(json_string_value(use), "sig") != 0)
    return 1;
  if (json_is_string(alg) &&
      !door__alg_is_none(json_string_value(alg), json_string_length(alg)) &&
      door__alg_from_name(json_string_value(alg), json_string_length(alg)) ==
          DOOR_ALG_UNKNOWN)
    return 1;
  return 0;
}

door_err door__jwks_parse(const char *json, size_t len, door_jwks **out,
                          door_detail *d) {
  json_t *doc = NULL, *keys, *k;
  door_jwks *s = NULL;
  size_t i, n, j;
  char where[32];
  door_err err;

  *out = NULL;
  if (len > DOOR_JWKS_MAX_BYTES)
    return door_detail_set(d, DOOR_ETOOBIG, NULL, "JWK set over 256 KiB", NULL);
  err = door__json_parse(json, len, DOOR_JOSE_JSON_DEPTH, &doc, d);
  if (err)
    return err == DOOR_EJSON ? DOOR_EJWKS_INVALID : err;
  if (door__json_get_array(doc, "keys", &keys)) {
    err = door_detail_set(d, DOOR_EJWKS_INVALID, "keys",
                          "JWK set has no \"keys\" array", NULL);
    goto out;
  }
  n = json_array_size(keys);
  if (n > DOOR_JWKS_MAX_KEYS) {
    err = door_detail_set(d, DOOR_ETOOBIG, "keys", "JWK set has over 64 keys",
                          NULL);
    goto out;
  }
  err = door__jwks_alloc(n, &s);
  if (err)
    goto out;
  json_array_foreach(keys, i, k) {
    const char *kty = NULL;
    door_jwk *key = NULL;
    door__where(where, i);
    if (!json_is_object(k)) {
      err = door_detail_set(d, DOOR_EJWKS_INVALID, where,
                            "key is not a JSON object", NULL);
      goto out;
    }
    /* A private member is refused even on a key we would skip: publishing
     * one is a leak whatever the key is for. */
    for (j = 0; j < 8; j++) {
      static const char *const priv[] = {"d",  "p",  "q",   "dp",
                                         "dq", "qi", "oth", "k"};
      if (json_object_get(k, priv[j])) {
        err = door_detail_set(d, DOOR_EJWK_PRIVATE, where,
                              "private key member in a JWK set",
                              "publish only public keys");
        goto out;
      }
    }
    if (door__json_get_str(k, "kty", &kty) == DOOR_OK &&
        strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0) {
      s->skipped++;
      continue;
    }
    if (door__jwks_skip_member(k)) {
      s->skipped++;
      continue;
    }
    err = door__jwk_parse(k, DOOR_JWK_PUBLIC_ONLY, &key, d);
    if (err == DOOR_EJWK_KTY) { /* another curve, a huge modulus */
      s->skipped++;
      err = DOOR_OK;
      continue;
    }
    if (err) {
      door__where_prefix(d, where);
      goto out;
    }
    s->keys[s->n++] = key;
  }
  if (s->n == 0) {
    err = door_detail_set(
        d, DOOR_EJWKS_INVALID, "keys", "JWK set has no usable signing key",
        "publish an RSA (2048+) or EC P-256 key with use sig");
    goto out;
  }
  *out = s;
  s = NULL;
out:
  door__jwks_unref(s);
  json_decref(doc);
  return err;
}

door_err door__jwks_select(const door_jwks *set, const char *kid, door_alg alg,
                           const door_jwk **out) {
  const door_jwk *match = NULL;
  size_t i, nmatch = 0;
  int kid_seen = 0;
  *out = NULL;
  if (!set)
    return DOOR_EINVAL;
  if (!door__alg_is_single(alg))
    return DOOR_EALG_UNKNOWN;
  for (i = 0; i < set->n; i++) {
    const door_jwk *k = set->keys[i];
    if (kid) {
      if (!k->kid || strcmp(k->kid, kid) != 0)
        continue;
      kid_seen = 1;
    }
    if (!(k->algs & (unsigned)alg))
      continue;
    if (!match)
      match = k;
    nmatch++;
  }
  if (nmatch == 1) {
    *out = match;
    return DOOR_OK;
  }
  if (nmatch > 1)
    return DOOR_EKID_AMBIGUOUS;
  if (kid && kid_seen)
    return DOOR_EALG_KEY_MISMATCH;
  return DOOR_EKID_UNKNOWN;
}

door_err door__jwks_to_json(const door_jwks *set, unsigned flags,
                            door_buf *out) {
  json_t *doc = NULL, *arr = NULL, *k = NULL;
  size_t i;
  door_err err = DOOR_OK;
  if (!set)
    return DOOR_EINVAL;
  doc = json_object();
  arr = json_array();
  if (!doc || !arr) {
    err = DOOR_ENOMEM;
    goto out;
  }
  for (i = 0; i < set->n; i++) {
    err = door__jwk_public_json(set->keys[i], flags, &k);
    if (err)
      goto out;
    if (json_array_append_new(arr, k)) {
      err = DOOR_ENOMEM;
      goto out;
    }
  }
  if (json_object_set(doc, "keys", arr)) {
    err = DOOR_ENOMEM;
    goto out;
  }
  err = door__json_dump(doc, out);
out:
  json_decref(arr);
  json_decref(doc);
  return err;
}
