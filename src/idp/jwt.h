/* door-idp token minting: id_tokens, JWT access tokens, logout tokens, with
 * the signing faults applied; and verification of door-idp's own tokens
 * (id_token_hint, JWT access tokens). */
#ifndef DOOR_IDP_JWT_H
#define DOOR_IDP_JWT_H

#include "idp/http.h"
#include "idp/idp.h"

/* Signs `claims` for profile `p`: HS256 with the client's secret key, else
 * the profile's active key for `alg`.  `typ` (may be NULL) goes in the
 * header.  `o` (may be NULL) are the signing faults. */
door_err door__idp_sign(door_idp_profile *p, const door_idp_client *c,
                        door_alg alg, const json_t *claims, const char *typ,
                        const door_idp_sign_opts *o, door_buf *out);

/* The same for a payload already serialized. */
door_err door__idp_sign_payload(door_idp_profile *p, const door_idp_client *c,
                                door_alg alg, const char *payload, size_t len,
                                const char *typ, const door_idp_sign_opts *o,
                                door_buf *out);
/* Verifies a token door-idp signed with one of the profile's keys (any
 * key, published or not; HS256 tokens with `c`'s secret when given) and
 * returns its parsed form.  Does not check claims. */
door_err door__idp_verify_own(door_idp_profile *p, const door_idp_client *c,
                              const char *token, door_jws *out);

/* Standard claims that a scope releases (OpenID Connect Core 5.4), or 1
 * for any claim when the scope list is NULL. */
int door__idp_claim_in_scope(const char *claim, const char *scope);
/* 1 when `word` is one of the space-separated words of `list`. */
int door__idp_has_word(const char *list, const char *word);

#endif
