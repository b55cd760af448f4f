/* d-account (NTT docomo) — every quirk of d-account lives here:
 *  - `authif` on the authorization request (0: docomo-line accounts only,
 *    1: all accounts), sent when configured;
 *  - its JWKS has one RSA key without kid or alg (the core's kid-less rule
 *    picks it: exactly one key usable for RS256);
 *  - client_secret_basic only at the token endpoint;
 *  - the token endpoint at /token or /common/token: token_path, when
 *    given, replaces the path of the token endpoint (discovered or
 *    configured) on the same host;
 *  - HS256 ID tokens keyed with the client secret, accepted only with
 *    accept_hs256 = yes (and HS256 in allowed_algs);
 *  - its discovery document declares no PKCE method: PKCE S256 is still
 *    sent (pkce = yes by default) but nothing relies on it being enforced;
 *  - non-standard error codes invalid_auth and timestamp_refused.
 */
#include "doorauth/provider.h"
#include "jose/jose.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/url.h"

#include <string.h>

typedef struct door_daccount {
  char authif[2];      /* "" when not configured */
  char token_path[16]; /* "" when not given */
} door_daccount;

static door_err door__daccount_configure(void *state,
                                         const door_provider_config *cfg,
                                         door_provider_settings *s,
                                         door_detail *d) {
  door_daccount *st = state;
  const door_config_value *v;
  int accept = 0;
  v = door__config_provider_value(cfg, "authif");
  if (v && v->set && v->text) {
    if (strcmp(v->text, "0") != 0 && strcmp(v->text, "1") != 0)
      return door_detail_set(d, DOOR_ECONFIG_VALUE, "authif",
                             "authif must be 0 or 1", NULL);
    memcpy(st->authif, v->text, 2);
  }
  v = door__config_provider_value(cfg, "token_path");
  if (v && v->set && v->line > 0 && v->text) {
    if (strcmp(v->text, "/token") != 0 && strcmp(v->text, "/common/token") != 0)
      return door_detail_set(d, DOOR_ECONFIG_VALUE, "token_path",
                             "token_path must be /token or /common/token",
                             NULL);
    memcpy(st->token_path, v->text, strlen(v->text) + 1);
  }
  v = door__config_provider_value(cfg, "accept_hs256");
  accept = v && v->set && v->num;
  s->hs256_client_secret =
      accept && (s->allowed_algs & DOOR_ALG_HS256) && s->client_secret;
  if (!s->hs256_client_secret)
    s->allowed_algs &= ~(unsigned)DOOR_ALG_HS256;
  if (s->client_auth != DOOR_CLIENT_SECRET_BASIC)
    return door_detail_set(d, DOOR_ECONFIG_VALUE, "token_auth_method",
                           "d-account accepts only client_secret_basic",
                           "set token_auth_method = client_secret_basic");
  return DOOR_OK;
}

static door_err door__daccount_authorize(const void *state,
                                         const door_provider_settings *s,
                                         struct door_kvlist *params,
                                         door_detail *d) {
  const door_daccount *st = state;
  (void)s;
  (void)d;
  if (!st->authif[0])
    return DOOR_OK;
  return door_provider_param_set(params, "authif", st->authif);
}

/* client_secret_basic; the token endpoint's origin with token_path. */
static door_err door__daccount_token(const void *state,
                                     const door_provider_settings *s,
                                     door_token_request *req, door_detail *d) {
  const door_daccount *st = state;
  door_url u;
  door_err err;
  (void)s;
  req->client_auth = DOOR_CLIENT_SECRET_BASIC;
  if (!st->token_path[0])
    return DOOR_OK;
  err = door__url_parse(req->endpoint, &u, d);
  if (err)
    return err;
  door__buf_reset(req->endpoint_out);
  err = door__url_origin(&u, req->endpoint_out);
  if (!err)
    err = door__buf_puts(req->endpoint_out, st->token_path);
  door__url_free(&u);
  return err;
}

static int door__daccount_describe(const void *state, const char *error,
                                   const char **what, const char **hint) {
  (void)state;
  if (strcmp(error, "invalid_auth") == 0) {
    *what = "d-account did not accept this service's credentials "
            "(invalid_auth)";
    *hint = "check client_id and client_secret for d-account";
    return 1;
  }
  if (strcmp(error, "timestamp_refused") == 0) {
    *what = "d-account refused the request's time stamp: this server's "
            "clock is probably wrong (timestamp_refused)";
    *hint = "synchronise this server's clock (NTP), then sign in again";
    return 1;
  }
  return 0;
}

/* What d-account receives, and why (docs/privacy.md).  authif is sent only
 * when configured; prompt=login when an account is linked. */
static const door_tx_field door__daccount_fields[] = {
    DOOR_TX_OIDC_AUTHORIZE(DOOR_TXP_LOGIN),
    {DOOR_TX_AUTHORIZE, "authif", DOOR_TXD_PROTOCOL, DOOR_TXP_LOGIN},
    DOOR_TX_OIDC_CODE(DOOR_TXP_LOGIN),
    /* client_secret_basic only */
    {DOOR_TX_TOKEN, "header:Authorization", DOOR_TXD_CLIENT_CREDENTIAL,
     DOOR_TXP_LOGIN},
    DOOR_TX_OIDC_REFRESH(DOOR_TXP_LOGIN),
    {DOOR_TX_REFRESH, "header:Authorization", DOOR_TXD_CLIENT_CREDENTIAL,
     DOOR_TXP_LOGIN},
    DOOR_TX_OIDC_USERINFO(DOOR_TXP_LOGIN),
    DOOR_TX_OIDC_END_SESSION,
};

static const door_tx_manifest door__daccount_manifest = {
    "NTT DOCOMO, INC.", "d-account", door__daccount_fields,
    sizeof door__daccount_fields / sizeof door__daccount_fields[0]};

const door_provider_ops door__provider_daccount = {
    .type = "daccount",
    .caps = DOOR_PCAP_OIDC | DOOR_PCAP_DISCOVERY | DOOR_PCAP_REFRESH,
    .state_size = sizeof(door_daccount),
    .manifest = &door__daccount_manifest,
    .configure = door__daccount_configure,
    .authorize_params = door__daccount_authorize,
    .token_request = door__daccount_token,
    .describe_error = door__daccount_describe,
};
