/* The broker's signing keys and pairwise key in the state directory.
 *
 *   STATE_DIR/                 mode 0700 when made here
 *     pairwise.key             base64url of 32 random bytes, 0600
 *     signing-keys/            0700
 *       .lock                  flock()ed while the ring changes
 *       index.json             {"version":1,"keys":[{"kid","alg",
 *                               "created_at","not_before","retire_at"}]}
 *       KID.pem                PKCS#8 private key, 0600
 *
 * Every change happens under the lock, writes the key file before the
 * index that names it (files are written to a temporary name, synced and
 * renamed) and drops a key from the index before deleting its file, so a
 * crash never leaves the index naming a missing key.  A key file readable
 * by group or others, or whose key does not match its kid (the RFC 7638
 * thumbprint), is refused. */
#include "tickets/gate_int.h"
#include "tickets/tickets_int.h"
#include "util/json.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DOOR__TK_INDEX_MAX ((size_t)1 << 20)
#define DOOR__TK_PEM_MAX ((size_t)16 << 10)
#define DOOR__TK_MAX_KEYS 64

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

door_err door__tk_ring_dir(const char *state_dir, char **out) {
  *out = door__join(state_dir, "signing-keys", NULL);
  return *out ? DOOR_OK : DOOR_ENOMEM;
}

static door_err door__mkdir(const char *path, door_detail *d) {
  struct stat st;
  if (mkdir(path, 0700) == 0)
    return DOOR_OK;
  if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return DOOR_OK;
  return door_detail_set(d, DOOR_EIO, path, strerror(errno),
                         "make the state directory writable by the broker");
}

/* The parent of `dir` (the state directory) and `dir` itself. */
static door_err door__mkdirs(const char *dir, door_detail *d) {
  const char *slash = strrchr(dir, '/');
  door_err err;
  if (slash && slash != dir) {
    char *parent = strndup(dir, (size_t)(slash - dir));
    if (!parent)
      return DOOR_ENOMEM;
    err = door__mkdir(parent, d);
    free(parent);
    if (err)
      return err;
  }
  return door__mkdir(dir, d);
}

static door_err door__lock(const char *dir, int *fd, door_detail *d) {
  char *path = door__join(dir, ".lock", NULL);
  door_err err = DOOR_OK;
  *fd = -1;
  if (!path)
    return DOOR_ENOMEM;
  *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (*fd < 0)
    err = door_detail_set(d, DOOR_EIO, path, strerror(errno), NULL);
  while (!err && flock(*fd, LOCK_EX) != 0)
    if (errno != EINTR) {
      err = door_detail_set(d, DOOR_EIO, path, strerror(errno), NULL);
      close(*fd);
      *fd = -1;
    }
  free(path);
  return err;
}

