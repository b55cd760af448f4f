/* door-idp fault registry: the hooks and the constant table. */
#include "idp/faults.h"

#include "idp/http.h"
#include "idp/idp.h"

#include <stdlib.h>
#include <string.h>

/* ---- hooks --------------------------------------------------------------- */

static const char *attacker(const door_idp_fault_ctx *ctx) {
  return ctx->req && ctx->req->idp && ctx->req->idp->attacker_origin
             ? ctx->req->idp->attacker_origin
             : "https://attacker.invalid";
}

/* obj[key] = prefix + obj[key] (or prefix + fallback when absent). */
static void prefix_str(json_t *obj, const char *key, const char *prefix,
                       const char *fallback) {
  json_t *v = json_object_get(obj, key);
  const char *old = json_is_string(v) ? json_string_value(v) : fallback;
  door_buf b;
  door__buf_init(&b, 4096);
  if (!door__buf_puts(&b, prefix) && !door__buf_puts(&b, old))
    json_object_set_new(obj, key, json_string(door__buf_str(&b)));
  door__buf_free(&b);
}

static void set_attacker_issuer(door_idp_fault_ctx *ctx, const char *key) {
  door_buf b;
  door__buf_init(&b, 1024);
  if (!door__buf_puts(&b, attacker(ctx)) && !door__buf_putc(&b, '/'))
    json_object_set_new(ctx->obj, key, json_string(door__buf_str(&b)));
  door__buf_free(&b);
}

static json_int_t claim_int(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  return json_is_integer(v) ? json_integer_value(v) : 0;
}

#define HOOK(id)                                                               \
  static void fh_##id(door_idp_fault_ctx *ctx, const door_idp_fault_hit *hit)
#define UNUSED_HIT (void)hit

/* REQUEST stage */
HOOK(authorize_error) {
  ctx->error = hit->str;
  ctx->error_desc = "door-idp fault authorize.error";
}
HOOK(invalid_auth) {
  UNUSED_HIT;
  ctx->error = "invalid_auth";
  ctx->error_desc = "door-idp fault daccount.invalid_auth";
}
HOOK(redirect_attacker) {
  door_buf b;
  door__buf_init(&b, sizeof ctx->redirect_to - 1);
  if (hit->str[0]) {
    door__buf_puts(&b, hit->str);
  } else {
    door__buf_puts(&b, attacker(ctx));
    door__buf_puts(&b, "/callback");
  }
  memcpy(ctx->redirect_to, door__buf_str(&b), b.len + 1);
  door__buf_free(&b);
}
/* The mix-up attacker's bounce: the request's parameters, those of the
 * target's own query replacing theirs, sent on to another authorization
 * endpoint. */
