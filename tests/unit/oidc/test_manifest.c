/* Transmission manifests: the providers' defaults, the client
 * authentication filter, the configuration's overrides and their errors
 * (FILE:LINE), and the names of endpoints, data kinds and purposes. */
#include "doorauth/login.h"
#include "doorauth/privacy.h"
#include "t.h"
#include "util/config.h"

#include <string.h>

#define HEAD                                                                   \
  "[broker]\n"                                                                 \
  "public_url = http://127.0.0.1:8080\n"                                       \
  "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"                 \
  "allow_insecure_loopback = yes\n"                                            \
  "[store]\n"                                                                  \
  "url = sqlite:/nonexistent/door.db\n"

#define PROV(name, type, extra)                                                \
  "[provider \"" name "\"]\n"                                                  \
  "type = " type "\n"                                                          \
  "issuer = http://127.0.0.1:9/\n"                                             \
  "client_id = door-x\n"                                                       \
  "client_secret = sec\n"                                                      \
  "allowed_algs = ES256\n" extra

typedef struct mf_env {
  door_config *cfg;
  door_rp *rp;
  door_detail d;
  door_err err;
} mf_env;

/* Loads `text` (which must parse) and makes a door_rp (which may fail). */
static void mf_up(mf_env *e, const char *text) {
  door_errlist errs;
  door_rp_options o;
  door_buf b;
  memset(e, 0, sizeof *e);
  door__errlist_init(&errs);
  if (door__config_load_mem("door.ini", text, strlen(text), NULL, &e->cfg,
                            &errs) != DOOR_OK) {
    door__buf_init(&b, 4096);
    if (errs.n)
      (void)door__diag_format(&errs.items[0], &b);
    T_FAIL_("configuration refused: %s", door__buf_str(&b));
  }
  door__errlist_free(&errs);
  door_rp_options_init(&o);
  e->err = door_rp_new(e->cfg, &o, &e->rp, &e->d);
}

static void mf_down(mf_env *e) {
  door_rp_free(e->rp);
  door__config_free(e->cfg);
}

/* The config load fails and one diagnostic mentions `needle`. */
static void mf_bad_config(const char *text, const char *needle) {
  door_errlist errs;
  door_config *cfg = NULL;
  door_buf b;
  size_t i;
  int found = 0;
  door__errlist_init(&errs);
  door__buf_init(&b, 1 << 16);
  T_EQ_ERR(
      door__config_load_mem("door.ini", text, strlen(text), NULL, &cfg, &errs),
      DOOR_ECONFIG);
  for (i = 0; i < errs.n; i++) {
    door__buf_reset(&b);
    T_EQ_ERR(door__diag_format(&errs.items[i], &b), DOOR_OK);
    if (strstr(door__buf_str(&b), needle))
      found = 1;
  }
  if (!found)
    T_FAIL_("no diagnostic with \"%s\"; first: \"%s\"", needle,
            errs.n ? door__buf_str(&b) : "(none)");
  door__buf_free(&b);
  door__errlist_free(&errs);
}

static const door_tx_field *mf_find(const door_tx_manifest *m,
                                    door_tx_endpoint e, const char *name) {
  size_t i;
  for (i = 0; i < m->n_fields; i++)
    if (m->fields[i].endpoint == e && strcmp(m->fields[i].name, name) == 0)
      return &m->fields[i];
  return NULL;
}

static size_t mf_count(const door_tx_manifest *m, door_tx_endpoint e) {
  size_t i, n = 0;
  for (i = 0; i < m->n_fields; i++)
    n += m->fields[i].endpoint == e;
  return n;
}

static void test_names(void) {
  int i;
  T_EQ_STR(door_tx_endpoint_name(DOOR_TX_AUTHORIZE), "authorize");
  T_EQ_STR(door_tx_endpoint_name(DOOR_TX_END_SESSION), "end_session");
  T_OK(door_tx_endpoint_name(DOOR_TX_ENDPOINT_COUNT) == NULL);
  T_OK(door_tx_endpoint_name((door_tx_endpoint)-1) == NULL);
  for (i = 0; i < DOOR_TX_ENDPOINT_COUNT; i++)
    T_EQ_INT(
        door_tx_endpoint_from_name(door_tx_endpoint_name((door_tx_endpoint)i)),
        i);
  T_EQ_INT(door_tx_endpoint_from_name("logout"), -1);
  T_EQ_INT(door_tx_endpoint_from_name(NULL), -1);
  T_EQ_STR(door_tx_purpose_name(DOOR_TXP_EVENT), "event");
  T_EQ_STR(door_tx_purpose_name(DOOR_TXP_METADATA), "metadata");
  T_OK(door_tx_purpose_name(DOOR_TX_PURPOSE_COUNT) == NULL);
  T_EQ_STR(door_tx_data_name(DOOR_TXD_USER_IDENTIFIER), "user_identifier");
  T_EQ_STR(door_tx_data_name(DOOR_TXD_CLIENT_CREDENTIAL), "client_credential");
  T_OK(door_tx_data_name(DOOR_TX_DATA_COUNT) == NULL);
  T_EQ_INT(door_tx_data_from_name("event"), DOOR_TXD_EVENT);
  T_EQ_INT(door_tx_purpose_from_name("logout"), DOOR_TXP_LOGOUT);
  T_EQ_INT(door_tx_purpose_from_name("marketing"), -1);
}

