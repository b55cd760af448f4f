/* door-idp endpoints: the names used in scenarios, paths, the admin API and
 * the fault registry. */
#ifndef DOOR_IDP_EP_H
#define DOOR_IDP_EP_H

typedef enum door_idp_ep {
  DOOR_IDP_EP_NONE = 0,
  DOOR_IDP_EP_DISCOVERY,
  DOOR_IDP_EP_AUTHORIZE,
  DOOR_IDP_EP_TOKEN,
  DOOR_IDP_EP_USERINFO,
  DOOR_IDP_EP_JWKS,
  DOOR_IDP_EP_TICKETS,
  DOOR_IDP_EP_END_SESSION,
  DOOR_IDP_EP_COUNT_
} door_idp_ep;

/* "discovery", "authorization", "token", "userinfo", "jwks", "tickets",
 * "end_session"; "none" for DOOR_IDP_EP_NONE. */
const char *door__idp_ep_name(door_idp_ep ep);
/* DOOR_IDP_EP_NONE for an unknown name. */
door_idp_ep door__idp_ep_from_name(const char *name);

#endif
