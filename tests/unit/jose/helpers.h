/* Small helpers shared by the JOSE unit tests. */
#ifndef DOOR_TEST_JOSE_HELPERS_H
#define DOOR_TEST_JOSE_HELPERS_H

#include "jose/jose.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

/* A JWK from JSON text. */
static inline door_err h_jwk(const char *text, unsigned flags, door_jwk **out,
                             door_detail *d) {
  json_t *j = NULL;
  door_err err;
  *out = NULL;
  err = door__json_parse(text, strlen(text), 16, &j, d);
  if (err)
    return err;
  err = door__jwk_parse(j, flags, out, d);
  json_decref(j);
  return err;
}

/* An HMAC key from base64url text. */
static inline door_err h_secret_b64(const char *b64, const char *kid,
                                    door_jwk **out) {
  unsigned char raw[256];
  size_t n = 0;
  door_err err = door__b64url_decode(b64, strlen(b64), raw, sizeof raw, &n);
  if (err)
    return err;
  return door__jwk_from_secret(raw, n, kid, out);
}

/* Builds "b64(header).b64(payload).sig_b64" into b (reset first). */
static inline void h_token(door_buf *b, const char *header, const char *payload,
                           const char *sig_b64) {
  door__buf_reset(b);
  door__b64url_encode(header, strlen(header), b);
  door__buf_putc(b, '.');
  door__b64url_encode(payload, strlen(payload), b);
  door__buf_putc(b, '.');
  door__buf_puts(b, sig_b64);
}

/* Same, with a raw signature. */
static inline void h_token_sig(door_buf *b, const char *header,
                               const char *payload, const unsigned char *sig,
                               size_t sig_len) {
  h_token(b, header, payload, "");
  door__b64url_encode(sig, sig_len, b);
}

/* Parses then verifies against one key. */
static inline door_err h_parse_verify(const char *tok, const door_jwk *key,
                                      unsigned allowed) {
  door_jws jws;
  door_err err = door__jws_parse(tok, strlen(tok), NULL, &jws, NULL);
  if (err)
    return err;
  err = door__jws_verify(&jws, key, allowed);
  door__jws_clear(&jws);
  return err;
}

#endif
