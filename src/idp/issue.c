/* door-idp token issuance and access token lookup. */
#include "idp/issue.h"

#include "idp/jwt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* "key":"value" with the member's opening `lit` (`{"key":` or `,"key":`).
 * 0 when the value is not flat (see door__idp_json_flat_str). */
static int member_str(door_buf *b, const char *lit, const char *v,
                      door_err *err) {
  if (*err)
    return 1;
  *err = door__buf_puts(b, lit);
  return *err || door__idp_json_flat_str(b, v, strlen(v), err);
}

static void member_int(door_buf *b, const char *lit, int64_t v, door_err *err) {
  if (!*err)
    *err = door__buf_puts(b, lit);
  if (!*err)
    *err = door__idp_json_flat_int(b, (json_int_t)v);
}

/* The access-token claims appended straight to `out`: the bytes
 * door__idp_json_dump gives for the object claims_json builds, same members
 * in the same order.  Returns 0 (out as it was) when a string needs
 * jansson's escaping or checks; claims_json then builds the object. */
/* Closes a flat object begun at `start`: on a declined string or an error
 * `out` is as it was.  *errp gets the error (none when declined); 1 when
 * written. */
static int flat_end(door_buf *out, size_t start, int flat, door_err err,
                    door_err *errp) {
  if (flat && !err)
    err = door__buf_putc(out, '}');
  if ((!flat || err) && out->data) {
    out->len = start;
    out->data[start] = '\0';
  }
  *errp = flat ? err : DOOR_OK;
  return flat;
}

static int claims_flat(const door_idp_issue *in, int64_t now, const char *sub,
                       const char *jti, door_buf *out, door_err *errp) {
  door_idp_profile *p = in->p;
  size_t start = out->len;
  door_err err = DOOR_OK;
  char *at;
  int flat;
  /* One allocation for the usual few hundred bytes, not three doublings. */
  if (out->max - out->len >= 512)
    err = door__buf_reserve(out, 512, &at);
  flat = member_str(out, "{\"iss\":", p->issuer, &err) &&
         member_str(out, ",\"sub\":", sub, &err) &&
         member_str(out, ",\"aud\":", p->issuer, &err) &&
         member_str(out, ",\"client_id\":", in->c->client_id, &err);
  if (flat) {
    member_int(out, ",\"iat\":", now, &err);
    member_int(out, ",\"exp\":", now + p->access_ttl, &err);
    flat = member_str(out, ",\"jti\":", jti, &err) &&
           (!in->scope || member_str(out, ",\"scope\":", in->scope, &err));
  }
  if (flat && in->g && in->g->auth_time)
    member_int(out, ",\"auth_time\":", in->g->auth_time, &err);
  return flat_end(out, start, flat, err, errp);
}

/* The same claims as a jansson object (strings that are not flat). */
static json_t *claims_json(const door_idp_issue *in, int64_t now,
                           const char *sub, const char *jti) {
  door_idp_profile *p = in->p;
  json_t *claims = json_object();
  /* Member by member rather than json_pack (which parses its format on
   * every call); values are checked as json_pack checks them, but jti, made
   * here of base64url characters. */
  if (!claims ||
      json_object_set_new_nocheck(claims, "iss", json_string(p->issuer)) ||
      json_object_set_new_nocheck(claims, "sub", json_string(sub)) ||
      json_object_set_new_nocheck(claims, "aud", json_string(p->issuer)) ||
      json_object_set_new_nocheck(claims, "client_id",
                                  json_string(in->c->client_id)) ||
      json_object_set_new_nocheck(claims, "iat",
                                  json_integer((json_int_t)now)) ||
      json_object_set_new_nocheck(
          claims, "exp", json_integer((json_int_t)(now + p->access_ttl))) ||
      json_object_set_new_nocheck(claims, "jti", json_string_nocheck(jti))) {
    json_decref(claims);
    return NULL;
  }
  if (in->scope)
    json_object_set_new(claims, "scope", json_string(in->scope));
  if (in->g && in->g->auth_time)
    json_object_set_new(claims, "auth_time",
                        json_integer((json_int_t)in->g->auth_time));
  return claims;
}

door_err door__idp_access_claims(const door_idp_issue *in, int64_t now,
                                 const char *sub, const char *jti,
                                 door_buf *out) {
  json_t *claims;
  door_err err;
  if (claims_flat(in, now, sub, jti, out, &err))
    return err;
  claims = claims_json(in, now, sub, jti);
  if (!claims)
    return DOOR_ENOMEM;
  err = door__idp_json_dump(claims, out);
  json_decref(claims);
  return err;
}

/* RFC 9068 JWT access token (the benchmarked path: client_credentials).
 * No fault acts on it (CLAIMS and SIGN faults are the id_token's), so its
 * claims are written flat whenever their strings allow.  User tokens are
 * also stored under "jti:" + jti so userinfo can find the grant and logout
 * can revoke it. */