static void door__unlock(int fd) {
  if (fd >= 0)
    close(fd); /* releases the flock */
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

static door__tk_ring *door__ring_new(void) {
  door__tk_ring *r = calloc(1, sizeof *r);
  if (r)
    atomic_init(&r->refs, 1);
  return r;
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
  r->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  r->size = st.st_size;
  r->ino = st.st_ino;
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

static door_err door__index_write(const char *dir, const door__tk_ring *r,
                                  door_detail *d) {
  json_t *root = json_object(), *keys = json_array();
  door_buf out;
  char *path = door__join(dir, "index.json", NULL);
  size_t i;
  door_err err = DOOR_OK;
  door__buf_init(&out, DOOR__TK_INDEX_MAX);
  if (!root || !keys || !path ||
      json_object_set_new(root, "version", json_integer(1)))
    err = DOOR_ENOMEM;
  for (i = 0; !err && i < r->n; i++) {
    const door__tk_key *k = &r->keys[i];
    json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I}", "kid", k->kid, "alg",
                          "ES256", "created_at", (json_int_t)k->created_at,
                          "not_before", (json_int_t)k->not_before, "retire_at",
                          (json_int_t)k->retire_at);
    if (!o || json_array_append_new(keys, o))
      err = DOOR_ENOMEM;
  }
  if (!err && json_object_set(root, "keys", keys))
    err = DOOR_ENOMEM;
  if (!err)
    err = door__json_dump(root, &out);
  if (!err)
    err = door__buf_putc(&out, '\n');
  if (!err)
    err = door__gate_write_file(path, out.data, out.len, 0600, d);
  json_decref(keys);
  json_decref(root);
  door__buf_free(&out);
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

/* A new P-256 key written to DIR/KID.pem (0600, never overwriting). */
static door_err door__key_create(const char *dir, int64_t now,
                                 int64_t not_before, door__tk_key *out,
                                 door_detail *d) {
  door_jwk *k = NULL;
  door_buf pem;
  char *path = NULL;
  int fd = -1;
  size_t off = 0;
  door_err err;
  memset(out, 0, sizeof *out);
  door__buf_init(&pem, DOOR__TK_PEM_MAX);
  err = door__jwk_generate(DOOR_ALG_ES256, NULL, &k);
  if (!err)
    err = door__tk_thumbprint(k, out->kid);
  if (!err)
    err = door__jwk_to_pem(k, 1, &pem);
  if (!err && !(path = door__join(dir, out->kid, ".pem")))
    err = DOOR_ENOMEM;
  if (!err) {
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
      err = door_detail_set(d, DOOR_EIO, path, strerror(errno), NULL);
  }
  while (!err && off < pem.len) {
    ssize_t w = write(fd, pem.data + off, pem.len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      err = door_detail_set(d, DOOR_EIO, path, "write failed", NULL);
    else
      off += (size_t)w;
  }
  if (!err && fsync(fd) != 0)
    err = door_detail_set(d, DOOR_EIO, path, strerror(errno), NULL);
  if (fd >= 0 && close(fd) != 0 && !err)
    err = door_detail_set(d, DOOR_EIO, path, "close failed", NULL);
  if (err && fd >= 0)
    unlink(path);
  if (pem.data)
    OPENSSL_cleanse(pem.data, pem.len);
  door__buf_free(&pem);
  free(path);
  door__jwk_unref(k);
  out->created_at = now;
  out->not_before = not_before;
  return err;
}

static door_err door__key_load(const char *dir, door__tk_key *k,
                               door_detail *d) {
  char *path = door__join(dir, k->kid, ".pem"), *pem = NULL;
  char tp[64];
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
    err = door__jwk_from_pem(pem, len, k->kid, &k->jwk, d);
  if (!err &&
      (door__jwk_kty(k->jwk) != DOOR_KTY_EC || !door__jwk_is_private(k->jwk) ||
       door__tk_thumbprint(k->jwk, tp) || strcmp(tp, k->kid) != 0))
    err = door_detail_set(d, DOOR_EJWK_INVALID, path,
                          "key file does not hold the P-256 key its name "
                          "says",
                          NULL);
  if (pem) {
    OPENSSL_cleanse(pem, len);
    free(pem);
  }
  free(path);
  return err;
}

static void door__key_unlink(const char *dir, const char *kid) {
  char *path = door__join(dir, kid, ".pem");
  if (path)
    unlink(path);
  free(path);
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

/* Drops keys past retire_at from the list; their kids go to `gone`. */
static size_t door__ring_prune(door__tk_ring *r, int64_t now,
                               char (*gone)[DOOR__TK_KID_MAX + 1]) {
  size_t i, j = 0, ng = 0;
  for (i = 0; i < r->n; i++) {
    if (door__tk_key_published(&r->keys[i], now))
      r->keys[j++] = r->keys[i];
    else
      memcpy(gone[ng++], r->keys[i].kid, sizeof gone[0]);
  }
  r->n = j;
  return ng;
}

/* Writes the index after a change and deletes the pruned keys' files. */
static door_err door__ring_commit(const char *dir, const door__tk_ring *r,
                                  char (*gone)[DOOR__TK_KID_MAX + 1],
                                  size_t ngone, door_detail *d) {
  size_t i;
  door_err err = door__index_write(dir, r, d);
  if (err)
    return err;
  for (i = 0; i < ngone; i++)
    door__key_unlink(dir, gone[i]);
  return DOOR_OK;
}

static door_err door__ring_stat(const char *dir, door__tk_ring *r) {
  char *path = door__join(dir, "index.json", NULL);
  struct stat st;
  if (!path)
    return DOOR_ENOMEM;
  if (stat(path, &st) == 0) {
    r->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    r->size = st.st_size;
    r->ino = st.st_ino;
  }
  free(path);
  return DOOR_OK;
}

/* Under the lock: read, prune, make a first key if none signs, write,
 * load. */
static door_err door__ring_open_locked(const char *dir, int64_t now,
                                       door__tk_ring **out, door_detail *d) {
  char gone[DOOR__TK_MAX_KEYS][DOOR__TK_KID_MAX + 1];
  door__tk_ring *r = door__ring_new();
  size_t ngone = 0, i;
  int changed = 0;
  door_err err;
  if (!r)
    return DOOR_ENOMEM;
  err = door__index_read(dir, r, d);
  if (!err) {
    ngone = door__ring_prune(r, now, gone);
    changed = ngone > 0;
  }
  if (!err && !door__tk_ring_signer(r, now)) {
    door__tk_key *grown = realloc(r->keys, (r->n + 1) * sizeof *grown);
    if (!grown)
      err = DOOR_ENOMEM;
    else {
      r->keys = grown;
      err = door__key_create(dir, now, now, &r->keys[r->n], d);
      if (!err) {
        r->n++;
        changed = 1;
      }
    }
  }
  if (!err && changed)
    err = door__ring_commit(dir, r, gone, ngone, d);
  for (i = 0; !err && i < r->n; i++)
    err = door__key_load(dir, &r->keys[i], d);
  if (!err)
    err = door__ring_stat(dir, r);
  if (err) {
    door__tk_ring_unref(r);
    return err;
  }
  *out = r;
  return DOOR_OK;
}

door_err door__tk_ring_open(const char *dir, int64_t now, door__tk_ring **out,
                            door_detail *d) {
  int fd;
  door_err err;
  *out = NULL;
  err = door__mkdirs(dir, d);
  if (err)
    return err;
  err = door__lock(dir, &fd, d);
  if (err)
    return err;
  err = door__ring_open_locked(dir, now, out, d);
  door__unlock(fd);
  return err;
}

door_err door__tk_ring_rotate(const char *dir, int64_t now, int64_t prepublish,
                              int64_t retire_after, unsigned flags,
                              char *kid_out, door__tk_ring **out,
                              door_detail *d) {
  char gone[DOOR__TK_MAX_KEYS][DOOR__TK_KID_MAX + 1];
  door__tk_ring *r = NULL;
  door__tk_key *grown;
  size_t ngone = 0, i;
  int64_t nb = (flags & DOOR_TICKETS_ROTATE_NOW) ? now : now + prepublish;
  int fd;
  door_err err;
  *out = NULL;
  err = door__mkdirs(dir, d);
  if (err)
    return err;
  err = door__lock(dir, &fd, d);
  if (err)
    return err;
  r = door__ring_new();
  err = r ? door__index_read(dir, r, d) : DOOR_ENOMEM;
  if (!err && r->n + 1 > DOOR__TK_MAX_KEYS)
    err = door_detail_set(d, DOOR_ETOOBIG, dir, "too many signing keys",
                          "wait for old keys to retire");
  if (!err) {
    for (i = 0; i < r->n; i++)
      if (r->keys[i].retire_at == 0 || (flags & DOOR_TICKETS_ROTATE_NOW))
        r->keys[i].retire_at =
            (flags & DOOR_TICKETS_ROTATE_NOW) ? now : nb + retire_after;
    ngone = door__ring_prune(r, now, gone);
    grown = realloc(r->keys, (r->n + 1) * sizeof *grown);
    if (!grown)
      err = DOOR_ENOMEM;
    else
      r->keys = grown;
  }
  if (!err)
    err = door__key_create(dir, now, nb, &r->keys[r->n], d);
  if (!err) {
    if (kid_out)
      memcpy(kid_out, r->keys[r->n].kid, DOOR__TK_KID_MAX + 1);
    r->n++;
    err = door__ring_commit(dir, r, gone, ngone, d);
  }
  door__tk_ring_unref(r);
  if (!err)
    err = door__ring_open_locked(dir, now, out, d);
  door__unlock(fd);
  return err;
}

int door__tk_ring_changed(const char *dir, const door__tk_ring *r) {
  char *path = door__join(dir, "index.json", NULL);
  struct stat st;
  int changed = 1;
  if (!path)
    return 0;
  if (stat(path, &st) == 0)
    changed = st.st_ino != r->ino || st.st_size != r->size ||
              (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec !=
                  r->mtime_ns;
  free(path);
  return changed;
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

door_err door__tk_pairwise_key(const char *state_dir, unsigned char key[32],
                               door_detail *d) {
  char *path = door__join(state_dir, "pairwise.key", NULL), *text = NULL;
  char *ring = NULL;
  size_t len = 0;
  struct stat st;
  door_buf b;
  int fd = -1;
  door_err err;
  door__buf_init(&b, 128);
  if (!path || door__tk_ring_dir(state_dir, &ring)) {
    err = DOOR_ENOMEM;
    goto out;
  }
  err = door__mkdirs(ring, d);
  if (err)
    goto out;
  err = door__lock(ring, &fd, d);
  if (err)
    goto out;
  if (stat(path, &st) == 0) {
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
    goto out;
  }
  if (errno != ENOENT) {
    err = door_detail_set(d, DOOR_EIO, path, strerror(errno), NULL);
    goto out;
  }
  if (RAND_bytes(key, 32) != 1) {
    err = DOOR_ERANDOM;
    goto out;
  }
  err = door__b64url_encode(key, 32, &b);
  if (!err)
    err = door__buf_putc(&b, '\n');
  if (!err)
    err = door__gate_write_file(path, b.data, b.len, 0600, d);
out:
  if (err)
    OPENSSL_cleanse(key, 32);
  if (b.data)
    OPENSSL_cleanse(b.data, b.len);
  if (text) {
    OPENSSL_cleanse(text, len);
    free(text);
  }
  door__buf_free(&b);
  door__unlock(fd);
  free(ring);
  free(path);
  return err;
}
