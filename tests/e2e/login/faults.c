/* Every fault of door-idp's registry against the relying party, table
 * driven: each entry arms one fault, runs a login (or the entitlement call)
 * and wants one result.  door-idp's request log then shows how far the
 * login went: a check made before the code exchange (authorization
 * response faults) leaves no token request, one made before userinfo (the
 * ID token's) no userinfo request.
 *
 * test_fault_catalog fails when GET /faults/catalog lists a fault that has
 * no entry here, when an "any endpoint" fault lacks an entry for one of the
 * endpoints the relying party calls, and when an entry names a fault the
 * registry no longer has. */
#include "login_env.h"
#include "http/http.h"

#include <stdio.h>
#include <string.h>

/* How far a login gets at the provider (what the request log must show). */
typedef enum reach {
  R_BEGIN = 0,    /* nothing: begin fails (discovery) */
  R_AUTHZ = 1,    /* the authorization endpoint only */
  R_TOKEN = 2,    /* and the token endpoint, once */
  R_USERINFO = 3, /* and userinfo, once */
} reach;

#define F_FRESH 1u        /* a new door_rp: nothing cached */
#define F_LATER 2u        /* the RP's clock 61 s on: past the JWKS cooldown */
#define F_SLOW 4u         /* an RP whose HTTP client gives up after 1 s */
#define F_ENTITLEMENT 8u  /* the fault hits door_rp_entitlement after login */
#define F_NO_CALLBACK 16u /* the browser never comes back (want ENOTFOUND) */

struct fault_case;
typedef door_err (*fault_run)(const struct fault_case *c, door_rp *rp,
                              uint64_t mark);

typedef struct fault_case {
  const char *fault;
  const char *profile;  /* door-idp profile */
  const char *provider; /* our [provider] */
  const char *user;
  const char *endpoint; /* for the "any endpoint" faults */
  const char *param;    /* JSON, or NULL: the fault's default */
  door_err want;
  reach reach;
  unsigned flags;
  fault_run run; /* NULL: the login; else a scenario of its own */
} fault_case;

static door_err run_stolen_code(const fault_case *c, door_rp *rp,
                                uint64_t mark);
static door_err run_replayed_callback(const fault_case *c, door_rp *rp,
                                      uint64_t mark);
static door_err run_injected_code(const fault_case *c, door_rp *rp,
                                  uint64_t mark);

#define GEN "generic", "generic", "alice"
#define DAC "daccount", "daccount", "taro"
#define DHS "daccount", "daccount-hs", "taro"
#define XM "xmarket", "xmarket", "hanako"

/* One "any endpoint" fault at each endpoint the relying party calls. */
#define ANY(f, p, dis, dis_r, authz, tok, ui, jw, tk)                          \
  {f, GEN, "discovery", p, dis, dis_r, F_FRESH, NULL},                         \
      {f,                                                                      \
       GEN,                                                                    \
       "authorization",                                                        \
       p,                                                                      \
       authz,                                                                  \
       authz == DOOR_ENOTFOUND ? R_AUTHZ : R_USERINFO,                         \
       authz == DOOR_ENOTFOUND ? F_NO_CALLBACK : 0u,                           \
       NULL},                                                                  \
      {f, GEN, "token", p, tok, tok ? R_TOKEN : R_USERINFO, 0, NULL},          \
      {f, GEN, "userinfo", p, ui, R_USERINFO, 0, NULL},                        \
      {f, GEN, "jwks", p, jw, jw ? R_TOKEN : R_USERINFO, F_FRESH, NULL}, {     \
    f, XM, "tickets", p, tk, R_USERINFO, F_ENTITLEMENT, NULL                   \
  }

