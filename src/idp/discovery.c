/* door-idp discovery documents and JWKS. */
#include "idp/http.h"
#include "idp/jwt.h"

#include "util/json.h"

#include <string.h>

static json_t *str_array(const char *const *v) {
  json_t *a = json_array();
  for (; a && *v; v++)
    json_array_append_new(a, json_string(*v));
  return a;
}

/* "a b c" -> ["a","b","c"]. */
static json_t *words(const char *s) {
  json_t *a = json_array();
  while (a && s && *s) {
    const char *end = strchr(s, ' ');
    size_t n = end ? (size_t)(end - s) : strlen(s);
    if (n)
      json_array_append_new(a, json_stringn(s, n));
    s = end ? end + 1 : NULL;
  }
  return a;
}

static json_t *algs(unsigned mask) {
  json_t *a = json_array();
  /* d-account publishes ["HS256","RS256"]: HS256 first. */
  static const door_alg order[] = {DOOR_ALG_HS256, DOOR_ALG_RS256,
                                   DOOR_ALG_ES256, DOOR_ALG_PS256};
  size_t i;
  for (i = 0; a && i < sizeof order / sizeof order[0]; i++) {
    if (mask & order[i])
      json_array_append_new(a, json_string(door__alg_name(order[i])));
  }
  return a;
}

static void set_url(json_t *o, const char *key, const door_idp_profile *p,
                    door_idp_ep ep) {
  if (p->urls[ep])
    json_object_set_new(o, key, json_string(p->urls[ep]));
}

static const char *const code_only[] = {"code", NULL};

/* d-account publishes exactly these members, in this order. */
static json_t *daccount_doc(const door_idp_profile *p) {
  static const char *const pairwise[] = {"pairwise", NULL};
  json_t *o = json_object();
  if (!o)
    return NULL;
  json_object_set_new(o, "issuer", json_string(p->issuer));
  set_url(o, "authorization_endpoint", p, DOOR_IDP_EP_AUTHORIZE);
  set_url(o, "token_endpoint", p, DOOR_IDP_EP_TOKEN);
  set_url(o, "userinfo_endpoint", p, DOOR_IDP_EP_USERINFO);
  set_url(o, "jwks_uri", p, DOOR_IDP_EP_JWKS);
  json_object_set_new(o, "response_types_supported", str_array(code_only));
  json_object_set_new(o, "subject_types_supported", str_array(pairwise));
  json_object_set_new(o, "id_token_signing_alg_values_supported",
                      algs(p->id_algs));
  return o;
}

static json_t *full_doc(const door_idp_profile *p) {
  static const char *const query[] = {"query", NULL};
  static const char *const s256[] = {"S256", NULL};
  static const char *const methods[] = {"client_secret_basic",
                                        "client_secret_post", "none", NULL};
  static const char *const methods_jwt[] = {"client_secret_basic",
                                            "client_secret_post", "none",
                                            "private_key_jwt", NULL};
  static const char *const assertion_algs[] = {"RS256", "PS256", "ES256", NULL};
  static const char *const grants[] = {"authorization_code", "refresh_token",
                                       "client_credentials", NULL};
  static const char *const prompts[] = {"none", "login", "consent", NULL};
  static const char *const claims[] = {"sub",
                                       "iss",
                                       "aud",
                                       "exp",
                                       "iat",
                                       "auth_time",
                                       "nonce",
                                       "at_hash",
                                       "sid",
                                       "name",
                                       "given_name",
                                       "family_name",
                                       "preferred_username",
                                       "email",
                                       "email_verified",
                                       "picture",
                                       "locale",
                                       NULL};
  static const char *const pub[] = {"public", NULL};
  static const char *const pw[] = {"pairwise", NULL};
  json_t *o = json_object();
  if (!o)
    return NULL;
  json_object_set_new(o, "issuer", json_string(p->issuer));
  set_url(o, "authorization_endpoint", p, DOOR_IDP_EP_AUTHORIZE);
  set_url(o, "token_endpoint", p, DOOR_IDP_EP_TOKEN);
  set_url(o, "userinfo_endpoint", p, DOOR_IDP_EP_USERINFO);
  set_url(o, "jwks_uri", p, DOOR_IDP_EP_JWKS);
  set_url(o, "end_session_endpoint", p, DOOR_IDP_EP_END_SESSION);
  set_url(o, "tickets_endpoint", p, DOOR_IDP_EP_TICKETS);
  json_object_set_new(o, "scopes_supported", words(p->scopes_supported));
  json_object_set_new(o, "response_types_supported", str_array(code_only));
  json_object_set_new(o, "response_modes_supported", str_array(query));
  json_object_set_new(o, "grant_types_supported", str_array(grants));
  json_object_set_new(o, "subject_types_supported",
                      str_array(p->pairwise ? pw : pub));
  json_object_set_new(o, "id_token_signing_alg_values_supported",
                      algs(p->id_algs));
  json_object_set_new(
      o, "token_endpoint_auth_methods_supported",
      str_array(p->kind == DOOR_IDP_GENERIC ? methods_jwt : methods));
  if (p->kind == DOOR_IDP_GENERIC)
    json_object_set_new(o, "token_endpoint_auth_signing_alg_values_supported",
                        str_array(assertion_algs));
  json_object_set_new(o, "code_challenge_methods_supported", str_array(s256));
  json_object_set_new(o, "claims_supported", str_array(claims));
  json_object_set_new(o, "claim_types_supported", json_pack("[s]", "normal"));
  json_object_set_new(o, "prompt_values_supported", str_array(prompts));
  json_object_set_new(o, "authorization_response_iss_parameter_supported",
                      json_boolean(p->iss_param));
  json_object_set_new(o, "claims_parameter_supported", json_false());
  json_object_set_new(o, "request_parameter_supported", json_false());
  json_object_set_new(o, "request_uri_parameter_supported", json_false());
  if (p->urls[DOOR_IDP_EP_END_SESSION]) {
    json_object_set_new(o, "backchannel_logout_supported", json_true());
    json_object_set_new(o, "backchannel_logout_session_supported", json_true());
    json_object_set_new(o, "frontchannel_logout_supported", json_false());
  }
  return o;
}

