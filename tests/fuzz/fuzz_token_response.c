/* libFuzzer target: token endpoint answers — door__token_response_parse
 * (with and without a required id_token), door__oauth_error_parse, and any
 * id_token through door__idtoken_validate with a fixed HS256 key.
 *
 * Invariants (abort() on violation):
 *  - a parsed response has a non-empty access_token, a token_type equal to
 *    "Bearer" ignoring case, an id_token when required, no token over the
 *    cap, and expires_in -1 or non-negative;
 *  - error texts hold only the characters RFC 6749 allows;
 *  - no id_token from the input validates (it would need the key). */
#include "oidc/oidc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static door_jwk *fuzz_key;

static door_err verify(void *ud, const door_jws *jws, door_detail *d) {
  (void)ud;
  (void)d;
  return door__jws_verify(jws, fuzz_key, DOOR_ALG_HS256);
}

static void check_text(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' ||
        *s == '\\')
      abort();
}

static void check_id_token(const char *tok) {
  door_idt_expect e;
  json_t *claims = NULL;
  memset(&e, 0, sizeof e);
  e.issuer = "https://op.example";
  e.client_id = "client-1";
  e.allowed_algs = DOOR_ALG_ALL;
  e.nonce = "n";
  e.access_token = "at";
  e.now = 1700000000;
  e.leeway = 60;
  if (door__idtoken_validate(tok, &e, verify, NULL, &claims, NULL) == DOOR_OK)
    abort();
  json_decref(claims);
}

static void check(const char *data, size_t size, int oidc) {
  door_token_response t;
  if (door__token_response_parse(data, size, oidc, &t, NULL) != DOOR_OK)
    return;
  if (!t.access_token || !*t.access_token || !t.token_type ||
      strcasecmp(t.token_type, "bearer") != 0)
    abort();
  if (oidc && (!t.id_token || !*t.id_token))
    abort();
  if (strlen(t.access_token) > DOOR_TOKEN_MAX || t.expires_in < -1)
    abort();
  if (t.id_token)
    check_id_token(t.id_token);
  door__token_response_clear(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char error[64], desc[192];
  if (!fuzz_key) {
    static const char secret[] = "fuzz-secret-fuzz-secret-fuzz-secret!";
    if (door__jwk_from_secret(secret, sizeof secret - 1, NULL, &fuzz_key))
      abort();
  }
  check((const char *)data, size, 1);
  check((const char *)data, size, 0);
  door__oauth_error_parse((const char *)data, size, error, sizeof error, desc,
                          sizeof desc);
  check_text(error);
  check_text(desc);
  return 0;
}
