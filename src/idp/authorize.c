/* door-idp authorization endpoint: request checks, user picker and consent
 * (pages.c), the non-interactive login_hint path, codes and the redirect
 * back with code, state and (RFC 9207) iss. */
#include "idp/http.h"
#include "idp/jwt.h"
#include "idp/pages.h"

#include <stdlib.h>
#include <string.h>

#define SESSION_TTL 86400

/* The authorization request, read once. */
typedef struct authz {
  const door_kvlist *params; /* query (GET) or form (POST) */
  const char *client_id, *redirect_uri, *response_type, *scope, *state, *nonce,
      *challenge, *method, *hint, *prompt, *authif, *action, *user;
  int dup; /* some parameter was repeated */
} authz;

static const char *get(authz *a, const char *name) {
  int dup = 0;
  const char *v = door__kvlist_get(a->params, name, &dup);
  if (dup)
    a->dup = 1;
  return v;
}

static void read_authz(door_idp_req *q, authz *a) {
  memset(a, 0, sizeof *a);
  a->params = strcmp(q->method, "POST") == 0 ? &q->form : &q->query;
  a->client_id = get(a, "client_id");
  a->redirect_uri = get(a, "redirect_uri");
  a->response_type = get(a, "response_type");
  a->scope = get(a, "scope");
  a->state = get(a, "state");
  a->nonce = get(a, "nonce");
  a->challenge = get(a, "code_challenge");
  a->method = get(a, "code_challenge_method");
  a->hint = get(a, "login_hint");
  a->prompt = get(a, "prompt");
  a->authif = get(a, "authif");
  a->action = get(a, "door_idp_action");
  a->user = get(a, "user");
}

/* redirect_uri + ('?' | '&') + the members of `params` (strings). */
static door_err redirect_with(door_idp_resp *r, const char *base,
                              json_t *params) {
  const char *key;
  json_t *v;
  door_buf url, query;
  door_err err = DOOR_OK;
  door__buf_init(&url, 16384);
  door__buf_init(&query, 16384);
  json_object_foreach(params, key, v) {
    if (!err && json_is_string(v))
      err = door__form_append(&query, key, json_string_value(v));
  }
  if (!err)
    err = door__buf_puts(&url, base);
  if (!err && query.len)
    err = door__buf_putc(&url, strchr(base, '?') ? '&' : '?');
  if (!err && query.len)
    err = door__buf_append(&url, query.data, query.len);
  if (!err)
    err = door__idp_resp_redirect(r, door__buf_str(&url));
  door__buf_free(&url);
  door__buf_free(&query);
  return err;
}

/* Sends the authorization response (code or error) to the client,
 * applying the BODY faults (iss, state) and a redirect_attacker target. */
static door_err respond(door_idp_req *q, door_idp_resp *r,
                        door_idp_fault_ctx *ctx, const authz *a,
                        const char *code, const char *error, const char *desc) {
  door_idp_profile *p = q->prof;
  json_t *params = json_object();
  door_err err;
  if (!params)
    return DOOR_ENOMEM;
  if (code)
    json_object_set_new(params, "code", json_string(code));
  if (error) {
    json_object_set_new(params, "error", json_string(error));
    if (desc)
      json_object_set_new(params, "error_description", json_string(desc));
  }
  if (a->state)
    json_object_set_new(params, "state", json_string(a->state));
  if (p->iss_param)
    json_object_set_new(params, "iss", json_string(p->issuer));
  ctx->obj = params;
  door__idp_faults_apply(&q->faults, DOOR_IDP_STAGE_BODY, ctx);
  ctx->obj = NULL;
  err = redirect_with(
      r, ctx->redirect_to[0] ? ctx->redirect_to : a->redirect_uri, params);
  json_decref(params);
  return err;
}

static int scope_allowed(const door_idp_client *c, const char *scope) {
  const char *s = scope;
  if (!c->scope)
    return 1;
  while (s && *s) {
    const char *end = strchr(s, ' ');
    size_t n = end ? (size_t)(end - s) : strlen(s);
    door_buf w;
    int ok;
    door__buf_init(&w, 1024);
    ok = n == 0 || (!door__buf_append(&w, s, n) &&
                    door__idp_has_word(c->scope, door__buf_str(&w)));
    door__buf_free(&w);
    if (!ok)
      return 0;
    s = end ? end + 1 : NULL;
  }
  return 1;
}

