/* Sessions: cookie attributes (__Host-, Secure, HttpOnly, SameSite=Lax),
 * 256-bit ids stored only as hashes, CSRF tokens, the sealed logout hint,
 * lookups, expiry, logout and CSRF refusals through the public API. */
#include "t_broker.h"

#include "jose/jose.h"

static t_env env;

static int has(const char *s, const char *part) {
  return s && strstr(s, part) != NULL;
}

static void test_cookie_attributes_https(void) {
  door_buf b;
  door__buf_init(&b, 1024);
  T_EQ_ERR(
      door__broker_set_cookie(door__session_cookie_name(1), "abc", 1, 3600, &b),
      DOOR_OK);
  T_EQ_STR(b.data, "__Host-door-session=abc; Path=/; Max-Age=3600; HttpOnly; "
                   "SameSite=Lax; Secure");
  door__buf_reset(&b);
  T_EQ_ERR(door__broker_del_cookie(door__session_cookie_name(1), 1, &b),
           DOOR_OK);
  T_EQ_STR(b.data, "__Host-door-session=; Path=/; Max-Age=0; HttpOnly; "
                   "SameSite=Lax; Secure");
  door__buf_free(&b);
}

static void test_cookie_attributes_plain_http(void) {
  door_buf b;
  door__buf_init(&b, 1024);
  T_EQ_ERR(
      door__broker_set_cookie(door__session_cookie_name(0), "abc", 0, 60, &b),
      DOOR_OK);
  /* No __Host- prefix and no Secure without https (browsers would drop
   * a __Host- cookie that is not Secure). */
  T_EQ_STR(b.data,
           "door-session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Lax");
  T_EQ_STR(door__hint_cookie_name(1), "__Host-door-logout");
  T_EQ_STR(door__hint_cookie_name(0), "door-logout");
  door__buf_free(&b);
}

static void test_session_ids_are_random_and_hashed(void) {
  char a[DOOR_SESSION_ID_LEN + 1], b[DOOR_SESSION_ID_LEN + 1];
  uint8_t ha[DOOR_STORE_HASH_LEN], hb[DOOR_STORE_HASH_LEN],
      h2[DOOR_STORE_HASH_LEN];
  unsigned char raw[64];
  size_t n = 0;
  T_EQ_ERR(door__session_id_new(a, ha), DOOR_OK);
  T_EQ_ERR(door__session_id_new(b, hb), DOOR_OK);
  T_EQ_INT(strlen(a), 43);
  T_OK(strcmp(a, b) != 0);
  T_EQ_ERR(door__b64url_decode(a, strlen(a), raw, sizeof raw, &n), DOOR_OK);
  T_EQ_INT(n, 32); /* 256 bits */
  T_EQ_ERR(door__session_id_hash(a, strlen(a), h2), DOOR_OK);
  T_EQ_MEM(ha, h2, sizeof ha);
  T_OK(memcmp(ha, hb, sizeof ha) != 0);
  /* Not the shape of an id: refused before any lookup. */
  T_EQ_ERR(door__session_id_hash("short", 5, h2), DOOR_EINVAL);
  a[5] = '*';
  T_EQ_ERR(door__session_id_hash(a, strlen(a), h2), DOOR_EINVAL);
}

