/* Transmission records end to end (issue 8): the real door-idp and
 * door-broker (tests/e2e/broker/bh.h).  After a d-account login, an
 * XMarket link, a participation token (XMarket's ticket check), a
 * replayed callback and a logout, the broker's SQLite
 * store holds one record per call to a provider: the authorization
 * redirect, token and userinfo with the DOOR account id once it is known
 * (the redirect of a first login has none, the link's has the account),
 * field names as a JSON array and never a value (no code, token, subject
 * or client secret in any record), the HTTP status; the replay adds no
 * record and no session; the shared caches' discovery and JWKS fetches
 * are recorded without an account. */
#include "bh.h"
#include "t.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bh_env env;

static sqlite3 *t_db(void) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(env.db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    printf("# cannot open %s\n", env.db);
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

static long long t_int(sqlite3 *db, const char *sql, const char *arg) {
  sqlite3_stmt *st = NULL;
  long long v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
    if (arg)
      sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int64(st, 0);
  } else {
    printf("# %s: %s\n", sql, sqlite3_errmsg(db));
  }
  sqlite3_finalize(st);
  return v;
}

/* Prints every record (for the log) and counts those whose fields hold
 * something else than a JSON array of bare names. */
static int t_bad_fields(sqlite3 *db, const char *const *secrets) {
  sqlite3_stmt *st = NULL;
  int bad = 0, i;
  sqlite3_prepare_v2(db,
                     "SELECT provider, endpoint, fields, purpose,"
                     " coalesce(account_id, '-'), outcome, http_status"
                     " FROM transmissions ORDER BY id",
                     -1, &st, NULL);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *f = (const char *)sqlite3_column_text(st, 2);
    json_error_t je;
    json_t *a = json_loads(f ? f : "", 0, &je);
    size_t k;
    printf("# %s %s %s %s %s %s %d\n", sqlite3_column_text(st, 0),
           sqlite3_column_text(st, 1), f, sqlite3_column_text(st, 3),
           sqlite3_column_text(st, 4), sqlite3_column_text(st, 5),
           sqlite3_column_int(st, 6));
    if (!json_is_array(a)) {
      bad++;
    } else {
      for (k = 0; k < json_array_size(a); k++) {
        const char *n = json_string_value(json_array_get(a, k));
        if (!n || strchr(n, '=') || strchr(n, '&') || strlen(n) > 64)
          bad++;
      }
    }
    for (i = 0; f && secrets[i]; i++)
      if (strstr(f, secrets[i]))
        bad++;
    json_decref(a);
  }
  sqlite3_finalize(st);
  return bad;
}

