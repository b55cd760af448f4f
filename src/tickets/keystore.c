/* The broker's signing keys and pairwise key in the store (see
 * tickets_int.h and docs/gate.md): sealed at rest, made once however many
 * brokers start together, rotated with overlap, read again by every
 * broker on a short interval. */
#include "store/store.h"
#include "tickets/tickets_int.h"
#include "util/log.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define DOOR__TK_SEAL_LABEL "doorauth tickets: keys at rest v1"
#define DOOR__TK_SEAL_VERSION 0x01
#define DOOR__TK_SEAL_IV 12
#define DOOR__TK_SEAL_TAG 16
#define DOOR__TK_PEM_MAX ((size_t)16 << 10)
#define DOOR__TK_ALG "ES256"

/* ---- sealing --------------------------------------------------------------
 */

door_err door__tk_seal_key(const door_config *cfg, unsigned char key[32],
                           door_detail *d) {
  unsigned char ikm[32];
  EVP_KDF *kdf = NULL;
  EVP_KDF_CTX *kctx = NULL;
  OSSL_PARAM params[4];
  door_err err;
  if (!cfg || !cfg->broker.cookie_key)
    return door_detail_set(d, DOOR_ECONFIG_MISSING, "cookie_key",
                           "no secret to seal the signing keys in the store",
                           "set [broker] cookie_key (the same on every "
                           "broker instance)");
  err = door__config_key32(cfg->broker.cookie_key, ikm);
  if (err)
    return door_detail_set(d, err, "cookie_key", "cookie_key is not usable",
                           "give 32 bytes as 64 hex digits or base64url");
  err = DOOR_ECRYPTO;
  kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
  kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
  if (kctx) {
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                 (char *)"SHA256", 0);
    params[1] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm, sizeof ikm);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                  (void *)DOOR__TK_SEAL_LABEL,
                                                  strlen(DOOR__TK_SEAL_LABEL));
    params[3] = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(kctx, key, 32, params) == 1)
      err = DOOR_OK;
  }
  OPENSSL_cleanse(ikm, sizeof ikm);
  EVP_KDF_CTX_free(kctx);
  EVP_KDF_free(kdf);
  return err;
}

/* label 0x00 kid 0x00 alg */
static door_err door__tk_aad(const char *kid, const char *alg, door_buf *aad) {
  door_err err = door__buf_puts(aad, DOOR__TK_SEAL_LABEL);
  if (!err)
    err = door__buf_append(aad, "", 1);
  if (!err)
    err = door__buf_puts(aad, kid);
  if (!err)
    err = door__buf_append(aad, "", 1);
  if (!err)
    err = door__buf_puts(aad, alg);
  return err;
}

/* One AES-256-GCM pass: enc 1 writes the tag, enc 0 checks it. */
static int door__tk_gcm(int enc, const unsigned char key[32],
                        const unsigned char *iv, const door_buf *aad,
                        const unsigned char *in, size_t n, unsigned char *out,
                        unsigned char *tag) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int len = 0, fin = 0, ok;
  ok = ctx && n <= (size_t)1 << 30 &&
       EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, DOOR__TK_SEAL_IV,
                           NULL) == 1 &&
       EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) == 1 &&
       EVP_CipherUpdate(ctx, NULL, &len, (const unsigned char *)aad->data,
                        (int)aad->len) == 1 &&
       (n == 0 || EVP_CipherUpdate(ctx, out, &len, in, (int)n) == 1) &&
       (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, DOOR__TK_SEAL_TAG,
                                   tag) == 1) &&
       EVP_CipherFinal_ex(ctx, out + len, &fin) == 1 &&
       (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
                                    DOOR__TK_SEAL_TAG, tag) == 1);
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

door_err door__tk_seal(const unsigned char key[32], const char *kid,
                       const char *alg, const void *plain, size_t len,
                       door_buf *out) {
  door_buf aad;
  unsigned char *p;
  door_err err;
  door__buf_init(&aad, 512);
  err = door__tk_aad(kid, alg, &aad);
  if (!err)
    err = door__buf_reserve(out, 1 + DOOR__TK_SEAL_IV + len + DOOR__TK_SEAL_TAG,
                            (char **)&p);
  if (!err) {
    p[0] = DOOR__TK_SEAL_VERSION;
    if (RAND_bytes(p + 1, DOOR__TK_SEAL_IV) != 1)
      err = DOOR_ERANDOM;
  }
  if (!err &&
      !door__tk_gcm(1, key, p + 1, &aad, plain, len, p + 1 + DOOR__TK_SEAL_IV,
                    p + 1 + DOOR__TK_SEAL_IV + len))
    err = DOOR_ECRYPTO;
  if (!err)
    door__buf_commit(out, 1 + DOOR__TK_SEAL_IV + len + DOOR__TK_SEAL_TAG);
  door__buf_free(&aad);
  return err;
}

