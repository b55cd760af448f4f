/* The gate's strict reader: the flat header and claim set of a
 * participation token, read without building a JSON tree.
 *
 * It takes a subset of what the JOSE module's parser takes (RFC 8259 JSON
 * whitespace, standard escapes with surrogate pairs, strict UTF-8) and
 * refuses the rest: duplicates, unknown members, other value types,
 * "\u0000", lone surrogates, unknown escapes, non-canonical numbers
 * (leading zeros, signs, fractions, exponents, more than 15 digits).  A
 * refusal is always DOOR_EJSON: the gate then asks the full parser for the
 * reason.  The fuzz target fuzz_gate checks that whatever this reader
 * takes, jansson reads to the same values. */
#include "tickets/gate_int.h"

#include <string.h>

typedef struct door__rd {
  const unsigned char *p, *end;
} door__rd;

static void door__rd_ws(door__rd *r) {
  while (r->p < r->end &&
         (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
    r->p++;
}

static int door__hex4(const unsigned char *p, unsigned *out) {
  unsigned v = 0, i;
  for (i = 0; i < 4; i++) {
    unsigned c = p[i], x;
    if (c >= '0' && c <= '9')
      x = c - '0';
    else if (c >= 'a' && c <= 'f')
      x = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      x = c - 'A' + 10;
    else
      return -1;
    v = (v << 4) | x;
  }
  *out = v;
  return 0;
}

/* Length of the strict UTF-8 sequence at p (lead byte >= 0x80), or 0. */
static size_t door__utf8_len(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0];
  unsigned lo = 0x80, hi = 0xbf;
  size_t n, i;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0)
      lo = 0xa0; /* overlong */
    else if (c == 0xed)
      hi = 0x9f; /* surrogates */
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0)
      lo = 0x90; /* overlong */
    else if (c == 0xf4)
      hi = 0x8f; /* above U+10FFFF */
  } else
    return 0;
  if ((size_t)(end - p) < n)
    return 0;
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xbf)
      return 0;
  return n;
}

static size_t door__utf8_put(unsigned cp, char *o) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xc0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* A \uXXXX escape at r->p (after the backslash and 'u' were seen: r->p
 * points at the hex digits), with its low surrogate when it is a high one.
 * The code point, or -1. */
static long door__rd_uescape(door__rd *r) {
  unsigned hi, lo;
  if (r->end - r->p < 4 || door__hex4(r->p, &hi))
    return -1;
  r->p += 4;
  if (hi == 0 || (hi >= 0xdc00 && hi <= 0xdfff))
    return -1;
  if (hi < 0xd800 || hi > 0xdbff)
    return (long)hi;
  if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
      door__hex4(r->p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
    return -1;
  r->p += 6;
  return 0x10000L + (((long)hi - 0xd800) << 10) + ((long)lo - 0xdc00);
}

/* A string at r->p (which must be '"'), decoded into out (at most cap
 * bytes, then NUL).  0, or -1 to refuse. */
static int door__rd_str(door__rd *r, char *out, size_t cap, size_t *olen) {
  size_t n = 0;
  if (r->p >= r->end || *r->p != '"')
    return -1;
  r->p++;
  while (r->p < r->end) {
    unsigned c = *r->p;
    if (c == '"') {
      r->p++;
      out[n] = '\0';
      *olen = n;
      return 0;
    }
    if (c < 0x20)
      return -1;
    if (c == '\\') {
      unsigned char e;
      char tmp[4];
      size_t k;
      if (r->end - r->p < 2)
        return -1;
      e = r->p[1];
      r->p += 2;
      switch (e) {
      case '"':
      case '\\':
      case '/':
        tmp[0] = (char)e;
        k = 1;
        break;
      case 'b':
        tmp[0] = '\b';
        k = 1;
        break;
      case 'f':
        tmp[0] = '\f';
        k = 1;
        break;
      case 'n':
        tmp[0] = '\n';
        k = 1;
        break;
      case 'r':
        tmp[0] = '\r';
        k = 1;
        break;
      case 't':
        tmp[0] = '\t';
        k = 1;
        break;
      case 'u': {
        long cp = door__rd_uescape(r);
        if (cp < 0)
          return -1;
        k = door__utf8_put((unsigned)cp, tmp);
        break;
      }
      default:
        return -1;
      }
      if (cap - n < k)
        return -1;
      memcpy(out + n, tmp, k);
      n += k;
      continue;
    }
    if (c < 0x80) {
      if (n == cap)
        return -1;
      out[n++] = (char)c;
      r->p++;
      continue;
    }
    {
      size_t k = door__utf8_len(r->p, r->end);
      if (!k || cap - n < k)
        return -1;
      memcpy(out + n, r->p, k);
      n += k;
      r->p += k;
    }
  }
  return -1;
}

/* A canonical non-negative integer of at most 15 digits. */
static int door__rd_int(door__rd *r, int64_t *out) {
  int64_t v = 0;
  size_t digits = 0;
  if (r->p >= r->end || *r->p < '0' || *r->p > '9')
    return -1;
  if (*r->p == '0') {
    r->p++;
    digits = 1;
  } else {
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
      if (++digits > 15)
        return -1;
      v = v * 10 + (*r->p - '0');
      r->p++;
    }
  }
  if (r->p < r->end && ((*r->p >= '0' && *r->p <= '9') || *r->p == '.' ||
                        *r->p == 'e' || *r->p == 'E'))
    return -1;
  *out = v;
  return 0;
}