/* The protocol checks that end in an error redirect; NULL when fine. */
static const char *check(door_idp_req *q, const door_idp_client *c,
                         const authz *a, const char **desc) {
  door_idp_profile *p = q->prof;
  *desc = NULL;
  if (a->dup) {
    *desc = "a parameter is repeated";
    return "invalid_request";
  }
  if (!a->response_type || strcmp(a->response_type, "code") != 0) {
    *desc = "only response_type=code is supported";
    return "unsupported_response_type";
  }
  if (!(c->grants & DOOR_IDP_GRANT_CODE)) {
    *desc = "client may not use the authorization code grant";
    return "unauthorized_client";
  }
  if (!a->scope || !door__idp_has_word(a->scope, "openid")) {
    *desc = "scope must include openid";
    return "invalid_scope";
  }
  if (!scope_allowed(c, a->scope)) {
    *desc = "scope not allowed for this client";
    return "invalid_scope";
  }
  if (p->pkce == DOOR_IDP_PKCE_REQUIRE) {
    if (!a->challenge) {
      *desc = "code_challenge (PKCE S256) is required";
      return "invalid_request";
    }
    if (!a->method || strcmp(a->method, "S256") != 0) {
      *desc = "code_challenge_method must be S256";
      return "invalid_request";
    }
  }
  if (a->challenge &&
      (strlen(a->challenge) < 43 || strlen(a->challenge) > 128)) {
    *desc = "code_challenge must be 43 to 128 characters";
    return "invalid_request";
  }
  if (a->authif && strcmp(a->authif, "0") && strcmp(a->authif, "1")) {
    *desc = "authif must be 0 or 1";
    return "invalid_request";
  }
  return NULL;
}

/* The session id in the request's cookie for this profile, if any. */
static door_err cookie_sid(door_idp_req *q, door_buf *out) {
  door_buf name;
  door_err err;
  door__buf_init(&name, 256);
  err = door__idp_sid_cookie_name(q->prof, &name);
  if (!err)
    err = door__idp_req_cookie(q, name.data, out);
  door__buf_free(&name);
  return err;
}

/* Issues a code for `user` and redirects.  `sid` is the login session
 * (created here when NULL). */
static door_err approve(door_idp_req *q, door_idp_resp *r,
                        door_idp_fault_ctx *ctx, const authz *a,
                        const char *user, const char *old_sid, int set_cookie) {
  door_idp_profile *p = q->prof;
  int64_t now = door__idp_now(p);
  door_idp_grant g;
  char code[64], sid[64];
  door_buf cookie;
  door_err err;
  memset(&g, 0, sizeof g);
  door__buf_init(&cookie, 1024);
  if (old_sid) {
    size_t n = strlen(old_sid);
    if (n >= sizeof sid)
      return DOOR_EINVAL;
    memcpy(sid, old_sid, n + 1);
  } else {
    err = door__idp_random_token(16, sid, sizeof sid);
    if (err)
      return err;
    g.user_id = (char *)user;
    g.auth_time = now;
    g.exp = now + SESSION_TTL;
    err = door__idp_store_put(&p->sessions, sid, &g, now);
    if (err)
      return err;
  }
  err = door__idp_random_token(32, code, sizeof code);
  if (err)
    return err;
  g.client_id = (char *)a->client_id;
  g.user_id = (char *)user;
  g.scope = (char *)a->scope;
  g.nonce = (char *)a->nonce;
  g.sid = sid;
  g.redirect_uri = (char *)a->redirect_uri;
  g.code_challenge = (char *)a->challenge;
  g.challenge_method =
      (char *)(a->challenge ? (a->method ? a->method : "plain") : NULL);
  g.auth_time = now;
  g.exp = now + p->code_ttl;
  if (old_sid) {
    door_idp_grant s;
    if (door__idp_store_get(&p->sessions, sid, now, &s) == DOOR_OK) {
      g.auth_time = s.auth_time;
      door__idp_grant_free(&s);
    }
  }
  err = door__idp_store_put(&p->codes, code, &g, now);
  if (err)
    return err;
  if (set_cookie) {
    err = door__idp_sid_cookie_name(p, &cookie);
    if (!err)
      err = door__buf_putc(&cookie, '=');
    if (!err)
      err = door__buf_puts(&cookie, sid);
    if (!err)
      err = door__buf_puts(&cookie, "; Path=/; HttpOnly; SameSite=Lax");
    if (!err && !q->listener->plain)
      err = door__buf_puts(&cookie, "; Secure");
  }
  if (!err)
    err = respond(q, r, ctx, a, code, NULL, NULL);
  if (!err && set_cookie)
    err = door__idp_resp_header(r, "Set-Cookie", door__buf_str(&cookie));
  door__buf_free(&cookie);
  return err;
}

/* prompt=none, or a returning browser: the cookie's session, if its user
 * still exists.  Fills `sid` and `user` (owned by the caller). */
