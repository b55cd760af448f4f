/* A token-endpoint request for door-idp's handler tests (no server): POST
 * /token on the profile's first listener with grant_type `grant`; the
 * caller adds the other form pairs and frees `q`. */
#ifndef DOOR_TEST_IDP_TOKEN_REQ_H
#define DOOR_TEST_IDP_TOKEN_REQ_H

#include "idp/http.h"
#include "idp/idp.h"
#include "t.h"

static inline void idp_token_req(door_idp_req *q, door_idp *idp,
                                 door_idp_profile *p, const char *grant) {
  door__idp_req_init(q);
  q->idp = idp;
  q->prof = p;
  q->listener = &p->listeners[0];
  q->method = "POST";
  q->path = "/token";
  q->ep = DOOR_IDP_EP_TOKEN;
  T_EQ_ERR(door__kvlist_add(&q->form, "grant_type", grant), DOOR_OK);
}

#endif
