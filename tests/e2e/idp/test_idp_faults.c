/* door-idp end to end, table-driven over the fault registry: for every fault
 * that GET /faults/catalog lists, arm it through the admin API, see it in
 * the response, see it gone after its count, see the normal answer again.
 * A fault without a probe here fails ("no e2e probe"), and so does a probe
 * whose fault left the registry. */
#include "harness.h"
#include "t.h"

#include <string.h>

jmp_buf t__jmp;
static e2e_env env;
static e2e_env *E = &env;

#define GE_REDIRECT "https://rp.localhost/callback/generic"
#define GE_RS_SECRET "planted-secret-generic-rs-0123456789abcdef"
#define GE_ES_SECRET "planted-secret-generic-es-0123456789abcdef"
#define DA_REDIRECT "https://rp.localhost/callback/daccount"
#define DA_RS_SECRET "planted-secret-daccount-rs-0123456789abcdef"
#define DA_HS_SECRET "planted-secret-daccount-hs-0123456789abcdef"
#define ATTACKER "https://attacker.invalid"

static const char *jstr(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static void flow_init(e2e_flow *f, const char *client) {
  memset(f, 0, sizeof *f);
  f->user = "alice";
  f->nonce = "nonce-f";
  f->state = "state-f";
  if (strcmp(client, "door-rs") == 0 || strcmp(client, "door-hs") == 0) {
    f->profile = "daccount";
    f->client_id = client;
    f->secret = client[5] == 'r' ? DA_RS_SECRET : DA_HS_SECRET;
    f->redirect_uri = DA_REDIRECT;
    f->user = "taro";
    return;
  }
  f->profile = "generic";
  f->client_id = client;
  f->secret = strcmp(client, "rp-es") == 0 ? GE_ES_SECRET : GE_RS_SECRET;
  f->auth = strcmp(client, "rp-es") == 0 ? "post" : "basic";
  f->redirect_uri = GE_REDIRECT;
  f->pkce = 1;
}

/* A code flow at the generic profile with rp-rs; the token response. */
static json_t *login(const char *client) {
  e2e_flow f;
  json_t *tok;
  flow_init(&f, client);
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  return tok;
}

static json_t *get(const char *profile, const char *key, e2e_resp *r) {
  e2e_resp_init(r);
  T_EQ_INT(e2e_http(E, "GET", e2e_url(E, profile, key), NULL, NULL, NULL, NULL,
                    NULL, r),
           0);
  return e2e_json(r);
}

/* ---- probes: armed = the fault must show; otherwise the normal answer --- */

static void p_discovery_issuer(int armed) {
  e2e_resp r;
  json_t *j = get("generic", "discovery", &r);
  T_EQ_INT(r.status, 200);
  if (armed)
    T_EQ_STR(jstr(j, "issuer"), ATTACKER "/");
  else
    T_EQ_STR(jstr(j, "issuer"), e2e_url(E, "generic", "issuer"));
  json_decref(j);
  e2e_resp_free(&r);
}

static void p_jwks_oversized(int armed) {
  e2e_resp r;
  door_jwks *set = NULL;
  door_err err;
  json_t *j = get("generic", "jwks_uri", &r);
  T_EQ_INT(r.status, 200);
  T_OK(j != NULL);
  err = door__jwks_parse(r.body.data, r.body.len, &set, NULL);
  if (armed) {
    T_OK(r.body.len >= 300000);
    T_OK(err != DOOR_OK); /* over the strict parser's caps */
  } else {
    T_EQ_ERR(err, DOOR_OK);
    T_OK(r.body.len < 20000);
  }
  if (set)
    door__jwks_unref(set);
  json_decref(j);
  e2e_resp_free(&r);
}

/* An authorize request at generic (or daccount); the redirect Location. */
static void authorize(const char *client, e2e_flow *f) {
  flow_init(f, client);
  T_EQ_INT(e2e_authorize(E, f), 302);
}

static void expect_param(const char *loc, const char *name, const char *want) {
  char *v = e2e_query_param(loc, name);
  if (want)
    T_EQ_STR(v, want);
  else
    T_OK(v == NULL);
  free(v);
}

static void p_authorize_error(int armed) {
  e2e_flow f;
  authorize("rp-rs", &f);
  expect_param(f.location, "error", armed ? "access_denied" : NULL);
  T_OK(armed ? !f.code[0] : f.code[0] != 0);
  expect_param(f.location, "state", "state-f");
}

static void p_invalid_auth(int armed) {
  e2e_flow f;
  authorize("door-rs", &f);
  expect_param(f.location, "error", armed ? "invalid_auth" : NULL);
  T_OK(armed ? !f.code[0] : f.code[0] != 0);
}

static void p_auth_iss_wrong(int armed) {
  e2e_flow f;
  authorize("rp-rs", &f);
  expect_param(f.location, "iss",
               armed ? ATTACKER "/" : e2e_url(E, "generic", "issuer"));
}

static void p_auth_iss_missing(int armed) {
  e2e_flow f;
  authorize("rp-rs", &f);
  expect_param(f.location, "iss",
               armed ? NULL : e2e_url(E, "generic", "issuer"));
}

static void p_state_wrong(int armed) {
  e2e_flow f;
  authorize("rp-rs", &f);
  expect_param(f.location, "state", armed ? "altered-state-f" : "state-f");
}

static void p_redirect_attacker(int armed) {
  e2e_flow f;
  authorize("rp-rs", &f);
  T_OK(f.code[0]);
  if (armed)
    T_OK(strncmp(f.location, ATTACKER "/callback?", 34) == 0);
  else
    T_OK(strncmp(f.location, GE_REDIRECT "?", strlen(GE_REDIRECT) + 1) == 0);
}

/* Sent on to another authorization endpoint with the request's parameters,
 * client_id replaced by the target's query; no code issued. */
static void p_forward(int armed) {
  e2e_flow f;
  authorize("rp-rs", &f);
  if (!armed) {
    T_OK(f.code[0]);
    return;
  }
  T_OK(!f.code[0]);
  T_EQ_STR(f.location, ATTACKER "/authorize?response_type=code&client_id="
                                "victim&redirect_uri=https%3A%2F%2Frp."
                                "localhost%2Fcallback%2Fgeneric&scope=openid&"
                                "state=state-f&nonce=nonce-f&login_hint=alice&"
                                "code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8U"
                                "RWbuGJSstw-cM&code_challenge_method=S256&"
                                "extra=1");
}

/* A full flow; the token endpoint's answer. */
static long token_status(const char *client, json_t **body) {
  e2e_flow f;
  e2e_resp r;
  long st;
  authorize(client, &f);
  T_OK(f.code[0]);
  e2e_resp_init(&r);
  T_EQ_INT(e2e_token(E, &f, &r), 0);
  st = r.status;
  *body = e2e_json(&r);
  e2e_resp_free(&r);
  return st;
}

static void p_token_error(int armed) {
  json_t *j = NULL;
  long st = token_status("rp-rs", &j);
  T_EQ_INT(st, armed ? 400 : 200);
  if (armed)
    T_EQ_STR(jstr(j, "error"), "invalid_grant");
  json_decref(j);
}

static void p_timestamp_refused(int armed) {
  json_t *j = NULL;
  long st = token_status("door-rs", &j);
  T_EQ_INT(st, armed ? 400 : 200);
  if (armed)
    T_EQ_STR(jstr(j, "error"), "timestamp_refused");
  json_decref(j);
}

static void p_code_reuse(int armed) {
  e2e_flow f;
  e2e_resp r;
  authorize("rp-rs", &f);
  e2e_resp_init(&r);
  T_EQ_INT(e2e_token(E, &f, &r), 0);
  T_EQ_INT(r.status, 200);
  e2e_resp_free(&r);
  e2e_resp_init(&r);
  T_EQ_INT(e2e_token(E, &f, &r), 0);
  T_EQ_INT(r.status, armed ? 200 : 400);
  e2e_resp_free(&r);
}

static void p_pkce_unchecked(int armed) {
  e2e_flow f;
  e2e_resp r;
  authorize("rp-rs", &f);
  f.verifier = "not-the-verifier-not-the-verifier-not-the-verifier";
  e2e_resp_init(&r);
  T_EQ_INT(e2e_token(E, &f, &r), 0);
  T_EQ_INT(r.status, armed ? 200 : 400);
  e2e_resp_free(&r);
}

static void p_no_id_token(int armed) {
  json_t *tok = login("rp-rs");
  T_OK(jstr(tok, "access_token") != NULL);
  T_OK(armed ? !json_object_get(tok, "id_token")
             : json_object_get(tok, "id_token") != NULL);
  json_decref(tok);
}

/* The id_token of a generic rp-rs flow: its verification and payload. */
static door_err idt(const char *client, json_t **tok, door_jws *jws) {
  const char *secret = strcmp(client, "door-hs") == 0 ? DA_HS_SECRET : NULL;
  const char *profile =
      strncmp(client, "door", 4) == 0 ? "daccount" : "generic";
  *tok = login(client);
  T_OK(jstr(*tok, "id_token") != NULL);
  return e2e_verify(E, profile, jstr(*tok, "id_token"), secret, jws);
}

/* Claim probes share one shape: a verified token, one claim checked. */
typedef void (*claim_check)(int armed, const json_t *c, const json_t *tok);

static void claim_probe(int armed, claim_check check) {
  json_t *tok;
  door_jws jws;
  T_EQ_ERR(idt("rp-rs", &tok, &jws), DOOR_OK);
  check(armed, jws.payload, tok);
  door__jws_clear(&jws);
  json_decref(tok);
}

#define CLAIM_PROBE(name, body)                                                \
  static void c_##name(int armed, const json_t *c, const json_t *tok) {        \
    long long now = e2e_now();                                                 \
    (void)tok;                                                                 \
    (void)now;                                                                 \
    body;                                                                      \
  }                                                                            \
  static void p_##name(int armed) { claim_probe(armed, c_##name); }

