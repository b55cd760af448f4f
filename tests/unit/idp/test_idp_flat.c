/* door-idp's access-token claims and token answers written without jansson
 * objects come out byte for byte as jansson's compact dump of the objects the
 * jansson path builds, for plain strings and for awkward ones (quotes,
 * backslashes, control bytes, DEL, non-ASCII UTF-8, invalid UTF-8, empty),
 * which the flat writer leaves to jansson; and the token endpoint gives the
 * same answer with and without a BODY fault (which takes the jansson path). */
#include "idp/http.h"
#include "idp/idp.h"
#include "idp/issue.h"
#include "jose/jose.h"
#include "util/json.h"
#include "idp_token_req.h"
#include "t.h"

#include <string.h>

static const char *const awkward[] = {
    "a\"b",          /* quote */
    "a\\b",          /* backslash */
    "a\nb\tc\x01",   /* control bytes: \n \t \u0001 */
    "x\x1f",         /* \u001F */
    "del\x7f",       /* DEL: jansson copies it, the flat writer declines */
    "\xe3\x81\x82/", /* non-ASCII UTF-8 and a slash */
    "caf\xc3\xa9 api",
    "bad\xff", /* invalid UTF-8: json_string refuses it */
};

/* jansson's compact dump of `j` (taken over), NUL-terminated in `out`. */
static void dump(json_t *j, char *out, size_t cap) {
  size_t n;
  T_OK(j != NULL);
  n = json_dumpb(j, out, cap - 1, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(j);
  T_OK(n > 0 && n < cap);
  out[n] = '\0';
}

static void test_flat_str(void) {
  char all[128], want[512];
  door_buf b;
  door_err err = DOOR_OK;
  size_t i, n = 0;
  door__buf_init(&b, 4096);
  /* Every printable ASCII byte but '"' and '\\', and the empty string. */
  for (i = 0x20; i < 0x7f; i++)
    if (i != '"' && i != '\\')
      all[n++] = (char)i;
  all[n] = '\0';
  T_EQ_INT(door__idp_json_flat_str(&b, all, n, &err), 1);
  T_EQ_ERR(err, DOOR_OK);
  dump(json_string(all), want, sizeof want);
  T_EQ_STR(door__buf_str(&b), want);
  door__buf_reset(&b);
  T_EQ_INT(door__idp_json_flat_str(&b, "", 0, &err), 1);
  T_EQ_STR(door__buf_str(&b), "\"\"");
  /* The rest is jansson's: nothing written. */
  door__buf_reset(&b);
  T_EQ_ERR(door__buf_puts(&b, "x"), DOOR_OK);
  for (i = 0; i < sizeof awkward / sizeof awkward[0]; i++) {
    T_EQ_INT(door__idp_json_flat_str(&b, awkward[i], strlen(awkward[i]), &err),
             0);
    T_EQ_STR(door__buf_str(&b), "x");
  }
  door__buf_free(&b);
}

/* The claims the jansson path builds, dumped by jansson itself. */
static void claims_want(const door_idp_issue *in, int64_t now, const char *sub,
                        const char *jti, char *out, size_t cap) {
  json_t *o = json_object();
  T_OK(o != NULL);
  if (json_object_set_new(o, "iss", json_string(in->p->issuer)) ||
      json_object_set_new(o, "sub", json_string(sub)) ||
      json_object_set_new(o, "aud", json_string(in->p->issuer)) ||
      json_object_set_new(o, "client_id", json_string(in->c->client_id))) {
    json_decref(o);
    out[0] = '\0'; /* refused: no claims */
    return;
  }
  json_object_set_new(o, "iat", json_integer(now));
  json_object_set_new(o, "exp", json_integer(now + in->p->access_ttl));
  json_object_set_new(o, "jti", json_string(jti));
  if (in->scope)
    json_object_set_new(o, "scope", json_string(in->scope));
  if (in->g && in->g->auth_time)
    json_object_set_new(o, "auth_time", json_integer(in->g->auth_time));
  dump(o, out, cap);
}

static void claims_case(const char *iss, const char *client_id, const char *sub,
                        const char *scope, int64_t auth_time) {
  door_idp_profile p;
  door_idp_client c;
  door_idp_grant g;
  door_idp_issue in;
  char want[4096];
  const char *jti = "AAECAwQFBgcICQoLDA0ODw";
  int64_t now = 1700000000;
  door_buf b;
  door_err err;
  memset(&p, 0, sizeof p);
  memset(&c, 0, sizeof c);
  memset(&g, 0, sizeof g);
  memset(&in, 0, sizeof in);
  p.issuer = (char *)iss;
  p.access_ttl = 600;
  c.client_id = (char *)client_id;
  g.auth_time = auth_time;
  in.p = &p;
  in.c = &c;
  in.g = &g;
  in.scope = scope;
  claims_want(&in, now, sub, jti, want, sizeof want);
  door__buf_init(&b, 65536);
  err = door__idp_access_claims(&in, now, sub, jti, &b);
  if (!want[0]) {
    printf("# invalid UTF-8: refused, as before\n");
    T_EQ_ERR(err, DOOR_ENOMEM); /* what the jansson path always said */
    T_EQ_INT(b.len, 0);
  } else {
    T_EQ_ERR(err, DOOR_OK);
    T_EQ_STR(door__buf_str(&b), want);
  }
  door__buf_free(&b);
}

static void test_claims_match_jansson(void) {
  door_buf b;
  door_idp_profile p;
  door_idp_client c;
  door_idp_issue in;
  size_t i;
  const char *iss = "https://127.0.0.1:4321/x";
  /* The benchmarked case, spelled out. */
  memset(&p, 0, sizeof p);
  memset(&c, 0, sizeof c);
  memset(&in, 0, sizeof in);
  p.issuer = (char *)iss;
  p.access_ttl = 600;
  c.client_id = "bench-client";
  in.p = &p;
  in.c = &c;
  in.scope = "api";
  door__buf_init(&b, 65536);
  T_EQ_ERR(door__idp_access_claims(&in, 1700000000, "bench-client",
                                   "AAECAwQFBgcICQoLDA0ODw", &b),
           DOOR_OK);
  T_EQ_STR(
      door__buf_str(&b),
      "{\"iss\":\"https://127.0.0.1:4321/x\",\"sub\":\"bench-client\","
      "\"aud\":\"https://127.0.0.1:4321/x\",\"client_id\":\"bench-client\","
      "\"iat\":1700000000,\"exp\":1700000600,"
      "\"jti\":\"AAECAwQFBgcICQoLDA0ODw\",\"scope\":\"api\"}");
  door__buf_free(&b);
  claims_case(iss, "bench-client", "bench-client", NULL, 0);
  claims_case(iss, "c", "pairwise-sub", "openid profile", 1699999000);
  claims_case("", "", "", "", 0); /* empty strings */
  /* Each awkward string in each string member. */
  for (i = 0; i < sizeof awkward / sizeof awkward[0]; i++) {
    claims_case(awkward[i], "c", "s", "api", 0);
    claims_case(iss, awkward[i], "s", "api", 0);
    claims_case(iss, "c", awkward[i], "api", 1699999000);
    claims_case(iss, "c", "s", awkward[i], 1699999000);
  }
}

/* door__idp_tokens_dump against jansson's dump of door__idp_tokens_json's
 * object, and that object against one built here. */
static void answer_case(const char *at, const char *idt, const char *rt,
                        const char *scope, const char *rt_kept) {
  door_idp_tokens t;
  json_t *res = NULL, *o;
  char want[8192], got_json[8192];
  door_buf b;
  door_err err = DOOR_OK;
  int flat;
  door__idp_tokens_init(&t);
  T_EQ_ERR(door__buf_puts(&t.at, at), DOOR_OK);
  if (idt)
    T_EQ_ERR(door__buf_puts(&t.idt, idt), DOOR_OK);
  if (rt)
    memcpy(t.rt, rt, strlen(rt) + 1);
  t.scope = scope;
  t.expires_in = 3600;
  t.rt_kept = rt_kept;
  o = json_object();
  json_object_set_new(o, "access_token", json_string(at));
  json_object_set_new(o, "token_type", json_string("Bearer"));
  json_object_set_new(o, "expires_in", json_integer(3600));
  if (rt)
    json_object_set_new(o, "refresh_token", json_string(rt));
  if (idt)
    json_object_set_new(o, "id_token", json_string(idt));
  if (scope)
    json_object_set_new(o, "scope", json_string(scope));
  if (rt_kept)
    json_object_set_new(o, "refresh_token", json_string(rt_kept));
  dump(o, want, sizeof want);
  T_EQ_ERR(door__idp_tokens_json(&t, &res), DOOR_OK);
  dump(res, got_json, sizeof got_json);
  T_EQ_STR(got_json, want);
  door__buf_init(&b, 65536);
  T_EQ_ERR(door__buf_puts(&b, "pre"), DOOR_OK);
  flat = door__idp_tokens_dump(&t, &b, &err);
  T_EQ_ERR(err, DOOR_OK);
  if (flat) {
    T_EQ_STR(door__buf_str(&b) + 3, want);
  } else {
    printf("# awkward scope: left to jansson: %s\n", want);
    T_EQ_STR(door__buf_str(&b), "pre");
    T_OK(scope && strpbrk(scope, "\"\\\x01\x7f\x80\xc3\xe3\xff\n\t\x1f"));
  }
  door__buf_free(&b);
  door__idp_tokens_free(&t);
}

static void test_answer_matches_jansson(void) {
  const char *jws = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln-_";
  size_t i;
  answer_case(jws, NULL, NULL, "api", NULL); /* client_credentials */
  answer_case(jws, NULL, NULL, NULL, NULL);
  answer_case("opaque-Tok_en", jws, "rt-1", "openid email", NULL);
  answer_case(jws, jws, NULL, "openid", "rt-kept"); /* refresh, no rotation */
  answer_case(jws, NULL, "rt-2", "", NULL);
  for (i = 0; i < sizeof awkward / sizeof awkward[0]; i++)
    answer_case(jws, jws, "rt", awkward[i], NULL);
}

/* The token endpoint, client_credentials with `scope`: the answer. */
static long cc_answer(door_idp *idp, door_idp_profile *p, const char *scope,
                      door_buf *body) {
  door_idp_req q;
  door_idp_resp r;
  long st;
  idp_token_req(&q, idp, p, "client_credentials");
  door__idp_resp_init(&r);
  T_EQ_ERR(door__kvlist_add(&q.form, "client_id", "cc"), DOOR_OK);
  T_EQ_ERR(door__kvlist_add(&q.form, "client_secret", "cc-secret"), DOOR_OK);
  if (scope)
    T_EQ_ERR(door__kvlist_add(&q.form, "scope", scope), DOOR_OK);
  T_EQ_ERR(door__idp_dispatch(&q, &r), DOOR_OK);
  st = r.status;
  T_EQ_STR(r.content_type, "application/json");
  T_EQ_STR(door__kvlist_get(&r.headers, "Cache-Control", NULL), "no-store");
  T_EQ_STR(door__kvlist_get(&r.headers, "Pragma", NULL), "no-cache");
  door__buf_reset(body);
  T_EQ_ERR(door__buf_puts(body, door__buf_str(&r.body)), DOOR_OK);
  door__idp_resp_free(&r);
  door__idp_req_free(&q);
  return st;
}

/* The answer and its access token's payload are what jansson dumps of the
 * objects rebuilt from their parsed values in door-idp's member order. */
static void check_cc(door_idp *idp, door_idp_profile *p, const char *scope) {
  door_buf body;
  json_t *ans = NULL, *cl = NULL, *o;
  door_detail d;
  char want[8192];
  const char *at, *dot1, *dot2;
  unsigned char payload[4096];
  size_t plen;
  door__buf_init(&body, 1 << 20);
  T_EQ_INT(cc_answer(idp, p, scope, &body), 200);
  printf("# answer: %zu bytes, ends %s\n", body.len,
         strstr(body.data, "\"token_type\""));
  T_EQ_ERR(door__json_parse(body.data, body.len, 8, &ans, &d), DOOR_OK);
  at = json_string_value(json_object_get(ans, "access_token"));
  T_OK(at != NULL);
  o = json_object();
  json_object_set_new(o, "access_token", json_string(at));
  json_object_set_new(o, "token_type", json_string("Bearer"));
  json_object_set_new(o, "expires_in", json_integer(p->access_ttl));
  if (scope)
    json_object_set_new(o, "scope", json_string(scope));
  dump(o, want, sizeof want);
  T_EQ_STR(body.data, want);
  dot1 = strchr(at, '.');
  T_OK(dot1 != NULL);
  dot2 = strchr(dot1 + 1, '.');
  T_OK(dot2 != NULL);
  T_EQ_ERR(door__b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload,
                               sizeof payload - 1, &plen),
           DOOR_OK);
  payload[plen] = '\0';
  T_EQ_ERR(door__json_parse((const char *)payload, plen, 8, &cl, &d), DOOR_OK);
  o = json_object();
  json_object_set_new(o, "iss", json_string(p->issuer));
  json_object_set_new(o, "sub", json_string("cc"));
  json_object_set_new(o, "aud", json_string(p->issuer));
  json_object_set_new(o, "client_id", json_string("cc"));
  json_object_set(o, "iat", json_object_get(cl, "iat"));
  json_object_set(o, "exp", json_object_get(cl, "exp"));
  json_object_set(o, "jti", json_object_get(cl, "jti"));
  if (scope)
    json_object_set_new(o, "scope", json_string(scope));
  dump(o, want, sizeof want);
  T_EQ_STR((const char *)payload, want);
  T_EQ_INT(json_integer_value(json_object_get(cl, "iat")), 1700000000);
  json_decref(cl);
  json_decref(ans);
  door__buf_free(&body);
}

