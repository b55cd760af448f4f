/* door__jws_parse: compact JWS, strict and bounded.
 *
 * Memory is O(1) in the number of dots: three memchr calls find the two
 * dots and refuse a third, nothing is allocated per segment.  The decoded
 * header and payload live in stack buffers up to the default caps (larger
 * caps fall back to one heap buffer each), and each is parsed once by
 * jansson. */
#include "jose/jose_int.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

/* Decoded sizes of the default caps (2048 and 12288 encoded bytes). */
#define DOOR__HDR_STACK 1536
#define DOOR__PAYLOAD_STACK 9216

/* JSON errors keep their own code (duplicate, depth, UTF-8); anything else
 * malformed becomes `code` (JWS_HEADER or JWS_PAYLOAD). */
static door_err door__seg_json(const unsigned char *s, size_t len,
                               door_err code, const char *where, json_t **out,
                               door_detail *d) {
  door_err err =
      door__json_parse((const char *)s, len, DOOR_JOSE_JSON_DEPTH, out, d);
  if (err == DOOR_EJSON)
    return door_detail_set(d, code, where, "segment is not valid JSON", NULL);
  if (err) {
    if (d) /* where: the segment, not the byte offset inside it */
      memcpy(d->where, where, strlen(where) + 1);
    return err;
  }
  if (!json_is_object(*out)) {
    json_decref(*out);
    *out = NULL;
    return door_detail_set(d, code, where, "segment is not a JSON object",
                           NULL);
  }
  return DOOR_OK;
}

/* Decodes one segment into `stack` when it fits, else into *heap. */
static door_err door__seg_decode(const char *seg, size_t len,
                                 unsigned char *stack, size_t stack_cap,
                                 unsigned char **heap, unsigned char **buf,
                                 size_t *out_len, const char *where,
                                 door_detail *d) {
  size_t need = door__b64url_decoded_len(len);
  door_err err;
  *buf = stack;
  if (need > stack_cap) {
    *heap = malloc(need ? need : 1);
    if (!*heap)
      return DOOR_ENOMEM;
    *buf = *heap;
    stack_cap = need;
  }
  err = door__b64url_decode(seg, len, *buf, stack_cap, out_len);
  if (err)
    return door_detail_set(d, DOOR_EB64, where,
                           "segment is not strict base64url", NULL);
  return DOOR_OK;
}

static int door__has(const json_t *o, const char *k) {
  return json_object_get(o, k) != NULL;
}