static void test_txlog_init(void) {
  door_txlog log;
  memset(&log, 0xab, sizeof log);
  door_txlog_init(&log);
  T_EQ_INT(log.n, 0);
  T_EQ_INT(log.dropped, 0);
  T_EQ_INT(log.items[0].fields[0], 0);
}

static void test_defaults(void) {
  mf_env e;
  const door_tx_manifest *m;
  const door_tx_field *f;
  mf_up(&e, HEAD PROV("dacc", "daccount", "") PROV("xm", "xmarket", "")
                PROV("op", "generic", "display_name = Example ID\n"));
  T_EQ_ERR(e.err, DOOR_OK);
  T_EQ_ERR(door_rp_manifest(e.rp, "dacc", &m), DOOR_OK);
  T_EQ_STR(m->organisation, "NTT DOCOMO, INC.");
  T_EQ_STR(m->service, "d-account");
  T_OK(mf_find(m, DOOR_TX_AUTHORIZE, "authif") != NULL);
  T_OK(mf_find(m, DOOR_TX_AUTHORIZE, "login_hint") == NULL);
  f = mf_find(m, DOOR_TX_TOKEN, "code");
  T_OK(f != NULL);
  T_EQ_INT(f->data, DOOR_TXD_USER_IDENTIFIER);
  T_EQ_INT(f->purpose, DOOR_TXP_LOGIN);
  /* client_secret_basic: the header, no form credentials */
  T_OK(mf_find(m, DOOR_TX_TOKEN, "header:Authorization") != NULL);
  T_OK(mf_find(m, DOOR_TX_TOKEN, "client_secret") == NULL);
  T_EQ_INT(mf_count(m, DOOR_TX_DISCOVERY), 0);
  T_EQ_INT(mf_count(m, DOOR_TX_JWKS), 0);
  T_EQ_INT(mf_count(m, DOOR_TX_TICKETS), 0);

  T_EQ_ERR(door_rp_manifest(e.rp, "xm", &m), DOOR_OK);
  T_EQ_STR(m->organisation, "Gugenka Ltd.");
  T_EQ_STR(m->service, "XMarket");
  f = mf_find(m, DOOR_TX_TICKETS, "event_id");
  T_OK(f != NULL);
  T_EQ_INT(f->data, DOOR_TXD_EVENT);
  T_EQ_INT(f->purpose, DOOR_TXP_EVENT);
  f = mf_find(m, DOOR_TX_TICKETS, "header:Authorization");
  T_OK(f != NULL);
  T_EQ_INT(f->data, DOOR_TXD_USER_IDENTIFIER);
  f = mf_find(m, DOOR_TX_REFRESH, "refresh_token");
  T_OK(f != NULL);
  T_EQ_INT(f->purpose, DOOR_TXP_EVENT);
  f = mf_find(m, DOOR_TX_END_SESSION, "id_token_hint");
  T_OK(f != NULL);
  T_EQ_INT(f->purpose, DOOR_TXP_LOGOUT);

  T_EQ_ERR(door_rp_manifest(e.rp, "op", &m), DOOR_OK);
  T_EQ_STR(m->organisation, "Example ID");
  T_EQ_STR(m->service, "Example ID");
  T_EQ_INT(mf_count(m, DOOR_TX_TICKETS), 0);
  T_EQ_ERR(door_rp_manifest(e.rp, "nope", &m), DOOR_EPROVIDER_UNKNOWN);
  T_OK(m == NULL);
  T_EQ_INT(door_rp_tx_refused(e.rp, "op", DOOR_TX_AUTHORIZE), 0);
  T_EQ_INT(door_rp_tx_refused(e.rp, "nope", DOOR_TX_AUTHORIZE), 0);
  mf_down(&e);
}

static void test_client_auth_filter(void) {
  mf_env e;
  const door_tx_manifest *m;
  mf_up(&e, HEAD PROV("post", "generic",
                      "token_auth_method = client_secret_post\n"
                      "organisation = Example Corp.\n"));
  T_EQ_ERR(e.err, DOOR_OK);
  T_EQ_ERR(door_rp_manifest(e.rp, "post", &m), DOOR_OK);
  T_EQ_STR(m->organisation, "Example Corp.");
  T_EQ_STR(m->service, "post");
  T_OK(mf_find(m, DOOR_TX_TOKEN, "client_id") != NULL);
  T_OK(mf_find(m, DOOR_TX_TOKEN, "client_secret") != NULL);
  T_OK(mf_find(m, DOOR_TX_TOKEN, "client_assertion") == NULL);
  T_OK(mf_find(m, DOOR_TX_TOKEN, "header:Authorization") == NULL);
  T_OK(mf_find(m, DOOR_TX_REFRESH, "client_secret") != NULL);
  T_OK(mf_find(m, DOOR_TX_REFRESH, "header:Authorization") == NULL);
  /* userinfo's bearer header is not client authentication */
  T_OK(mf_find(m, DOOR_TX_USERINFO, "header:Authorization") != NULL);
  mf_down(&e);
}

