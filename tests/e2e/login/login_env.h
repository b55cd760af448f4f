/* Shared state and helpers of the login e2e test: the door-idp it runs
 * against, the configuration, relying parties, the browser's trip to the
 * provider, faults and door-idp's request log. */
#ifndef DOOR_E2E_LOGIN_ENV_H
#define DOOR_E2E_LOGIN_ENV_H

#include "doorauth/login.h"
#include "harness.h"
#include "t.h"
#include "util/config.h"

#include <stdint.h>

#define REDIRECT_BASE "https://door.localhost/callback/"

extern e2e_env *E;
extern door_config *g_cfg;
extern door_rp *g_rp;
extern int64_t g_offset;   /* added to every RP's clock */
extern char g_keydir[256]; /* private_key_jwt client keys (PEM files) */

/* The configuration (every [provider] the tests use); NULL on error. */
door_config *make_config(void);
/* A relying party on g_cfg with the test clock; `http` NULL: its own
 * client.  NULL on error. */
door_rp *make_rp_with(struct door_http *http);
door_rp *make_rp(void);

typedef struct attempt {
  door_login_start start;
  char query[8192];  /* the callback's query, when reached */
  char cookie[4096]; /* the Cookie header the browser sends back */
  char callback[64]; /* the provider of the callback path reached */
  char stop[4096];   /* where the browser stopped, when not at a callback */
  long status;       /* of the last provider answer */
  int hops;          /* provider pages the browser went through */
} attempt;

/* begin, then the browser's trip: GET the authorization URL (with
 * login_hint) and follow redirects to door-idp's listeners until one sends
 * it to a callback under REDIRECT_BASE.  Returns DOOR_OK when a callback
 * was reached, begin's error when begin failed, DOOR_ENOTFOUND when the
 * browser stopped elsewhere (a->stop: the Location, or empty with
 * a->status). */
door_err browse(door_rp *rp, const char *provider, const char *user,
                attempt *a);
/* browse, asserting the callback is the provider's own. */
void go_to_provider(door_rp *rp, const char *provider, const char *user,
                    attempt *a);
/* browse + door_login_finish at the callback reached. */
door_err login_with(door_rp *rp, const char *provider, const char *user,
                    door_login_result *r, door_detail *d);

/* The value of `name` in a query (asserted present). */
void query_get(const char *query, const char *name, char *out, size_t cap);
/* The query with `name` replaced by `value` (the rest kept in order). */
void query_with(const char *query, const char *name, const char *value,
                char *out, size_t cap);

/* Disarms every fault, then arms `fault` once at `profile` (`endpoint` and
 * `param_json` may be NULL; param_json is a JSON value). */
void arm(const char *fault, const char *profile, const char *endpoint,
         const char *param_json);
void disarm_all(void);

/* door-idp's request log: the seq of the newest entry (0: empty); the
 * entries of a profile's endpoint after `since` (a new reference). */
uint64_t log_mark(void);
json_t *log_since(const char *profile, const char *endpoint, uint64_t since);
size_t log_count(const char *profile, const char *endpoint, uint64_t since);
/* A field of a logged request: "form", "query" or "headers" pair value by
 * name (case-insensitive for headers), or NULL. */
const char *log_field(const json_t *entry, const char *part, const char *name);

/* Test cases of faults.c and attacks.c. */
void test_fault_catalog(void);
void test_faults(void);
void test_csrf(void);
void test_code_injection(void);
void test_mixup(void);
/* refresh.c: the refresh grant (rotation, invalid_grant, IDT_SUB). */
void test_refresh(void);
/* privacy.c: every request door-idp logged is within the manifests. */
void test_privacy_audit(void);
void test_private_key_jwt(void);
/* attacks.c: the private_key_jwt client keys and their registration at
 * door-idp (before make_config, which names the key files). */
void pkjwt_setup(void);
void pkjwt_cleanup(void);

#endif