static void test_csrf_tokens(void) {
  uint8_t s1[32], s2[32];
  char t1[DOOR_CSRF_TOKEN_LEN + 1], t2[DOOR_CSRF_TOKEN_LEN + 1];
  memset(s1, 1, sizeof s1);
  memset(s2, 2, sizeof s2);
  T_EQ_ERR(door__csrf_token(s1, sizeof s1, t1), DOOR_OK);
  T_EQ_ERR(door__csrf_token(s2, sizeof s2, t2), DOOR_OK);
  T_EQ_INT(strlen(t1), 43);
  T_OK(strcmp(t1, t2) != 0);
  T_EQ_ERR(door__csrf_verify(s1, sizeof s1, t1), DOOR_OK);
  T_EQ_ERR(door__csrf_verify(s1, sizeof s1, t2), DOOR_EBROKER_CSRF);
  T_EQ_ERR(door__csrf_verify(s1, sizeof s1, NULL), DOOR_EBROKER_CSRF);
  T_EQ_ERR(door__csrf_verify(s1, sizeof s1, ""), DOOR_EBROKER_CSRF);
  t1[42] = t1[42] == 'A' ? 'B' : 'A';
  T_EQ_ERR(door__csrf_verify(s1, sizeof s1, t1), DOOR_EBROKER_CSRF);
  t1[42] = '\0';
  T_EQ_ERR(door__csrf_verify(s1, sizeof s1, t1), DOOR_EBROKER_CSRF);
}

static void test_logout_hint_is_bound_to_the_session(void) {
  unsigned char key[32];
  uint8_t h1[DOOR_STORE_HASH_LEN], h2[DOOR_STORE_HASH_LEN];
  char *prov = NULL, *idt = NULL;
  door_buf v;
  memset(key, 7, sizeof key);
  memset(h1, 1, sizeof h1);
  memset(h2, 2, sizeof h2);
  door__buf_init(&v, 8192);
  T_EQ_ERR(
      door__hint_seal(key, "__Host-door-logout", h1, "generic", "eyJ.a.b", &v),
      DOOR_OK);
  T_OK(!has(v.data, "eyJ"));
  T_EQ_ERR(door__hint_open(key, "__Host-door-logout", h1, v.data, v.len, &prov,
                           &idt),
           DOOR_OK);
  T_EQ_STR(prov, "generic");
  T_EQ_STR(idt, "eyJ.a.b");
  free(prov);
  door__broker_free_secret(idt);
  /* Another session, another cookie name, a flipped byte: does not open. */
  T_EQ_ERR(door__hint_open(key, "__Host-door-logout", h2, v.data, v.len, &prov,
                           &idt),
           DOOR_ELOGIN_SEAL);
  T_EQ_ERR(door__hint_open(key, "door-logout", h1, v.data, v.len, &prov, &idt),
           DOOR_ELOGIN_SEAL);
  v.data[10] = v.data[10] == 'A' ? 'B' : 'A';
  T_EQ_ERR(door__hint_open(key, "__Host-door-logout", h1, v.data, v.len, &prov,
                           &idt),
           DOOR_ELOGIN_SEAL);
  T_OK(prov == NULL && idt == NULL);
  door__buf_free(&v);
}

static void test_session_lookup_identities_and_expiry(void) {
  char account[33], cookie[128], header[256];
  door_broker_session s;
  t_env_make(&env, "https://door.example/");
  t_signed_in(&env, "subject-1", account, cookie, sizeof cookie);
  T_OK(has(cookie, "__Host-door-session="));
  snprintf(header, sizeof header, "other=1; %s; x=y", cookie);
  T_EQ_ERR(door_broker_session_get(env.b, header, &s, NULL), DOOR_OK);
  T_EQ_STR(s.account_id, account);
  T_EQ_STR(s.provider, "daccount");
  T_EQ_INT(s.n_identities, 1);
  T_EQ_STR(s.identities[0].subject, "subject-1");
  T_EQ_STR(s.identities[0].display_name, "d アカウント");
  T_EQ_INT(strlen(s.csrf_token), 43);
  T_EQ_ERR(door_broker_csrf_check(&s, s.csrf_token), DOOR_OK);
  T_EQ_ERR(door_broker_csrf_check(&s, "x"), DOOR_EBROKER_CSRF);
  T_EQ_ERR(door_broker_csrf_check(&s, NULL), DOOR_EBROKER_CSRF);
  door_broker_session_clear(&s);
  /* No cookie, a cookie of the wrong shape, an unknown id. */
  T_EQ_ERR(door_broker_session_get(env.b, NULL, &s, NULL),
           DOOR_EBROKER_NO_SESSION);
  T_EQ_ERR(door_broker_session_get(env.b, "__Host-door-session=abc", &s, NULL),
           DOOR_EBROKER_NO_SESSION);
  T_EQ_ERR(
      door_broker_session_get(
          env.b,
          "__Host-door-session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &s,
          NULL),
      DOOR_EBROKER_NO_SESSION);
  /* The plain-http name is not this broker's (it is https). */
  T_EQ_ERR(door_broker_session_get(env.b, cookie + 7, &s, NULL),
           DOOR_EBROKER_NO_SESSION);
  /* Idle timeout (10 minutes): used after 9, alive; then 11 idle. */
  env.now += 9 * 60;
  T_EQ_ERR(door_broker_session_get(env.b, header, &s, NULL), DOOR_OK);
  door_broker_session_clear(&s);
  env.now += 11 * 60;
  T_EQ_ERR(door_broker_session_get(env.b, header, &s, NULL),
           DOOR_EBROKER_NO_SESSION);
  t_env_free(&env);
}

