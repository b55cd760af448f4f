/* door-idp token issuance and access token lookup. */
#include "idp/issue.h"

#include "idp/jwt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 9068 JWT access token (the benchmarked path: client_credentials).
 * User tokens are also stored under "jti:" + jti so userinfo can find the
 * grant and logout can revoke it. */
static door_err access_jwt(const door_idp_issue *in, int64_t now, door_buf *sub,
                           door_buf *out) {
  door_idp_profile *p = in->p;
  door_idp_grant g;
  door_buf key;
  char jti[32];
  json_t *claims;
  door_err err;
  err = door__idp_rng_token(&p->jti_rng, 16, jti, sizeof jti);
  if (err)
    return err;
  /* Member by member rather than json_pack (which parses its format on
   * every call); values are checked as json_pack checks them, but jti, made
   * here of base64url characters. */
  claims = json_object();
  if (!claims ||
      json_object_set_new_nocheck(claims, "iss", json_string(p->issuer)) ||
      json_object_set_new_nocheck(
          claims, "sub",
          json_string(in->u ? door__buf_str(sub) : in->c->client_id)) ||
      json_object_set_new_nocheck(claims, "aud", json_string(p->issuer)) ||
      json_object_set_new_nocheck(claims, "client_id",
                                  json_string(in->c->client_id)) ||
      json_object_set_new_nocheck(claims, "iat",
                                  json_integer((json_int_t)now)) ||
      json_object_set_new_nocheck(
          claims, "exp", json_integer((json_int_t)(now + p->access_ttl))) ||
      json_object_set_new_nocheck(claims, "jti", json_string_nocheck(jti))) {
    json_decref(claims);
    return DOOR_ENOMEM;
  }
  if (in->scope)
    json_object_set_new(claims, "scope", json_string(in->scope));
  if (in->g && in->g->auth_time)
    json_object_set_new(claims, "auth_time",
                        json_integer((json_int_t)in->g->auth_time));
  err = door__idp_sign(p, NULL, p->access_alg, claims, "at+jwt", NULL, out);
  json_decref(claims);
  if (err || !in->u)
    return err;
  memset(&g, 0, sizeof g);
  g.client_id = in->c->client_id;
  g.user_id = in->u->id;
  g.scope = (char *)in->scope;
  g.sid = in->g ? in->g->sid : NULL;
  g.auth_time = in->g ? in->g->auth_time : 0;
  g.exp = now + p->access_ttl;
  door__buf_init(&key, 64);
  err = door__buf_puts(&key, "jti:");
  if (!err)
    err = door__buf_puts(&key, jti);
  if (!err)
    err = door__idp_store_put(&p->tokens, key.data, &g, now);
  door__buf_free(&key);
  return err;
}

static door_err opaque(door_idp_profile *p, door_idp_store *s,
                       const door_idp_issue *in, int64_t exp, int64_t now,
                       char *tok, size_t cap) {
  door_idp_grant g;
  door_err err = door__idp_random_token(32, tok, cap);
  if (err)
    return err;
  (void)p;
  memset(&g, 0, sizeof g);
  g.client_id = in->c->client_id;
  g.user_id = in->u ? in->u->id : NULL;
  g.scope = (char *)in->scope;
  g.nonce = in->g ? in->g->nonce : NULL;
  g.sid = in->g ? in->g->sid : NULL;
  g.auth_time = in->g ? in->g->auth_time : 0;
  g.exp = exp;
  return door__idp_store_put(s, tok, &g, now);
}

static door_err id_token(const door_idp_issue *in, door_idp_fault_ctx *ctx,
                         int64_t now, const char *sub, const char *at,
                         door_buf *out) {
  door_idp_profile *p = in->p;
  door_idp_sign_opts so;
  const char *key;
  json_t *claims, *v, *uc;
  door_buf h;
  door_err err;
  claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", p->issuer, "sub", sub,
                     "aud", in->c->client_id, "exp",
                     (json_int_t)(now + p->id_ttl), "iat", (json_int_t)now);
  if (!claims)
    return DOOR_ENOMEM;
  if (in->g && in->g->auth_time)
    json_object_set_new(claims, "auth_time",
                        json_integer((json_int_t)in->g->auth_time));
  if (in->nonce && in->g && in->g->nonce)
    json_object_set_new(claims, "nonce", json_string(in->g->nonce));
  door__buf_init(&h, 128);
  err = door__jose_half_hash(in->c->id_token_alg == DOOR_ALG_HS256
                                 ? DOOR_ALG_HS256
                                 : in->c->id_token_alg,
                             at, strlen(at), &h);
  if (!err)
    json_object_set_new(claims, "at_hash", json_string(door__buf_str(&h)));
  door__buf_free(&h);
  if (err)
    goto out;
  if (in->g && in->g->sid && p->kind != DOOR_IDP_DACCOUNT)
    json_object_set_new(claims, "sid", json_string(in->g->sid));
  /* The user's claims that the scope releases (never over the above). */
  uc = json_deep_copy(in->u->claims);
  json_object_foreach(uc, key, v) {
    if (json_object_get(claims, key) || strcmp(key, "sub") == 0)
      continue;
    if (door__idp_claim_in_scope(key, in->scope))
      json_object_set(claims, key, v);
  }
  json_decref(uc);
  ctx->obj = claims;
  door__idp_faults_apply(&ctx->req->faults, DOOR_IDP_STAGE_CLAIMS, ctx);
  memset(&so, 0, sizeof so);
  ctx->sign = &so;
  door__idp_faults_apply(&ctx->req->faults, DOOR_IDP_STAGE_SIGN, ctx);
  ctx->sign = NULL;
  ctx->obj = NULL;
  err = door__idp_sign(p, in->c, in->c->id_token_alg, claims, NULL, &so, out);