HOOK(forward) {
  const door_kvlist *in = &ctx->req->query;
  const char *target = hit->str, *qm = strchr(target, '?');
  door_kvlist over;
  door_buf url, query;
  size_t i;
  door_err err = DOOR_OK;
  door__kvlist_init(&over);
  door__buf_init(&url, 8192);
  door__buf_init(&query, 8192);
  if (!target[0]) {
    err = door__buf_puts(&url, attacker(ctx));
    if (!err)
      err = door__buf_puts(&url, ctx->req->path ? ctx->req->path : "/");
  } else {
    err = door__buf_append(&url, target,
                           qm ? (size_t)(qm - target) : strlen(target));
    if (!err && qm)
      err = door__form_parse(qm + 1, strlen(qm + 1), 64, 1024, &over);
  }
  for (i = 0; !err && i < in->n; i++) {
    const char *v = door__kvlist_get(&over, in->items[i].name, NULL);
    err = door__form_append(&query, in->items[i].name,
                            v ? v : in->items[i].value);
  }
  for (i = 0; !err && i < over.n; i++)
    if (!door__kvlist_get(in, over.items[i].name, NULL))
      err = door__form_append(&query, over.items[i].name, over.items[i].value);
  if (!err && query.len)
    err = door__buf_putc(&url, '?');
  if (!err)
    err = door__buf_append(&url, query.data ? query.data : "", query.len);
  door__idp_resp_reset(ctx->resp);
  if (err)
    door__idp_resp_oauth_error(ctx->resp, 500, "server_error",
                               "door-idp fault authorize.forward failed");
  else
    door__idp_resp_redirect(ctx->resp, door__buf_str(&url));
  ctx->done = 1;
  door__kvlist_free(&over);
  door__buf_free(&url);
  door__buf_free(&query);
}
HOOK(token_error) {
  ctx->error = hit->str;
  ctx->error_desc = "door-idp fault token.error";
}
HOOK(timestamp_refused) {
  UNUSED_HIT;
  ctx->error = "timestamp_refused";
  ctx->error_desc = "door-idp fault daccount.timestamp_refused";
}
HOOK(code_reuse) {
  UNUSED_HIT;
  ctx->code_reuse = 1;
}
HOOK(pkce_unchecked) {
  UNUSED_HIT;
  ctx->pkce_unchecked = 1;
}
HOOK(status_500) {
  UNUSED_HIT;
  door__idp_resp_reset(ctx->resp);
  door__idp_resp_oauth_error(ctx->resp, 500, "server_error",
                             "door-idp fault http.status_500");
  ctx->done = 1;
}
HOOK(status_503) {
  UNUSED_HIT;
  door__idp_resp_reset(ctx->resp);
  door__idp_resp_oauth_error(ctx->resp, 503, "temporarily_unavailable",
                             "door-idp fault http.status_503");
  door__idp_resp_header(ctx->resp, "Retry-After", "1");
  ctx->done = 1;
}
HOOK(delay) {
  /* At most a minute, so a shutdown never waits long for a sleeper. */
  ctx->resp->delay_ms += (unsigned)(hit->num > 60000 ? 60000 : hit->num);
}
HOOK(http_redirect) {
  door_buf b;
  door__buf_init(&b, 4096);
  if (hit->str[0]) {
    door__buf_puts(&b, hit->str);
  } else {
    door__buf_puts(&b, attacker(ctx));
    door__buf_puts(&b, ctx->req && ctx->req->path ? ctx->req->path : "/");
  }
  door__idp_resp_reset(ctx->resp);
  door__idp_resp_redirect(ctx->resp, door__buf_str(&b));
  door__buf_free(&b);
  ctx->done = 1;
}

/* CLAIMS stage */
HOOK(iss_wrong) {
  UNUSED_HIT;
  set_attacker_issuer(ctx, "iss");
}
HOOK(iss_missing) {
  UNUSED_HIT;
  json_object_del(ctx->obj, "iss");
}
HOOK(aud_wrong) {
  UNUSED_HIT;
  json_object_set_new(ctx->obj, "aud", json_string("another-client"));
}
HOOK(aud_missing) {
  UNUSED_HIT;
  json_object_del(ctx->obj, "aud");
}
HOOK(aud_extra) {
  json_t *aud = json_object_get(ctx->obj, "aud"), *arr = json_array();
  if (!arr)
    return;
  if (json_is_string(aud)) {
    json_array_append_new(arr, json_string(json_string_value(aud)));
    json_object_set_new(ctx->obj, "azp", json_string(json_string_value(aud)));
  }
  json_array_append_new(arr, json_string(hit->str));
  json_object_set_new(ctx->obj, "aud", arr);
}
HOOK(sub_wrong) {
  UNUSED_HIT;
  prefix_str(ctx->obj, "sub", "wrong-", "sub");
}
HOOK(sub_missing) {
  UNUSED_HIT;
  json_object_del(ctx->obj, "sub");
}
HOOK(iat_missing) {
  UNUSED_HIT;
  json_object_del(ctx->obj, "iat");
}
HOOK(iat_future) {
  json_object_set_new(ctx->obj, "iat",
                      json_integer(claim_int(ctx->obj, "iat") + hit->num));
}
HOOK(iat_week_old) {
  UNUSED_HIT;
  json_object_set_new(ctx->obj, "iat",
                      json_integer(claim_int(ctx->obj, "iat") - 7 * 86400));
}
HOOK(exp_past) {
  json_object_set_new(ctx->obj, "exp",
                      json_integer(claim_int(ctx->obj, "iat") - hit->num));
}
HOOK(nbf_future) {
  json_object_set_new(ctx->obj, "nbf",
                      json_integer(claim_int(ctx->obj, "iat") + hit->num));
}
HOOK(nonce_wrong) {
  UNUSED_HIT;
  prefix_str(ctx->obj, "nonce", "wrong-", "nonce");
}
HOOK(nonce_missing) {
  UNUSED_HIT;
  json_object_del(ctx->obj, "nonce");
}
HOOK(at_hash_wrong) {
  UNUSED_HIT;
  /* 16 zero octets: the left half of no SHA-256 anyone will meet. */
  json_object_set_new(ctx->obj, "at_hash",
                      json_string("AAAAAAAAAAAAAAAAAAAAAA"));
}