CLAIM_PROBE(iss_wrong,
            T_EQ_STR(jstr(c, "iss"),
                     armed ? ATTACKER "/" : e2e_url(E, "generic", "issuer")))
CLAIM_PROBE(iss_missing, T_OK(armed ? !json_object_get(c, "iss")
                                    : json_object_get(c, "iss") != NULL))
CLAIM_PROBE(aud_wrong,
            T_EQ_STR(jstr(c, "aud"), armed ? "another-client" : "rp-rs"))
CLAIM_PROBE(aud_missing, T_OK(armed ? !json_object_get(c, "aud")
                                    : json_object_get(c, "aud") != NULL))
CLAIM_PROBE(aud_extra, {
  if (armed) {
    json_t *aud = json_object_get(c, "aud");
    T_EQ_INT(json_array_size(aud), 2);
    T_EQ_STR(json_string_value(json_array_get(aud, 0)), "rp-rs");
    T_EQ_STR(json_string_value(json_array_get(aud, 1)), "untrusted-audience");
    T_EQ_STR(jstr(c, "azp"), "rp-rs");
  } else {
    T_EQ_STR(jstr(c, "aud"), "rp-rs");
  }
})
CLAIM_PROBE(sub_wrong,
            T_EQ_STR(jstr(c, "sub"), armed ? "wrong-alice-sub" : "alice-sub"))
