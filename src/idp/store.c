/* door-idp grant stores: string-keyed hash maps with expiry. */
#include "idp/store.h"

#include "jose/jose.h"
#include "util/buf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

struct door_idp_entry {
  door_idp_entry *next;
  uint64_t hash;
  char *key;
  door_idp_grant g;
};

#define STORE_MIN_BUCKETS 256
#define SWEEP_PER_PUT 4

static char *dup_or_null(const char *s) {
  size_t n;
  char *p;
  if (!s)
    return NULL;
  n = strlen(s) + 1;
  p = malloc(n);
  if (p)
    memcpy(p, s, n);
  return p;
}

void door__idp_grant_free(door_idp_grant *g) {
  if (!g)
    return;
  free(g->client_id);
  free(g->user_id);
  free(g->scope);
  free(g->nonce);
  free(g->sid);
  free(g->redirect_uri);
  free(g->code_challenge);
  free(g->challenge_method);
  free(g->clients);
  free(g->issued);
  memset(g, 0, sizeof *g);
}

door_err door__idp_grant_copy(door_idp_grant *dst, const door_idp_grant *src) {
  door_idp_grant g;
  memset(&g, 0, sizeof g);
#define COPY_(f)                                                               \
  do {                                                                         \
    if (src->f && !(g.f = dup_or_null(src->f)))                                \
      goto nomem;                                                              \
  } while (0)
  COPY_(client_id);
  COPY_(user_id);
  COPY_(scope);
  COPY_(nonce);
  COPY_(sid);
  COPY_(redirect_uri);
  COPY_(code_challenge);
  COPY_(challenge_method);
  COPY_(clients);
  COPY_(issued);
#undef COPY_
  g.auth_time = src->auth_time;
  g.exp = src->exp;
  g.used = src->used;
  *dst = g;
  return DOOR_OK;
nomem:
  door__idp_grant_free(&g);
  return DOOR_ENOMEM;
}

/* FNV-1a, 64 bit: keys are random tokens, so no flooding concern. */
static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  return h;
}

door_err door__idp_store_init(door_idp_store *s, size_t max) {
  memset(s, 0, sizeof *s);
  s->buckets = calloc(STORE_MIN_BUCKETS, sizeof *s->buckets);
  if (!s->buckets)
    return DOOR_ENOMEM;
  if (pthread_mutex_init(&s->lock, NULL) != 0) {
    free(s->buckets);
    s->buckets = NULL;
    return DOOR_EINTERNAL;
  }
  s->nbuckets = STORE_MIN_BUCKETS;
  s->max = max;
  return DOOR_OK;
}

static void entry_free(door_idp_entry *e) {
  door__idp_grant_free(&e->g);
  free(e->key);
  free(e);
}

void door__idp_store_free(door_idp_store *s) {
  size_t i;
  door_idp_entry *e, *next;
  if (!s->buckets)
    return;
  for (i = 0; i < s->nbuckets; i++) {
    for (e = s->buckets[i]; e; e = next) {
      next = e->next;
      entry_free(e);
    }
  }
  free(s->buckets);
  pthread_mutex_destroy(&s->lock);
  memset(s, 0, sizeof *s);
}

size_t door__idp_store_count(door_idp_store *s) {
  size_t n;
  pthread_mutex_lock(&s->lock);
  n = s->n;
  pthread_mutex_unlock(&s->lock);
  return n;
}

/* Unlinks and frees expired entries of bucket i. */
static size_t sweep_bucket(door_idp_store *s, size_t i, int64_t now) {
  door_idp_entry **pp = &s->buckets[i], *e;
  size_t dropped = 0;
  while ((e = *pp) != NULL) {
    if (e->g.exp <= now) {
      *pp = e->next;
      entry_free(e);
      s->n--;
      dropped++;
    } else {
      pp = &e->next;
    }
  }
  return dropped;
}

static size_t purge_locked(door_idp_store *s, int64_t now) {
  size_t i, n = 0;
  for (i = 0; i < s->nbuckets; i++)
    n += sweep_bucket(s, i, now);
  return n;
}

size_t door__idp_store_purge(door_idp_store *s, int64_t now) {
  size_t n;
  pthread_mutex_lock(&s->lock);
  n = purge_locked(s, now);
  pthread_mutex_unlock(&s->lock);
  return n;
}

static void grow_locked(door_idp_store *s) {
  size_t nb = s->nbuckets * 2, i;
  door_idp_entry **b = calloc(nb, sizeof *b), *e, *next;
  if (!b)
    return; /* keep the old table: longer chains, still correct */
  for (i = 0; i < s->nbuckets; i++) {
    for (e = s->buckets[i]; e; e = next) {
      next = e->next;
      e->next = b[e->hash & (nb - 1)];
      b[e->hash & (nb - 1)] = e;
    }
  }
  free(s->buckets);
  s->buckets = b;
  s->nbuckets = nb;
  s->sweep = 0;
}