int door__gate_value_ok(const char *s, size_t len, size_t cap) {
  size_t i;
  if (!s || len == 0 || len > cap)
    return 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f)
      return 0;
  }
  return 1;
}

/* One member slot of a flat object. */
typedef struct door__slot {
  const char *name;
  char *str; /* string member: buffer of cap + 1 */
  size_t cap;
  size_t *len;  /* may be NULL */
  int64_t *num; /* integer member */
} door__slot;

/* Reads {"name": value, ...} where every name is one of `slots`, each
 * exactly once. */
static door_err door__rd_object(const unsigned char *s, size_t len,
                                const door__slot *slots, size_t nslots) {
  door__rd r = {s, s + len};
  unsigned seen = 0;
  door__rd_ws(&r);
  if (r.p >= r.end || *r.p != '{')
    return DOOR_EJSON;
  r.p++;
  door__rd_ws(&r);
  if (r.p < r.end && *r.p == '}')
    return DOOR_EJSON; /* empty: members missing */
  for (;;) {
    char name[8];
    size_t nlen = 0, i, vlen = 0;
    const door__slot *sl = NULL;
    if (door__rd_str(&r, name, sizeof name - 1, &nlen))
      return DOOR_EJSON;
    for (i = 0; i < nslots; i++)
      if (strlen(slots[i].name) == nlen &&
          memcmp(slots[i].name, name, nlen) == 0) {
        sl = &slots[i];
        break;
      }
    if (!sl || (seen & (1u << i)))
      return DOOR_EJSON;
    seen |= 1u << i;
    door__rd_ws(&r);
    if (r.p >= r.end || *r.p != ':')
      return DOOR_EJSON;
    r.p++;
    door__rd_ws(&r);
    if (sl->str) {
      if (door__rd_str(&r, sl->str, sl->cap, &vlen) ||
          !door__gate_value_ok(sl->str, vlen, sl->cap))
        return DOOR_EJSON;
      if (sl->len)
        *sl->len = vlen;
    } else if (door__rd_int(&r, sl->num))
      return DOOR_EJSON;
    door__rd_ws(&r);
    if (r.p >= r.end)
      return DOOR_EJSON;
    if (*r.p == ',') {
      r.p++;
      door__rd_ws(&r);
      continue;
    }
    if (*r.p != '}')
      return DOOR_EJSON;
    r.p++;
    break;
  }
  door__rd_ws(&r);
  if (r.p != r.end || seen != (1u << nslots) - 1)
    return DOOR_EJSON;
  return DOOR_OK;
}

door_err door__gate_read_header(const unsigned char *s, size_t len,
                                door__gate_header *out) {
  const door__slot slots[] = {
      {"alg", out->alg, DOOR__GATE_ALG_MAX, NULL, NULL},
      {"typ", out->typ, DOOR__GATE_TYP_MAX, NULL, NULL},
      {"kid", out->kid, DOOR_GATE_KID_MAX, &out->kid_len, NULL},
  };
  return door__rd_object(s, len, slots, sizeof slots / sizeof slots[0]);
}

door_err door__gate_read_claims(const unsigned char *s, size_t len,
                                door__gate_claims *out) {
  const door__slot slots[] = {
      {"iss", out->iss, DOOR_GATE_ISS_MAX, &out->iss_len, NULL},
      {"aud", out->aud, DOOR_GATE_AUD_MAX, &out->aud_len, NULL},
      {"sub", out->sub, DOOR_GATE_SUB_MAX, NULL, NULL},
      {"tier", out->tier, DOOR_GATE_TIER_MAX, NULL, NULL},
      {"iat", NULL, 0, NULL, &out->iat},
      {"nbf", NULL, 0, NULL, &out->nbf},
      {"exp", NULL, 0, NULL, &out->exp},
      {"jti", out->jti, DOOR_GATE_JTI_MAX, NULL, NULL},
  };
  return door__rd_object(s, len, slots, sizeof slots / sizeof slots[0]);
}
