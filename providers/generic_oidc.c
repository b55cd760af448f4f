/* Any standards-compliant OpenID Provider, described by its discovery
 * document (or by configured endpoints when discovery = no).  Everything
 * standard is done by the core: this provider has no quirks. */
#include "doorauth/provider.h"

static door_err door__generic_configure(void *state,
                                        const struct door_provider_config *cfg,
                                        door_provider_settings *s,
                                        door_detail *d) {
  (void)state;
  (void)cfg;
  (void)s;
  (void)d;
  return DOOR_OK;
}

/* What any OpenID Provider receives, and why (docs/privacy.md).  Token and
 * refresh list every client-authentication method; the core keeps the
 * configured one's.  Organisation and service come from the configuration
 * (organisation, display_name). */
#define L DOOR_TXP_LOGIN
#define PROTO DOOR_TXD_PROTOCOL
#define CRED DOOR_TXD_CLIENT_CREDENTIAL
#define USER DOOR_TXD_USER_IDENTIFIER
#define CLIENT_AUTH(ep)                                                        \
  {ep, "client_id", PROTO, L}, {ep, "client_secret", CRED, L},                 \
      {ep, "client_assertion_type", PROTO, L},                                 \
      {ep, "client_assertion", CRED, L}, {                                     \
    ep, "header:Authorization", CRED, L                                        \
  }
static const door_tx_field door__generic_fields[] = {
    {DOOR_TX_AUTHORIZE, "response_type", PROTO, L},
    {DOOR_TX_AUTHORIZE, "client_id", PROTO, L},
    {DOOR_TX_AUTHORIZE, "redirect_uri", PROTO, L},
    {DOOR_TX_AUTHORIZE, "scope", PROTO, L},
    {DOOR_TX_AUTHORIZE, "state", PROTO, L},
    {DOOR_TX_AUTHORIZE, "nonce", PROTO, L},
    {DOOR_TX_AUTHORIZE, "code_challenge", PROTO, L},
    {DOOR_TX_AUTHORIZE, "code_challenge_method", PROTO, L},
    {DOOR_TX_AUTHORIZE, "prompt", PROTO, L},
    {DOOR_TX_TOKEN, "grant_type", PROTO, L},
    {DOOR_TX_TOKEN, "code", USER, L},
    {DOOR_TX_TOKEN, "redirect_uri", PROTO, L},
    {DOOR_TX_TOKEN, "code_verifier", PROTO, L},
    CLIENT_AUTH(DOOR_TX_TOKEN),
    {DOOR_TX_REFRESH, "grant_type", PROTO, L},
    {DOOR_TX_REFRESH, "refresh_token", USER, L},
    CLIENT_AUTH(DOOR_TX_REFRESH),
    {DOOR_TX_USERINFO, "header:Authorization", USER, L},
    {DOOR_TX_END_SESSION, "id_token_hint", USER, DOOR_TXP_LOGOUT},
    {DOOR_TX_END_SESSION, "client_id", PROTO, DOOR_TXP_LOGOUT},
    {DOOR_TX_END_SESSION, "post_logout_redirect_uri", PROTO, DOOR_TXP_LOGOUT},
    {DOOR_TX_END_SESSION, "state", PROTO, DOOR_TXP_LOGOUT},
};
#undef CLIENT_AUTH
#undef L
#undef PROTO
#undef CRED
#undef USER

static const door_tx_manifest door__generic_manifest = {
    NULL, NULL, door__generic_fields,
    sizeof door__generic_fields / sizeof door__generic_fields[0]};

const door_provider_ops door__provider_generic = {
    .type = "generic",
    .caps = DOOR_PCAP_OIDC | DOOR_PCAP_DISCOVERY | DOOR_PCAP_PKCE |
            DOOR_PCAP_REFRESH,
    .state_size = 0,
    .manifest = &door__generic_manifest,
    .configure = door__generic_configure,
};