static void test_absolute_timeout(void) {
  char account[33], cookie[128];
  door_broker_session s;
  int i;
  t_env_make(&env, "https://door.example/");
  t_signed_in(&env, "subject-2", account, cookie, sizeof cookie);
  /* In use every 5 minutes, the session still ends after 1 hour. */
  for (i = 0; i < 11; i++) {
    env.now += 5 * 60;
    T_EQ_ERR(door_broker_session_get(env.b, cookie, &s, NULL), DOOR_OK);
    door_broker_session_clear(&s);
  }
  env.now += 6 * 60;
  T_EQ_ERR(door_broker_session_get(env.b, cookie, &s, NULL),
           DOOR_EBROKER_NO_SESSION);
  t_env_free(&env);
}

static void test_logout_needs_the_csrf_token(void) {
  char account[33], cookie[128];
  door_broker_session s;
  door_broker_reply r;
  size_t i;
  int del_session = 0;
  t_env_make(&env, "https://door.example/");
  t_signed_in(&env, "subject-3", account, cookie, sizeof cookie);
  T_EQ_ERR(door_broker_logout(env.b, cookie, NULL, &r, NULL),
           DOOR_EBROKER_CSRF);
  T_EQ_INT(r.n_set_cookie, 0);
  T_EQ_ERR(door_broker_logout(env.b, cookie,
                              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                              "AAAAAAAAAAAAA",
                              &r, NULL),
           DOOR_EBROKER_CSRF);
  T_EQ_ERR(door_broker_session_get(env.b, cookie, &s, NULL), DOOR_OK);
  /* With the token: ended.  The session's provider (daccount) has no
   * end-session endpoint here (its discovery is unreachable), so the
   * browser goes to the broker's own signed-out page. */
  T_EQ_ERR(door_broker_logout(env.b, cookie, s.csrf_token, &r, NULL), DOOR_OK);
  door_broker_session_clear(&s);
  T_OK(r.location != NULL);
  T_EQ_STR(r.location, "https://door.example/logged-out");
  for (i = 0; i < r.n_set_cookie; i++)
    del_session |= has(r.set_cookie[i], "__Host-door-session=;") &&
                   has(r.set_cookie[i], "Max-Age=0");
  T_OK(del_session);
  door_broker_reply_clear(&r);
  T_EQ_ERR(door_broker_session_get(env.b, cookie, &s, NULL),
           DOOR_EBROKER_NO_SESSION);
  /* Logging out again: no session, but the deletions and location. */
  T_EQ_ERR(door_broker_logout(env.b, cookie, "x", &r, NULL),
           DOOR_EBROKER_NO_SESSION);
  T_OK(r.location != NULL && r.n_set_cookie == 2);
  door_broker_reply_clear(&r);
  t_env_free(&env);
}

