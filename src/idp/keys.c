/* door-idp signing keys per profile: generation, rotation, publication and
 * the cached JWKS document. */
#include "idp/idp.h"

#include <stdlib.h>
#include <string.h>

static int same_family(door_alg a, door_alg b) {
  int ra = a == DOOR_ALG_RS256 || a == DOOR_ALG_PS256;
  int rb = b == DOOR_ALG_RS256 || b == DOOR_ALG_PS256;
  return a == b || (ra && rb);
}

static const char *alg_lower(door_alg alg) {
  switch (alg) {
  case DOOR_ALG_RS256:
    return "rs256";
  case DOOR_ALG_PS256:
    return "ps256";
  case DOOR_ALG_ES256:
    return "es256";
  default:
    return "key";
  }
}

door_err door__idp_keys_rebuild_locked(door_idp_profile *p) {
  door_jwk *pub[DOOR_IDP_MAX_KEYS], *all[DOOR_IDP_MAX_KEYS];
  size_t npub = 0, i;
  door_jwks *set = NULL, *own = NULL;
  door_buf json;
  door_err err = DOOR_OK;
  door__buf_init(&json, DOOR_BUF_DEFAULT_MAX);
  for (i = 0; i < p->nkeys; i++) {
    all[i] = p->keys[i].jwk;
    if (p->keys[i].published)
      pub[npub++] = p->keys[i].jwk;
  }
  if (npub) {
    err = door__jwks_from_keys(pub, npub, &set);
    if (!err)
      err = door__jwks_to_json(set, p->jwks_flags, &json);
  } else {
    err = door__buf_puts(&json, "{\"keys\":[]}");
  }
  if (!err && p->nkeys)
    err = door__jwks_from_keys(all, p->nkeys, &own);
  if (err)
    goto out;
  door__buf_free(&p->jwks_json);
  p->jwks_json = json;
  door__buf_init(&json, DOOR_BUF_DEFAULT_MAX);
  if (p->own_keys)
    door__jwks_unref(p->own_keys);
  p->own_keys = own;
  own = NULL;
out:
  if (set)
    door__jwks_unref(set);
  if (own)
    door__jwks_unref(own);
  door__buf_free(&json);
  return err;
}

/* A fresh kid "es256-XXXXXXXX" or, for kid-less profiles, an internal
 * name "key-N". */
static door_err new_id(door_idp_profile *p, door_alg alg, char *id,
                       size_t cap) {
  char rnd[24];
  door_buf b;
  door_err err;
  door__buf_init(&b, cap ? cap - 1 : 0);
  if (p->jwks_flags & DOOR_JWK_OUT_OMIT_KID) {
    err = door__buf_puts(&b, "key-");
    if (!err)
      err = door__buf_put_u64(&b, ++p->key_serial);
  } else {
    err = door__idp_random_token(6, rnd, sizeof rnd);
    if (!err)
      err = door__buf_puts(&b, alg_lower(alg));
    if (!err)
      err = door__buf_putc(&b, '-');
    if (!err)
      err = door__buf_puts(&b, rnd);
  }
  if (!err)
    memcpy(id, door__buf_str(&b), b.len + 1);
  door__buf_free(&b);
  return err;
}

/* Adds `jwk` (the caller's reference is taken over, also on failure) under
 * `kid`, or a fresh id when NULL.  Call with the lock held. */
static door_err add_locked(door_idp_profile *p, door_alg alg, const char *kid,
                           int published, int active, door_jwk *jwk,
                           char *id_out, size_t id_cap) {
  door_idp_key *k;
  door_err err = DOOR_OK;
  size_t i, n;
  char id[48];
  if (p->nkeys == DOOR_IDP_MAX_KEYS) {
    /* Full (rotation faults armed many times): the oldest key that signs
     * nothing makes room. */
    for (i = 0; i < p->nkeys && p->keys[i].active; i++)
      ;
    if (i == p->nkeys) {
      err = DOOR_ETOOBIG;
      goto fail;
    }
    door__jwk_unref(p->keys[i].jwk);
    memmove(&p->keys[i], &p->keys[i + 1],
            (p->nkeys - i - 1) * sizeof p->keys[0]);
    p->nkeys--;
  }
  if (kid) {
    n = strlen(kid);
    if (n == 0 || n >= sizeof id) {
      err = DOOR_EINVAL;
      goto fail;
    }
    memcpy(id, kid, n + 1);
  } else {
    err = new_id(p, alg, id, sizeof id);
    if (err)
      goto fail;
  }
  for (i = 0; i < p->nkeys; i++) {
    if (strcmp(p->keys[i].id, id) == 0) {
      err = DOOR_EEXISTS;
      goto fail;
    }
  }
  k = &p->keys[p->nkeys++];
  memset(k, 0, sizeof *k);
  memcpy(k->id, id, strlen(id) + 1);
  k->jwk = jwk;
  k->alg = alg;
  k->published = published;
  if (active) {
    for (i = 0; i + 1 < p->nkeys; i++) {
      if (same_family(p->keys[i].alg, alg))
        p->keys[i].active = 0;
    }
    k->active = 1;
  }
  err = door__idp_keys_rebuild_locked(p);
  if (err) {
    p->nkeys--;
    goto fail;
  }
  if (id_out && id_cap) {
    n = strlen(id);
    if (n >= id_cap)
      n = id_cap - 1;
    memcpy(id_out, id, n);
    id_out[n] = '\0';
  }
  return DOOR_OK;
fail:
  door__jwk_unref(jwk);
  return err;
}

