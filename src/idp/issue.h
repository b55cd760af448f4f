/* door-idp token issuance: access tokens (opaque or JWT), refresh tokens,
 * id_tokens with the claim and signing faults applied, and lookup of an
 * access token presented to userinfo or the tickets API. */
#ifndef DOOR_IDP_ISSUE_H
#define DOOR_IDP_ISSUE_H

#include "idp/http.h"
#include "idp/idp.h"

/* What a token response is made from. */
typedef struct door_idp_issue {
  door_idp_profile *p;
  door_idp_client *c;
  door_idp_user *u;        /* NULL for client_credentials */
  const door_idp_grant *g; /* scope, nonce, sid, auth_time; NULL: none */
  const char *scope;
  int refresh;  /* also issue a refresh token */
  int id_token; /* also issue an id_token */
  int nonce;    /* put the grant's nonce in the id_token */
} door_idp_issue;

/* Builds the token response object: access_token, token_type, expires_in,
 * refresh_token, id_token, scope.  Stores what must be stored.  `ctx`
 * carries the faults of the request (CLAIMS and SIGN stages run here). */
door_err door__idp_issue(const door_idp_issue *in, door_idp_fault_ctx *ctx,
                         json_t **out);

/* Resolves a bearer access token (opaque or JWT) to its grant.
 * DOOR_ENOTFOUND for an unknown or revoked token, DOOR_EIDP_GRANT_EXPIRED,
 * or a JOSE error for a JWT that does not verify. */
door_err door__idp_access_lookup(door_idp_profile *p, const char *token,
                                 door_idp_grant *out);

/* The bearer token of a request (Authorization: Bearer, or the
 * access_token form field of a POST); NULL when none or malformed. */
const char *door__idp_bearer(const door_idp_req *q);

#endif