static void test_overrides(void) {
  mf_env e;
  const door_tx_manifest *m;
  const door_tx_field *f;
  mf_up(&e, HEAD PROV("op", "generic",
                      "manifest_authorize = response_type client_id "
                      "redirect_uri scope state nonce code_challenge "
                      "code_challenge_method login_hint\n"
                      "manifest_end_session =\n"
                      "manifest_extra = authorize:login_hint:user_identifier:"
                      "login, token:header:X-Trace:protocol:login\n"));
  T_EQ_ERR(e.err, DOOR_OK);
  T_EQ_ERR(door_rp_manifest(e.rp, "op", &m), DOOR_OK);
  T_OK(mf_find(m, DOOR_TX_AUTHORIZE, "prompt") == NULL);
  T_OK(mf_find(m, DOOR_TX_AUTHORIZE, "state") != NULL);
  f = mf_find(m, DOOR_TX_AUTHORIZE, "login_hint");
  T_OK(f != NULL);
  T_EQ_INT(f->data, DOOR_TXD_USER_IDENTIFIER);
  T_EQ_INT(f->purpose, DOOR_TXP_LOGIN);
  T_EQ_INT(mf_count(m, DOOR_TX_AUTHORIZE), 9);
  T_EQ_INT(mf_count(m, DOOR_TX_END_SESSION), 0);
  T_OK(mf_find(m, DOOR_TX_TOKEN, "header:X-Trace") != NULL);
  T_OK(mf_find(m, DOOR_TX_TOKEN, "code") != NULL); /* not restricted */
  mf_down(&e);

  /* An extra that names a default field reclassifies it. */
  mf_up(&e, HEAD PROV("op", "generic",
                      "manifest_extra = authorize:scope:user_identifier:"
                      "login\n"));
  T_EQ_ERR(e.err, DOOR_OK);
  T_EQ_ERR(door_rp_manifest(e.rp, "op", &m), DOOR_OK);
  f = mf_find(m, DOOR_TX_AUTHORIZE, "scope");
  T_OK(f != NULL);
  T_EQ_INT(f->data, DOOR_TXD_USER_IDENTIFIER);
  T_EQ_INT(mf_count(m, DOOR_TX_AUTHORIZE), 9);
  mf_down(&e);
}

static void test_override_errors(void) {
  mf_env e;
  /* A field the provider never sends there: refused at FILE:LINE. */
  mf_up(&e,
        HEAD PROV("op", "generic", "manifest_token = code client_secret\n"));
  T_EQ_ERR(e.err, DOOR_ECONFIG_VALUE);
  T_EQ_STR(e.d.where, "door.ini:13: manifest_token");
  T_OK(strstr(e.d.what, "client_secret") != NULL);
  T_OK(strstr(e.d.hint, "manifest_extra") != NULL);
  mf_down(&e);
  /* extra_params must be listed for authorize. */
  mf_up(&e, HEAD PROV("op", "generic", "extra_params = ui_locales=ja\n"));
  T_EQ_ERR(e.err, DOOR_ECONFIG_VALUE);
  T_EQ_STR(e.d.where, "door.ini:13: extra_params");
  T_OK(strstr(e.d.what, "ui_locales") != NULL);
  mf_down(&e);
  mf_up(&e,
        HEAD PROV("op", "generic",
                  "extra_params = ui_locales=ja\n"
                  "manifest_extra = authorize:ui_locales:protocol:login\n"));
  T_EQ_ERR(e.err, DOOR_OK);
  mf_down(&e);
  /* Syntax: unknown endpoint key, malformed extras, bad names. */
  mf_bad_config(HEAD PROV("op", "generic", "manifest_logout = state\n"),
                "door.ini:13");
  mf_bad_config(HEAD PROV("op", "generic", "manifest_logout = state\n"),
                "manifest_logout");
  mf_bad_config(
      HEAD PROV("op", "generic", "manifest_extra = logout:x:protocol:login\n"),
      "bad manifest entry");
  mf_bad_config(
      HEAD PROV("op", "generic", "manifest_extra = authorize:x:secret:login\n"),
      "door.ini:13");
  mf_bad_config(
      HEAD PROV("op", "generic", "manifest_extra = authorize:x:protocol:ads\n"),
      "bad manifest entry");
  mf_bad_config(HEAD PROV("op", "generic", "manifest_extra = authorize:x\n"),
                "bad manifest entry");
  mf_bad_config(HEAD PROV("op", "generic",
                          "manifest_extra = authorize::protocol:login\n"),
                "bad manifest entry");
  mf_bad_config(HEAD PROV("op", "generic", "manifest_token = code header:\n"),
                "bad field name");
  mf_bad_config(HEAD PROV("op", "generic", "manifest_token = co/de\n"),
                "bad field name");
}

T_MAIN(T_CASE(test_names), T_CASE(test_txlog_init), T_CASE(test_defaults),
       T_CASE(test_client_auth_filter), T_CASE(test_overrides),
       T_CASE(test_override_errors))