/* SIGN stage */
HOOK(alg_none) {
  UNUSED_HIT;
  ctx->sign->alg_none = 1;
}
HOOK(sig_bad) {
  UNUSED_HIT;
  ctx->sign->corrupt_sig = 1;
}
HOOK(hs256_pubkey) {
  UNUSED_HIT;
  ctx->sign->hs256_pubkey = 1;
}
HOOK(kid_missing) {
  UNUSED_HIT;
  ctx->sign->omit_kid = 1;
}
HOOK(kid_unknown) {
  UNUSED_HIT;
  ctx->sign->unknown_kid = 1;
}
HOOK(key_rotated) {
  UNUSED_HIT;
  ctx->sign->rotate_first = 1;
}
HOOK(key_unpublished) {
  UNUSED_HIT;
  ctx->sign->unpublished = 1;
}

/* BODY stage */
HOOK(no_id_token) {
  UNUSED_HIT;
  json_object_del(ctx->obj, "id_token");
}
HOOK(userinfo_sub_wrong) {
  UNUSED_HIT;
  prefix_str(ctx->obj, "sub", "wrong-", "sub");
}
HOOK(discovery_issuer_wrong) {
  UNUSED_HIT;
  set_attacker_issuer(ctx, "issuer");
}
HOOK(jwks_oversized) {
  json_t *keys = json_object_get(ctx->obj, "keys"), *first;
  size_t total = 0, i, want = (size_t)hit->num;
  if (!json_is_array(keys) || json_array_size(keys) == 0)
    return;
  if (want > ((size_t)3 << 20))
    want = (size_t)3 << 20; /* stays under the response cap */
  first = json_array_get(keys, 0);
  for (i = 0; total < want; i++) {
    json_t *k = json_deep_copy(first);
    door_buf kid;
    char *s;
    if (!k)
      return;
    door__buf_init(&kid, 64);
    door__buf_puts(&kid, "oversized-");
    door__buf_put_u64(&kid, i);
    json_object_set_new(k, "kid", json_string(door__buf_str(&kid)));
    door__buf_free(&kid);
    s = json_dumps(k, JSON_COMPACT);
    total += s ? strlen(s) + 1 : 256;
    free(s);
    json_array_append_new(keys, k);
  }
}
HOOK(auth_iss_wrong) {
  UNUSED_HIT;
  set_attacker_issuer(ctx, "iss");
}
HOOK(auth_iss_missing) {
  UNUSED_HIT;
  json_object_del(ctx->obj, "iss");
}
HOOK(state_wrong) {
  UNUSED_HIT;
  prefix_str(ctx->obj, "state", "altered-", "");
}