static void test_records_of_a_login_link_and_logout(void) {
  bh_browser *b = bh_browser_new(&env, 0);
  bh_resp r;
  json_t *s = NULL;
  char account[40] = "", *csrf, form[256];
  const char *secrets[] = {"taro", "hanako", "alice", "planted-secret-broker",
                           "eyJ",  NULL};
  sqlite3 *db;
  bh_resp_init(&r);
  T_EQ_INT(bh_login(b, "daccount", "taro", NULL, &r), 302);
  T_EQ_INT(bh_session(b, &s), 200);
  snprintf(account, sizeof account, "%s",
           json_string_value(json_object_get(s, "account_id")));
  json_decref(s);
  T_EQ_INT(strlen(account), 32);
  db = t_db();
  T_OK(db);
  /* The first login: the redirect without account (not known yet), the
   * token exchange and userinfo with it. */
  T_EQ_INT(t_int(db,
                 "SELECT count(*) FROM transmissions WHERE provider ="
                 " 'daccount' AND endpoint = 'authorize' AND account_id IS"
                 " NULL AND purpose = 'login' AND outcome = 'ok'",
                 NULL),
           1);
  T_EQ_INT(t_int(db,
                 "SELECT count(*) FROM transmissions WHERE account_id = ?1"
                 " AND endpoint = 'token' AND http_status = 200 AND fields"
                 " LIKE '%\"code\"%'",
                 account),
           1);
  /* Every call of the login after the redirect carries the account
   * (metadata fetches carry no user data and no account). */
  T_EQ_INT(t_int(db,
                 "SELECT count(*) FROM transmissions WHERE account_id IS"
                 " NULL AND endpoint NOT IN ('authorize', 'discovery',"
                 " 'jwks')",
                 NULL),
           0);
  /* The shared caches' discovery and JWKS fetches, made for no one in
   * particular, are recorded too: no field, no account, purpose
   * metadata (door_rp_options.transmitted). */
  T_OK(t_int(db,
             "SELECT count(*) FROM transmissions WHERE provider = 'daccount'"
             " AND endpoint = 'discovery' AND fields = '[]' AND purpose ="
             " 'metadata' AND account_id IS NULL AND http_status = 200",
             NULL) >= 1);
  T_EQ_INT(t_int(db,
                 "SELECT count(*) FROM transmissions WHERE provider ="
                 " 'daccount' AND endpoint = 'jwks' AND fields = '[]' AND"
                 " account_id IS NULL",
                 NULL),
           1);
  /* Link XMarket: its redirect carries the account (linking from it). */
  T_EQ_INT(bh_link(b, "xmarket", "hanako", &r), 302);
  T_EQ_INT(t_int(db,
                 "SELECT count(*) FROM transmissions WHERE provider ="
                 " 'xmarket' AND endpoint IN ('authorize', 'token') AND"
                 " account_id = ?1",
                 account),
           2);
  /* A participation token: XMarket's ticket check is recorded with the
   * account, the purpose 'event' and the field names event_id and the
   * Authorization header (whatever the answer: tickets or none). */
  csrf = bh_csrf(b);
  T_OK(csrf != NULL);
  {
    char *enc = bh_enc(csrf ? csrf : "");
    snprintf(form, sizeof form, "csrf_token=%s", enc);
    free(enc);
  }
  free(csrf);
  T_EQ_INT(bh_post_path(b, "/api/events/ev-e2e/participation", form, &r), 0);
  printf("# participation: %ld\n", r.status);
  T_OK(r.status == 200 || r.status == 403);
  T_EQ_INT(t_int(db,
                 "SELECT count(*) FROM transmissions WHERE provider ="
                 " 'xmarket' AND endpoint = 'tickets' AND purpose = 'event'"
                 " AND account_id = ?1 AND fields LIKE '%\"event_id\"%' AND"
                 " fields LIKE '%\"header:Authorization\"%'",
                 account),
           1);
  /* RP-initiated logout at the generic provider: the end-session
   * redirect is recorded with the account of the session it ends. */
  {
    bh_browser *c = bh_browser_new(&env, 0);
    char gen[40] = "";
    T_EQ_INT(bh_login(c, "generic", "alice", NULL, &r), 302);
    T_EQ_INT(bh_session(c, &s), 200);
    snprintf(gen, sizeof gen, "%s",
             json_string_value(json_object_get(s, "account_id")));
    json_decref(s);
    csrf = bh_csrf(c);
    T_OK(csrf != NULL);
    snprintf(form, sizeof form, "csrf_token=%s", csrf ? csrf : "");
    free(csrf);
    T_EQ_INT(bh_post_path(c, "/logout", form, &r), 0);
    T_EQ_INT(r.status, 303);
    T_EQ_INT(t_int(db,
                   "SELECT count(*) FROM transmissions WHERE provider ="
                   " 'generic' AND endpoint = 'end_session' AND purpose ="
                   " 'logout' AND account_id = ?1 AND fields LIKE"
                   " '%\"id_token_hint\"%'",
                   gen),
             1);
    bh_browser_free(c);
  }
  /* Never a value: no subject, code or secret in any record. */
  T_EQ_INT(t_bad_fields(db, secrets), 0);
  sqlite3_close(db);
  bh_resp_free(&r);
  bh_browser_free(b);
}

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_records_of_a_login_link_and_logout),
  };
  int rc;
  if (bh_setup(&env, argc, argv)) {
    printf("1..1\nnot ok 1 - setup (door-idp and door-broker)\n");
    bh_teardown(&env, 1);
    return 1;
  }
  rc = t_run(cases, sizeof cases / sizeof cases[0]);
  bh_teardown(&env, rc != 0);
  return rc;
}

jmp_buf t__jmp;
