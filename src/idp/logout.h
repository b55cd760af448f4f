/* door-idp back-channel logout (OpenID Connect Back-Channel Logout 1.0). */
#ifndef DOOR_IDP_LOGOUT_H
#define DOOR_IDP_LOGOUT_H

#include "idp/http.h"
#include "idp/idp.h"

/* A logout token for client `c`: iss, aud, iat, exp, jti, events, sub (when
 * the user exists) and sid (when given); typ "logout+jwt"; no nonce.  Signed
 * like the client's id_tokens. */
door_err door__idp_logout_token(door_idp_profile *p, const door_idp_client *c,
                                const char *user_id, const char *sid,
                                door_buf *out);

/* POSTs logout_token=... to the client's backchannel_logout_uri (no-op when
 * it has none) and appends {"client_id","uri","status","error"} to the
 * `report` array. */
door_err door__idp_backchannel_send(door_idp_profile *p,
                                    const door_idp_client *c,
                                    const char *user_id, const char *sid,
                                    json_t *report);

#endif