/* WIRE stage */
HOOK(truncated_json) {
  UNUSED_HIT;
  if (ctx->resp->body.len > 1) {
    ctx->resp->body.len /= 2;
    ctx->resp->body.data[ctx->resp->body.len] = '\0';
  }
}
HOOK(invalid_json) {
  door_buf *b = &ctx->resp->body;
  char *last;
  UNUSED_HIT;
  /* A trailing comma: {"a":1,} is not JSON, though lax parsers take it. */
  last = b->data ? strrchr(b->data, '}') : NULL;
  if (last && door__buf_putc(b, '}') == DOOR_OK) {
    last = strrchr(b->data, '}');
    last = last ? last - 1 : NULL;
    while (last && last > b->data && *last != '}')
      last--;
    if (last && *last == '}') {
      *last = ',';
      return;
    }
  }
  door__buf_reset(b);
  door__buf_puts(b, "{\"error\":");
}

#undef HOOK
#undef UNUSED_HIT

/* ---- the registry -------------------------------------------------------- */

#define EP_(e) DOOR_IDP_EP_##e
#define ST_(s) DOOR_IDP_STAGE_##s
#define P_NONE DOOR_IDP_PARAM_NONE, NULL
#define P_INT(d) DOOR_IDP_PARAM_INT, d
#define P_STR(d) DOOR_IDP_PARAM_STR, d