static door_err access_jwt(const door_idp_issue *in, int64_t now, door_buf *sub,
                           door_buf *out) {
  door_idp_profile *p = in->p;
  door_idp_grant g;
  door_buf key, claims;
  char jti[32];
  door_err err;
  err = door__idp_rng_token(&p->jti_rng, 16, jti, sizeof jti);
  if (err)
    return err;
  /* The cap door__idp_sign dumps its claims under. */
  door__buf_init(&claims, 65536);
  err = door__idp_access_claims(
      in, now, in->u ? door__buf_str(sub) : in->c->client_id, jti, &claims);
  if (!err)
    err = door__idp_sign_payload(p, NULL, p->access_alg, claims.data,
                                 claims.len, "at+jwt", NULL, out);
  door__buf_free(&claims);
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

void door__idp_tokens_init(door_idp_tokens *t) {
  memset(t, 0, sizeof *t);
  door__buf_init(&t->at, 16384);
  door__buf_init(&t->idt, 16384);
}

void door__idp_tokens_free(door_idp_tokens *t) {
  door__buf_free(&t->at);
  door__buf_free(&t->idt);
}

door_err door__idp_issue(const door_idp_issue *in, door_idp_fault_ctx *ctx,
                         door_idp_tokens *out) {
  door_idp_profile *p = in->p;
  int64_t now = door__idp_now(p);
  int jwt = in->c->access_jwt >= 0 ? in->c->access_jwt : p->access_jwt;
  door_buf sub;
  char tok[64];
  door_err err = DOOR_OK;
  door__buf_init(&sub, 1024);
  out->expires_in = p->access_ttl;
  out->scope = in->scope;
  if (in->u)
    err = door__idp_subject(p, in->c, in->u, &sub);
  if (err)
    goto out;
  if (jwt) {
    err = access_jwt(in, now, &sub, &out->at);
  } else {
    err = opaque(p, &p->tokens, in, now + p->access_ttl, now, tok, sizeof tok);
    if (!err)
      err = door__buf_puts(&out->at, tok);
  }
  if (err)
    goto out;
  if (in->refresh && in->u) {
    err = opaque(p, &p->refresh, in, now + p->refresh_ttl, now, out->rt,
                 sizeof out->rt);
    if (err)
      goto out;
  }
  if (in->id_token && in->u)
    err = id_token(in, ctx, now, sub.data, out->at.data, &out->idt);
out:
  door__buf_free(&sub);
  return err;
}

door_err door__idp_tokens_json(const door_idp_tokens *t, json_t **out) {
  json_t *res = json_object();
  *out = NULL;
  if (!res ||
      json_object_set_new_nocheck(res, "access_token", token_string(&t->at)) ||
      json_object_set_new_nocheck(res, "token_type",
                                  json_string_nocheck("Bearer")) ||
      json_object_set_new_nocheck(res, "expires_in",
                                  json_integer((json_int_t)t->expires_in))) {
    json_decref(res);
    return DOOR_ENOMEM;
  }
  if (t->rt[0])
    json_object_set_new(res, "refresh_token", json_string(t->rt));
  if (t->idt.len)
    json_object_set_new(res, "id_token", json_string(t->idt.data));
  if (t->scope)
    json_object_set_new(res, "scope", json_string(t->scope));
  if (t->rt_kept)
    json_object_set_new(res, "refresh_token", json_string(t->rt_kept));
  *out = res;
  return DOOR_OK;
}

int door__idp_tokens_dump(const door_idp_tokens *t, door_buf *out,
                          door_err *errp) {
  size_t start = out->len;
  door_err err = DOOR_OK;
  char *at;
  int flat;
  /* One allocation: the tokens and room for the rest. */
  if (out->max - out->len >= t->at.len + t->idt.len + 512)
    err = door__buf_reserve(out, t->at.len + t->idt.len + 512, &at);
  flat = member_str(out, "{\"access_token\":", door__buf_str(&t->at), &err);
  if (flat && !err)
    err = door__buf_puts(out, ",\"token_type\":\"Bearer\"");
  if (flat)
    member_int(out, ",\"expires_in\":", t->expires_in, &err);
  flat =
      flat &&
      (!t->rt[0] || member_str(out, ",\"refresh_token\":", t->rt, &err)) &&
      (!t->idt.len ||
       member_str(out, ",\"id_token\":", door__buf_str(&t->idt), &err)) &&
      (!t->scope || member_str(out, ",\"scope\":", t->scope, &err)) &&
      (!t->rt_kept || member_str(out, ",\"refresh_token\":", t->rt_kept, &err));
  return flat_end(out, start, flat, err, errp);
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