static door_idp_entry **find_locked(door_idp_store *s, const char *key,
                                    uint64_t h) {
  door_idp_entry **pp = &s->buckets[h & (s->nbuckets - 1)], *e;
  for (; (e = *pp) != NULL; pp = &e->next) {
    if (e->hash == h && strcmp(e->key, key) == 0)
      return pp;
  }
  return NULL;
}

door_err door__idp_store_put(door_idp_store *s, const char *key,
                             const door_idp_grant *g, int64_t now) {
  door_err err = DOOR_OK;
  door_idp_entry *e = calloc(1, sizeof *e);
  size_t i, b;
  if (!e)
    return DOOR_ENOMEM;
  e->hash = hash_str(key);
  e->key = dup_or_null(key);
  if (!e->key) {
    free(e);
    return DOOR_ENOMEM;
  }
  err = door__idp_grant_copy(&e->g, g);
  if (err) {
    free(e->key);
    free(e);
    return err;
  }
  pthread_mutex_lock(&s->lock);
  for (i = 0; i < SWEEP_PER_PUT; i++) {
    sweep_bucket(s, s->sweep, now);
    s->sweep = (s->sweep + 1) & (s->nbuckets - 1);
  }
  if (s->n >= s->max)
    purge_locked(s, now);
  if (s->n >= s->max) {
    err = DOOR_ETOOBIG;
  } else if (find_locked(s, key, e->hash)) {
    err = DOOR_EEXISTS;
  } else {
    if (s->n >= s->nbuckets)
      grow_locked(s);
    b = e->hash & (s->nbuckets - 1);
    e->next = s->buckets[b];
    s->buckets[b] = e;
    s->n++;
    e = NULL;
  }
  pthread_mutex_unlock(&s->lock);
  if (e)
    entry_free(e);
  return err;
}

static door_err lookup_locked(door_idp_store *s, const char *key, int64_t now,
                              door_idp_entry ***out) {
  door_idp_entry **pp = find_locked(s, key, hash_str(key)), *e;
  if (!pp)
    return DOOR_ENOTFOUND;
  e = *pp;
  if (e->g.exp <= now) {
    *pp = e->next;
    entry_free(e);
    s->n--;
    return DOOR_EIDP_GRANT_EXPIRED;
  }
  *out = pp;
  return DOOR_OK;
}

door_err door__idp_store_get(door_idp_store *s, const char *key, int64_t now,
                             door_idp_grant *out) {
  door_idp_entry **pp = NULL;
  door_err err;
  pthread_mutex_lock(&s->lock);
  err = lookup_locked(s, key, now, &pp);
  if (!err && out)
    err = door__idp_grant_copy(out, &(*pp)->g);
  pthread_mutex_unlock(&s->lock);
  return err;
}

door_err door__idp_store_take(door_idp_store *s, const char *key, int64_t now,
                              door_idp_grant *out) {
  door_idp_entry **pp = NULL, *e = NULL;
  door_err err;
  pthread_mutex_lock(&s->lock);
  err = lookup_locked(s, key, now, &pp);
  if (!err) {
    e = *pp;
    *pp = e->next;
    s->n--;
  }
  pthread_mutex_unlock(&s->lock);
  if (e) {
    if (out) {
      *out = e->g; /* hand the strings over */
      memset(&e->g, 0, sizeof e->g);
    }
    entry_free(e);
  }
  return err;
}

door_err door__idp_store_del(door_idp_store *s, const char *key) {
  door_idp_entry **pp, *e = NULL;
  pthread_mutex_lock(&s->lock);
  pp = find_locked(s, key, hash_str(key));
  if (pp) {
    e = *pp;
    *pp = e->next;
    s->n--;
  }
  pthread_mutex_unlock(&s->lock);
  if (!e)
    return DOOR_ENOTFOUND;
  entry_free(e);
  return DOOR_OK;
}

/* 1 when `word` is one of the space-separated words of `list`. */
static int has_word(const char *list, const char *word) {
  size_t n = strlen(word);
  const char *p = list;
  while (p && *p) {
    const char *end = strchr(p, ' ');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && memcmp(p, word, n) == 0)
      return 1;
    p = end ? end + 1 : NULL;
  }
  return 0;
}

door_err door__idp_store_append(door_idp_store *s, const char *key,
                                size_t field, const char *word) {
  door_idp_entry **pp;
  door_err err = DOOR_OK;
  char **slot, *old;
  door_buf b;
  door__buf_init(&b, 1u << 16);
  pthread_mutex_lock(&s->lock);
  pp = find_locked(s, key, hash_str(key));
  if (!pp) {
    err = DOOR_ENOTFOUND;
    goto out;
  }
  slot = (char **)(void *)((char *)&(*pp)->g + field);
  old = *slot;
  if (old && has_word(old, word))
    goto out;
  if (old && *old) {
    err = door__buf_puts(&b, old);
    if (!err)
      err = door__buf_putc(&b, ' ');
  }
  if (!err)
    err = door__buf_puts(&b, word);
  if (err)
    goto out;
  *slot = door__buf_detach(&b);
  if (!*slot) {
    *slot = old;
    err = DOOR_ENOMEM;
    goto out;
  }
  free(old);
out:
  pthread_mutex_unlock(&s->lock);
  door__buf_free(&b);
  return err;
}