static const fault_case k_faults[] = {
    /* Discovery and keys. */
    {"discovery.issuer_wrong", GEN, NULL, NULL, DOOR_EDISCOVERY_ISSUER, R_BEGIN,
     F_FRESH, NULL},
    {"jwks.oversized", GEN, NULL, NULL, DOOR_ETOOBIG, R_TOKEN, F_FRESH, NULL},
    /* The authorization response: refused before the code exchange. */
    {"authorize.error", GEN, NULL, NULL, DOOR_ELOGIN_PROVIDER_ERROR, R_AUTHZ, 0,
     NULL},
    {"daccount.invalid_auth", DAC, NULL, NULL, DOOR_ELOGIN_PROVIDER_ERROR,
     R_AUTHZ, 0, NULL},
    {"authorize.iss_wrong", GEN, NULL, NULL, DOOR_EISS_PARAM_MISMATCH, R_AUTHZ,
     0, NULL},
    {"authorize.iss_missing", GEN, NULL, NULL, DOOR_EISS_PARAM_MISSING, R_AUTHZ,
     0, NULL},
    {"authorize.state_wrong", GEN, NULL, NULL, DOOR_ELOGIN_CALLBACK, R_AUTHZ, 0,
     NULL},
    /* The code goes to the attacker, who injects it into a login of its own
     * at this broker: the provider refuses it (PKCE binds it to the
     * victim's verifier). */
    {"authorize.redirect_attacker", GEN, NULL, NULL, DOOR_ETOKEN_ERROR, R_TOKEN,
     0, run_stolen_code},
    /* A mix-up attacker's bounce to another provider: here to the attacker
     * origin, which never answers; test_mixup sends it to the honest
     * provider. */
    {"authorize.forward", GEN, NULL, NULL, DOOR_ENOTFOUND, R_AUTHZ,
     F_NO_CALLBACK, NULL},
    /* The token endpoint. */
    {"token.error", GEN, NULL, NULL, DOOR_ETOKEN_ERROR, R_TOKEN, 0, NULL},
    {"daccount.timestamp_refused", DAC, NULL, NULL, DOOR_ETOKEN_ERROR, R_TOKEN,
     0, NULL},
    /* The provider would take the code twice: the broker never sends it
     * twice (the replayed callback is refused before the exchange). */
    {"token.code_reuse", GEN, NULL, NULL, DOOR_ELOGIN_REPLAYED, R_USERINFO, 0,
     run_replayed_callback},
    /* The provider skips PKCE: an injected code is then redeemed, and the
     * nonce (bound to the browser that began the login) refuses it. */
    {"token.pkce_unchecked", GEN, NULL, NULL, DOOR_EIDT_NONCE, R_TOKEN, 0,
     run_injected_code},
    {"token.no_id_token", GEN, NULL, NULL, DOOR_EID_TOKEN_MISSING, R_TOKEN, 0,
     NULL},
    /* The ID token: refused before userinfo. */
    {"id_token.iss_wrong", GEN, NULL, NULL, DOOR_EIDT_ISS, R_TOKEN, 0, NULL},
    {"id_token.iss_missing", GEN, NULL, NULL, DOOR_EIDT_ISS, R_TOKEN, 0, NULL},
    {"id_token.aud_wrong", GEN, NULL, NULL, DOOR_EIDT_AUD, R_TOKEN, 0, NULL},
    {"id_token.aud_missing", GEN, NULL, NULL, DOOR_EIDT_AUD, R_TOKEN, 0, NULL},
    {"id_token.aud_extra", GEN, NULL, NULL, DOOR_EIDT_AUD_UNTRUSTED, R_TOKEN, 0,
     NULL},
    /* A signed token with another subject: only userinfo can tell, and it
     * does. */
    {"id_token.sub_wrong", GEN, NULL, NULL, DOOR_EUSERINFO_SUB, R_USERINFO, 0,
     NULL},
    {"id_token.sub_missing", GEN, NULL, NULL, DOOR_EIDT_SUB, R_TOKEN, 0, NULL},
    {"id_token.iat_missing", GEN, NULL, NULL, DOOR_EIDT_IAT, R_TOKEN, 0, NULL},
    {"id_token.iat_future", GEN, NULL, NULL, DOOR_EIDT_IAT, R_TOKEN, 0, NULL},
    {"id_token.iat_week_old", GEN, NULL, NULL, DOOR_EIDT_TOO_OLD, R_TOKEN, 0,
     NULL},
    {"id_token.exp_past", GEN, NULL, NULL, DOOR_EIDT_EXP, R_TOKEN, 0, NULL},
    {"id_token.nbf_future", GEN, NULL, NULL, DOOR_EIDT_NBF, R_TOKEN, 0, NULL},
    {"id_token.nonce_wrong", GEN, NULL, NULL, DOOR_EIDT_NONCE, R_TOKEN, 0,
     NULL},
    {"id_token.nonce_missing", GEN, NULL, NULL, DOOR_EIDT_NONCE, R_TOKEN, 0,
     NULL},
    {"id_token.at_hash_wrong", GEN, NULL, NULL, DOOR_EIDT_AT_HASH, R_TOKEN, 0,
     NULL},
    {"id_token.alg_none", GEN, NULL, NULL, DOOR_EALG_NONE, R_TOKEN, 0, NULL},
    {"id_token.sig_bad", GEN, NULL, NULL, DOOR_ESIG_INVALID, R_TOKEN, 0, NULL},
    {"id_token.sig_bad", DHS, NULL, NULL, DOOR_ESIG_INVALID, R_TOKEN, 0, NULL},
    {"id_token.hs256_pubkey", GEN, NULL, NULL, DOOR_EALG_NOT_ALLOWED, R_TOKEN,
     0, NULL},
    {"id_token.hs256_pubkey", DHS, NULL, NULL, DOOR_ESIG_INVALID, R_TOKEN, 0,
     NULL},
    /* The second key is published while the token is made: an RP whose
     * cached set holds one RSA key verifies with it; a fresh one sees two
     * and, the token naming none, refuses. */
    {"id_token.kid_missing", GEN, NULL, NULL, DOOR_OK, R_USERINFO, 0, NULL},
    {"id_token.kid_missing", GEN, NULL, NULL, DOOR_EKID_AMBIGUOUS, R_TOKEN,
     F_FRESH, NULL},
    {"id_token.kid_unknown", GEN, NULL, NULL, DOOR_EKID_UNKNOWN, R_TOKEN, 0,
     NULL},
    /* A rotation: the cached set lacks the new kid; one refetch (the
     * cooldown has passed) finds it. */
    {"id_token.key_rotated", GEN, NULL, NULL, DOOR_OK, R_USERINFO, F_LATER,
     NULL},
    {"id_token.key_unpublished", GEN, NULL, NULL, DOOR_EKID_UNKNOWN, R_TOKEN, 0,
     NULL},
    {"userinfo.sub_wrong", GEN, NULL, NULL, DOOR_EUSERINFO_SUB, R_USERINFO, 0,
     NULL},
    /* Transport faults at every endpoint: discovery, authorization (the
     * browser's: an error page or a redirect elsewhere leaves it at the
     * provider), token, userinfo, jwks, tickets (entitlement). */
    ANY("http.status_500", NULL, DOOR_EHTTP_STATUS, R_BEGIN, DOOR_ENOTFOUND,
        DOOR_ETOKEN_ERROR, DOOR_EUSERINFO, DOOR_EHTTP_STATUS,
        DOOR_EENTITLEMENT),
    ANY("http.status_503", NULL, DOOR_EHTTP_STATUS, R_BEGIN, DOOR_ENOTFOUND,
        DOOR_ETOKEN_ERROR, DOOR_EUSERINFO, DOOR_EHTTP_STATUS,
        DOOR_EENTITLEMENT),
    /* A slow answer is waited for... */
    ANY("http.delay", "300", DOOR_OK, R_USERINFO, DOOR_OK, DOOR_OK, DOOR_OK,
        DOOR_OK, DOOR_OK),
    /* ...up to the client's timeout. */
    {"http.delay", GEN, "token", "2500", DOOR_EHTTP_TIMEOUT, R_TOKEN, F_SLOW,
     NULL},
    /* Broken JSON everywhere JSON is read (the authorization answer is a
     * redirect: its body is not read). */
    ANY("http.truncated_json", NULL, DOOR_EDISCOVERY, R_BEGIN, DOOR_OK,
        DOOR_ETOKEN_RESPONSE, DOOR_EUSERINFO, DOOR_EJWKS_INVALID,
        DOOR_EENTITLEMENT),
    ANY("http.invalid_json", NULL, DOOR_EDISCOVERY, R_BEGIN, DOOR_OK,
        DOOR_ETOKEN_RESPONSE, DOOR_EUSERINFO, DOOR_EJWKS_INVALID,
        DOOR_EENTITLEMENT),
    /* Redirects are never followed on the back channel. */
    ANY("http.redirect", NULL, DOOR_EHTTP_REDIRECT, R_BEGIN, DOOR_ENOTFOUND,
        DOOR_EHTTP_REDIRECT, DOOR_EHTTP_REDIRECT, DOOR_EHTTP_REDIRECT,
        DOOR_EHTTP_REDIRECT),
};

