/* Issue 6: the XMarket access token kept for ticket checks is refreshed
 * when the provider refuses it.  The real door-idp and door-broker over
 * HTTPS (bh.h): hanako signs in with XMarket; door-idp's clock moves two
 * hours on (her access token expired there), the participation request
 * still gets a token and door-idp's request log shows exactly one refresh
 * grant; with the clock past the refresh token's lifetime too, the answer
 * is 403 TICKETS_RELOGIN_NEEDED.  (The refresh answer's ID token checks,
 * sub included, are in tests/unit/oidc/test_outbound.c.)
 *
 * Arguments: those of bh.h (argv[1..6]). */
#include "bh.h"
#include "bh_privacy.h"
#include "t.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bh_env env;
static bh_env *E = &env;
static const char *const PATH = "/api/events/ev-e2e/participation";

static int has(const char *s, const char *part) {
  return s && strstr(s, part) != NULL;
}

/* Token requests at door-idp's xmarket profile whose form has
 * grant_type=refresh_token. */
static int refresh_grants(void) {
  json_t *all, *req, *form, *pair;
  size_t i, j;
  int n = 0;
  T_EQ_INT(idp_admin_call(E->admin, "GET",
                          "/requests?profile=xmarket&endpoint=token", NULL,
                          &all),
           200);
  T_OK(json_is_array(all));
  json_array_foreach(all, i, req) {
    form = json_object_get(req, "form");
    json_array_foreach(form, j, pair) {
      if (strcmp(json_string_value(json_array_get(pair, 0)), "grant_type") ==
              0 &&
          strcmp(json_string_value(json_array_get(pair, 1)), "refresh_token") ==
              0)
        n++;
    }
  }
  json_decref(all);
  return n;
}

static char *token_form(bh_browser *b) {
  char *csrf = bh_csrf(b), *enc, *form;
  size_t len;
  if (!csrf)
    return NULL;
  enc = bh_enc(csrf);
  len = strlen(enc) + 40;
  form = malloc(len);
  snprintf(form, len, "csrf_token=%s", enc);
  free(enc);
  free(csrf);
  return form;
}

static void test_refresh_then_relogin(void) {
  bh_browser *b = bh_browser_new(E, 0);
  bh_resp r;
  char *form = NULL;
  int base;
  bh_resp_init(&r);
  T_EQ_INT(bh_login(b, "xmarket", "hanako", NULL, &r), 302);
  T_OK((form = token_form(b)) != NULL);
  /* the log is kept whole (the suite's privacy audit reads all of it):
   * refresh grants are counted from here */
  base = refresh_grants();
  T_EQ_INT(base, 0);
  /* door-idp two hours on: the access token (1 h) is refused there.  The
   * refresh answer's ID token would carry door-idp's moved iat, which the
   * broker (on real time) rightly refuses as issued in the future: this
   * one answer comes without an ID token (fault token.no_id_token). */
  T_EQ_INT(idp_admin_call(E->admin, "PUT", "/profiles/xmarket/clock",
                          "{\"offset\":7200}", NULL),
           200);
  T_EQ_INT(
      idp_admin_call(E->admin, "POST", "/faults",
                     "{\"fault\":\"token.no_id_token\",\"profile\":\"xmarket\","
                     "\"count\":1}",
                     NULL),
      201);
  T_EQ_INT(bh_post_path(b, PATH, form, &r), 0);
  if (r.status != 200)
    T_FAIL_("participation after expiry: %ld %s", r.status,
            r.body.data ? r.body.data : "");
  T_OK(has(r.body.data, "\"tier\":\"vip\""));
  T_EQ_INT(refresh_grants() - base, 1);
  /* The refreshed token was kept: the next check needs no new grant. */
  T_EQ_INT(bh_post_path(b, PATH, form, &r), 0);
  T_EQ_INT(r.status, 200);
  T_EQ_INT(refresh_grants() - base, 1);
  /* Past the refresh token's lifetime (30 days) too: sign in again. */
  T_EQ_INT(idp_admin_call(E->admin, "PUT", "/profiles/xmarket/clock",
                          "{\"offset\":2700000}", NULL),
           200);
  T_EQ_INT(bh_post_path(b, PATH, form, &r), 0);
  T_EQ_INT(
      idp_admin_call(E->admin, "PUT", "/profiles/xmarket/clock", "{}", NULL),
      200);
  T_EQ_INT(r.status, 403);
  T_OK(has(r.body.data, "TICKETS_RELOGIN_NEEDED"));
  T_EQ_INT(refresh_grants() - base, 2); /* tried, refused (invalid_grant) */
  free(form);
  bh_resp_free(&r);
  bh_browser_free(b);
}

/* Issue 8: every request door-idp received from door-broker in this
 * suite (refresh grants included) carried only fields of the provider's
 * manifest. */
static void test_privacy_audit(void) {
  static const door_tx_endpoint expect[] = {DOOR_TX_AUTHORIZE, DOOR_TX_TOKEN,
                                            DOOR_TX_TICKETS, DOOR_TX_REFRESH};
  bh_privacy_audit(E, expect, sizeof expect / sizeof expect[0]);
}

jmp_buf t__jmp;

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_refresh_then_relogin),
      T_CASE(test_privacy_audit),
  };
  int rc;
  if (bh_setup(E, argc, argv)) {
    printf("1..1\nnot ok 1 - setup (door-idp and door-broker)\n");
    bh_teardown(E, 1);
    return 1;
  }
  rc = t_run(cases, sizeof cases / sizeof cases[0]);
  bh_teardown(E, rc != 0);
  return rc;
}
