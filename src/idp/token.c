/* door-idp token endpoint: client authentication and the
 * authorization_code, refresh_token and client_credentials grants. */
#include "idp/http.h"
#include "idp/issue.h"
#include "idp/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Client credentials as presented. */
typedef struct creds {
  door_buf id, secret; /* from Basic */
  const char *form_id, *form_secret;
  const char *assertion, *assertion_type; /* private_key_jwt */
  door_buf assertion_sub;                 /* its sub, unverified */
  int basic, bad;
} creds;

/* Standard base64 (RFC 4648 section 4, padded), as HTTP Basic uses. */
static door_err b64_std_decode(const char *s, door_buf *out) {
  size_t n = strlen(s), pad = 0;
  unsigned char *tmp;
  int len;
  door_err err;
  if (n == 0 || n % 4 != 0 || n > 8192)
    return DOOR_EENCODING;
  if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                "0123456789+/=") != n)
    return DOOR_EENCODING;
  if (s[n - 1] == '=')
    pad++;
  if (s[n - 2] == '=')
    pad++;
  if (memchr(s, '=', n - pad))
    return DOOR_EENCODING;
  tmp = malloc(n);
  if (!tmp)
    return DOOR_ENOMEM;
  len = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
  if (len < 0 || (size_t)len < pad) {
    free(tmp);
    return DOOR_EENCODING;
  }
  err = door__buf_append(out, tmp, (size_t)len - pad);
  free(tmp);
  return err;
}

/* Authorization: Basic base64(urlencode(id) ":" urlencode(secret)). */
static void read_creds(const door_idp_req *q, creds *cr) {
  const char *h = door__idp_req_header(q, "Authorization");
  door_buf raw;
  int dup = 0;
  memset(cr, 0, sizeof *cr);
  door__buf_init(&cr->id, 1024);
  door__buf_init(&cr->secret, 1024);
  door__buf_init(&cr->assertion_sub, 1024);
  cr->form_id = door__kvlist_get(&q->form, "client_id", &dup);
  cr->bad |= dup;
  cr->form_secret = door__kvlist_get(&q->form, "client_secret", &dup);
  cr->bad |= dup;
  cr->assertion = door__kvlist_get(&q->form, "client_assertion", &dup);
  cr->bad |= dup;
  cr->assertion_type =
      door__kvlist_get(&q->form, "client_assertion_type", &dup);
  cr->bad |= dup;
  if (cr->assertion && !cr->form_id &&
      door__idp_assertion_sub(cr->assertion, &cr->assertion_sub))
    cr->bad = 1;
  if (!h)
    return;
  cr->basic = 1;
  if (strncasecmp(h, "Basic ", 6) != 0) {
    cr->bad = 1;
    return;
  }
  door__buf_init(&raw, 4096);
  if (b64_std_decode(h + 6, &raw) == DOOR_OK && raw.data &&
      memchr(raw.data, ':', raw.len)) {
    const char *colon = memchr(raw.data, ':', raw.len);
    size_t idlen = (size_t)(colon - raw.data);
    if (door__url_decode(&cr->id, raw.data, idlen, 1) ||
        door__url_decode(&cr->secret, colon + 1, raw.len - idlen - 1, 1))
      cr->bad = 1;
  } else {
    cr->bad = 1;
  }
  door__buf_free(&raw);
}

static void creds_free(creds *cr) {
  door__buf_free(&cr->id);
  door__buf_free(&cr->secret);
  door__buf_free(&cr->assertion_sub);
}

static const char *creds_id(const creds *cr) {
  return cr->basic               ? door__buf_str(&cr->id)
         : cr->form_id           ? cr->form_id
         : cr->assertion_sub.len ? door__buf_str(&cr->assertion_sub)
                                 : NULL;
}