#define NFAULTS (sizeof k_faults / sizeof k_faults[0])

/* Endpoints of the relying party's calls: an "any endpoint" fault needs an
 * entry for each.  (end_session is the browser's logout redirect, not a
 * call the relying party makes; RP-initiated logout is tested in
 * tests/e2e/broker.) */
static const char *const k_rp_endpoints[] = {
    "discovery", "authorization", "token", "userinfo", "jwks", "tickets"};

static int has_case(const char *fault, const char *endpoint) {
  size_t i;
  for (i = 0; i < NFAULTS; i++)
    if (strcmp(k_faults[i].fault, fault) == 0 &&
        (!endpoint ||
         (k_faults[i].endpoint && strcmp(k_faults[i].endpoint, endpoint) == 0)))
      return 1;
  return 0;
}

void test_fault_catalog(void) {
  e2e_resp r;
  json_t *cat, *f;
  size_t i, j, k;
  int missing = 0;
  e2e_resp_init(&r);
  T_EQ_INT(e2e_admin(E, "GET", "/faults/catalog", NULL, &r), 0);
  cat = e2e_json(&r);
  e2e_resp_free(&r);
  T_OK(json_array_size(cat) > 40);
  json_array_foreach(cat, i, f) {
    const char *name = json_string_value(json_object_get(f, "name"));
    const char *ep = json_string_value(json_object_get(f, "endpoint"));
    T_OK(name && ep);
    if (!has_case(name, NULL)) {
      printf("# fault %s has no expectation in %s\n", name, __FILE__);
      missing = 1;
    }
    for (j = 0; strcmp(ep, "any") == 0 &&
                j < sizeof k_rp_endpoints / sizeof k_rp_endpoints[0];
         j++)
      if (!has_case(name, k_rp_endpoints[j])) {
        printf("# fault %s has no expectation at %s\n", name,
               k_rp_endpoints[j]);
        missing = 1;
      }
  }
  for (k = 0; k < NFAULTS; k++) {
    int found = 0;
    json_array_foreach(cat, i, f) {
      found |= strcmp(json_string_value(json_object_get(f, "name")),
                      k_faults[k].fault) == 0;
    }
    if (!found) {
      printf("# stale entry: %s is not in the registry\n", k_faults[k].fault);
      missing = 1;
    }
  }
  json_decref(cat);
  T_EQ_INT(missing, 0);
}

