/* Provider types and their own configuration keys.
 *
 * Each type's table belongs with its provider: when providers/daccount.c and
 * providers/xmarket.c exist they can export their door_config_key tables
 * and checks, and this file only lists them.  Type-specific values have no
 * field in door_provider_config: read them with
 * door__config_provider_value(p, "authif").
 */
#include "util/config_int.h"

#include <string.h>

#define NOF DOOR_CFG_NO_FIELD

/* ---- d-account (NTT docomo) ---------------------------------------------- */

static const char *const door__daccount_authif[] = {"0", "1", NULL};
static const char *const door__daccount_token_paths[] = {"/token",
                                                         "/common/token", NULL};

static const door_config_key door__daccount_keys[] = {
    {"authif", DOOR_CFG_ENUM, 0, NULL, 0, 0, door__daccount_authif, NULL, NOF,
     "authif parameter of the authorization request (0 or 1)"},
    {"token_path", DOOR_CFG_ENUM, 0, "/token", 0, 0, door__daccount_token_paths,
     NULL, NOF, "token endpoint path when discovery is off"},
    {"accept_hs256", DOOR_CFG_BOOL, 0, "no", 0, 0, NULL, NULL, NOF,
     "accept HS256 ID tokens (keyed with client_secret)"},
};

static int door__has_item(const door_strlist *l, const char *s) {
  size_t i;
  for (i = 0; i < l->n; i++)
    if (strcmp(l->items[i], s) == 0)
      return 1;
  return 0;
}

static void door__daccount_check(const door_provider_config *p,
                                 door_config_report_fn report, void *ctx) {
  const door_config_value *hs = door__config_provider_value(p, "accept_hs256");
  const door_config_value *algs =
      door__config_provider_value(p, "allowed_algs");
  int accept = hs && hs->num;
  if (door__has_item(&p->allowed_algs, "HS256") && !accept)
    report(ctx, algs ? algs->line : p->line, "allowed_algs",
           DOOR_ECONFIG_CONFLICT, "HS256 is listed but accept_hs256 is no",
           "set accept_hs256 = yes to accept HS256 from d-account");
  if (accept && !door__has_item(&p->allowed_algs, "HS256"))
    report(ctx, hs->line ? hs->line : p->line, "accept_hs256",
           DOOR_ECONFIG_CONFLICT,
           "accept_hs256 is yes but HS256 is not in "
           "allowed_algs",
           "add HS256 to allowed_algs, or set accept_hs256 = no");
}

/* ---- XMarket (Gugenka) --------------------------------------------------- */

static const door_config_key door__xmarket_keys[] = {
    {"tickets_endpoint", DOOR_CFG_URL, 0, NULL, 0, 0, NULL, NULL, NOF,
     "URL of XMarket's ticket list API"},
    {"tickets_scope", DOOR_CFG_STRING, 0, "tickets", 0, 0, NULL, NULL, NOF,
     "scope that grants access to the ticket list"},
};

/* ---- the list ------------------------------------------------------------ */

const door_config_provider_type door__config_provider_types[] = {
    {"generic", NULL, 0, NULL},
    {"daccount", door__daccount_keys,
     sizeof door__daccount_keys / sizeof door__daccount_keys[0],
     door__daccount_check},
    {"xmarket", door__xmarket_keys,
     sizeof door__xmarket_keys / sizeof door__xmarket_keys[0], NULL},
};

const size_t door__config_nprovider_types =
    sizeof door__config_provider_types / sizeof door__config_provider_types[0];