static int str_eq(const char *a, const char *b) {
  if (!a || !b)
    return a == b;
  return strcmp(a, b) == 0;
}

door_err door__idp_code_redeem(door_idp_store *s, const char *code,
                               const char *client_id, const char *redirect_uri,
                               int64_t now, int keep, door_idp_grant *out) {
  door_idp_entry **pp = NULL;
  door_idp_grant *g;
  door_err err;
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&s->lock);
  err = lookup_locked(s, code, now, &pp);
  if (err)
    goto out;
  g = &(*pp)->g;
  if (g->used) {
    err = door__idp_grant_copy(out, g);
    if (!err)
      err = DOOR_EIDP_GRANT_USED;
    goto out;
  }
  if (!str_eq(g->client_id, client_id)) {
    err = DOOR_EIDP_GRANT_CLIENT;
    goto out;
  }
  /* RFC 6749 4.1.3: redirect_uri must be identical when the authorization
   * request carried one (every request does at door-idp). */
  if (!str_eq(g->redirect_uri, redirect_uri)) {
    err = DOOR_EIDP_GRANT_REDIRECT;
    goto out;
  }
  err = door__idp_grant_copy(out, g);
  if (!err && !keep)
    g->used = 1;
out:
  pthread_mutex_unlock(&s->lock);
  return err;
}

static int pkce_char_ok(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

door_err door__idp_pkce_check(const char *challenge, const char *method,
                              const char *verifier) {
  unsigned char md[32];
  unsigned int mdlen = 0;
  size_t i, n;
  door_buf b;
  door_err err;
  int same;
  if (!verifier || !*verifier)
    return DOOR_EIDP_PKCE_MISSING;
  n = strlen(verifier);
  if (n < 43 || n > 128)
    return DOOR_EIDP_PKCE_FORMAT;
  for (i = 0; i < n; i++) {
    if (!pkce_char_ok((unsigned char)verifier[i]))
      return DOOR_EIDP_PKCE_FORMAT;
  }
  if (!challenge)
    return DOOR_EIDP_PKCE;
  if (method && strcmp(method, "plain") == 0)
    return strcmp(challenge, verifier) == 0 ? DOOR_OK : DOOR_EIDP_PKCE;
  if (method && strcmp(method, "S256") != 0)
    return DOOR_EUNSUPPORTED;
  if (!EVP_Digest(verifier, n, md, &mdlen, EVP_sha256(), NULL))
    return DOOR_ECRYPTO;
  door__buf_init(&b, 64);
  err = door__b64url_encode(md, mdlen, &b);
  if (err) {
    door__buf_free(&b);
    return err;
  }
  same = strcmp(door__buf_str(&b), challenge) == 0;
  door__buf_free(&b);
  return same ? DOOR_OK : DOOR_EIDP_PKCE;
}

static door_err b64_token(const unsigned char *raw, size_t n, char *out,
                          size_t cap) {
  door_buf b;
  door_err err;
  door__buf_init(&b, 128);
  err = door__b64url_encode(raw, n, &b);
  if (!err && b.len + 1 > cap)
    err = DOOR_ETOOBIG;
  if (!err)
    memcpy(out, b.data, b.len + 1);
  door__buf_free(&b);
  return err;
}

door_err door__idp_random_token(size_t n, char *out, size_t cap) {
  unsigned char raw[64];
  door_err err;
  if (n > sizeof raw)
    return DOOR_EINVAL;
  if (RAND_bytes(raw, (int)n) != 1)
    return DOOR_ERANDOM;
  err = b64_token(raw, n, out, cap);
  OPENSSL_cleanse(raw, n);
  return err;
}

door_err door__idp_rng_init(door_idp_rng *r) {
  r->pos = sizeof r->buf;
  return pthread_mutex_init(&r->lock, NULL) == 0 ? DOOR_OK : DOOR_EINTERNAL;
}

void door__idp_rng_free(door_idp_rng *r) {
  OPENSSL_cleanse(r->buf, sizeof r->buf);
  pthread_mutex_destroy(&r->lock);
}

door_err door__idp_rng_token(door_idp_rng *r, size_t n, char *out, size_t cap) {
  unsigned char raw[64];
  door_err err = DOOR_OK;
  if (n > sizeof raw)
    return DOOR_EINVAL;
  pthread_mutex_lock(&r->lock);
  if (r->pos > sizeof r->buf - n) {
    if (RAND_bytes(r->buf, (int)sizeof r->buf) == 1)
      r->pos = 0;
    else
      err = DOOR_ERANDOM;
  }
  if (!err) {
    memcpy(raw, r->buf + r->pos, n);
    OPENSSL_cleanse(r->buf + r->pos, n);
    r->pos += n;
  }
  pthread_mutex_unlock(&r->lock);
  if (err)
    return err;
  err = b64_token(raw, n, out, cap);
  OPENSSL_cleanse(raw, n);
  return err;
}