/* The login of an entry, from the browser to finish (or to the
 * entitlement call). */
static door_err run_login(const fault_case *c, door_rp *rp) {
  door_login_result r;
  door_entitlement ent;
  door_detail d;
  attempt a;
  door_err err;
  door_detail_clear(&d);
  memset(&r, 0, sizeof r);
  err = browse(rp, c->provider, c->user, &a);
  if (!err)
    err = door_login_finish(rp, a.callback, a.query, a.cookie, NULL, &r, &d);
  if (err == DOOR_ENOTFOUND && !(c->flags & F_NO_CALLBACK))
    printf("# %s: the browser stopped at %s (status %ld)\n", c->fault,
           a.stop[0] ? a.stop : "a provider page", a.status);
  if (!err && (c->flags & F_ENTITLEMENT))
    err = door_rp_entitlement(rp, c->provider, r.tokens.access_token, "ev-100",
                              NULL, &ent, &d);
  if (err && err != DOOR_ENOTFOUND && err != c->want && d.code)
    printf("# %s: %s (%s: %s)\n", c->fault, door_err_name(err), d.where,
           d.what);
  if (err && !(c->flags & F_ENTITLEMENT))
    T_OK(r.subject == NULL && r.tokens.access_token == NULL);
  door_login_result_clear(&r);
  door_login_start_clear(&a.start);
  return err;
}