CLAIM_PROBE(sub_missing, T_OK(armed ? !json_object_get(c, "sub")
                                    : json_object_get(c, "sub") != NULL))
CLAIM_PROBE(iat_missing, T_OK(armed ? !json_object_get(c, "iat")
                                    : json_object_get(c, "iat") != NULL))
CLAIM_PROBE(iat_future, {
  long long iat = json_integer_value(json_object_get(c, "iat"));
  T_OK(armed ? iat > now + 1800 : iat <= now + 5);
})
CLAIM_PROBE(iat_week_old, {
  long long iat = json_integer_value(json_object_get(c, "iat"));
  T_OK(armed ? iat < now - 6 * 86400 : iat >= now - 60);
  T_OK(json_integer_value(json_object_get(c, "exp")) > now);
})
CLAIM_PROBE(exp_past, {
  long long exp = json_integer_value(json_object_get(c, "exp"));
  T_OK(armed ? exp < now : exp > now);
})
CLAIM_PROBE(nbf_future, {
  json_t *nbf = json_object_get(c, "nbf");
  T_OK(armed ? json_integer_value(nbf) > now + 1800 : nbf == NULL);
})
CLAIM_PROBE(nonce_wrong,
            T_EQ_STR(jstr(c, "nonce"), armed ? "wrong-nonce-f" : "nonce-f"))
CLAIM_PROBE(nonce_missing, T_OK(armed ? !json_object_get(c, "nonce")
                                      : json_object_get(c, "nonce") != NULL))
