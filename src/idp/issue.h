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

/* What a token request issued: the members of its answer.  The caller
 * owns it (door__idp_tokens_init, door__idp_tokens_free); `scope` and
 * `rt_kept` are borrowed and must outlive it. */
typedef struct door_idp_tokens {
  door_buf at;         /* access_token */
  door_buf idt;        /* id_token; empty: none */
  char rt[64];         /* refresh_token issued now; "": none */
  const char *scope;   /* NULL: none */
  int64_t expires_in;  /* the access token's lifetime */
  const char *rt_kept; /* the refresh grant's token kept (no rotation): the
                          answer's last member; NULL: none */
} door_idp_tokens;

void door__idp_tokens_init(door_idp_tokens *t);
void door__idp_tokens_free(door_idp_tokens *t);

/* Issues the tokens of a response into `out` (initialised): access token,
 * refresh token, id_token.  Stores what must be stored.  `ctx` carries the
 * faults of the request (CLAIMS and SIGN stages run here, on the id_token;
 * none acts on the access token). */
door_err door__idp_issue(const door_idp_issue *in, door_idp_fault_ctx *ctx,
                         door_idp_tokens *out);

/* The token answer as a jansson object (for BODY faults): access_token,
 * token_type, expires_in, refresh_token, id_token, scope, then rt_kept as
 * refresh_token. */
door_err door__idp_tokens_json(const door_idp_tokens *t, json_t **out);

/* The same answer's compact JSON appended to `out` without a jansson
 * object: byte for byte door__idp_json_dump of door__idp_tokens_json's
 * object.  Returns 0 (nothing written) when a string is not flat
 * (door__idp_json_flat_str): the caller then dumps the object.  Returns 1
 * with *err set to the result otherwise (on failure `out` as it was). */
int door__idp_tokens_dump(const door_idp_tokens *t, door_buf *out,
                          door_err *err);

/* The claims of a JWT access token appended to `out`: iss, sub, aud,
 * client_id, iat, exp, jti, then scope and auth_time when the request has
 * them.  Written flat when every string allows, else built with jansson and
 * dumped: the same bytes either way (door__idp_json_dump's). */
door_err door__idp_access_claims(const door_idp_issue *in, int64_t now,
                                 const char *sub, const char *jti,
                                 door_buf *out);

/* Resolves a bearer access token (opaque or JWT) to its grant.
 * DOOR_ENOTFOUND for an unknown or revoked token, DOOR_EIDP_GRANT_EXPIRED,
 * or a JOSE error for a JWT that does not verify. */
door_err door__idp_access_lookup(door_idp_profile *p, const char *token,
                                 door_idp_grant *out);

/* The bearer token of a request (Authorization: Bearer, or the
 * access_token form field of a POST); NULL when none or malformed. */
const char *door__idp_bearer(const door_idp_req *q);

#endif