static int secret_eq(const char *a, const char *b) {
  size_t n = strlen(a);
  return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

static door_err invalid_client(door_idp_resp *r, const creds *cr,
                               const char *desc) {
  door_err err = door__idp_resp_oauth_error(r, 401, "invalid_client", desc);
  if (!err && cr->basic)
    err = door__idp_resp_header(r, "WWW-Authenticate",
                                "Basic realm=\"door-idp\"");
  return err;
}

/* Authenticates the client (RFC 6749 2.3.1).  Returns the client or NULL
 * with the error answer in `r`. */
static door_idp_client *authenticate(door_idp_req *q, door_idp_resp *r,
                                     const creds *cr, door_err *err) {
  door_idp_client *c;
  const char *desc = NULL;
  *err = DOOR_OK;
  if (cr->bad) {
    *err = invalid_client(r, cr, "malformed client credentials");
    return NULL;
  }
  if ((cr->basic && cr->form_secret) ||
      (cr->assertion && (cr->basic || cr->form_secret))) {
    *err = door__idp_resp_oauth_error(
        r, 400, "invalid_request",
        "use one client authentication method, not two");
    return NULL;
  }
  if (cr->basic && cr->form_id &&
      strcmp(cr->form_id, door__buf_str(&cr->id)) != 0) {
    *err = door__idp_resp_oauth_error(r, 400, "invalid_request",
                                      "client_id differs from Basic's");
    return NULL;
  }
  c = door__idp_client_get(q->prof, creds_id(cr));
  if (!c) {
    *err = invalid_client(r, cr, "unknown client");
    return NULL;
  }
  if (c->auth == DOOR_IDP_AUTH_PRIVATE_KEY_JWT) {
    if (!cr->assertion)
      desc = "this client authenticates with private_key_jwt";
    else if (!cr->assertion_type ||
             strcmp(cr->assertion_type, DOOR_IDP_ASSERTION_TYPE) != 0)
      desc = "client_assertion_type must be " DOOR_IDP_ASSERTION_TYPE;
    else
      door__idp_client_assertion(q->prof, c, cr->assertion, &desc);
  } else if (cr->assertion || cr->assertion_type)
    desc = "client_assertion is not accepted from this client";
  else if (c->auth == DOOR_IDP_AUTH_BASIC && !cr->basic)
    desc = cr->form_secret ? "client_secret_post is not accepted: use "
                             "client_secret_basic"
                           : "client authentication required "
                             "(client_secret_basic)";
  else if (c->auth == DOOR_IDP_AUTH_POST && !cr->form_secret)
    desc = "this client authenticates with client_secret_post";
  else if (c->auth == DOOR_IDP_AUTH_NONE && (cr->basic || cr->form_secret))
    desc = "this is a public client: send client_id only";
  else if (c->auth != DOOR_IDP_AUTH_NONE &&
           !secret_eq(c->client_secret,
                      cr->basic ? door__buf_str(&cr->secret) : cr->form_secret))
    desc = "client authentication failed";
  if (desc) {
    *err = invalid_client(r, cr, desc);
    door__idp_client_unref(c);
    return NULL;
  }
  return c;
}

static door_err grant_error(door_idp_resp *r, const char *error,
                            const char *desc) {
  return door__idp_resp_oauth_error(r, 400, error, desc);
}

/* Revokes the tokens issued from a code redeemed twice (RFC 6749 4.1.2). */
static void revoke_issued(door_idp_profile *p, const char *issued) {
  const char *s = issued;
  while (s && *s) {
    const char *end = strchr(s, ' ');
    size_t n = end ? (size_t)(end - s) : strlen(s);
    door_buf w;
    door__buf_init(&w, 1024);
    if (n && !door__buf_append(&w, s, n)) {
      door__idp_store_del(&p->tokens, w.data);
      door__idp_store_del(&p->refresh, w.data);
    }
    door__buf_free(&w);
    s = end ? end + 1 : NULL;
  }
}

/* Records the keys of what a response issued under the code (for reuse
 * detection) and the client in the login session (for logout). */
static void remember(door_idp_profile *p, const char *code,
                     const door_idp_grant *g, const door_idp_tokens *t) {
  const char *at = door__buf_str(&t->at);
  const char *rt = t->rt[0] ? t->rt : NULL;
  if (at[0] && !strchr(at, '.'))
    door__idp_store_append(&p->codes, code, offsetof(door_idp_grant, issued),
                           at);
  if (rt)
    door__idp_store_append(&p->codes, code, offsetof(door_idp_grant, issued),
                           rt);
  if (g->sid)
    door__idp_store_append(&p->sessions, g->sid,
                           offsetof(door_idp_grant, clients), g->client_id);
}

/* The token answer.  Written flat (no jansson object) unless a BODY fault
 * of the request needs the object to act on; WIRE faults act on the written
 * body either way, after the handler. */
static door_err respond_tokens(door_idp_req *q, door_idp_resp *r,
                               door_idp_fault_ctx *ctx,
                               const door_idp_tokens *t) {
  json_t *res;
  door_err err;
  if (!door__idp_faults_any(&q->faults, DOOR_IDP_STAGE_BODY)) {
    door__buf_reset(&r->body);
    if (door__idp_tokens_dump(t, &r->body, &err))
      return err ? err : door__idp_resp_json_body(r, 200);
  }
  err = door__idp_tokens_json(t, &res);
  if (err)
    return err;
  ctx->obj = res;
  door__idp_faults_apply(&q->faults, DOOR_IDP_STAGE_BODY, ctx);
  ctx->obj = NULL;
  return door__idp_resp_json(r, 200, res);
}

static door_err code_grant(door_idp_req *q, door_idp_resp *r,
                           door_idp_fault_ctx *ctx, door_idp_client *c) {
  door_idp_profile *p = q->prof;
  const char *code = door__kvlist_get(&q->form, "code", NULL);
  const char *redirect = door__kvlist_get(&q->form, "redirect_uri", NULL);
  const char *verifier = door__kvlist_get(&q->form, "code_verifier", NULL);
  door_idp_grant g;
  door_idp_issue in;
  door_idp_user *u = NULL;
  door_idp_tokens t;
  door_err err, e;
  if (!code)
    return grant_error(r, "invalid_request", "code is missing");
  e = door__idp_code_redeem(&p->codes, code, c->client_id, redirect,
                            door__idp_now(p), ctx->code_reuse, &g);
  if (e == DOOR_EIDP_GRANT_USED) {
    revoke_issued(p, g.issued);
    door__idp_grant_free(&g);
  }
  if (e) {
    const char *desc = e == DOOR_EIDP_GRANT_USED      ? "code was already used"
                       : e == DOOR_EIDP_GRANT_EXPIRED ? "code has expired"
                       : e == DOOR_EIDP_GRANT_CLIENT
                           ? "code was issued to another client"
                       : e == DOOR_EIDP_GRANT_REDIRECT
                           ? "redirect_uri differs from the authorization "
                             "request's"
                           : "unknown code";
    return e == DOOR_ENOMEM ? e : grant_error(r, "invalid_grant", desc);
  }
  if (!ctx->pkce_unchecked && p->pkce != DOOR_IDP_PKCE_IGNORE) {
    if (g.code_challenge) {
      e = door__idp_pkce_check(g.code_challenge, g.challenge_method, verifier);
      if (e) {
        err = grant_error(r, "invalid_grant",
                          e == DOOR_EIDP_PKCE_MISSING ? "code_verifier is "
                                                        "missing"
                          : e == DOOR_EIDP_PKCE_FORMAT
                              ? "code_verifier is malformed"
                              : "code_verifier does not match");
        goto out;
      }
    } else if (verifier) {
      /* A verifier without a challenge: a PKCE downgrade attempt. */
      err = grant_error(r, "invalid_grant",
                        "code_verifier sent but the authorization request "
                        "had no code_challenge");
      goto out;
    }
  }
  u = door__idp_user_get(p, g.user_id);
  if (!u) {
    err = grant_error(r, "invalid_grant", "the user no longer exists");
    goto out;
  }
  memset(&in, 0, sizeof in);
  in.p = p;
  in.c = c;
  in.u = u;
  in.g = &g;
  in.scope = g.scope;
  in.refresh = (c->grants & DOOR_IDP_GRANT_REFRESH) != 0;
  in.id_token = 1;
  in.nonce = 1;
  door__idp_tokens_init(&t);
  err = door__idp_issue(&in, ctx, &t);
  if (!err) {
    remember(p, code, &g, &t);
    err = respond_tokens(q, r, ctx, &t);
  }
  door__idp_tokens_free(&t);
out:
  door__idp_user_unref(u);
  door__idp_grant_free(&g);
  return err;
}

/* `want` is a subset of `have` (space-separated words). */
static int scope_subset(const char *want, const char *have) {
  const char *s = want;
  while (s && *s) {
    const char *end = strchr(s, ' ');
    size_t n = end ? (size_t)(end - s) : strlen(s);
    door_buf w;
    int ok;
    door__buf_init(&w, 1024);
    ok = n == 0 ||
         (!door__buf_append(&w, s, n) && door__idp_has_word(have, w.data));
    door__buf_free(&w);
    if (!ok)
      return 0;
    s = end ? end + 1 : NULL;
  }
  return 1;
}

static door_err refresh_grant(door_idp_req *q, door_idp_resp *r,
                              door_idp_fault_ctx *ctx, door_idp_client *c) {
  door_idp_profile *p = q->prof;
  const char *rt = door__kvlist_get(&q->form, "refresh_token", NULL);
  const char *scope = door__kvlist_get(&q->form, "scope", NULL);
  int64_t now = door__idp_now(p);
  door_idp_grant g;
  door_idp_issue in;
  door_idp_user *u = NULL;
  door_idp_tokens t;
  door_err err, e;
  if (!(c->grants & DOOR_IDP_GRANT_REFRESH))
    return grant_error(r, "unauthorized_client",
                       "client may not use the refresh_token grant");
  if (!rt)
    return grant_error(r, "invalid_request", "refresh_token is missing");
  e = door__idp_store_get(&p->refresh, rt, now, &g);
  if (e)
    return e == DOOR_ENOMEM ? e
                            : grant_error(r, "invalid_grant",
                                          e == DOOR_EIDP_GRANT_EXPIRED
                                              ? "refresh_token has expired"
                                              : "unknown refresh_token");
  if (!g.client_id || strcmp(g.client_id, c->client_id) != 0) {
    err = grant_error(r, "invalid_grant",
                      "refresh_token was issued to another client");
    goto out;
  }
  if (scope && !scope_subset(scope, g.scope)) {
    err = grant_error(r, "invalid_scope",
                      "scope exceeds the one originally granted");
    goto out;
  }
  u = door__idp_user_get(p, g.user_id);
  if (!u) {
    err = grant_error(r, "invalid_grant", "the user no longer exists");
    goto out;
  }
  if (p->refresh_rotate)
    door__idp_store_del(&p->refresh, rt);
  memset(&in, 0, sizeof in);
  in.p = p;
  in.c = c;
  in.u = u;
  in.g = &g;
  in.scope = scope ? scope : g.scope;
  in.refresh = p->refresh_rotate;
  in.id_token = door__idp_has_word(in.scope, "openid");
  door__idp_tokens_init(&t);
  err = door__idp_issue(&in, ctx, &t);
  if (!err) {
    if (!p->refresh_rotate)
      t.rt_kept = rt;
    if (g.sid)
      door__idp_store_append(&p->sessions, g.sid,
                             offsetof(door_idp_grant, clients), c->client_id);
    err = respond_tokens(q, r, ctx, &t);
  }
  door__idp_tokens_free(&t);
out:
  door__idp_user_unref(u);
  door__idp_grant_free(&g);
  return err;
}

static door_err cc_grant(door_idp_req *q, door_idp_resp *r,
                         door_idp_fault_ctx *ctx, door_idp_client *c) {
  const char *scope = door__kvlist_get(&q->form, "scope", NULL);
  door_idp_issue in;
  door_idp_tokens t;
  door_err err;
  if (!(c->grants & DOOR_IDP_GRANT_CLIENT_CREDENTIALS))
    return grant_error(r, "unauthorized_client",
                       "client may not use the client_credentials grant");
  if (c->auth == DOOR_IDP_AUTH_NONE)
    return grant_error(r, "unauthorized_client",
                       "a public client has no client_credentials grant");
  if (scope && c->scope && !scope_subset(scope, c->scope))
    return grant_error(r, "invalid_scope", "scope not allowed");
  memset(&in, 0, sizeof in);
  in.p = q->prof;
  in.c = c;
  in.scope = scope;
  door__idp_tokens_init(&t);
  err = door__idp_issue(&in, ctx, &t);
  if (!err)
    err = respond_tokens(q, r, ctx, &t);
  door__idp_tokens_free(&t);
  return err;
}

door_err door__idp_token(door_idp_req *q, door_idp_resp *r) {
  door_idp_fault_ctx ctx;
  door_idp_client *c = NULL;
  const char *grant;
  creds cr;
  door_err err = DOOR_OK;
  int dup = 0;
  if (strcmp(q->method, "POST") != 0) {
    err = door__idp_resp_oauth_error(r, 405, "invalid_request", "use POST");
    if (!err)
      err = door__idp_resp_header(r, "Allow", "POST");
    return err;
  }
  read_creds(q, &cr);
  if (door__idp_req_faults(q, r, creds_id(&cr), &ctx))
    goto out;
  if (q->form_bad || q->query.n) {
    err = grant_error(r, "invalid_request",
                      q->form_bad ? "the form body does not decode"
                                  : "parameters belong in the form body");
    goto out;
  }
  c = authenticate(q, r, &cr, &err);
  if (!c)
    goto out;
  if (ctx.error) {
    err = strcmp(ctx.error, "invalid_client") == 0
              ? invalid_client(r, &cr, ctx.error_desc)
              : grant_error(r, ctx.error, ctx.error_desc);
    goto out;
  }
  grant = door__kvlist_get(&q->form, "grant_type", &dup);
  if (dup || !grant)
    err = grant_error(r, "invalid_request",
                      dup ? "grant_type is repeated" : "grant_type missing");
  else if (strcmp(grant, "authorization_code") == 0)
    err = code_grant(q, r, &ctx, c);
  else if (strcmp(grant, "refresh_token") == 0)
    err = refresh_grant(q, r, &ctx, c);
  else if (strcmp(grant, "client_credentials") == 0)
    err = cc_grant(q, r, &ctx, c);
  else
    err = grant_error(r, "unsupported_grant_type", "unknown grant_type");
out:
  door__idp_client_unref(c);
  creds_free(&cr);
  return err;
}