/* authorize.redirect_attacker: the code and state go to the attacker. */
static door_err run_stolen_code(const fault_case *c, door_rp *rp,
                                uint64_t mark) {
  attempt victim, thief;
  door_login_result r;
  door_detail d;
  char stolen[256], injected[8192];
  json_t *tok;
  door_err err;
  T_EQ_ERR(browse(rp, c->provider, c->user, &victim), DOOR_ENOTFOUND);
  T_OK(strncmp(victim.stop, "https://attacker.invalid/callback?", 34) == 0);
  query_get(victim.stop + 34, "code", stolen, sizeof stolen);
  /* The thief's own login at this broker, with the victim's code. */
  go_to_provider(rp, c->provider, c->user, &thief);
  query_with(thief.query, "code", stolen, injected, sizeof injected);
  err =
      door_login_finish(rp, c->provider, injected, thief.cookie, NULL, &r, &d);
  if (err == DOOR_ETOKEN_ERROR)
    T_EQ_STR(d.where, "invalid_grant");
  door_login_result_clear(&r);
  tok = log_since(c->profile, "token", mark);
  T_EQ_INT(json_array_size(tok), 1);
  T_EQ_STR(log_field(json_array_get(tok, 0), "form", "code"), stolen);
  json_decref(tok);
  door_login_start_clear(&victim.start);
  door_login_start_clear(&thief.start);
  return err;
}

/* token.code_reuse: a login, then its callback replayed. */
static door_err run_replayed_callback(const fault_case *c, door_rp *rp,
                                      uint64_t mark) {
  attempt a;
  door_login_result r;
  door_err err;
  (void)mark;
  go_to_provider(rp, c->provider, c->user, &a);
  T_EQ_ERR(door_login_finish(rp, a.callback, a.query, a.cookie, NULL, &r, NULL),
           DOOR_OK);
  door_login_result_clear(&r);
  err = door_login_finish(rp, a.callback, a.query, a.cookie, NULL, &r, NULL);
  door_login_result_clear(&r);
  door_login_start_clear(&a.start);
  return err;
}

/* token.pkce_unchecked: another browser's code with this browser's state. */
static door_err run_injected_code(const fault_case *c, door_rp *rp,
                                  uint64_t mark) {
  attempt victim, thief;
  door_login_result r;
  char code[256], injected[8192];
  door_err err;
  (void)mark;
  go_to_provider(rp, c->provider, c->user, &victim);
  go_to_provider(rp, c->provider, c->user, &thief);
  query_get(victim.query, "code", code, sizeof code);
  query_with(thief.query, "code", code, injected, sizeof injected);
  err = door_login_finish(rp, c->provider, injected, thief.cookie, NULL, &r,
                          NULL);
  door_login_result_clear(&r);
  door_login_start_clear(&victim.start);
  door_login_start_clear(&thief.start);
  return err;
}

void test_faults(void) {
  size_t i;
  int failed = 0;
  door_http *slow = NULL;
  door_http_options ho;
  door_detail d;
  door__http_options_init(&ho);
  ho.ca_file = E->ca;
  ho.total_timeout_ms = 1000;
  T_EQ_ERR(door__http_new(&ho, &slow, &d), DOOR_OK);
  for (i = 0; i < NFAULTS; i++) {
    const fault_case *c = &k_faults[i];
    door_rp *rp = g_rp;
    uint64_t mark;
    size_t ntok, nui;
    door_err got;
    if (c->flags & F_SLOW)
      rp = make_rp_with(slow);
    else if (c->flags & F_FRESH)
      rp = make_rp();
    T_OK(rp != NULL);
    if (c->flags & F_LATER)
      g_offset = 61;
    arm(c->fault, c->profile, c->endpoint, c->param);
    mark = log_mark();
    got = c->run ? c->run(c, rp, mark) : run_login(c, rp);
    g_offset = 0;
    if (rp != g_rp)
      door_rp_free(rp);
    ntok = log_count(c->profile, "token", mark);
    nui = log_count(c->profile, "userinfo", mark);
    if (got != c->want) {
      printf("# fault %s (%s%s%s): got %s, want %s\n", c->fault, c->provider,
             c->endpoint ? " at " : "", c->endpoint ? c->endpoint : "",
             door_err_name(got), door_err_name(c->want));
      failed = 1;
    }
    if (ntok != (c->reach >= R_TOKEN) || nui != (c->reach >= R_USERINFO)) {
      printf("# fault %s (%s%s%s): %zu token and %zu userinfo requests, want "
             "%d and %d\n",
             c->fault, c->provider, c->endpoint ? " at " : "",
             c->endpoint ? c->endpoint : "", ntok, nui, c->reach >= R_TOKEN,
             c->reach >= R_USERINFO);
      failed = 1;
    }
  }
  disarm_all();
  door__http_free(slow);
  T_EQ_INT(failed, 0);
}
