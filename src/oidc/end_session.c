/* RP-Initiated Logout 1.0: the provider's end_session_endpoint and the URL
 * a browser is sent to; key-set fetch counters (see oidc/logout.h). */
#include "oidc/logout.h"
#include "oidc/outbound.h"
#include "oidc/rp_int.h"
#include "util/json.h"

#include <string.h>

/* ISSUER/.well-known/openid-configuration (Discovery 4.1). */
static door_err door__es_discovery_url(const door_provider *p, door_buf *url) {
  const char *iss = p->s.issuer;
  size_t n = strlen(iss);
  door_err err;
  if (n && iss[n - 1] == '/')
    n--;
  err = door__buf_append(url, iss, n);
  if (!err)
    err = door__buf_puts(url, "/.well-known/openid-configuration");
  return err;
}

door_err door__rp_end_session_endpoint(door_rp *rp, const char *provider,
                                       door_buf *out, door_detail *d) {
  door_provider *p = rp ? door__rp_provider(rp, provider) : NULL;
  door_buf url, body;
  json_t *doc = NULL;
  const char *ep = NULL;
  int64_t max_age = -1;
  int insecure_ok;
  door_err err;
  if (!p)
    return door_detail_set(d, DOOR_EPROVIDER_UNKNOWN, "provider",
                           "no provider of that name is configured", NULL);
  insecure_ok = rp->cfg->broker.allow_insecure_loopback;
  if (p->cfg->end_session_endpoint) {
    err = door__endpoint_check(p->cfg->end_session_endpoint,
                               "end_session_endpoint", insecure_ok, d);
    return err ? err : door__buf_puts(out, p->cfg->end_session_endpoint);
  }
  if (!p->s.discovery)
    return DOOR_ENOTFOUND;
  door__buf_init(&url, 4096);
  door__buf_init(&body, DOOR_HTTP_MAX_RESPONSE_BYTES);
  err = door__es_discovery_url(p, &url);
  if (!err)
    err = door__fetch_json_doc(p, DOOR_TX_DISCOVERY, door__buf_str(&url),
                               "discovery", &body, &max_age, d);
  if (!err)
    err = door__json_parse(body.data ? body.data : "", body.len,
                           DOOR_JSON_DEPTH_DEFAULT, &doc, d);
  if (err)
    goto out;
  if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "issuer")) ||
      strcmp(json_string_value(json_object_get(doc, "issuer")), p->s.issuer) !=
          0) {
    err = door_detail_set(d, DOOR_EDISCOVERY_ISSUER, "issuer",
                          "the discovery document names another issuer", NULL);
    goto out;
  }
  ep = json_string_value(json_object_get(doc, "end_session_endpoint"));
  if (!ep) {
    err = json_object_get(doc, "end_session_endpoint")
              ? door_detail_set(d, DOOR_EDISCOVERY, "end_session_endpoint",
                                "end_session_endpoint is not a string", NULL)
              : DOOR_ENOTFOUND;
    goto out;
  }
  err = door__endpoint_check(ep, "end_session_endpoint", insecure_ok, d);
  if (!err)
    err = door__buf_puts(out, ep);
out:
  json_decref(doc);
  door__buf_free(&url);
  door__buf_free(&body);
  return err;
}

door_err door__rp_end_session_url(const door_rp *rp, const char *provider,
                                  const char *endpoint,
                                  const char *id_token_hint,
                                  const char *post_logout_redirect_uri,
                                  const char *state, door_txlog *tx,
                                  door_buf *out, door_detail *d) {
  door_provider *p = rp ? door__rp_provider(rp, provider) : NULL;
  door_kvlist q;
  door_err err = DOOR_OK;
  if (!p || !endpoint)
    return DOOR_EINVAL;
  door__kvlist_init(&q);
  if (id_token_hint)
    err = door__kvlist_add(&q, "id_token_hint", id_token_hint);
  if (!err)
    err = door__kvlist_add(&q, "client_id", p->s.client_id);
  if (!err && post_logout_redirect_uri)
    err = door__kvlist_add(&q, "post_logout_redirect_uri",
                           post_logout_redirect_uri);
  if (!err && state)
    err = door__kvlist_add(&q, "state", state);
  if (!err)
    err = door__outbound_redirect(p, DOOR_TX_END_SESSION, endpoint, &q, tx, out,
                                  d);
  door__kvlist_free(&q);
  return err;
}

uint64_t door__rp_jwks_fetches(door_rp *rp, const char *provider) {
  door_provider *p = rp ? door__rp_provider(rp, provider) : NULL;
  uint64_t n;
  if (!p || !p->cache_ready)
    return 0;
  p = p->jwks_home;
  pthread_mutex_lock(&p->jwks.mu);
  n = p->jwks.fetches;
  pthread_mutex_unlock(&p->jwks.mu);
  return n;
}