static void test_unlink_last_refused_and_csrf(void) {
  char account[33], cookie[128];
  door_broker_session s;
  int linked = 0;
  t_env_make(&env, "https://door.example/");
  t_signed_in(&env, "subject-4", account, cookie, sizeof cookie);
  T_EQ_ERR(door_broker_session_get(env.b, cookie, &s, NULL), DOOR_OK);
  T_EQ_ERR(door_broker_unlink(env.b, cookie, s.csrf_token, "daccount", NULL,
                              NULL, NULL),
           DOOR_ESTORE_LAST_IDENTITY);
  T_EQ_ERR(door__store_link_identity(env.b->store, account,
                                     "https://127.0.0.1:9/g", "g-sub",
                                     "generic", NULL, env.now, &linked, NULL),
           DOOR_OK);
  T_EQ_ERR(door_broker_unlink(env.b, cookie, "wrong", NULL,
                              "https://127.0.0.1:9/", "subject-4", NULL),
           DOOR_EBROKER_CSRF);
  T_EQ_ERR(door_broker_unlink(env.b, cookie, s.csrf_token, NULL,
                              "https://127.0.0.1:9/", "subject-4", NULL),
           DOOR_OK);
  door_broker_session_clear(&s);
  T_EQ_ERR(door_broker_session_get(env.b, cookie, &s, NULL), DOOR_OK);
  T_EQ_INT(s.n_identities, 1);
  T_EQ_STR(s.identities[0].provider, "generic");
  door_broker_session_clear(&s);
  t_env_free(&env);
}

static void test_link_begin_needs_session_and_token(void) {
  char account[33], cookie[128];
  door_broker_begin p;
  door_broker_reply r;
  t_env_make(&env, "https://door.example/");
  t_signed_in(&env, "subject-5", account, cookie, sizeof cookie);
  memset(&p, 0, sizeof p);
  p.provider = "generic";
  p.link = 1;
  T_EQ_ERR(door_broker_login_begin(env.b, &p, NULL, &r, NULL),
           DOOR_EBROKER_NO_SESSION);
  T_EQ_ERR(door_broker_login_begin(env.b, &p, cookie, &r, NULL),
           DOOR_EBROKER_CSRF);
  p.provider = "nope";
  T_EQ_ERR(door_broker_login_begin(env.b, &p, cookie, &r, NULL),
           DOOR_EPROVIDER_UNKNOWN);
  T_OK(r.location == NULL && r.n_set_cookie == 0);
  t_env_free(&env);
}

static void test_reload_keeps_sessions(void) {
  char account[33], cookie[128];
  door_broker_provider_info p[4];
  door_broker_session s;
  door_config *cfg;
  t_env_make(&env, "https://door.example/");
  t_signed_in(&env, "subject-6", account, cookie, sizeof cookie);
  cfg = t_config(&env, "https://door.example/", "d-account (new)", NULL);
  T_OK(cfg != NULL);
  T_EQ_ERR(door_broker_reload(env.b, cfg, NULL), DOOR_OK);
  T_EQ_INT(door_broker_providers(env.b, p, 4), 2);
  T_EQ_STR(p[0].display_name, "d-account (new)");
  T_EQ_STR(p[0].type, "daccount");
  T_EQ_ERR(door_broker_session_get(env.b, cookie, &s, NULL), DOOR_OK);
  T_EQ_STR(s.account_id, account);
  door_broker_session_clear(&s);
  /* A configuration that does not build leaves the old one in force. */
  cfg = t_config(&env, "https://door.example/", "broken",
                 "cookie_key_file = /nonexistent/key");
  T_OK(cfg == NULL);
  t_env_free(&env);
}