static int session_user(door_idp_req *q, door_buf *sid, door_buf *user) {
  door_idp_grant s;
  door_idp_user *u;
  if (cookie_sid(q, sid) || !sid->len)
    return 0;
  if (door__idp_store_get(&q->prof->sessions, sid->data, door__idp_now(q->prof),
                          &s))
    return 0;
  u = door__idp_user_get(q->prof, s.user_id);
  if (u && door__buf_puts(user, u->id) == DOOR_OK) {
    door__idp_user_unref(u);
    door__idp_grant_free(&s);
    return 1;
  }
  door__idp_user_unref(u);
  door__idp_grant_free(&s);
  return 0;
}

static door_err interact(door_idp_req *q, door_idp_resp *r,
                         door_idp_fault_ctx *ctx, const authz *a,
                         const door_idp_client *c) {
  door_idp_profile *p = q->prof;
  door_idp_user *u = NULL;
  door_buf sid, suser;
  door_err err = DOOR_OK;
  int is_post = strcmp(q->method, "POST") == 0;
  door__buf_init(&sid, 256);
  door__buf_init(&suser, 1024);
  if (is_post && a->action) {
    if (strcmp(a->action, "deny") == 0) {
      err = respond(q, r, ctx, a, NULL, "access_denied",
                    "the user denied the request");
      goto out;
    }
    u = door__idp_user_get(p, a->user);
    if (!u) {
      err = door__idp_page_login(r, p, c, a->params, NULL);
      goto out;
    }
    if (strcmp(a->action, "login") == 0)
      err = door__idp_page_consent(r, p, c, u, a->params, a->scope);
    else if (strcmp(a->action, "approve") == 0)
      err = approve(q, r, ctx, a, u->id, NULL, 1);
    else
      err = door__idp_page_error(r, 400, "Bad request", "unknown action");
    goto out;
  }
  /* Non-interactive: login_hint approved at once under --auto-approve. */
  if (a->hint && q->idp->auto_approve &&
      (!a->prompt || !door__idp_has_word(a->prompt, "login"))) {
    u = door__idp_user_get(p, a->hint);
    if (u) {
      err = approve(q, r, ctx, a, u->id, NULL, 1);
      goto out;
    }
  }
  if (a->prompt && door__idp_has_word(a->prompt, "none")) {
    if (session_user(q, &sid, &suser) &&
        (!a->hint || strcmp(a->hint, suser.data) == 0))
      err = approve(q, r, ctx, a, suser.data, sid.data, 0);
    else
      err = respond(q, r, ctx, a, NULL, "login_required",
                    "no session at door-idp and prompt=none");
    goto out;
  }
  err = door__idp_page_login(r, p, c, a->params, a->hint);
out:
  door__idp_user_unref(u);
  door__buf_free(&sid);
  door__buf_free(&suser);
  return err;
}

door_err door__idp_authorize(door_idp_req *q, door_idp_resp *r) {
  door_idp_profile *p = q->prof;
  door_idp_client *c = NULL;
  door_idp_fault_ctx ctx;
  const char *error, *desc;
  authz a;
  door_err err = DOOR_OK;
  if (strcmp(q->method, "GET") && strcmp(q->method, "POST"))
    return door__idp_page_error(r, 405, "Method not allowed",
                                "use GET or POST");
  if (q->query_bad || q->form_bad)
    return door__idp_page_error(r, 400, "Bad request",
                                "the request parameters do not decode");
  read_authz(q, &a);
  /* Without a known client and one of its redirect URIs nothing may be
   * redirected (RFC 6749 4.1.2.1): show the error here. */
  c = door__idp_client_get(p, a.client_id);
  if (!c)
    return door__idp_page_error(r, 400, "Unknown client",
                                a.client_id ? "no client with that client_id"
                                            : "client_id is missing");
  if (!door__idp_client_redirect_ok(c, a.redirect_uri)) {
    err = door__idp_page_error(
        r, 400, "Invalid redirect_uri",
        a.redirect_uri ? "redirect_uri is not registered for this client "
                         "(exact match)"
                       : "redirect_uri is missing");
    goto out;
  }
  if (door__idp_req_faults(q, r, a.client_id, &ctx))
    goto out;
  error = check(q, c, &a, &desc);
  if (!error && ctx.error) {
    error = ctx.error;
    desc = ctx.error_desc;
  }
  if (error) {
    err = respond(q, r, &ctx, &a, NULL, error, desc);
    goto out;
  }
  err = interact(q, r, &ctx, &a, c);
out:
  door__idp_client_unref(c);
  return err;
}
