/* door-idp userinfo endpoint and the XMarket ticket-ownership API. */
#include "idp/http.h"
#include "idp/issue.h"
#include "idp/jwt.h"

#include <stdlib.h>
#include <string.h>

/* Resolves the request's bearer token.  On failure the 401 answer (RFC 6750
 * section 3) is in `r` and 0 is returned. */
static int bearer_grant(door_idp_req *q, door_idp_resp *r, door_idp_grant *g,
                        door_err *err) {
  const char *tok = door__idp_bearer(q);
  door_err e;
  *err = DOOR_OK;
  if (!tok) {
    *err = door__idp_resp_bearer_error(r, 401, NULL, NULL, NULL);
    return 0;
  }
  e = door__idp_access_lookup(q->prof, tok, g);
  if (e == DOOR_ENOMEM) {
    *err = e;
    return 0;
  }
  if (e) {
    *err = door__idp_resp_bearer_error(r, 401, "invalid_token",
                                       e == DOOR_EIDP_GRANT_EXPIRED
                                           ? "the access token has expired"
                                           : "unknown or revoked access token",
                                       NULL);
    return 0;
  }
  return 1;
}

door_err door__idp_userinfo(door_idp_req *q, door_idp_resp *r) {
  door_idp_profile *p = q->prof;
  door_idp_fault_ctx ctx;
  door_idp_grant g;
  door_idp_client *c = NULL;
  door_idp_user *u = NULL;
  door_buf sub;
  const char *key;
  json_t *res = NULL, *uc, *v;
  door_err err = DOOR_OK;
  memset(&g, 0, sizeof g);
  door__buf_init(&sub, 1024);
  if (strcmp(q->method, "GET") && strcmp(q->method, "POST")) {
    err = door__idp_resp_oauth_error(r, 405, "invalid_request",
                                     "use GET or POST");
    goto out;
  }
  if (!bearer_grant(q, r, &g, &err))
    goto out;
  if (door__idp_req_faults(q, r, g.client_id, &ctx))
    goto out;
  c = door__idp_client_get(p, g.client_id);
  u = door__idp_user_get(p, g.user_id);
  if (!c || !u) {
    err = door__idp_resp_bearer_error(r, 401, "invalid_token",
                                      "client or user no longer exists", NULL);
    goto out;
  }
  if (!door__idp_has_word(g.scope, "openid")) {
    err = door__idp_resp_bearer_error(r, 403, "insufficient_scope",
                                      "userinfo needs the openid scope",
                                      "openid");
    goto out;
  }
  err = door__idp_subject(p, c, u, &sub);
  if (err)
    goto out;
  res = json_pack("{s:s}", "sub", sub.data);
  if (!res) {
    err = DOOR_ENOMEM;
    goto out;
  }
  uc = json_deep_copy(u->claims);
  json_object_foreach(uc, key, v) {
    if (strcmp(key, "sub") != 0 && door__idp_claim_in_scope(key, g.scope))
      json_object_set(res, key, v);
  }
  json_decref(uc);
  ctx.obj = res;
  door__idp_faults_apply(&q->faults, DOOR_IDP_STAGE_BODY, &ctx);
  ctx.obj = NULL;
  err = door__idp_resp_json(r, 200, res);
out:
  door__idp_client_unref(c);
  door__idp_user_unref(u);
  door__idp_grant_free(&g);
  door__buf_free(&sub);
  return err;
}

door_err door__idp_tickets(door_idp_req *q, door_idp_resp *r) {
  door_idp_profile *p = q->prof;
  door_idp_fault_ctx ctx;
  door_idp_grant g;
  door_idp_user *u = NULL;
  const char *event;
  json_t *res = NULL, *list, *t;
  size_t i;
  door_err err = DOOR_OK;
  int dup = 0;
  memset(&g, 0, sizeof g);
  if (strcmp(q->method, "GET") != 0) {
    err = door__idp_resp_oauth_error(r, 405, "invalid_request", "use GET");
    goto out;
  }
  if (!bearer_grant(q, r, &g, &err))
    goto out;
  if (door__idp_req_faults(q, r, g.client_id, &ctx))
    goto out;
  if (!door__idp_has_word(g.scope, "tickets")) {
    err = door__idp_resp_bearer_error(
        r, 403, "insufficient_scope",
        "the access token lacks the tickets scope", "tickets");
    goto out;
  }
  event = door__kvlist_get(&q->query, "event_id", &dup);
  if (!event || !*event || dup) {
    err = door__idp_resp_oauth_error(r, 400, "invalid_request",
                                     dup ? "event_id is repeated"
                                         : "event_id is required");
    goto out;
  }
  u = door__idp_user_get(p, g.user_id);
  if (!u) {
    err = door__idp_resp_bearer_error(r, 401, "invalid_token",
                                      "the user no longer exists", NULL);
    goto out;
  }
  list = json_array();
  res = json_object();
  if (!list || !res || json_object_set_new(res, "tickets", list)) {
    err = DOOR_ENOMEM;
    goto out;
  }
  json_array_foreach(u->tickets, i, t) {
    const char *ev = json_string_value(json_object_get(t, "event_id"));
    if (ev && strcmp(ev, event) == 0)
      json_array_append_new(list, json_deep_copy(t));
  }
  ctx.obj = res;
  door__idp_faults_apply(&q->faults, DOOR_IDP_STAGE_BODY, &ctx);
  ctx.obj = NULL;
  err = door__idp_resp_json(r, 200, res);
  res = NULL;
out:
  json_decref(res);
  door__idp_user_unref(u);
  door__idp_grant_free(&g);
  return err;
}