static void test_error_status_and_messages(void) {
  char msg[512];
  t_env_make(&env, "https://door.example/");
  T_EQ_INT(door_broker_error_status(DOOR_EBROKER_NO_SESSION), 401);
  T_EQ_INT(door_broker_error_status(DOOR_EBROKER_CSRF), 403);
  T_EQ_INT(door_broker_error_status(DOOR_ESTORE_IDENTITY_TAKEN), 409);
  T_EQ_INT(door_broker_error_status(DOOR_ESTORE_LAST_IDENTITY), 409);
  T_EQ_INT(door_broker_error_status(DOOR_ELOGIN_NO_PENDING), 400);
  T_EQ_INT(door_broker_error_status(DOOR_EHTTP_TIMEOUT), 502);
  T_EQ_INT(door_broker_error_status(DOOR_ESTORE_UNAVAILABLE), 503);
  door_broker_error_message(env.b, DOOR_ESTORE_IDENTITY_TAKEN, "daccount", "en",
                            msg, sizeof msg);
  T_OK(has(msg, "d アカウント account is already linked to another DOOR"));
  door_broker_error_message(env.b, DOOR_ESTORE_IDENTITY_TAKEN, "daccount", "ja",
                            msg, sizeof msg);
  T_OK(has(msg, "別のDOORアカウントに連携済み"));
  door_broker_error_message(env.b, DOOR_ELOGIN_NO_PENDING, "daccount", "en",
                            msg, sizeof msg);
  T_OK(has(msg, "d アカウント"));
  /* An unknown provider name from a URL is never echoed. */
  door_broker_error_message(env.b, DOOR_ELOGIN_NO_PENDING, "<script>", "en",
                            msg, sizeof msg);
  T_OK(!has(msg, "<script>"));
  T_EQ_ERR(door_broker_origin_check(env.b, "https://door.example"), DOOR_OK);
  T_EQ_ERR(door_broker_origin_check(env.b, NULL), DOOR_OK);
  T_EQ_ERR(door_broker_origin_check(env.b, "https://evil.example"),
           DOOR_EBROKER_CSRF);
  T_EQ_ERR(door_broker_origin_check(env.b, "null"), DOOR_EBROKER_CSRF);
  t_env_free(&env);
}

/* The door_rp replay guard checks the store (read only) and keeps the key
 * in flight; the login commit consumes it.  A pending login finished at
 * one broker cannot be finished again at another sharing the store, nor
 * twice at once at one broker. */
static door_err t_commit_state(door_broker *b, const char *key) {
  door_store_login in;
  door_store_login_result res;
  memset(&in, 0, sizeof in);
  in.mode = DOOR_STORE_LOGIN_FAILED;
  in.now = env.now;
  in.state_key = key;
  in.state_expires_at = env.now + 60;
  return door__store_login_commit(b->store, &in, &res, NULL);
}