static const door_idp_fault_def fault_defs[] = {
    /* discovery and JWKS */
    {"discovery.issuer_wrong", EP_(DISCOVERY), ST_(BODY), P_NONE,
     "discovery document's issuer is another origin's",
     fh_discovery_issuer_wrong},
    {"jwks.oversized", EP_(JWKS), ST_(BODY), P_INT("300000"),
     "JWKS padded with copies of its first key (new kids) to at least "
     "`param` bytes",
     fh_jwks_oversized},
    /* authorization endpoint */
    {"authorize.error", EP_(AUTHORIZE), ST_(REQUEST), P_STR("access_denied"),
     "authorization response carries error=`param` instead of a code",
     fh_authorize_error},
    {"daccount.invalid_auth", EP_(AUTHORIZE), ST_(REQUEST), P_NONE,
     "d-account's non-standard error=invalid_auth in the authorization "
     "response",
     fh_invalid_auth},
    {"authorize.iss_wrong", EP_(AUTHORIZE), ST_(BODY), P_NONE,
     "RFC 9207 iss parameter names another issuer", fh_auth_iss_wrong},
    {"authorize.iss_missing", EP_(AUTHORIZE), ST_(BODY), P_NONE,
     "RFC 9207 iss parameter left out", fh_auth_iss_missing},
    {"authorize.state_wrong", EP_(AUTHORIZE), ST_(BODY), P_NONE,
     "state in the authorization response differs from the request's",
     fh_state_wrong},
    {"authorize.redirect_attacker", EP_(AUTHORIZE), ST_(REQUEST), P_STR(""),
     "authorization response (code, state) sent to `param` (default: the "
     "attacker origin) instead of redirect_uri",
     fh_redirect_attacker},
    {"authorize.forward", EP_(AUTHORIZE), ST_(REQUEST), P_STR(""),
     "authorization request sent on (302) to `param` (default: the attacker "
     "origin + the request path) with its parameters, those in `param`'s "
     "query replacing theirs: a mix-up attacker's bounce",
     fh_forward},
    /* token endpoint: flow */
    {"token.error", EP_(TOKEN), ST_(REQUEST), P_STR("invalid_grant"),
     "token endpoint answers the OAuth error `param` (400; invalid_client: "
     "401)",
     fh_token_error},
    {"daccount.timestamp_refused", EP_(TOKEN), ST_(REQUEST), P_NONE,
     "token endpoint answers d-account's non-standard timestamp_refused",
     fh_timestamp_refused},
    {"token.code_reuse", EP_(TOKEN), ST_(REQUEST), P_NONE,
     "authorization code is not burnt: it can be redeemed again",
     fh_code_reuse},
    {"token.pkce_unchecked", EP_(TOKEN), ST_(REQUEST), P_NONE,
     "code_verifier is not checked", fh_pkce_unchecked},
    {"token.no_id_token", EP_(TOKEN), ST_(BODY), P_NONE,
     "token response without id_token", fh_no_id_token},
    /* id_token claims */
    {"id_token.iss_wrong", EP_(TOKEN), ST_(CLAIMS), P_NONE,
     "id_token iss is another issuer", fh_iss_wrong},
    {"id_token.iss_missing", EP_(TOKEN), ST_(CLAIMS), P_NONE,
     "id_token without iss", fh_iss_missing},
    {"id_token.aud_wrong", EP_(TOKEN), ST_(CLAIMS), P_NONE,
     "id_token aud is another client", fh_aud_wrong},
    {"id_token.aud_missing", EP_(TOKEN), ST_(CLAIMS), P_NONE,
     "id_token without aud", fh_aud_missing},
    {"id_token.aud_extra", EP_(TOKEN), ST_(CLAIMS), P_STR("untrusted-audience"),
     "id_token aud is [client, `param`] (azp: the client)", fh_aud_extra},
    {"id_token.sub_wrong", EP_(TOKEN), ST_(CLAIMS), P_NONE,
     "id_token sub is \"wrong-\" + the real sub", fh_sub_wrong},
    {"id_token.sub_missing", EP_(TOKEN), ST_(CLAIMS), P_NONE,
     "id_token without sub", fh_sub_missing},
    {"id_token.iat_missing", EP_(TOKEN), ST_(CLAIMS), P_NONE,
     "id_token without iat", fh_iat_missing},
    {"id_token.iat_future", EP_(TOKEN), ST_(CLAIMS), P_INT("3600"),
     "id_token iat `param` seconds in the future", fh_iat_future},
    {"id_token.iat_week_old", EP_(TOKEN), ST_(CLAIMS), P_NONE,
     "id_token iat a week old (exp still in the future)", fh_iat_week_old},
    {"id_token.exp_past", EP_(TOKEN), ST_(CLAIMS), P_INT("600"),
     "id_token exp `param` seconds before iat", fh_exp_past},
    {"id_token.nbf_future", EP_(TOKEN), ST_(CLAIMS), P_INT("3600"),
     "id_token nbf `param` seconds after iat", fh_nbf_future},
    {"id_token.nonce_wrong", EP_(TOKEN), ST_(CLAIMS), P_NONE,
     "id_token nonce is \"wrong-\" + the request's nonce", fh_nonce_wrong},
    {"id_token.nonce_missing", EP_(TOKEN), ST_(CLAIMS), P_NONE,
     "id_token without nonce", fh_nonce_missing},
    {"id_token.at_hash_wrong", EP_(TOKEN), ST_(CLAIMS), P_NONE,
     "id_token at_hash does not match the access token", fh_at_hash_wrong},
    /* id_token signature and keys */
    {"id_token.alg_none", EP_(TOKEN), ST_(SIGN), P_NONE,
     "id_token with alg none and an empty signature", fh_alg_none},
    {"id_token.sig_bad", EP_(TOKEN), ST_(SIGN), P_NONE,
     "id_token signature with one bit flipped (RS256, ES256 or HS256: the "
     "client's algorithm)",
     fh_sig_bad},
    {"id_token.hs256_pubkey", EP_(TOKEN), ST_(SIGN), P_NONE,
     "id_token signed HS256 with the provider's public key PEM as the secret "
     "(kid: the real key's)",
     fh_hs256_pubkey},
    {"id_token.kid_missing", EP_(TOKEN), ST_(SIGN), P_NONE,
     "id_token without kid while the JWKS holds several keys of its type (a "
     "second published key is added if needed)",
     fh_kid_missing},
    {"id_token.kid_unknown", EP_(TOKEN), ST_(SIGN), P_NONE,
     "id_token kid names no key of the JWKS", fh_kid_unknown},
    {"id_token.key_rotated", EP_(TOKEN), ST_(SIGN), P_NONE,
     "signing key rotated just before signing: a new kid, published, that an "
     "RP's cached JWKS lacks",
     fh_key_rotated},
    {"id_token.key_unpublished", EP_(TOKEN), ST_(SIGN), P_NONE,
     "id_token signed with a key (own kid) that is not in the JWKS",
     fh_key_unpublished},
    /* userinfo */
    {"userinfo.sub_wrong", EP_(USERINFO), ST_(BODY), P_NONE,
     "userinfo sub differs from the id_token's", fh_userinfo_sub_wrong},
    /* any endpoint */
    {"http.status_500", EP_(NONE), ST_(REQUEST), P_NONE,
     "HTTP 500 with an OAuth server_error body", fh_status_500},
    {"http.status_503", EP_(NONE), ST_(REQUEST), P_NONE,
     "HTTP 503 with Retry-After: 1 and temporarily_unavailable", fh_status_503},
    {"http.delay", EP_(NONE), ST_(REQUEST), P_INT("1000"),
     "answer `param` milliseconds late (at most 60000; on a timer: the "
     "listener serves other requests meanwhile)",
     fh_delay},
    {"http.truncated_json", EP_(NONE), ST_(WIRE), P_NONE,
     "body cut in half (Content-Length matches the cut body)",
     fh_truncated_json},
    {"http.invalid_json", EP_(NONE), ST_(WIRE), P_NONE,
     "body made invalid JSON (a trailing comma in the outer object)",
     fh_invalid_json},
    {"http.redirect", EP_(NONE), ST_(REQUEST), P_STR(""),
     "302 to `param` (default: the attacker origin + the request path)",
     fh_http_redirect},
};