door_err door__jws_parse(const char *token, size_t len,
                         const door_jws_limits *lim, door_jws *out,
                         door_detail *d) {
  static const door_jws_limits defaults = DOOR_JWS_LIMITS_DEFAULT;
  static const char *const keyref[] = {"jwk", "jku", "x5u", "x5c"};
  unsigned char hstack[DOOR__HDR_STACK], pstack[DOOR__PAYLOAD_STACK];
  unsigned char *hheap = NULL, *pheap = NULL, *hbuf, *pbuf;
  const char *dot1, *dot2, *h, *p, *s, *alg;
  size_t hl, pl, sl, hlen = 0, plen = 0, i;
  json_t *hdr = NULL, *payload = NULL, *v;
  door_err err;

  if (!out)
    return DOOR_EINVAL;
  memset(out, 0, sizeof *out);
  if (!token)
    return door_detail_set(d, DOOR_EINVAL, NULL, "no token", NULL);
  if (!lim)
    lim = &defaults;
  if (len > lim->max_total)
    return door_detail_set(d, DOOR_EJWS_TOOBIG, "token",
                           "token larger than its cap", NULL);
  dot1 = memchr(token, '.', len);
  dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
  if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
    return door_detail_set(d, DOOR_EJWS_SEGMENTS, "token",
                           "compact JWS needs exactly three segments", NULL);
  h = token;
  hl = (size_t)(dot1 - token);
  p = dot1 + 1;
  pl = (size_t)(dot2 - p);
  s = dot2 + 1;
  sl = len - (size_t)(s - token);
  if (hl > lim->max_header)
    return door_detail_set(d, DOOR_EJWS_TOOBIG, "header",
                           "header segment larger than its cap", NULL);
  if (pl > lim->max_payload)
    return door_detail_set(d, DOOR_EJWS_TOOBIG, "payload",
                           "payload segment larger than its cap", NULL);
  if (sl > lim->max_sig)
    return door_detail_set(d, DOOR_EJWS_TOOBIG, "signature",
                           "signature segment larger than its cap", NULL);

  err = door__seg_decode(h, hl, hstack, sizeof hstack, &hheap, &hbuf, &hlen,
                         "header", d);
  if (err)
    goto out;
  err = door__seg_decode(p, pl, pstack, sizeof pstack, &pheap, &pbuf, &plen,
                         "payload", d);
  if (err)
    goto out;
  err = door__b64url_decode(s, sl, out->sig, sizeof out->sig, &out->sig_len);
  if (err == DOOR_ETOOBIG) {
    err = door_detail_set(d, DOOR_EJWS_TOOBIG, "signature",
                          "signature larger than RSA 4096", NULL);
    goto out;
  }
  if (err) {
    err = door_detail_set(d, DOOR_EB64, "signature",
                          "segment is not strict base64url", NULL);
    goto out;
  }

  err = door__seg_json(hbuf, hlen, DOOR_EJWS_HEADER, "header", &hdr, d);
  if (err)
    goto out;
  v = json_object_get(hdr, "alg");
  if (!json_is_string(v)) {
    err = door_detail_set(d, DOOR_EJWS_HEADER, "header.alg",
                          "alg missing or not a string", NULL);
    goto out;
  }
  alg = json_string_value(v);
  if (door__alg_is_none(alg, json_string_length(v))) {
    err = door_detail_set(d, DOOR_EALG_NONE, "header.alg",
                          "unsigned token (alg none)", NULL);
    goto out;
  }
  out->alg = door__alg_from_name(alg, json_string_length(v));
  if (out->alg == DOOR_ALG_UNKNOWN) {
    err = door_detail_set(d, DOOR_EALG_UNKNOWN, "header.alg",
                          "unsupported algorithm",
                          "RS256, PS256, ES256 and HS256 are supported");
    goto out;
  }
  if (door__has(hdr, "crit")) {
    err =
        door_detail_set(d, DOOR_EJWS_CRIT, "header.crit",
                        "critical header extensions are not understood", NULL);
    goto out;
  }
  for (i = 0; i < sizeof keyref / sizeof keyref[0]; i++)
    if (door__has(hdr, keyref[i])) {
      err = door_detail_set(d, DOOR_EJWS_KEYREF, keyref[i],
                            "token header tries to supply its own key",
                            "keys only come from configuration or the JWKS");
      goto out;
    }
  v = json_object_get(hdr, "kid");
  if (v && !json_is_string(v)) {
    err = door_detail_set(d, DOOR_EJWS_HEADER, "header.kid",
                          "kid is not a string", NULL);
    goto out;
  }
  out->kid = v ? json_string_value(v) : NULL;
  v = json_object_get(hdr, "typ");
  if (v && !json_is_string(v)) {
    err = door_detail_set(d, DOOR_EJWS_HEADER, "header.typ",
                          "typ is not a string", NULL);
    goto out;
  }
  out->typ = v ? json_string_value(v) : NULL;

  err = door__seg_json(pbuf, plen, DOOR_EJWS_PAYLOAD, "payload", &payload, d);
  if (err)
    goto out;
  out->header = hdr;
  out->payload = payload;
  out->signing_input = token;
  out->signing_input_len = (size_t)(dot2 - token);
  hdr = payload = NULL;
out:
  free(hheap);
  free(pheap);
  if (err) {
    json_decref(hdr);
    json_decref(payload);
    memset(out, 0, sizeof *out);
  }
  return err;
}

void door__jws_clear(door_jws *jws) {
  if (!jws)
    return;
  json_decref(jws->header);
  json_decref(jws->payload);
  memset(jws, 0, sizeof *jws);
}
