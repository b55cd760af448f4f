/* A scripted OpenID Provider on the loopback fixture, for driving
 * door_login_begin / door_login_finish at unit level: discovery, JWKS,
 * token (checks PKCE, redirect_uri and client authentication), userinfo,
 * tickets.  Knobs inject one fault at a time.  (End-to-end tests against
 * door-idp over TLS live in tests/e2e.) */
#ifndef DOOR_TEST_OIDC_FAKE_OP_H
#define DOOR_TEST_OIDC_FAKE_OP_H

#include "doorauth/login.h"
#include "fx.h"
#include "jose/jose.h"
#include "util/config.h"

#include <stdint.h>

typedef enum op_mode {
  OP_GENERIC = 0, /* ES256 with kid, iss parameter declared, PKCE S256 */
  OP_DACCOUNT,    /* issuer with '/', RS256 key without kid, no PKCE */
  OP_XMARKET,     /* like generic, plus /api/v1/tickets */
} op_mode;

typedef struct op {
  fx_srv srv;
  op_mode mode;
  char issuer[96];
  char base[64]; /* http://127.0.0.1:PORT */
  door_jwk *key;
  door_jwk *hs_key; /* when sign_hs256 */
  door_alg alg;
  int64_t *now; /* shared test clock */

  /* what the last authorization request asked (filled by op_authorize) */
  char state[64], nonce[96], challenge[96], redirect_uri[256], client_id[64],
      scope[256];
  /* every authorization so far: the code "CODE-<n>" finds its grant */
  struct op_grant {
    char nonce[96], challenge[96], redirect_uri[256], client_id[64];
  } grants[512];
  int ngrants;

  /* knobs */
  int declare_iss;        /* discovery declares the iss parameter */
  const char *token_type; /* NULL: "Bearer" */
  int omit_id_token;
  const char *nonce_override;
  const char *iss_override; /* ID token iss */
  const char *aud_override;
  int exp_offset;          /* added to exp (default +300) */
  const char *token_error; /* token endpoint answers 400 with this error */
  const char *userinfo_sub;
  int sign_hs256;     /* sign with the client secret */
  const char *secret; /* client secret the OP expects */
  int check_basic;    /* require client_secret_basic */
  int bad_kid;        /* sign with a key it does not publish */
  const char *tickets_body;
  unsigned tickets_status;

  /* what it saw */
  char token_path[64];
  char authorization[512]; /* of the last token request */
  char token_form[4096];
  char userinfo_auth[512];
  char tickets_query[256];
  int disco_calls, jwks_calls, token_calls, userinfo_calls, tickets_calls;
} op;

int op_start(op *o, op_mode mode, int64_t *now);
void op_stop(op *o);

/* Reads the authorization URL as the OP would and remembers its
 * parameters under a new code; writes the callback query for a successful
 * login ("code=CODE-<n>&state=...[&iss=...]") into cb.  Thread-safe. */
void op_authorize(op *o, const char *authorization_url, door_buf *cb);

/* "name=value" of a Set-Cookie header value, into out. */
void op_cookie_of(const char *set_cookie, door_buf *out);

/* Loads a configuration text with "PORT" replaced by the OP's port. */
door_config *op_config(const op *o, const char *text);

#endif
