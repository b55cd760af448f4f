/* Key ring primitives (immutable, reference-counted sets of published
 * keys) and the reader of the state directory where earlier versions kept
 * the signing keys and the pairwise key (imported once into the store by
 * keystore.c; see tickets_int.h for the layout).  A key file readable by
 * group or others, or whose key does not match its kid (the RFC 7638
 * thumbprint), is refused. */
#include "tickets/gate_int.h"
#include "tickets/tickets_int.h"
#include "util/json.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DOOR__TK_INDEX_MAX ((size_t)1 << 20)
#define DOOR__TK_PEM_MAX ((size_t)16 << 10)

static char *door__join(const char *dir, const char *name, const char *ext) {
  door_buf b;
  door__buf_init(&b, 8192);
  if (door__buf_puts(&b, dir) || door__buf_putc(&b, '/') ||
      door__buf_puts(&b, name) || (ext && door__buf_puts(&b, ext))) {
    door__buf_free(&b);
    return NULL;
  }
  return door__buf_detach(&b);
}

door__tk_ring *door__tk_ring_ref(door__tk_ring *r) {
  if (r)
    atomic_fetch_add(&r->refs, 1);
  return r;
}

void door__tk_ring_unref(door__tk_ring *r) {
  size_t i;
  if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
    return;
  for (i = 0; i < r->n; i++)
    door__jwk_unref(r->keys[i].jwk);
  free(r->keys);
  free(r);
}

door__tk_ring *door__tk_ring_new(void) {
  door__tk_ring *r = calloc(1, sizeof *r);
  if (r)
    atomic_init(&r->refs, 1);
  return r;
}

door_err door__tk_ring_push(door__tk_ring *r, const door__tk_key *k) {
  door__tk_key *g;
  if (r->n >= DOOR__TK_MAX_KEYS)
    return DOOR_ETOOBIG;
  g = realloc(r->keys, (r->n + 1) * sizeof *g);
  if (!g)
    return DOOR_ENOMEM;
  r->keys = g;
  r->keys[r->n++] = *k;
  return DOOR_OK;
}

static int door__kid_ok(const char *s) {
  size_t i, n = strlen(s);
  if (n == 0 || n > DOOR__TK_KID_MAX)
    return 0;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return 0;
  }
  return 1;
}

/* Reads index.json into r->keys (without loading keys).  A missing file is
 * an empty ring. */
static door_err door__index_read(const char *dir, door__tk_ring *r,
                                 door_detail *d) {
  char *path = door__join(dir, "index.json", NULL), *text = NULL;
  size_t len = 0, i;
  json_t *root = NULL, *keys = NULL, *k;
  struct stat st;
  door_err err;
  if (!path)
    return DOOR_ENOMEM;
  if (stat(path, &st) != 0) {
    err = errno == ENOENT
              ? DOOR_OK
              : door_detail_set(d, DOOR_EIO, path, strerror(errno), NULL);
    free(path);
    return err;
  }
  err = door__gate_read_file(path, DOOR__TK_INDEX_MAX, &text, &len, d);
  if (!err)
    err = door__json_parse(text, len, 8, &root, d);
  if (!err && door__json_get_array(root, "keys", &keys))
    err = DOOR_EJSON_TYPE;
  if (!err && json_array_size(keys) > DOOR__TK_MAX_KEYS)
    err = DOOR_ETOOBIG;
  if (!err) {
    r->keys = calloc(json_array_size(keys) + 1, sizeof *r->keys);
    if (!r->keys)
      err = DOOR_ENOMEM;
  }
  if (!err)
    json_array_foreach(keys, i, k) {
      door__tk_key *e = &r->keys[r->n];
      const char *kid, *alg;
      json_int_t ca, nb, ra;
      if (door__json_get_str(k, "kid", &kid) ||
          door__json_get_str(k, "alg", &alg) ||
          door__json_get_int(k, "created_at", &ca) ||
          door__json_get_int(k, "not_before", &nb) ||
          door__json_get_int(k, "retire_at", &ra) || !door__kid_ok(kid) ||
          strcmp(alg, "ES256") != 0) {
        err = DOOR_EJSON_TYPE;
        break;
      }
      memcpy(e->kid, kid, strlen(kid) + 1);
      e->created_at = ca;
      e->not_before = nb;
      e->retire_at = ra;
      r->n++;
    }
  if (err && err != DOOR_EIO && err != DOOR_ENOMEM)
    err = door_detail_set(d, DOOR_EJSON, path,
                          "the signing key index is malformed",
                          "restore it from a backup, or move the directory "
                          "away to start with new keys");
  json_decref(root);
  free(text);
  free(path);
  return err;
}

door_err door__tk_thumbprint(const door_jwk *key, char out[64]) {
  json_t *j = NULL;
  const char *x, *y;
  door_buf b, enc;
  unsigned char md[32];
  door_err err = door__jwk_public_json(key, 0, &j);
  if (err)
    return err;
  if (door__json_get_str(j, "x", &x) || door__json_get_str(j, "y", &y)) {
    json_decref(j);
    return DOOR_EINVAL;
  }
  door__buf_init(&b, 1024);
  door__buf_init(&enc, 64);
  /* RFC 7638: the required members in lexicographic order, no spaces. */
  err = door__buf_puts(&b, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"");
  if (!err)
    err = door__buf_puts(&b, x);
  if (!err)
    err = door__buf_puts(&b, "\",\"y\":\"");
  if (!err)
    err = door__buf_puts(&b, y);
  if (!err)
    err = door__buf_puts(&b, "\"}");
  if (!err && EVP_Digest(b.data, b.len, md, NULL, EVP_sha256(), NULL) != 1)
    err = DOOR_ECRYPTO;
  if (!err)
    err = door__b64url_encode(md, sizeof md, &enc);
  if (!err)
    memcpy(out, enc.data, enc.len + 1);
  door__buf_free(&b);
  door__buf_free(&enc);
  json_decref(j);
  return err;
}