door_err door__tk_unseal(const unsigned char key[32], const char *kid,
                         const char *alg, const uint8_t *blob, size_t len,
                         door_buf *out, door_detail *d) {
  door_buf aad;
  unsigned char *p = NULL, tag[DOOR__TK_SEAL_TAG];
  size_t n;
  door_err err = DOOR_OK;
  if (!blob || len < 1 + DOOR__TK_SEAL_IV + DOOR__TK_SEAL_TAG ||
      blob[0] != DOOR__TK_SEAL_VERSION)
    return door_detail_set(d, DOOR_ETICKETS_KEY_SEAL, kid,
                           "a signing key in the store is not sealed the way "
                           "this doorauth seals keys",
                           "restore the signing_keys table from a backup");
  n = len - 1 - DOOR__TK_SEAL_IV - DOOR__TK_SEAL_TAG;
  memcpy(tag, blob + len - DOOR__TK_SEAL_TAG, sizeof tag);
  door__buf_init(&aad, 512);
  err = door__tk_aad(kid, alg, &aad);
  if (!err)
    err = door__buf_reserve(out, n + 1, (char **)&p);
  if (!err && !door__tk_gcm(0, key, blob + 1, &aad, blob + 1 + DOOR__TK_SEAL_IV,
                            n, p, tag)) {
    OPENSSL_cleanse(p, n);
    err = door_detail_set(
        d, DOOR_ETICKETS_KEY_SEAL, kid,
        "a signing key in the store does not open with this broker's "
        "cookie_key",
        "give every broker the same [broker] cookie_key; after a change on "
        "purpose, `door-broker keys rotate --now` makes new keys");
  }
  if (!err)
    door__buf_commit(out, n);
  door__buf_free(&aad);
  return err;
}

/* ---- reading --------------------------------------------------------------
 */

static door_err door__tk_row_key(door_tickets *t,
                                 const door_store_signing_key *row,
                                 door__tk_key *k, door_detail *d) {
  door_buf pem;
  door_err err;
  memset(k, 0, sizeof *k);
  if (strlen(row->kid) > DOOR__TK_KID_MAX)
    return door_detail_set(d, DOOR_EJWK_INVALID, "signing_keys",
                           "a signing key's kid is too long", NULL);
  door__buf_init(&pem, DOOR__TK_PEM_MAX);
  err = door__tk_unseal(t->seal, row->kid, row->alg, row->private_pem,
                        row->private_pem_len, &pem, d);
  if (!err)
    err = door__tk_key_from_pem(pem.data, pem.len, row->kid, row->kid, &k->jwk,
                                d);
  if (!err) {
    memcpy(k->kid, row->kid, strlen(row->kid) + 1);
    k->created_at = row->created_at;
    k->not_before = row->not_before;
    k->retire_at = row->retire_at;
  }
  if (pem.data)
    OPENSSL_cleanse(pem.data, pem.len);
  door__buf_free(&pem);
  return err;
}

/* The key of `kid` in `old`, or NULL.  A kid is the key's thumbprint and
 * the sealed blob is bound to it, so an equal kid is the same key. */
static door_jwk *door__tk_known(const door__tk_ring *old, const char *kid) {
  size_t i;
  for (i = 0; old && i < old->n; i++)
    if (strcmp(old->keys[i].kid, kid) == 0)
      return door__jwk_ref(old->keys[i].jwk);
  return NULL;
}

door_err door__tk_store_read(door_tickets *t, int64_t now,
                             const door__tk_ring *old, door__tk_ring **out,
                             door_detail *d) {
  door_store_signing_key *rows = NULL;
  door__tk_ring *r = door__tk_ring_new();
  size_t n = 0, i;
  door_err err = r ? DOOR_OK : DOOR_ENOMEM;
  *out = NULL;
  if (!err)
    err = door__store_signing_keys_list(t->store, &rows, &n, d);
  for (i = 0; !err && i < n; i++) {
    const door_store_signing_key *row = &rows[i];
    door__tk_key k;
    if (row->retired || strcmp(row->alg, DOOR__TK_ALG) != 0)
      continue;
    if (row->retire_at && row->retire_at <= now) {
      /* its overlap is over: retired for every broker (idempotent) */
      door_err e =
          door__store_signing_key_retire(t->store, row->kid, now, NULL);
      if (!e)
        door__log(t->log, DOOR_LOG_INFO, "tickets.key_retired", "kid", row->kid,
                  NULL);
      continue;
    }
    memset(&k, 0, sizeof k);
    if (strlen(row->kid) <= DOOR__TK_KID_MAX &&
        (k.jwk = door__tk_known(old, row->kid)) != NULL) {
      memcpy(k.kid, row->kid, strlen(row->kid) + 1);
      k.created_at = row->created_at;
      k.not_before = row->not_before;
      k.retire_at = row->retire_at;
    } else {
      err = door__tk_row_key(t, row, &k, d);
    }
    if (!err) {
      err = door__tk_ring_push(r, &k);
      if (err)
        door__jwk_unref(k.jwk);
    }
  }
  door__store_signing_keys_free(rows, n);
  if (err) {
    door__tk_ring_unref(r);
    return err;
  }
  *out = r;
  return DOOR_OK;
}