static void test_token_endpoint(void) {
  static const char scenario[] =
      "{\"profiles\":{\"xmarket\":{\"access_tokens\":\"jwt\","
      "\"clock\":{\"fixed\":1700000000},\"clients\":[{\"client_id\":\"cc\","
      "\"client_secret\":\"cc-secret\",\"token_endpoint_auth_method\":"
      "\"client_secret_post\",\"grant_types\":[\"client_credentials\"]}]}}}";
  static const char origin[] = "https://127.0.0.1:1002";
  const char *odd = "api a\"b\\c\x01 caf\xc3\xa9";
  door_idp idp;
  door_idp_profile *p;
  door_idp_fault_arm a;
  door_detail d;
  json_t *doc = NULL;
  T_EQ_ERR(door__idp_init(&idp), DOOR_OK);
  T_EQ_ERR(door__json_parse(scenario, strlen(scenario), 32, &doc, &d), DOOR_OK);
  T_EQ_ERR(door__idp_scenario_load(&idp, doc, NULL, &d), DOOR_OK);
  json_decref(doc);
  p = door__idp_profile(&idp, "xmarket");
  T_OK(p != NULL);
  p->listeners[0].origin = malloc(sizeof origin);
  memcpy(p->listeners[0].origin, origin, sizeof origin);
  T_EQ_ERR(door__idp_profile_publish(p), DOOR_OK);
  /* Flat answers (no BODY fault). */
  check_cc(&idp, p, "api");
  check_cc(&idp, p, NULL);
  check_cc(&idp, p, odd);
  /* A BODY fault armed: the answer is built with jansson, the same bytes
   * (token.no_id_token has nothing to remove from this answer). */
  memset(&a, 0, sizeof a);
  a.name = "token.no_id_token";
  a.count = 3;
  T_EQ_ERR(door__idp_faults_arm(&idp.faults, &a, NULL, &d), DOOR_OK);
  check_cc(&idp, p, "api");
  check_cc(&idp, p, NULL);
  check_cc(&idp, p, odd);
  T_EQ_INT(atomic_load(&idp.faults.narmed), 0); /* all three were used */
  door__idp_free(&idp);
}

T_MAIN(T_CASE(test_flat_str), T_CASE(test_claims_match_jansson),
       T_CASE(test_answer_matches_jansson), T_CASE(test_token_endpoint))
