/* door__jws_sign: compact JWS with a jansson-built header; ES256 outputs
 * raw R || S (32 bytes each, left-padded) as RFC 7518 section 3.4 wants.
 * The signature itself is jwk_ops.c's (prepared contexts of the key).
 *
 * The protected header of the usual calls (no header_extra, or only a
 * string "typ") depends on nothing but the key, alg and typ: a key keeps the
 * base64url of the first few such headers jansson built for it
 * (DOOR__HDR_SLOTS, each published once by compare-and-swap and immutable
 * afterwards), so a token costs one JSON dump (the caller's payload) rather
 * than two.  Any other header_extra is built on every call, as before. */
#include "jose/jose_int.h"
#include "util/json.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* Encoded size of n bytes in unpadded base64url. */
static size_t door__b64url_len(size_t n) {
  return n / 3 * 4 + (n % 3 == 1 ? 2 : n % 3 == 2 ? 3 : 0);
}

/* {"alg":..., "kid":...} + header_extra, compact, appended to `out`. */
static door_err door__sign_header(const door_jwk *key, door_alg alg,
                                  const json_t *extra, door_buf *out) {
  json_t *h = json_object();
  const char *name;
  json_t *v;
  door_err err = DOOR_OK;
  if (!h)
    return DOOR_ENOMEM;
  if (json_object_set_new(h, "alg", json_string(door__alg_name(alg))) ||
      (key->kid && json_object_set_new(h, "kid", json_string(key->kid)))) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (extra) {
    if (!json_is_object(extra)) {
      err = DOOR_EINVAL;
      goto out;
    }
    json_object_foreach((json_t *)extra, name, v) {
      if (strcmp(name, "alg") == 0 || strcmp(name, "kid") == 0) {
        err = DOOR_EINVAL; /* alg and kid come from the key */
        goto out;
      }
      if (json_object_set(h, name, v)) {
        err = DOOR_ENOMEM;
        goto out;
      }
    }
  }
  err = door__json_dump(h, out);
out:
  json_decref(h);
  return err;
}

/* ---- the key's header cache --------------------------------------------- */

void door__jws_hdr_free(door_jwk *key) {
  size_t i;
  for (i = 0; i < DOOR__HDR_SLOTS; i++) {
    door__hdr *h = atomic_load_explicit(&key->hdrs[i], memory_order_acquire);
    if (h) {
      free(h->typ);
      free(h);
    }
    atomic_store_explicit(&key->hdrs[i], NULL, memory_order_relaxed);
  }
}

static int door__hdr_is(const door__hdr *h, door_alg alg, int has_typ,
                        const char *typ, size_t typ_len) {
  return h->alg == alg && h->has_typ == has_typ &&
         (!has_typ ||
          (h->typ_len == typ_len && memcmp(h->typ, typ, typ_len) == 0));
}

/* A new cache entry: the header built by jansson, base64url encoded. */
static door_err door__hdr_build(const door_jwk *key, door_alg alg, int has_typ,
                                const char *typ, size_t typ_len,
                                door__hdr **out) {
  json_t *extra = NULL;
  door__hdr *h = NULL;
  door_buf js, enc;
  door_err err = DOOR_OK;
  *out = NULL;
  door__buf_init(&js, 4096); /* the cap of a built header, as before */
  door__buf_init(&enc, 8192);
  if (has_typ) {
    extra = json_object();
    if (!extra ||
        json_object_set_new_nocheck(extra, "typ", json_stringn(typ, typ_len))) {
      err = extra ? DOOR_EINVAL : DOOR_ENOMEM; /* typ not UTF-8 */
      goto out;
    }
  }
  err = door__sign_header(key, alg, extra, &js);
  if (!err)
    err = door__b64url_encode(js.data, js.len, &enc);
  if (err)
    goto out;
  h = calloc(1, sizeof *h + enc.len);
  if (!h || (has_typ && !(h->typ = malloc(typ_len ? typ_len : 1)))) {
    err = DOOR_ENOMEM;
    goto out;
  }
  h->alg = alg;
  h->has_typ = has_typ;
  h->typ_len = typ_len;
  if (has_typ && typ_len)
    memcpy(h->typ, typ, typ_len);
  h->len = enc.len;
  memcpy(h->b64, enc.data, enc.len);
  h->b64[enc.len] = '\0';
  *out = h;
  h = NULL;
out:
  if (h) {
    free(h->typ);
    free(h);
  }
  json_decref(extra);
  door__buf_free(&js);
  door__buf_free(&enc);
  return err;
}

/* The header for (alg, typ): the cached one, or a new one published in a
 * free slot.  *own is set when the header could not be published (every
 * slot taken by other headers): the caller frees it. */
static door_err door__hdr_get(const door_jwk *key, door_alg alg, int has_typ,
                              const char *typ, size_t typ_len,
                              const door__hdr **out, door__hdr **own) {
  door_jwk *k = (door_jwk *)key; /* the cache only */
  door__hdr *h, *mine = NULL;
  size_t i;
  door_err err;
  *own = NULL;
  for (i = 0; i < DOOR__HDR_SLOTS; i++) {
    h = atomic_load_explicit(&k->hdrs[i], memory_order_acquire);
    if (!h)
      break;
    if (door__hdr_is(h, alg, has_typ, typ, typ_len)) {
      *out = h;
      return DOOR_OK;
    }
  }
  err = door__hdr_build(key, alg, has_typ, typ, typ_len, &mine);
  if (err)
    return err;
  for (; i < DOOR__HDR_SLOTS; i++) {
    h = NULL;
    if (atomic_compare_exchange_strong_explicit(&k->hdrs[i], &h, mine,
                                                memory_order_acq_rel,
                                                memory_order_acquire)) {
      *out = mine;
      return DOOR_OK;
    }
    if (door__hdr_is(h, alg, has_typ, typ, typ_len)) {
      free(mine->typ); /* another thread published the same header */
      free(mine);
      *out = h;
      return DOOR_OK;
    }
  }
  *out = mine;
  *own = mine;
  return DOOR_OK;
}