out:
  json_decref(claims);
  return err;
}

/* A token we made (JWS or opaque: base64url and dots) as a JSON string.
 * jansson's UTF-8 pass over its few hundred bytes goes byte by byte; this
 * branch-free scan (vectorised) proves it printable ASCII without quote or
 * backslash, and anything else (never seen) takes the checked path. */
static json_t *token_string(const door_buf *t) {
  const unsigned char *s = (const unsigned char *)door__buf_str(t);
  unsigned bad = 0;
  size_t i;
  for (i = 0; i < t->len; i++)
    bad |= (unsigned)(s[i] < 0x21) | (unsigned)(s[i] > 0x7e) |
           (unsigned)(s[i] == '"') | (unsigned)(s[i] == '\\');
  return bad ? json_stringn((const char *)s, t->len)
             : json_stringn_nocheck((const char *)s, t->len);
}

door_err door__idp_issue(const door_idp_issue *in, door_idp_fault_ctx *ctx,
                         json_t **out) {
  door_idp_profile *p = in->p;
  int64_t now = door__idp_now(p);
  int jwt = in->c->access_jwt >= 0 ? in->c->access_jwt : p->access_jwt;
  door_buf at, idt, sub;
  char tok[64], rt[64];
  json_t *res = NULL;
  door_err err = DOOR_OK;
  door__buf_init(&at, 16384);
  door__buf_init(&idt, 16384);
  door__buf_init(&sub, 1024);
  *out = NULL;
  if (in->u)
    err = door__idp_subject(p, in->c, in->u, &sub);
  if (err)
    goto out;
  if (jwt) {
    err = access_jwt(in, now, &sub, &at);
  } else {
    err = opaque(p, &p->tokens, in, now + p->access_ttl, now, tok, sizeof tok);
    if (!err)
      err = door__buf_puts(&at, tok);
  }
  if (err)
    goto out;
  res = json_object();
  if (!res ||
      json_object_set_new_nocheck(res, "access_token", token_string(&at)) ||
      json_object_set_new_nocheck(res, "token_type",
                                  json_string_nocheck("Bearer")) ||
      json_object_set_new_nocheck(res, "expires_in",
                                  json_integer((json_int_t)p->access_ttl))) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (in->refresh && in->u) {
    err = opaque(p, &p->refresh, in, now + p->refresh_ttl, now, rt, sizeof rt);
    if (err)
      goto out;
    json_object_set_new(res, "refresh_token", json_string(rt));
  }
  if (in->id_token && in->u) {
    err = id_token(in, ctx, now, sub.data, at.data, &idt);
    if (err)
      goto out;
    json_object_set_new(res, "id_token", json_string(idt.data));
  }
  if (in->scope)
    json_object_set_new(res, "scope", json_string(in->scope));
  *out = res;
  res = NULL;
out:
  json_decref(res);
  door__buf_free(&at);
  door__buf_free(&idt);
  door__buf_free(&sub);
  return err;
}

door_err door__idp_access_lookup(door_idp_profile *p, const char *token,
                                 door_idp_grant *out) {
  door_jws jws;
  door_buf key;
  const char *jti, *iss;
  json_t *exp;
  door_err err;
  int64_t now = door__idp_now(p);
  memset(out, 0, sizeof *out);
  if (strchr(token, '.') == NULL)
    return door__idp_store_get(&p->tokens, token, now, out);
  memset(&jws, 0, sizeof jws);
  err = door__idp_verify_own(p, NULL, token, &jws);
  if (err)
    return err;
  jti = json_string_value(json_object_get(jws.payload, "jti"));
  iss = json_string_value(json_object_get(jws.payload, "iss"));
  exp = json_object_get(jws.payload, "exp");
  if (!jti || !iss || strcmp(iss, p->issuer) != 0 || !json_is_integer(exp)) {
    err = DOOR_ENOTFOUND;
    goto out;
  }
  if (json_integer_value(exp) <= now) {
    err = DOOR_EIDP_GRANT_EXPIRED;
    goto out;
  }
  door__buf_init(&key, 128);
  err = door__buf_puts(&key, "jti:");
  if (!err)
    err = door__buf_puts(&key, jti);
  if (!err)
    err = door__idp_store_get(&p->tokens, key.data, now, out);
  door__buf_free(&key);
out:
  door__jws_clear(&jws);
  return err;
}

const char *door__idp_bearer(const door_idp_req *q) {
  const char *h = door__idp_req_header(q, "Authorization");
  int dup = 0;
  if (h) {
    if (strncasecmp(h, "Bearer ", 7) != 0)
      return NULL;
    h += 7;
    while (*h == ' ')
      h++;
    return *h ? h : NULL;
  }
  if (strcmp(q->method, "POST") == 0) {
    h = door__kvlist_get(&q->form, "access_token", &dup);
    return dup ? NULL : h;
  }
  return NULL;
}
