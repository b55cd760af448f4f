/* Strict base64url (RFC 7515 section 2): no padding, no '+' or '/', no
 * whitespace, no non-zero trailing bits, no length of 1 mod 4.  Table driven:
 * the gate decodes every token it sees with this. */
#include "jose/jose.h"

#include <string.h>

/* 255: not in the alphabet. */
static const unsigned char door__b64_dec[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    62,  255, 255, 52,  53,  54,  55,  56,  57,  58,  59,  60,  61,  255, 255,
    255, 255, 255, 255, 255, 0,   1,   2,   3,   4,   5,   6,   7,   8,   9,
    10,  11,  12,  13,  14,  15,  16,  17,  18,  19,  20,  21,  22,  23,  24,
    25,  255, 255, 255, 255, 63,  255, 26,  27,  28,  29,  30,  31,  32,  33,
    34,  35,  36,  37,  38,  39,  40,  41,  42,  43,  44,  45,  46,  47,  48,
    49,  50,  51,  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255,
};

static const char door__b64_enc[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t door__b64url_decoded_len(size_t len) {
  size_t r = len % 4;
  return len / 4 * 3 + (r == 2 ? 1 : r == 3 ? 2 : 0);
}

door_err door__b64url_decode(const char *in, size_t len, unsigned char *out,
                             size_t cap, size_t *outlen) {
  const unsigned char *p = (const unsigned char *)in;
  size_t full = len / 4, rem = len % 4, i, o = 0, need;
  unsigned a, b, c, e;
  *outlen = 0;
  if (rem == 1)
    return DOOR_EB64;
  need = door__b64url_decoded_len(len);
  if (need > cap)
    return DOOR_ETOOBIG;
  for (i = 0; i < full; i++, p += 4) {
    a = door__b64_dec[p[0]];
    b = door__b64_dec[p[1]];
    c = door__b64_dec[p[2]];
    e = door__b64_dec[p[3]];
    if ((a | b | c | e) & 0x80u)
      return DOOR_EB64;
    out[o++] = (unsigned char)(a << 2 | b >> 4);
    out[o++] = (unsigned char)(b << 4 | c >> 2);
    out[o++] = (unsigned char)(c << 6 | e);
  }
  if (rem >= 2) {
    a = door__b64_dec[p[0]];
    b = door__b64_dec[p[1]];
    c = rem == 3 ? door__b64_dec[p[2]] : 0;
    if ((a | b | c) & 0x80u)
      return DOOR_EB64;
    if (rem == 2) {
      if (b & 0x0fu) /* 4 bits that belong to no output byte */
        return DOOR_EB64;
      out[o++] = (unsigned char)(a << 2 | b >> 4);
    } else {
      if (c & 0x03u) /* 2 bits that belong to no output byte */
        return DOOR_EB64;
      out[o++] = (unsigned char)(a << 2 | b >> 4);
      out[o++] = (unsigned char)(b << 4 | c >> 2);
    }
  }
  *outlen = o;
  return DOOR_OK;
}

door_err door__b64url_encode(const void *in, size_t len, door_buf *out) {
  const unsigned char *p = in;
  size_t n, i, o = 0;
  char *at;
  door_err err;
  if (!in && len)
    return DOOR_EINVAL;
  if (len > (SIZE_MAX - 3) / 4 * 3)
    return DOOR_ETOOBIG;
  n = len / 3 * 4 + (len % 3 == 1 ? 2 : len % 3 == 2 ? 3 : 0);
  err = door__buf_reserve(out, n, &at);
  if (err)
    return err;
  for (i = 0; i + 3 <= len; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
    at[o++] = door__b64_enc[v >> 18];
    at[o++] = door__b64_enc[v >> 12 & 63];
    at[o++] = door__b64_enc[v >> 6 & 63];
    at[o++] = door__b64_enc[v & 63];
  }
  if (len - i == 1) {
    unsigned v = (unsigned)p[i] << 16;
    at[o++] = door__b64_enc[v >> 18];
    at[o++] = door__b64_enc[v >> 12 & 63];
  } else if (len - i == 2) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
    at[o++] = door__b64_enc[v >> 18];
    at[o++] = door__b64_enc[v >> 12 & 63];
    at[o++] = door__b64_enc[v >> 6 & 63];
  }
  door__buf_commit(out, o);
  return DOOR_OK;
}