door_err door__tk_key_from_pem(const char *pem, size_t len, const char *kid,
                               const char *where, door_jwk **out,
                               door_detail *d) {
  char tp[64];
  door_err err = door__jwk_from_pem(pem, len, kid, out, d);
  if (!err &&
      (door__jwk_kty(*out) != DOOR_KTY_EC || !door__jwk_is_private(*out) ||
       door__tk_thumbprint(*out, tp) || strcmp(tp, kid) != 0)) {
    door__jwk_unref(*out);
    *out = NULL;
    err = door_detail_set(d, DOOR_EJWK_INVALID, where,
                          "signing key does not hold the P-256 key its kid "
                          "says",
                          NULL);
  }
  return err;
}

static door_err door__key_load(const char *dir, door__tk_key *k,
                               door_detail *d) {
  char *path = door__join(dir, k->kid, ".pem"), *pem = NULL;
  size_t len = 0;
  struct stat st;
  door_err err = DOOR_OK;
  if (!path)
    return DOOR_ENOMEM;
  if (stat(path, &st) != 0)
    err = door_detail_set(d, DOOR_EIO, path, strerror(errno), NULL);
  else if (st.st_mode & 077)
    err = door_detail_set(d, DOOR_EIO, path,
                          "signing key file is readable by others",
                          "chmod 600 it (and check who read it)");
  if (!err)
    err = door__gate_read_file(path, DOOR__TK_PEM_MAX, &pem, &len, d);
  if (!err)
    err = door__tk_key_from_pem(pem, len, k->kid, path, &k->jwk, d);
  if (pem) {
    OPENSSL_cleanse(pem, len);
    free(pem);
  }
  free(path);
  return err;
}

int door__tk_key_published(const door__tk_key *k, int64_t now) {
  return k->retire_at == 0 || k->retire_at > now;
}

const door__tk_key *door__tk_ring_signer(const door__tk_ring *r, int64_t now) {
  const door__tk_key *best = NULL;
  size_t i;
  for (i = 0; i < r->n; i++) {
    const door__tk_key *k = &r->keys[i];
    if (k->not_before <= now && door__tk_key_published(k, now) &&
        (!best || k->not_before >= best->not_before))
      best = k;
  }
  return best;
}

door_err door__tk_dir_ring(const char *state_dir, int64_t now,
                           door__tk_ring **out, door_detail *d) {
  char *dir = door__join(state_dir, "signing-keys", NULL);
  char *index = door__join(state_dir, "signing-keys/index.json", NULL);
  door__tk_ring *all = door__tk_ring_new(), *r = door__tk_ring_new();
  struct stat st;
  size_t i;
  door_err err = dir && index && all && r ? DOOR_OK : DOOR_ENOMEM;
  *out = NULL;
  if (!err && stat(index, &st) != 0) {
    if (errno != ENOENT)
      err = door_detail_set(d, DOOR_EIO, index, strerror(errno), NULL);
    goto done; /* no ring to import */
  }
  if (!err)
    err = door__index_read(dir, all, d);
  for (i = 0; !err && i < all->n; i++) {
    door__tk_key k = all->keys[i];
    if (!door__tk_key_published(&k, now))
      continue;
    err = door__key_load(dir, &k, d);
    if (!err) {
      err = door__tk_ring_push(r, &k);
      if (err)
        door__jwk_unref(k.jwk);
    }
  }
  if (!err) {
    *out = r;
    r = NULL;
  }
done:
  door__tk_ring_unref(all);
  door__tk_ring_unref(r);
  free(index);
  free(dir);
  return err;
}

void door__tk_dir_mark_imported(const char *state_dir) {
  static const char *const names[] = {"signing-keys/index.json",
                                      "pairwise.key"};
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    char *from = door__join(state_dir, names[i], NULL);
    char *to = door__join(state_dir, names[i], ".imported");
    if (from && to)
      (void)rename(from, to); /* a missing file: nothing to do */
    free(from);
    free(to);
  }
}

/* ---- the pairwise key ---------------------------------------------------- */

static door_err door__pairwise_parse(const char *text, size_t len,
                                     unsigned char key[32]) {
  size_t n = 0;
  while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
    len--;
  if (door__b64url_decode(text, len, key, 32, &n) || n != 32)
    return DOOR_EINVAL;
  return DOOR_OK;
}

door_err door__tk_dir_pairwise(const char *state_dir, unsigned char key[32],
                               int *found, door_detail *d) {
  char *path = door__join(state_dir, "pairwise.key", NULL), *text = NULL;
  size_t len = 0;
  struct stat st;
  door_err err = DOOR_OK;
  *found = 0;
  if (!path)
    return DOOR_ENOMEM;
  if (stat(path, &st) != 0) {
    if (errno != ENOENT)
      err = door_detail_set(d, DOOR_EIO, path, strerror(errno), NULL);
    goto out;
  }
  if (st.st_mode & 077) {
    err = door_detail_set(d, DOOR_EIO, path,
                          "pairwise key file is readable by others",
                          "chmod 600 it");
    goto out;
  }
  err = door__gate_read_file(path, 1024, &text, &len, d);
  if (!err && door__pairwise_parse(text, len, key))
    err = door_detail_set(d, DOOR_EINVAL, path,
                          "pairwise key file is not 32 bytes of base64url",
                          "restore it: every pairwise subject depends "
                          "on it");
  if (!err)
    *found = 1;
out:
  if (err)
    OPENSSL_cleanse(key, 32);
  if (text) {
    OPENSSL_cleanse(text, len);
    free(text);
  }
  free(path);
  return err;
}
