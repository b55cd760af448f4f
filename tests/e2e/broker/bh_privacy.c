/* The privacy audit for suites on the bh harness: see bh_privacy.h. */
#include "bh_privacy.h"

#include "privacy_audit.h"
#include "t.h"

void bh_privacy_audit(bh_env *e, const door_tx_endpoint *expect,
                      size_t n_expect) {
  static const char *const names[] = {"daccount", "xmarket", "generic"};
  static const char *const browser_added[] = {"login_hint", NULL};
  privacy_profile profiles[3];
  privacy_audit_result res;
  size_t i;
  for (i = 0; i < 3; i++) {
    profiles[i].profile = names[i];
    profiles[i].issuer = bh_idp_url(e, names[i], "issuer");
  }
  T_EQ_INT(
      privacy_audit_file(e->config, e->admin, profiles, 3, browser_added, &res),
      0);
  privacy_audit_print(&res);
  for (i = 0; i < n_expect; i++) {
    if (!res.by_endpoint[expect[i]])
      printf("# privacy: expected %s requests, saw none\n",
             door_tx_endpoint_name(expect[i]));
    T_OK(res.by_endpoint[expect[i]] > 0);
  }
  T_EQ_INT(res.violations, 0);
}