CLAIM_PROBE(at_hash_wrong, {
  door_buf h;
  const char *at = jstr(tok, "access_token");
  door__buf_init(&h, 128);
  T_EQ_ERR(door__jose_half_hash(DOOR_ALG_RS256, at, strlen(at), &h), DOOR_OK);
  T_OK(armed ? strcmp(jstr(c, "at_hash"), h.data) != 0
             : strcmp(jstr(c, "at_hash"), h.data) == 0);
  door__buf_free(&h);
})

static void p_alg_none(int armed) {
  json_t *tok, *hdr;
  door_jws jws;
  door_err err = idt("rp-rs", &tok, &jws);
  hdr = e2e_jwt_part(jstr(tok, "id_token"), 0);
  if (armed) {
    T_EQ_ERR(err, DOOR_EALG_NONE);
    T_EQ_STR(jstr(hdr, "alg"), "none");
    T_OK(jstr(tok, "id_token")[strlen(jstr(tok, "id_token")) - 1] == '.');
  } else {
    T_EQ_ERR(err, DOOR_OK);
  }
  door__jws_clear(&jws);
  json_decref(hdr);
  json_decref(tok);
}

/* Armed with count 3: an RS256, an ES256 and an HS256 id_token. */
static void p_sig_bad(int armed) {
  static const char *const clients[] = {"rp-rs", "rp-es", "door-hs"};
  static const char *const algs[] = {"RS256", "ES256", "HS256"};
  size_t i;
  for (i = 0; i < 3; i++) {
    json_t *tok;
    door_jws jws;
    door_err err = idt(clients[i], &tok, &jws);
    if (err == DOOR_OK || err == DOOR_ESIG_INVALID)
      T_EQ_STR(door__alg_name(jws.alg), algs[i]);
    T_EQ_ERR(err, armed ? DOOR_ESIG_INVALID : DOOR_OK);
    door__jws_clear(&jws);
    json_decref(tok);
  }
}

static void p_hs256_pubkey(int armed) {
  json_t *tok, *hdr;
  door_jws jws;
  door_err err = idt("rp-rs", &tok, &jws);
  hdr = e2e_jwt_part(jstr(tok, "id_token"), 0);
  if (armed) {
    door_jwks *set = e2e_jwks(E, "generic");
    const door_jwk *rsa = NULL;
    door_jwk *hk = NULL;
    door_buf pem;
    door_jws j2;
    T_EQ_STR(jstr(hdr, "alg"), "HS256");
    T_OK(err != DOOR_OK); /* a JWKS-pinned verifier refuses it */
    /* ... and it is exactly an HMAC keyed with the RSA key's PEM. */
    T_EQ_ERR(door__jwks_select(set, jstr(hdr, "kid"), DOOR_ALG_RS256, &rsa),
             DOOR_OK);
    door__buf_init(&pem, 8192);
    T_EQ_ERR(door__jwk_to_pem(rsa, 0, &pem), DOOR_OK);
    T_EQ_ERR(door__jwk_from_secret(pem.data, pem.len, NULL, &hk), DOOR_OK);
    memset(&j2, 0, sizeof j2);
    T_EQ_ERR(e2e_verify(E, "generic", jstr(tok, "id_token"), "x", &j2),
             DOOR_ESIG_INVALID);
    door__jws_clear(&j2);
    {
      door_jws_limits lim = DOOR_JWS_LIMITS_DEFAULT;
      const char *t = jstr(tok, "id_token");
      T_EQ_ERR(door__jws_parse(t, strlen(t), &lim, &j2, NULL), DOOR_OK);
      T_EQ_ERR(door__jws_verify(&j2, hk, DOOR_ALG_HS256), DOOR_OK);
      door__jws_clear(&j2);
    }
    door__jwk_unref(hk);
    door__buf_free(&pem);
    door__jwks_unref(set);
  } else {
    T_EQ_ERR(err, DOOR_OK);
    T_EQ_STR(jstr(hdr, "alg"), "RS256");
  }
  door__jws_clear(&jws);
  json_decref(hdr);
  json_decref(tok);
}

