/* door-idp logout: RP-initiated logout (end_session_endpoint) and
 * OpenID Connect Back-Channel Logout 1.0 logout tokens, POSTed with
 * OpenSSL's HTTP client (bcl_post.h: TLS verified against the back-channel
 * CA file, redirects never followed). */
#include "idp/logout.h"

#include "idp/bcl_post.h"
#include "idp/jwt.h"
#include "idp/pages.h"

#include <stdlib.h>
#include <string.h>

#define BCL_EVENT "http://schemas.openid.net/event/backchannel-logout"

door_err door__idp_logout_token(door_idp_profile *p, const door_idp_client *c,
                                const char *user_id, const char *sid,
                                door_buf *out) {
  door_idp_user *u = door__idp_user_get(p, user_id);
  int64_t now = door__idp_now(p);
  door_buf sub;
  char jti[32];
  json_t *claims = NULL;
  door_err err;
  door__buf_init(&sub, 1024);
  err = door__idp_random_token(16, jti, sizeof jti);
  if (err)
    goto out;
  claims = json_pack("{s:s, s:s, s:I, s:I, s:s, s:{s:{}}}", "iss", p->issuer,
                     "aud", c->client_id, "iat", (json_int_t)now, "exp",
                     (json_int_t)(now + 120), "jti", jti, "events", BCL_EVENT);
  if (!claims) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (u) {
    err = door__idp_subject(p, c, u, &sub);
    if (err)
      goto out;
    json_object_set_new(claims, "sub", json_string(sub.data));
  }
  if (sid)
    json_object_set_new(claims, "sid", json_string(sid));
  if (!u && !sid) {
    err = DOOR_EINVAL; /* a logout token names a sub, a sid or both */
    goto out;
  }
  err = door__idp_sign(p, c, c->id_token_alg, claims, "logout+jwt", NULL, out);
out:
  json_decref(claims);
  door__idp_user_unref(u);
  door__buf_free(&sub);
  return err;
}

door_err door__idp_backchannel_send(door_idp_profile *p,
                                    const door_idp_client *c,
                                    const char *user_id, const char *sid,
                                    json_t *report) {
  door_idp *idp = p->idp;
  door_detail d;
  long status = 0;
  door_buf tok, body;
  json_t *item;
  door_err err, e;
  if (!c->backchannel_logout_uri)
    return DOOR_OK;
  door__buf_init(&tok, 16384);
  door__buf_init(&body, 32768);
  door_detail_clear(&d);
  err = door__idp_logout_token(p, c, user_id, sid, &tok);
  if (!err)
    err = door__form_append(&body, "logout_token", tok.data);
  if (err)
    goto out;
  item = json_pack("{s:s, s:s}", "client_id", c->client_id, "uri",
                   c->backchannel_logout_uri);
  if (!item) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (!idp->bcl) {
    json_object_set_new(item, "error", json_string("no outbound HTTP client"));
    json_array_append_new(report, item);
    goto out;
  }
  e = door__idp_bcl_post(idp->bcl, c->backchannel_logout_uri, body.data,
                         body.len, &status, &d);
  json_object_set_new(item, "status", json_integer(status));
  if (e)
    json_object_set_new(item, "error", json_string(door_err_name(e)));
  json_array_append_new(report, item);
  door__log(&idp->log, e || status >= 300 ? DOOR_LOG_WARN : DOOR_LOG_INFO,
            "idp.backchannel_logout", "profile", p->name, "client_id",
            c->client_id, "result", e ? door_err_name(e) : "sent", NULL);
out:
  door__buf_free(&tok);
  door__buf_free(&body);
  return err;
}

/* Logs a session out: back-channel tokens to every client that got tokens
 * in it (and `also`), then the session is gone. */
static door_err end_session(door_idp_profile *p, const char *sid,
                            const char *also, json_t *report) {
  door_idp_grant s;
  door_err err = DOOR_OK;
  const char *w;
  memset(&s, 0, sizeof s);
  if (door__idp_store_take(&p->sessions, sid, door__idp_now(p), &s))
    return DOOR_OK; /* unknown or expired: nothing to tell anyone */
  for (w = s.clients; !err && w && *w;) {
    const char *end = strchr(w, ' ');
    size_t n = end ? (size_t)(end - w) : strlen(w);
    door_buf id;
    door_idp_client *c;
    door__buf_init(&id, 1024);
    if (n && !door__buf_append(&id, w, n)) {
      c = door__idp_client_get(p, id.data);
      if (c)
        err = door__idp_backchannel_send(p, c, s.user_id, sid, report);
      door__idp_client_unref(c);
    }
    door__buf_free(&id);
    w = end ? end + 1 : NULL;
  }
  if (!err && also && !door__idp_has_word(s.clients, also)) {
    door_idp_client *c = door__idp_client_get(p, also);
    if (c)
      err = door__idp_backchannel_send(p, c, s.user_id, sid, report);
    door__idp_client_unref(c);
  }
  door__idp_grant_free(&s);
  return err;
}

