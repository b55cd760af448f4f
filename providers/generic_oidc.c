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

const door_provider_ops door__provider_generic = {
    .type = "generic",
    .caps = DOOR_PCAP_OIDC | DOOR_PCAP_DISCOVERY | DOOR_PCAP_PKCE |
            DOOR_PCAP_REFRESH,
    .state_size = 0,
    .configure = door__generic_configure,
};