static void test_replay_guard_is_shared_through_the_store(void) {
  door_broker *b2 = NULL;
  door_config *cfg;
  int64_t exp = 0;
  t_env_make(&env, "https://door.example/");
  cfg = t_config(&env, "https://door.example/", "d", NULL);
  T_EQ_ERR(door_broker_new(cfg, NULL, &b2, NULL), DOOR_OK);
  T_EQ_ERR(env.b->replay.consume(env.b->replay.ud, "login:abc", env.now + 60),
           DOOR_OK);
  T_EQ_INT(door__inflight_find(&env.b->inflight, "login:abc", &exp), 1);
  T_EQ_INT(exp, env.now + 60);
  /* In flight at this broker: a second callback is refused at once. */
  T_EQ_ERR(env.b->replay.consume(env.b->replay.ud, "login:abc", env.now + 60),
           DOOR_ELOGIN_REPLAYED);
  /* Another broker sees nothing in the store yet: its commit decides. */
  T_EQ_ERR(b2->replay.consume(b2->replay.ud, "login:abc", env.now + 60),
           DOOR_OK);
  T_EQ_ERR(t_commit_state(env.b, "login:abc"), DOOR_OK);
  door__inflight_remove(&env.b->inflight, "login:abc");
  T_EQ_INT(door__inflight_find(&env.b->inflight, "login:abc", &exp), 0);
  {
    door_store_login in;
    door_store_login_result res;
    memset(&in, 0, sizeof in);
    in.mode = DOOR_STORE_LOGIN_SIGNIN;
    in.now = env.now;
    in.state_key = "login:abc";
    in.state_expires_at = env.now + 60;
    in.issuer = "https://op.example";
    in.subject = "replayed";
    in.provider = "d";
    in.session.id_hash = (const uint8_t *)"0123456789abcdef0123456789abcdef";
    in.session.absolute_expires_at = env.now + 600;
    in.session.idle_expires_at = env.now + 60;
    T_EQ_ERR(door__store_login_commit(b2->store, &in, &res, NULL),
             DOOR_ESTORE_DUPLICATE);
    T_EQ_STR(res.account_id, "");
  }
  door__inflight_remove(&b2->inflight, "login:abc");
  /* Used in the store: refused by both guards from now on. */
  T_EQ_ERR(b2->replay.consume(b2->replay.ud, "login:abc", env.now + 60),
           DOOR_ELOGIN_REPLAYED);
  T_EQ_ERR(env.b->replay.consume(env.b->replay.ud, "login:abc", env.now + 60),
           DOOR_ELOGIN_REPLAYED);
  T_EQ_INT(door__inflight_find(&b2->inflight, "login:abc", &exp), 0);
  T_EQ_ERR(b2->replay.consume(b2->replay.ud, "login:def", env.now + 60),
           DOOR_OK);
  door__inflight_remove(&b2->inflight, "login:def");
  door_broker_free(b2);
  t_env_free(&env);
}

/* door_broker_maintenance purges transmission records past [store]
 * transmission_retention (default 90 days) and keeps the newer ones. */
static void test_maintenance_purges_old_transmissions(void) {
  door_store_transmission_new t[3];
  door_store_counts c;
  int i;
  t_env_make(&env, "https://door.example/");
  memset(t, 0, sizeof t);
  for (i = 0; i < 3; i++) {
    t[i].provider = "daccount";
    t[i].endpoint = "token";
    t[i].fields_json = "[\"code\"]";
    t[i].purpose = "login";
    t[i].outcome = "ok";
  }
  t[0].at = env.now - 91 * 86400; /* past the retention */
  t[1].at = env.now - 89 * 86400;
  t[2].at = env.now;
  T_EQ_ERR(door__store_transmissions_append(env.b->store, t, 3, NULL), DOOR_OK);
  T_EQ_ERR(door_broker_maintenance(env.b, NULL), DOOR_OK);
  T_EQ_ERR(door__store_counts(env.b->store, env.now, &c, NULL), DOOR_OK);
  T_EQ_INT(c.transmissions, 2);
  env.now += 2 * 86400; /* the 89-day-old one crosses 90 days */
  T_EQ_ERR(door_broker_maintenance(env.b, NULL), DOOR_OK);
  T_EQ_ERR(door__store_counts(env.b->store, env.now, &c, NULL), DOOR_OK);
  T_EQ_INT(c.transmissions, 1);
  t_env_free(&env);
}

T_MAIN(T_CASE(test_cookie_attributes_https),
       T_CASE(test_maintenance_purges_old_transmissions),
       T_CASE(test_cookie_attributes_plain_http),
       T_CASE(test_session_ids_are_random_and_hashed), T_CASE(test_csrf_tokens),
       T_CASE(test_logout_hint_is_bound_to_the_session),
       T_CASE(test_session_lookup_identities_and_expiry),
       T_CASE(test_absolute_timeout), T_CASE(test_logout_needs_the_csrf_token),
       T_CASE(test_unlink_last_refused_and_csrf),
       T_CASE(test_link_begin_needs_session_and_token),
       T_CASE(test_reload_keeps_sessions),
       T_CASE(test_error_status_and_messages),
       T_CASE(test_replay_guard_is_shared_through_the_store))