door_err door__idp_end_session(door_idp_req *q, door_idp_resp *r) {
  door_idp_profile *p = q->prof;
  door_idp_fault_ctx ctx;
  door_idp_client *c = NULL;
  door_jws hint;
  const char *hint_s, *client_id, *post, *state, *aud = NULL, *sid = NULL;
  json_t *report = json_array();
  door_buf url, cookie;
  door_err err = DOOR_OK;
  int dup = 0, d;
  memset(&hint, 0, sizeof hint);
  door__buf_init(&url, 16384);
  door__buf_init(&cookie, 512);
  if (!report)
    return DOOR_ENOMEM;
  if (q->query_bad || q->form_bad) {
    err = door__idp_page_error(r, 400, "Bad request",
                               "the parameters do not decode");
    goto out;
  }
  hint_s = door__idp_req_param(q, "id_token_hint", &d);
  dup |= d;
  client_id = door__idp_req_param(q, "client_id", &d);
  dup |= d;
  post = door__idp_req_param(q, "post_logout_redirect_uri", &d);
  dup |= d;
  state = door__idp_req_param(q, "state", &d);
  dup |= d;
  if (dup) {
    err = door__idp_page_error(r, 400, "Bad request", "repeated parameter");
    goto out;
  }
  if (hint_s) {
    /* Our own id_token; expired ones are fine (that is the usual case). */
    door_idp_client *hc = NULL;
    const char *a;
    door_jws_limits lim = DOOR_JWS_LIMITS_DEFAULT;
    if (door__jws_parse(hint_s, strlen(hint_s), &lim, &hint, NULL) == DOOR_OK) {
      a = json_string_value(json_object_get(hint.payload, "aud"));
      hc = door__idp_client_get(p, a);
      door__jws_clear(&hint);
    }
    err = door__idp_verify_own(p, hc, hint_s, &hint);
    door__idp_client_unref(hc);
    if (err) {
      err = door__idp_page_error(r, 400, "Invalid id_token_hint",
                                 "id_token_hint was not issued here");
      goto out;
    }
    aud = json_string_value(json_object_get(hint.payload, "aud"));
    sid = json_string_value(json_object_get(hint.payload, "sid"));
  }
  if (client_id && aud && strcmp(client_id, aud) != 0) {
    err = door__idp_page_error(r, 400, "Bad request",
                               "client_id differs from id_token_hint's aud");
    goto out;
  }
  c = door__idp_client_get(p, client_id ? client_id : aud);
  if (door__idp_req_faults(q, r, c ? c->client_id : NULL, &ctx))
    goto out;
  if (post && (!c || !door__idp_client_post_logout_ok(c, post))) {
    err = door__idp_page_error(
        r, 400, "Invalid post_logout_redirect_uri",
        c ? "not registered for this client (exact match)"
          : "post_logout_redirect_uri needs client_id or id_token_hint");
    goto out;
  }
  if (!sid) {
    /* A browser without id_token_hint: the session cookie. */
    door_buf name;
    door__buf_init(&name, 256);
    if (!door__idp_sid_cookie_name(p, &name) &&
        !door__idp_req_cookie(q, name.data, &cookie) && cookie.len)
      sid = cookie.data;
    door__buf_free(&name);
  }
  if (sid)
    err = end_session(p, sid, c ? c->client_id : NULL, report);
  if (err)
    goto out;
  if (post) {
    err = door__buf_puts(&url, post);
    if (!err && state) {
      door_buf qs;
      door__buf_init(&qs, 8192);
      err = door__form_append(&qs, "state", state);
      if (!err)
        err = door__buf_putc(&url, strchr(post, '?') ? '&' : '?');
      if (!err)
        err = door__buf_append(&url, qs.data, qs.len);
      door__buf_free(&qs);
    }
    if (!err)
      err = door__idp_resp_redirect(r, url.data);
  } else {
    err = door__idp_page_message(r, "Signed out",
                                 "You are signed out of the door-idp test "
                                 "provider.");
  }
  if (!err) {
    door__buf_reset(&url);
    err = door__idp_sid_cookie_name(p, &url);
    if (!err)
      err = door__buf_puts(&url, "=; Path=/; Max-Age=0");
    if (!err)
      err = door__idp_resp_header(r, "Set-Cookie", url.data);
  }
out:
  door__jws_clear(&hint);
  door__idp_client_unref(c);
  json_decref(report);
  door__buf_free(&url);
  door__buf_free(&cookie);
  return err;
}