/* ---- adding ---------------------------------------------------------------
 */

/* Seals `plain` for row (kid, alg) and adds it with `mode`. */
static door_err door__tk_add(door_tickets *t, const char *kid, const char *alg,
                             const void *plain, size_t len, int64_t now,
                             int64_t not_before, int64_t retire_at,
                             door_store_key_mode mode, int64_t retire_others,
                             int *added, door_detail *d) {
  door_store_signing_key_new k;
  door_buf sealed;
  door_err err;
  door__buf_init(&sealed, DOOR__TK_PEM_MAX + 64);
  err = door__tk_seal(t->seal, kid, alg, plain, len, &sealed);
  if (!err) {
    memset(&k, 0, sizeof k);
    k.kid = kid;
    k.alg = alg;
    k.private_pem = (const uint8_t *)sealed.data;
    k.private_pem_len = sealed.len;
    k.created_at = now;
    k.not_before = not_before;
    k.retire_at = retire_at;
    err = door__store_signing_key_add(t->store, &k, mode, now, retire_others,
                                      added, d);
  }
  door__buf_free(&sealed);
  return err;
}

/* A new P-256 key added with `mode`; its kid in kid_out. */
static door_err door__tk_new_key(door_tickets *t, int64_t now,
                                 int64_t not_before, door_store_key_mode mode,
                                 int64_t retire_others, char *kid_out,
                                 int *added, door_detail *d) {
  door_jwk *k = NULL;
  door_buf pem;
  char kid[64];
  door_err err;
  door__buf_init(&pem, DOOR__TK_PEM_MAX);
  err = door__jwk_generate(DOOR_ALG_ES256, NULL, &k);
  if (!err)
    err = door__tk_thumbprint(k, kid);
  if (!err)
    err = door__jwk_to_pem(k, 1, &pem);
  if (!err)
    err = door__tk_add(t, kid, DOOR__TK_ALG, pem.data, pem.len, now, not_before,
                       0, mode, retire_others, added, d);
  if (!err && kid_out)
    memcpy(kid_out, kid, strlen(kid) + 1);
  if (pem.data)
    OPENSSL_cleanse(pem.data, pem.len);
  door__buf_free(&pem);
  door__jwk_unref(k);
  return err;
}

/* The keys of the state directory into the store (rows whose kid exists
 * are left as they are). */
static door_err door__tk_import(door_tickets *t, int64_t now, door_detail *d) {
  door__tk_ring *old = NULL;
  unsigned char pw[32];
  char count[24];
  size_t i, imported = 0;
  int found = 0, added = 0;
  door_buf pem;
  door_err err;
  if (!t->state_dir)
    return DOOR_OK;
  err = door__tk_dir_ring(t->state_dir, now, &old, d);
  if (!err)
    err = door__tk_dir_pairwise(t->state_dir, pw, &found, d);
  if (err || (!old && !found)) {
    door__tk_ring_unref(old);
    return err;
  }
  door__buf_init(&pem, DOOR__TK_PEM_MAX);
  for (i = 0; !err && old && i < old->n; i++) {
    const door__tk_key *k = &old->keys[i];
    door__buf_reset(&pem);
    err = door__jwk_to_pem(k->jwk, 1, &pem);
    if (!err)
      err = door__tk_add(t, k->kid, DOOR__TK_ALG, pem.data, pem.len,
                         k->created_at, k->not_before, k->retire_at,
                         DOOR_STORE_KEY_IF_ABSENT, 0, &added, d);
    imported += !err && added;
  }
  if (!err && found) {
    err = door__tk_add(t, DOOR__TK_PAIRWISE_KID, DOOR__TK_PAIRWISE_ALG, pw,
                       sizeof pw, now, now, 0, DOOR_STORE_KEY_IF_ABSENT, 0,
                       &added, d);
    if (!err && !added)
      door__log(t->log, DOOR_LOG_WARN, "tickets.pairwise_kept", "state_dir",
                t->state_dir, "detail",
                "the store already holds a pairwise key: the state "
                "directory's was not imported",
                NULL);
  }
  if (!err) {
    count[door__u64_to_str((uint64_t)imported, count)] = '\0';
    door__log(t->log, DOOR_LOG_INFO, "tickets.keys_imported", "state_dir",
              t->state_dir, "signing_keys", count, "pairwise",
              found ? "yes" : "no", "detail",
              "the state directory's keys are in the store now; its files "
              "were renamed to *.imported and may be deleted",
              NULL);
    door__tk_dir_mark_imported(t->state_dir);
  }
  if (pem.data)
    OPENSSL_cleanse(pem.data, pem.len);
  door__buf_free(&pem);
  OPENSSL_cleanse(pw, sizeof pw);
  door__tk_ring_unref(old);
  return err;
}

