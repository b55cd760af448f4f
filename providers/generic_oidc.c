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
static const door_tx_field door__generic_fields[] = {
    DOOR_TX_OIDC_AUTHORIZE(DOOR_TXP_LOGIN),
    DOOR_TX_OIDC_CODE(DOOR_TXP_LOGIN),
    DOOR_TX_CLIENT_AUTH(DOOR_TX_TOKEN, DOOR_TXP_LOGIN),
    DOOR_TX_OIDC_REFRESH(DOOR_TXP_LOGIN),
    DOOR_TX_CLIENT_AUTH(DOOR_TX_REFRESH, DOOR_TXP_LOGIN),
    DOOR_TX_OIDC_USERINFO(DOOR_TXP_LOGIN),
    DOOR_TX_OIDC_END_SESSION,
};

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