static void p_kid_missing(int armed) {
  json_t *tok;
  door_jws jws;
  door_err err = idt("rp-rs", &tok, &jws);
  if (armed) {
    door_jwks *set = e2e_jwks(E, "generic");
    size_t i, rsa = 0;
    for (i = 0; i < door__jwks_count(set); i++)
      rsa += door__jwk_kty(door__jwks_get(set, i)) == DOOR_KTY_RSA;
    T_OK(rsa >= 2);
    T_OK(jws.kid == NULL);
    T_EQ_ERR(err, DOOR_EKID_AMBIGUOUS);
    door__jwks_unref(set);
  } else {
    T_EQ_ERR(err, DOOR_OK);
    T_OK(jws.kid != NULL);
  }
  door__jws_clear(&jws);
  json_decref(tok);
}

static void p_kid_unknown(int armed) {
  json_t *tok;
  door_jws jws;
  door_err err = idt("rp-rs", &tok, &jws);
  T_EQ_ERR(err, armed ? DOOR_EKID_UNKNOWN : DOOR_OK);
  door__jws_clear(&jws);
  json_decref(tok);
}

static void p_key_rotated(int armed) {
  door_jwks *before = e2e_jwks(E, "generic"), *after;
  json_t *tok;
  door_jws jws;
  door_err err = idt("rp-rs", &tok, &jws);
  const door_jwk *k = NULL;
  T_EQ_ERR(err, DOOR_OK); /* a fresh JWKS has the new key */
  /* An RP still holding the JWKS from before the request lacks it. */
  T_EQ_ERR(door__jws_verify_jwks(&jws, before, DOOR_ALG_RS256, &k),
           armed ? DOOR_EKID_UNKNOWN : DOOR_OK);
  after = e2e_jwks(E, "generic");
  T_EQ_INT(door__jwks_count(after), door__jwks_count(before) + (armed ? 1 : 0));
  door__jwks_unref(before);
  door__jwks_unref(after);
  door__jws_clear(&jws);
  json_decref(tok);
}

static void p_key_unpublished(int armed) {
  json_t *tok;
  door_jws jws;
  door_err err = idt("rp-rs", &tok, &jws);
  T_EQ_ERR(err, armed ? DOOR_EKID_UNKNOWN : DOOR_OK);
  if (armed)
    T_OK(jws.kid && strncmp(jws.kid, "unpublished-", 12) == 0);
  door__jws_clear(&jws);
  json_decref(tok);
}

static void p_userinfo_sub(int armed) {
  json_t *tok = login("rp-rs"), *j;
  e2e_resp r;
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", e2e_url(E, "generic", "userinfo_endpoint"), NULL,
                    NULL, NULL, jstr(tok, "access_token"), NULL, &r),
           0);
  T_EQ_INT(r.status, 200);
  j = e2e_json(&r);
  T_EQ_STR(jstr(j, "sub"), armed ? "wrong-alice-sub" : "alice-sub");
  json_decref(j);
  json_decref(tok);
  e2e_resp_free(&r);
}

/* Any-endpoint faults are armed on the generic discovery or JWKS. */
static void p_status_500(int armed) {
  e2e_resp r;
  json_t *j = get("generic", "jwks_uri", &r);
  T_EQ_INT(r.status, armed ? 500 : 200);
  if (armed)
    T_EQ_STR(jstr(j, "error"), "server_error");
  json_decref(j);
  e2e_resp_free(&r);
}

static void p_status_503(int armed) {
  e2e_resp r;
  json_t *j = get("generic", "discovery", &r);
  T_EQ_INT(r.status, armed ? 503 : 200);
  if (armed)
    T_EQ_STR(e2e_header(&r, "retry-after"), "1");
  json_decref(j);
  e2e_resp_free(&r);
}

static void p_delay(int armed) {
  e2e_resp r;
  json_t *j = get("generic", "discovery", &r);
  T_EQ_INT(r.status, 200);
  T_OK(armed ? r.seconds >= 0.3 : r.seconds < 0.3);
  json_decref(j);
  e2e_resp_free(&r);
}

static void p_truncated(int armed) {
  e2e_resp r;
  json_t *j = get("generic", "jwks_uri", &r);
  T_EQ_INT(r.status, 200);
  T_OK(armed ? j == NULL : j != NULL);
  json_decref(j);
  e2e_resp_free(&r);
}