static int get_only(door_idp_req *q, door_idp_resp *r, door_err *err) {
  if (strcmp(q->method, "GET") == 0 || strcmp(q->method, "HEAD") == 0)
    return 0;
  *err = door__idp_resp_oauth_error(r, 405, "invalid_request", "use GET");
  if (!*err)
    *err = door__idp_resp_header(r, "Allow", "GET, HEAD");
  return 1;
}

door_err door__idp_discovery_build(door_idp_profile *p) {
  json_t *doc = p->kind == DOOR_IDP_DACCOUNT ? daccount_doc(p) : full_doc(p);
  door_err err;
  if (!doc)
    return DOOR_ENOMEM;
  door__buf_reset(&p->discovery_json);
  err = door__idp_json_dump(doc, &p->discovery_json);
  json_decref(doc);
  return err;
}

/* Served from the document built at publish time (everything in it is fixed
 * by then); a fault on the body works on a parsed copy. */
door_err door__idp_discovery(door_idp_req *q, door_idp_resp *r) {
  door_idp_profile *p = q->prof;
  door_idp_fault_ctx ctx;
  door_err err = DOOR_OK;
  json_t *doc = NULL;
  if (get_only(q, r, &err))
    return err;
  if (door__idp_req_faults(q, r, NULL, &ctx))
    return DOOR_OK;
  if (!p->discovery_json.len)
    return DOOR_EINTERNAL; /* not published */
  if (door__idp_faults_any(&q->faults, DOOR_IDP_STAGE_BODY)) {
    err = door__json_parse(p->discovery_json.data, p->discovery_json.len, 8,
                           &doc, NULL);
    if (err)
      return err;
    ctx.obj = doc;
    door__idp_faults_apply(&q->faults, DOOR_IDP_STAGE_BODY, &ctx);
    err = door__idp_resp_json(r, 200, doc); /* takes doc */
  } else {
    door__buf_reset(&r->body);
    err = door__buf_append(&r->body, p->discovery_json.data,
                           p->discovery_json.len);
    r->status = 200;
    r->content_type = "application/json";
    if (!err)
      err = door__idp_resp_header(r, "Cache-Control", "no-store");
    if (!err)
      err = door__idp_resp_header(r, "Pragma", "no-cache");
  }
  if (!err)
    err = door__idp_resp_header(r, "Access-Control-Allow-Origin", "*");
  return err;
}

door_err door__idp_jwks(door_idp_req *q, door_idp_resp *r) {
  door_idp_fault_ctx ctx;
  door_err err = DOOR_OK;
  json_t *doc = NULL;
  if (get_only(q, r, &err))
    return err;
  if (door__idp_req_faults(q, r, NULL, &ctx))
    return DOOR_OK;
  r->status = 200;
  r->content_type = "application/json";
  err = door__idp_jwks_copy(q->prof, &r->body);
  if (err)
    return err;
  if (door__idp_faults_any(&q->faults, DOOR_IDP_STAGE_BODY)) {
    err = door__json_parse(r->body.data, r->body.len, 8, &doc, NULL);
    if (err)
      return err;
    ctx.obj = doc;
    door__idp_faults_apply(&q->faults, DOOR_IDP_STAGE_BODY, &ctx);
    door__buf_reset(&r->body);
    err = door__json_dump(doc, &r->body);
    json_decref(doc);
    if (err)
      return err;
  }
  err = door__idp_resp_header(r, "Cache-Control", "public, max-age=300");
  if (!err)
    err = door__idp_resp_header(r, "Access-Control-Allow-Origin", "*");
  return err;
}