door_err door__idp_key_add(door_idp_profile *p, door_alg alg, const char *kid,
                           int published, int active, door_jwk *jwk,
                           char *id_out, size_t id_cap) {
  int use_kid = !(p->jwks_flags & DOOR_JWK_OUT_OMIT_KID);
  char id[48];
  door_err err;
  if (alg != DOOR_ALG_RS256 && alg != DOOR_ALG_ES256 && alg != DOOR_ALG_PS256)
    return DOOR_EALG_NOT_ALLOWED;
  if (jwk) {
    door__jwk_ref(jwk);
  } else {
    /* Key generation (RSA: tens of ms) happens outside the lock. */
    if (use_kid && !kid) {
      err = new_id(p, alg, id, sizeof id);
      if (err)
        return err;
      kid = id;
    }
    err = door__jwk_generate(alg, use_kid ? kid : NULL, &jwk);
    if (err)
      return err;
  }
  pthread_mutex_lock(&p->lock);
  err = add_locked(p, alg, kid, published, active, jwk, id_out, id_cap);
  pthread_mutex_unlock(&p->lock);
  return err;
}

door_err door__idp_key_rotate(door_idp_profile *p, door_alg alg, char *id_out,
                              size_t id_cap) {
  return door__idp_key_add(p, alg, NULL, 1, 1, NULL, id_out, id_cap);
}

door_err door__idp_key_drop(door_idp_profile *p, const char *id) {
  door_err err = DOOR_ENOTFOUND;
  size_t i, j;
  pthread_mutex_lock(&p->lock);
  for (i = 0; i < p->nkeys; i++) {
    door_idp_key k = p->keys[i];
    if (strcmp(k.id, id) != 0)
      continue;
    memmove(&p->keys[i], &p->keys[i + 1],
            (p->nkeys - i - 1) * sizeof p->keys[0]);
    p->nkeys--;
    /* The newest key of the family takes over signing. */
    for (j = p->nkeys; k.active && j-- > 0;) {
      if (same_family(p->keys[j].alg, k.alg)) {
        p->keys[j].active = 1;
        break;
      }
    }
    door__jwk_unref(k.jwk);
    err = door__idp_keys_rebuild_locked(p);
    break;
  }
  pthread_mutex_unlock(&p->lock);
  return err;
}

door_err door__idp_key_set(door_idp_profile *p, const char *id, int published,
                           int active) {
  door_err err = DOOR_ENOTFOUND;
  size_t i, j;
  pthread_mutex_lock(&p->lock);
  for (i = 0; i < p->nkeys; i++) {
    if (strcmp(p->keys[i].id, id) != 0)
      continue;
    if (published >= 0)
      p->keys[i].published = published;
    if (active > 0) {
      for (j = 0; j < p->nkeys; j++) {
        if (same_family(p->keys[j].alg, p->keys[i].alg))
          p->keys[j].active = 0;
      }
      p->keys[i].active = 1;
    }
    err = door__idp_keys_rebuild_locked(p);
    break;
  }
  pthread_mutex_unlock(&p->lock);
  return err;
}

door_err door__idp_key_signing(door_idp_profile *p, door_alg alg,
                               door_jwk **out) {
  door_err err = DOOR_ENOTFOUND;
  size_t i;
  pthread_mutex_lock(&p->lock);
  for (i = 0; i < p->nkeys; i++) {
    if (p->keys[i].active && same_family(p->keys[i].alg, alg) &&
        (door__jwk_algs(p->keys[i].jwk) & alg)) {
      *out = door__jwk_ref(p->keys[i].jwk);
      err = DOOR_OK;
      break;
    }
  }
  pthread_mutex_unlock(&p->lock);
  return err;
}

door_jwks *door__idp_own_keys(door_idp_profile *p) {
  door_jwks *s = NULL;
  pthread_mutex_lock(&p->lock);
  if (p->own_keys)
    s = door__jwks_ref(p->own_keys);
  pthread_mutex_unlock(&p->lock);
  return s;
}

door_err door__idp_jwks_copy(door_idp_profile *p, door_buf *out) {
  door_err err;
  pthread_mutex_lock(&p->lock);
  err = door__buf_append(out, door__buf_str(&p->jwks_json), p->jwks_json.len);
  pthread_mutex_unlock(&p->lock);
  return err;
}

json_t *door__idp_keys_json(door_idp_profile *p) {
  json_t *arr = json_array();
  size_t i;
  pthread_mutex_lock(&p->lock);
  for (i = 0; arr && i < p->nkeys; i++) {
    const door_idp_key *k = &p->keys[i];
    const char *kid = door__jwk_kid(k->jwk);
    json_t *o = json_pack("{s:s, s:s, s:b, s:b}", "id", k->id, "alg",
                          door__alg_name(k->alg), "published", k->published,
                          "active", k->active);
    if (!o)
      continue;
    json_object_set_new(o, "kid", kid ? json_string(kid) : json_null());
    json_array_append_new(arr, o);
  }
  pthread_mutex_unlock(&p->lock);
  return arr;
}