/* ---- signing ------------------------------------------------------------ */

/* hdr_b64 "." b64(payload) "." b64(signature) appended to out. */
static door_err door__sign_compact(const door_jwk *key, door_alg alg,
                                   const char *hdr_b64, size_t hdr_len,
                                   const char *payload, size_t payload_len,
                                   door_buf *out) {
  unsigned char sig[DOOR_JWS_SIG_MAX];
  size_t start = out->len, sig_len = 0, need;
  char *at;
  door_err err;
  /* The exact size of the token, reserved at once: the appends below never
   * grow the buffer, and out->max caps the token as before. */
  if (payload_len > (SIZE_MAX - 3) / 4 * 3 - 16384 || hdr_len > 16384)
    return DOOR_ETOOBIG;
  need = hdr_len + 1 + door__b64url_len(payload_len) + 1 +
         door__b64url_len(alg == DOOR_ALG_ES256   ? 64
                          : alg == DOOR_ALG_HS256 ? 32
                                                  : key->sig_len);
  err = door__buf_reserve(out, need, &at);
  if (!err)
    err = door__buf_append(out, hdr_b64, hdr_len);
  if (!err)
    err = door__buf_putc(out, '.');
  if (!err)
    err = door__b64url_encode(payload, payload_len, out);
  if (err)
    goto out;
  if (alg == DOOR_ALG_HS256) {
    err = door__jwk_op_hmac(key, (const unsigned char *)out->data + start,
                            out->len - start, sig);
    sig_len = 32;
  } else {
    err = door__jwk_op_sign(key, alg, (const unsigned char *)out->data + start,
                            out->len - start, sig, sizeof sig, &sig_len);
  }
  if (err)
    goto out;
  err = door__buf_putc(out, '.');
  if (!err)
    err = door__b64url_encode(sig, sig_len, out);
out:
  OPENSSL_cleanse(sig, sizeof sig);
  if (err) {
    out->len = start;
    if (out->data)
      out->data[start] = '\0';
  }
  return err;
}

static door_err door__sign_checks(const door_jwk *key, door_alg alg,
                                  const char *payload, size_t payload_len,
                                  const door_buf *out) {
  if (!key || !out || (!payload && payload_len))
    return DOOR_EINVAL;
  if (!door__alg_is_single(alg))
    return DOOR_EALG_UNKNOWN;
  if (!(key->algs & (unsigned)alg))
    return DOOR_EALG_KEY_MISMATCH;
  if (!key->is_private)
    return DOOR_EINVAL; /* a public key cannot sign */
  return DOOR_OK;
}

/* Signs with the cached header of (alg, typ). */
static door_err door__sign_cached(const door_jwk *key, door_alg alg,
                                  int has_typ, const char *typ, size_t typ_len,
                                  const char *payload, size_t payload_len,
                                  door_buf *out) {
  const door__hdr *h = NULL;
  door__hdr *own = NULL;
  door_err err = door__hdr_get(key, alg, has_typ, typ, typ_len, &h, &own);
  if (!err)
    err =
        door__sign_compact(key, alg, h->b64, h->len, payload, payload_len, out);
  if (own) {
    free(own->typ);
    free(own);
  }
  return err;
}

door_err door__jws_sign(const door_jwk *key, door_alg alg,
                        const json_t *header_extra, const char *payload,
                        size_t payload_len, door_buf *out) {
  json_t *typ;
  door_buf hdr, enc;
  door_err err = door__sign_checks(key, alg, payload, payload_len, out);
  if (err)
    return err;
  if (!header_extra)
    return door__sign_cached(key, alg, 0, NULL, 0, payload, payload_len, out);
  typ = json_object_get(header_extra, "typ");
  if (json_is_object(header_extra) && json_object_size(header_extra) == 1 &&
      json_is_string(typ))
    return door__sign_cached(key, alg, 1, json_string_value(typ),
                             json_string_length(typ), payload, payload_len,
                             out);
  /* Any other header: built for this call. */
  door__buf_init(&hdr, 4096);
  door__buf_init(&enc, 8192);
  err = door__sign_header(key, alg, header_extra, &hdr);
  if (!err)
    err = door__b64url_encode(hdr.data, hdr.len, &enc);
  if (!err)
    err = door__sign_compact(key, alg, enc.data, enc.len, payload, payload_len,
                             out);
  door__buf_free(&hdr);
  door__buf_free(&enc);
  return err;
}

door_err door__jws_sign_typ(const door_jwk *key, door_alg alg, const char *typ,
                            const char *payload, size_t payload_len,
                            door_buf *out) {
  door_err err = door__sign_checks(key, alg, payload, payload_len, out);
  if (err)
    return err;
  return door__sign_cached(key, alg, typ != NULL, typ, typ ? strlen(typ) : 0,
                           payload, payload_len, out);
}