static void p_invalid_json(int armed) {
  e2e_resp r;
  json_t *j = get("generic", "discovery", &r);
  T_EQ_INT(r.status, 200);
  T_OK(armed ? j == NULL : j != NULL);
  if (armed)
    T_OK(strstr(r.body.data, ",}") != NULL);
  json_decref(j);
  e2e_resp_free(&r);
}

static void p_http_redirect(int armed) {
  e2e_resp r;
  json_t *j = get("generic", "jwks_uri", &r);
  T_EQ_INT(r.status, armed ? 302 : 200);
  if (armed)
    T_EQ_STR(e2e_header(&r, "location"), ATTACKER "/jwks");
  json_decref(j);
  e2e_resp_free(&r);
}

/* ---- the table ----------------------------------------------------------- */

typedef struct probe {
  const char *fault;
  const char *arm; /* more members for POST /faults */
  int count;
  void (*run)(int armed);
} probe;

#define GEN "\"profile\":\"generic\""
#define DAC "\"profile\":\"daccount\""

static const probe probes[] = {
    {"discovery.issuer_wrong", GEN, 1, p_discovery_issuer},
    {"jwks.oversized", GEN, 1, p_jwks_oversized},
    {"authorize.error", GEN, 1, p_authorize_error},
    {"daccount.invalid_auth", DAC, 1, p_invalid_auth},
    {"authorize.iss_wrong", GEN, 1, p_auth_iss_wrong},
    {"authorize.iss_missing", GEN, 1, p_auth_iss_missing},
    {"authorize.state_wrong", GEN, 1, p_state_wrong},
    {"authorize.redirect_attacker", GEN, 1, p_redirect_attacker},
    {"authorize.forward",
     GEN ",\"param\":\"" ATTACKER "/authorize?client_id=victim&extra=1\"", 1,
     p_forward},
    {"token.error", GEN, 1, p_token_error},
    {"daccount.timestamp_refused", DAC, 1, p_timestamp_refused},
    {"token.code_reuse", GEN, 1, p_code_reuse},
    {"token.pkce_unchecked", GEN, 1, p_pkce_unchecked},
    {"token.no_id_token", GEN, 1, p_no_id_token},
    {"id_token.iss_wrong", GEN, 1, p_iss_wrong},
    {"id_token.iss_missing", GEN, 1, p_iss_missing},
    {"id_token.aud_wrong", GEN, 1, p_aud_wrong},
    {"id_token.aud_missing", GEN, 1, p_aud_missing},
    {"id_token.aud_extra", GEN, 1, p_aud_extra},
    {"id_token.sub_wrong", GEN, 1, p_sub_wrong},
    {"id_token.sub_missing", GEN, 1, p_sub_missing},
    {"id_token.iat_missing", GEN, 1, p_iat_missing},
    {"id_token.iat_future", GEN, 1, p_iat_future},
    {"id_token.iat_week_old", GEN, 1, p_iat_week_old},
    {"id_token.exp_past", GEN, 1, p_exp_past},
    {"id_token.nbf_future", GEN, 1, p_nbf_future},
    {"id_token.nonce_wrong", GEN, 1, p_nonce_wrong},
    {"id_token.nonce_missing", GEN, 1, p_nonce_missing},
    {"id_token.at_hash_wrong", GEN, 1, p_at_hash_wrong},
    {"id_token.alg_none", GEN, 1, p_alg_none},
    {"id_token.sig_bad", "\"profile\":null", 3, p_sig_bad},
    {"id_token.hs256_pubkey", GEN, 1, p_hs256_pubkey},
    {"id_token.kid_missing", GEN, 1, p_kid_missing},
    {"id_token.kid_unknown", GEN, 1, p_kid_unknown},
    {"id_token.key_rotated", GEN, 1, p_key_rotated},
    {"id_token.key_unpublished", GEN, 1, p_key_unpublished},
    {"userinfo.sub_wrong", GEN, 1, p_userinfo_sub},
    {"http.status_500", GEN ",\"endpoint\":\"jwks\"", 1, p_status_500},
    {"http.status_503", GEN ",\"endpoint\":\"discovery\"", 1, p_status_503},
    {"http.delay", GEN ",\"endpoint\":\"discovery\",\"param\":300", 1, p_delay},
    {"http.truncated_json", GEN ",\"endpoint\":\"jwks\"", 1, p_truncated},
    {"http.invalid_json", GEN ",\"endpoint\":\"discovery\"", 1, p_invalid_json},
    {"http.redirect", GEN ",\"endpoint\":\"jwks\"", 1, p_http_redirect},
};