/* The pairwise key row: read, or made once. */
static door_err door__tk_pairwise(door_tickets *t, int64_t now,
                                  door_detail *d) {
  int attempt, added = 0;
  door_err err = DOOR_OK;
  for (attempt = 0; !err && attempt < 2; attempt++) {
    door_store_signing_key *rows = NULL;
    size_t n = 0, i;
    int have = 0;
    err = door__store_signing_keys_list(t->store, &rows, &n, d);
    for (i = 0; !err && i < n; i++) {
      door_buf b;
      if (strcmp(rows[i].kid, DOOR__TK_PAIRWISE_KID) != 0)
        continue;
      door__buf_init(&b, 64);
      err =
          door__tk_unseal(t->seal, rows[i].kid, rows[i].alg,
                          rows[i].private_pem, rows[i].private_pem_len, &b, d);
      if (!err && b.len != 32)
        err = door_detail_set(d, DOOR_ETICKETS_KEY_SEAL, DOOR__TK_PAIRWISE_KID,
                              "the pairwise key in the store is not 32 bytes",
                              "restore the signing_keys table from a backup");
      if (!err) {
        memcpy(t->pairwise, b.data, 32);
        have = 1;
      }
      if (b.data)
        OPENSSL_cleanse(b.data, b.len);
      door__buf_free(&b);
    }
    door__store_signing_keys_free(rows, n);
    if (err || have)
      return err;
    if (RAND_bytes(t->pairwise, 32) != 1)
      return DOOR_ERANDOM;
    err = door__tk_add(t, DOOR__TK_PAIRWISE_KID, DOOR__TK_PAIRWISE_ALG,
                       t->pairwise, 32, now, now, 0, DOOR_STORE_KEY_IF_ABSENT,
                       0, &added, d);
    OPENSSL_cleanse(t->pairwise, 32);
    /* made here or by another broker: read it back either way */
  }
  return err ? err
             : door_detail_set(d, DOOR_ESTORE, DOOR__TK_PAIRWISE_KID,
                               "the pairwise key could not be made", NULL);
}

door_err door__tk_store_start(door_tickets *t, int64_t now, door_detail *d) {
  door__tk_ring *r = NULL;
  char kid[64] = "";
  int added = 0;
  door_err err = door__tk_import(t, now, d);
  if (!err)
    err = door__tk_pairwise(t, now, d);
  if (!err)
    err = door__tk_store_read(t, now, NULL, &r, d);
  if (!err && !door__tk_ring_signer(r, now)) {
    /* first start (or every key withdrawn): one key, whoever wins */
    err = door__tk_new_key(t, now, now, DOOR_STORE_KEY_IF_NONE_SIGNS, 0, kid,
                           &added, d);
    if (!err && added)
      door__log(t->log, DOOR_LOG_INFO, "tickets.key_made", "kid", kid, NULL);
    door__tk_ring_unref(r);
    r = NULL;
    if (!err)
      err = door__tk_store_read(t, now, NULL, &r, d);
  }
  if (err) {
    door__tk_ring_unref(r);
    return err;
  }
  t->ring = r;
  t->ring_read_at = now;
  return DOOR_OK;
}

door_err door__tk_store_rotate(door_tickets *t, int64_t now, unsigned flags,
                               char *kid_out, door_detail *d) {
  int64_t nb = (flags & DOOR_TICKETS_ROTATE_NOW) ? now : now + t->prepublish;
  int added = 0;
  return door__tk_new_key(
      t, now, nb,
      (flags & DOOR_TICKETS_ROTATE_NOW) ? DOOR_STORE_KEY_WITHDRAW
                                        : DOOR_STORE_KEY_ROTATE,
      nb + t->max_lifetime + DOOR__TK_RETIRE_MARGIN, kid_out, &added, d);
}