#undef EP_
#undef ST_
#undef P_NONE
#undef P_INT
#undef P_STR

size_t door__idp_fault_count(void) {
  return sizeof fault_defs / sizeof fault_defs[0];
}

const door_idp_fault_def *door__idp_fault_def(size_t i) {
  return i < door__idp_fault_count() ? &fault_defs[i] : NULL;
}

int door__idp_fault_find(const char *name) {
  size_t i;
  if (!name)
    return -1;
  for (i = 0; i < door__idp_fault_count(); i++) {
    if (strcmp(fault_defs[i].name, name) == 0)
      return (int)i;
  }
  return -1;
}

static const char *stage_name(door_idp_stage s) {
  switch (s) {
  case DOOR_IDP_STAGE_REQUEST:
    return "request";
  case DOOR_IDP_STAGE_CLAIMS:
    return "claims";
  case DOOR_IDP_STAGE_SIGN:
    return "sign";
  case DOOR_IDP_STAGE_BODY:
    return "body";
  case DOOR_IDP_STAGE_WIRE:
    return "wire";
  }
  return "unknown";
}

json_t *door__idp_fault_catalog(void) {
  json_t *arr = json_array();
  size_t i;
  for (i = 0; arr && i < door__idp_fault_count(); i++) {
    const door_idp_fault_def *f = &fault_defs[i];
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s}", "name", f->name, "endpoint",
                  f->ep == DOOR_IDP_EP_NONE ? "any" : door__idp_ep_name(f->ep),
                  "stage", stage_name(f->stage), "description", f->description);
    if (!o)
      continue;
    if (f->param == DOOR_IDP_PARAM_INT)
      json_object_set_new(o, "param",
                          json_pack("{s:s, s:s}", "type", "integer", "default",
                                    f->param_default));
    else if (f->param == DOOR_IDP_PARAM_STR)
      json_object_set_new(o, "param",
                          json_pack("{s:s, s:s}", "type", "string", "default",
                                    f->param_default));
    json_array_append_new(arr, o);
  }
  return arr;
}