#define NPROBES (sizeof probes / sizeof probes[0])

static const probe *find_probe(const char *name) {
  size_t i;
  for (i = 0; i < NPROBES; i++) {
    if (strcmp(probes[i].fault, name) == 0)
      return &probes[i];
  }
  return NULL;
}

static json_t *armed_list(void) {
  e2e_resp r;
  json_t *j;
  e2e_resp_init(&r);
  T_EQ_INT(e2e_admin(E, "GET", "/faults", NULL, &r), 0);
  T_EQ_INT(r.status, 200);
  j = e2e_json(&r);
  e2e_resp_free(&r);
  T_OK(json_is_array(j));
  return j;
}

/* One fault: arm, visible, consumed, normal again. */
static void run_probe(const probe *p) {
  door_buf body;
  json_t *list;
  e2e_resp r;
  long long id;
  e2e_resp_init(&r);
  T_EQ_INT(e2e_admin(E, "DELETE", "/faults", NULL, &r), 0);
  e2e_resp_free(&r);
  door__buf_init(&body, 1024);
  door__buf_puts(&body, "{\"fault\":\"");
  door__buf_puts(&body, p->fault);
  door__buf_puts(&body, "\",\"count\":");
  door__buf_put_u64(&body, (uint64_t)p->count);
  door__buf_putc(&body, ',');
  door__buf_puts(&body, p->arm);
  door__buf_putc(&body, '}');
  id = e2e_arm(E, body.data);
  door__buf_free(&body);
  T_OK(id > 0);
  list = armed_list();
  T_EQ_INT(json_array_size(list), 1);
  json_decref(list);
  p->run(1);
  list = armed_list(); /* its count is spent: gone */
  T_EQ_INT(json_array_size(list), 0);
  json_decref(list);
  p->run(0);
}

/* run_probe with the harness's assertion jump: 0 when it passed. */
static int guarded(const probe *p) {
  if (setjmp(t__jmp) != 0)
    return 1;
  run_probe(p);
  return 0;
}

int main(int argc, char **argv) {
  static const char *const extra[] = {"--auto-approve", NULL};
  e2e_resp r;
  json_t *cat = NULL, *f;
  size_t i, n = 0, k;
  int failed = 0, stale = 0;
  if (e2e_start(E, argc, argv, extra)) {
    puts("1..1\nnot ok 1 - door-idp started");
    e2e_stop(E);
    return 1;
  }
  e2e_resp_init(&r);
  if (e2e_admin(E, "GET", "/faults/catalog", NULL, &r) == 0)
    cat = e2e_json(&r);
  e2e_resp_free(&r);
  n = json_array_size(cat);
  printf("1..%zu\n", n + 3);
  printf("%s 1 - the catalog lists faults (%zu)\n", n ? "ok" : "not ok", n);
  failed |= n == 0;
  json_array_foreach(cat, i, f) {
    const char *name = json_string_value(json_object_get(f, "name"));
    const probe *p = find_probe(name);
    fflush(stdout);
    if (!p) {
      printf("not ok %zu - %s has no e2e probe in %s\n", i + 2, name, __FILE__);
      failed = 1;
      continue;
    }
    if (guarded(p) == 0) {
      printf("ok %zu - %s\n", i + 2, name);
    } else {
      printf("not ok %zu - %s\n", i + 2, name);
      failed = 1;
    }
  }
  /* Probes for faults that are not in the registry (renamed, removed). */
  for (k = 0; k < NPROBES; k++) {
    int found = 0;
    json_array_foreach(cat, i, f) {
      found |= strcmp(json_string_value(json_object_get(f, "name")),
                      probes[k].fault) == 0;
    }
    if (!found) {
      printf("# stale probe: %s\n", probes[k].fault);
      stale = 1;
    }
  }
  printf("%s %zu - every probe names a registry fault\n",
         stale ? "not ok" : "ok", n + 2);
  failed |= stale;
  json_decref(cat);
  k = (size_t)e2e_stop(E);
  printf("%s %zu - door-idp exits 0 on SIGTERM\n", k == 0 ? "ok" : "not ok",
         n + 3);
  return failed || k != 0;
}
