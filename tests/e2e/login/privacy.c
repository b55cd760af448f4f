/* Issue 8's proof for the login flows: every request door-idp received
 * from the relying party during this suite (every login, fault and attack
 * case before this one) carried only fields of the provider's manifest. */
#include "login_env.h"
#include "privacy_audit.h"

#include <string.h>

/* The audit is not blind: one real request of each kind with one field
 * more is a violation each. */
static void audit_catches(const json_t *all, const privacy_profile *profiles) {
  static const char *const browser_added[] = {"login_hint", NULL};
  privacy_audit_result res;
  json_t *one, *arr, *e;
  size_t i;
  int have_authz = 0, have_token = 0;
  json_array_foreach(all, i, e) {
    const char *ep = json_string_value(json_object_get(e, "endpoint"));
    const char *ua = log_field(e, "headers", "User-Agent");
    const char *part = NULL, *name = NULL;
    if (!have_authz && !strcmp(ep, "authorization") &&
        log_field(e, "query", "client_id")) {
      part = "query", name = "email"; /* a claim value leaking out */
      have_authz = 1;
    } else if (!have_token && !strcmp(ep, "token") && ua &&
               !strncmp(ua, "doorauth/", 9)) {
      part = "headers", name = "X-Debug-User"; /* an unlisted header */
      have_token = 1;
    }
    if (!part)
      continue;
    one = json_deep_copy(e);
    json_array_append_new(json_object_get(one, part),
                          json_pack("[s,s]", name, "someone@example.jp"));
    arr = json_array();
    json_array_append_new(arr, one);
    privacy_audit(arr, g_cfg, g_rp, profiles, 4, browser_added, &res);
    printf("# privacy: %s with an extra %s \"%s\": %zu violation(s)\n", ep,
           part, name, res.violations);
    T_EQ_INT(res.audited, 1);
    T_EQ_INT(res.violations, 1);
    /* login_hint on a back-channel call is the broker's own: refused */
    if (!strcmp(part, "headers")) {
      json_array_append_new(json_object_get(one, "form"),
                            json_pack("[s,s]", "login_hint", "u"));
      privacy_audit(arr, g_cfg, g_rp, profiles, 4, browser_added, &res);
      T_EQ_INT(res.violations, 1);
      T_OK(res.audited == 1);
    }
    json_decref(arr);
  }
  T_OK(have_authz && have_token);
}

void test_privacy_audit(void) {
  static const char *const names[] = {"daccount", "xmarket", "generic",
                                      "attacker"};
  static const char *const browser_added[] = {"login_hint", NULL};
  privacy_profile profiles[4];
  privacy_audit_result res;
  json_t *all = NULL;
  size_t i;
  for (i = 0; i < 4; i++) {
    profiles[i].profile = names[i];
    profiles[i].issuer = e2e_url(E, names[i], "issuer");
  }
  /* the whole suite is in the log: nothing was pushed out of the ring */
  T_EQ_INT(privacy_audit_log(E->admin, g_cfg, g_rp, profiles, 4, browser_added,
                             &res, &all),
           0);
  privacy_audit_print(&res);
  T_OK(res.audited > 0);
  T_OK(res.by_endpoint[DOOR_TX_AUTHORIZE] > 0);
  T_OK(res.by_endpoint[DOOR_TX_TOKEN] > 0);
  T_EQ_INT(res.violations, 0);
  audit_catches(all, profiles);
  json_decref(all);
}
