/* liboauth2 (Debian liboauth2-dev, an independent verifier; AGPL, so it is
 * linked into this test only) verifies the participation tokens our
 * library issues with the key of our JWKS, and refuses a tampered one and
 * one signed by another key.
 * argv: issue_helper */
#include "t.h"
#include "util/json.h"

#include <oauth2/cfg.h>
#include <oauth2/log.h>
#include <oauth2/oauth2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *g_helper;
static json_t *g_issued;
static oauth2_log_t *g_log;
static char g_dir[64];

static void test_issue(void) {
  door_buf cmd, out;
  FILE *p;
  char chunk[4096];
  size_t n;
  memcpy(g_dir, "/tmp/door-interop-oauth2-XXXXXX", 32);
  T_OK(mkdtemp(g_dir) != NULL);
  door__buf_init(&cmd, 1024);
  door__buf_init(&out, 1 << 20);
  door__buf_puts(&cmd, g_helper);
  door__buf_puts(&cmd, " ");
  door__buf_puts(&cmd, g_dir);
  p = popen(cmd.data, "r");
  T_OK(p != NULL);
  while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
    door__buf_append(&out, chunk, n);
  T_EQ_INT(pclose(p), 0);
  T_EQ_ERR(door__json_parse(out.data, out.len, 8, &g_issued, NULL), DOOR_OK);
  door__buf_free(&cmd);
  door__buf_free(&out);
  g_log = oauth2_log_init(OAUTH2_LOG_ERROR, NULL);
  T_OK(g_log != NULL);
}

/* A verifier for `jwk` (JSON text), without its result cache. */
static oauth2_cfg_token_verify_t *verifier(const char *jwk) {
  oauth2_cfg_token_verify_t *v = NULL;
  char *err =
      oauth2_cfg_token_verify_add_options(g_log, &v, "jwk", jwk, "expiry=0");
  if (err) {
    printf("# liboauth2: %s\n", err);
    free(err);
    return NULL;
  }
  return v;
}

static void test_liboauth2_verifies(void) {
  json_t *key = json_array_get(json_object_get(g_issued, "jwks"), 0);
  json_t *keys = json_object_get(json_object_get(g_issued, "jwks"), "keys");
  json_t *tokens = json_object_get(g_issued, "tokens"), *tok;
  char *jwk;
  oauth2_cfg_token_verify_t *v;
  size_t i;
  (void)key;
  T_EQ_INT(json_array_size(keys), 1);
  jwk = json_dumps(json_array_get(keys, 0), JSON_COMPACT);
  v = verifier(jwk);
  T_OK(v != NULL);
  T_OK(json_array_size(tokens) >= 4);
  json_array_foreach(tokens, i, tok) {
    json_t *payload = NULL;
    T_OK(oauth2_token_verify(g_log, NULL, v, json_string_value(tok), &payload));
    T_EQ_STR(json_string_value(json_object_get(payload, "aud")),
             json_string_value(json_object_get(g_issued, "event")));
    T_EQ_STR(json_string_value(json_object_get(payload, "iss")),
             json_string_value(json_object_get(g_issued, "issuer")));
    T_EQ_STR(json_string_value(json_object_get(payload, "sub")),
             json_string_value(
                 json_array_get(json_object_get(g_issued, "subs"), i)));
    json_decref(payload);
  }
  /* tampered signature */
  {
    const char *t = json_string_value(json_array_get(tokens, 0));
    char *bad = strdup(t);
    json_t *payload = NULL;
    size_t n = strlen(bad);
    bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
    T_OK(!oauth2_token_verify(g_log, NULL, v, bad, &payload));
    json_decref(payload);
    free(bad);
  }
  /* liboauth2 checks exp too: our token of a past event */
  {
    json_t *payload = NULL;
    T_OK(!oauth2_token_verify(
        g_log, NULL, v, json_string_value(json_object_get(g_issued, "expired")),
        &payload));
    json_decref(payload);
  }
  oauth2_cfg_token_verify_free(g_log, v);
  free(jwk);
}

/* Another key's JWK does not verify our tokens. */
static void test_other_key_refuses(void) {
  const char *other = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"x\","
                      "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                      "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";
  oauth2_cfg_token_verify_t *v = verifier(other);
  json_t *payload = NULL;
  T_OK(v != NULL);
  T_OK(!oauth2_token_verify(
      g_log, NULL, v,
      json_string_value(json_array_get(json_object_get(g_issued, "tokens"), 1)),
      &payload));
  json_decref(payload);
  oauth2_cfg_token_verify_free(g_log, v);
}

static void test_cleanup(void) {
  door_buf cmd;
  json_decref(g_issued);
  oauth2_log_free(g_log);
  door__buf_init(&cmd, 256);
  door__buf_puts(&cmd, "rm -rf '");
  door__buf_puts(&cmd, g_dir);
  door__buf_puts(&cmd, "'");
  T_EQ_INT(system(cmd.data), 0);
  door__buf_free(&cmd);
}

jmp_buf t__jmp;
int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_issue),
      T_CASE(test_liboauth2_verifies),
      T_CASE(test_other_key_refuses),
      T_CASE(test_cleanup),
  };
  if (argc != 2) {
    puts("1..1\nnot ok 1 - usage: interop_gate_liboauth2 issue_helper");
    return 1;
  }
  g_helper = argv[1];
  return t_run(cases, sizeof cases / sizeof cases[0]);
}
