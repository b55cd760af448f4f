/* Records: audit, used states, jti admissions, signing keys, transmission
 * records, provider tokens. */
#include "t_store.h"

/* A fresh database with alice in it. */
static door_store *with_alice(t_db *t, char id[33]) {
  door_store *st = t_fresh(t);
  int created;
  if (door__store_login_identity(st, T_ISS, "alice", "daccount", NULL, 1, id,
                                 &created, NULL))
    abort();
  return st;
}

static void test_audit(void) {
  t_db db;
  door_store_audit *a = NULL;
  door_store *st;
  size_t n = 0;
  int64_t id1 = 0, id2 = 0;
  char id[33];
  st = with_alice(&db, id);
  T_EQ_ERR(door__store_audit_append(st, 5, id, DOOR_AUDIT_LOGIN, "daccount",
                                    T_ISS, NULL, &id1, NULL),
           DOOR_OK);
  T_EQ_ERR(door__store_audit_append(st, 6, NULL, DOOR_AUDIT_LOGOUT, NULL, NULL,
                                    "back-channel", &id2, NULL),
           DOOR_OK);
  T_OK(id2 > id1);
  T_EQ_ERR(door__store_audit_append(st, 7, "22222222222222222222222222222222",
                                    DOOR_AUDIT_LOGIN, NULL, NULL, NULL, NULL,
                                    NULL),
           DOOR_ENOTFOUND);
  T_EQ_ERR(door__store_audit_append(st, 7, NULL, DOOR_AUDIT_KIND_COUNT_, NULL,
                                    NULL, NULL, NULL, NULL),
           DOOR_EINVAL);
  T_EQ_ERR(door__store_audit_append(st, 7, NULL, (door_store_audit_kind)-1,
                                    NULL, NULL, NULL, NULL, NULL),
           DOOR_EINVAL);
  T_EQ_ERR(door__store_audit_list(st, id, 10, &a, &n, NULL), DOOR_OK);
  T_EQ_INT(n, 2); /* login and account_create */
  T_EQ_INT(a[0].id, id1);
  T_EQ_INT(a[0].kind, DOOR_AUDIT_LOGIN);
  T_EQ_STR(a[0].account_id, id);
  T_EQ_INT(a[1].kind, DOOR_AUDIT_ACCOUNT_CREATE);
  door__store_audits_free(a, n);
  T_EQ_ERR(door__store_audit_list(st, NULL, 1, &a, &n, NULL), DOOR_OK);
  T_EQ_INT(n, 1);
  T_EQ_INT(a[0].kind, DOOR_AUDIT_LOGOUT);
  T_OK(a[0].account_id == NULL);
  T_EQ_STR(a[0].detail, "back-channel");
  door__store_audits_free(a, n);
  T_EQ_STR(door__store_audit_kind_name(DOOR_AUDIT_ACCOUNT_DELETE),
           "account_delete");
  T_OK(door__store_audit_kind_name(DOOR_AUDIT_KIND_COUNT_) == NULL);
  t_done(&db, st);
}

static void test_used_states(void) {
  t_db db;
  door_store *st;
  door_store_counts c;
  uint64_t n = 0;
  char id[33];
  door_detail d;
  st = with_alice(&db, id);
  T_EQ_ERR(door__store_state_consume(st, "state-1", 100, NULL), DOOR_OK);
  T_EQ_ERR(door__store_state_consume(st, "state-1", 100, &d),
           DOOR_ESTORE_DUPLICATE);
  T_EQ_STR(d.where, "state");
  /* Refused whatever its expiry until purged. */
  T_EQ_ERR(door__store_state_consume(st, "state-1", 999, NULL),
           DOOR_ESTORE_DUPLICATE);
  T_EQ_ERR(door__store_state_consume(st, "state-2", 200, NULL), DOOR_OK);
  T_EQ_ERR(door__store_state_consume(st, "", 200, NULL), DOOR_EINVAL);
  T_EQ_ERR(door__store_states_purge(st, 100, &n, NULL), DOOR_OK);
  T_EQ_INT(n, 1);
  T_EQ_ERR(door__store_counts(st, 0, &c, NULL), DOOR_OK);
  T_EQ_INT(c.used_states, 1);
  t_done(&db, st);
}

static void test_jti_admissions(void) {
  t_db db;
  door_store *st;
  uint64_t n = 0;
  int64_t first = -1;
  char id[33];
  st = with_alice(&db, id);
  T_EQ_ERR(
      door__store_jti_admit(st, "event-1", "jti-1", 500, 100, &first, NULL),
      DOOR_OK);
  T_EQ_INT(first, 100);
  T_EQ_ERR(
      door__store_jti_admit(st, "event-1", "jti-1", 500, 130, &first, NULL),
      DOOR_ESTORE_DUPLICATE);
  T_EQ_INT(first, 100);
  /* Same jti at another event is another admission. */
  T_EQ_ERR(door__store_jti_admit(st, "event-2", "jti-1", 600, 140, NULL, NULL),
           DOOR_OK);
  T_EQ_ERR(door__store_jti_admit(st, "event-1", "", 600, 140, NULL, NULL),
           DOOR_EINVAL);
  T_EQ_ERR(door__store_jti_purge(st, 500, &n, NULL), DOOR_OK);
  T_EQ_INT(n, 1);
  T_EQ_ERR(
      door__store_jti_admit(st, "event-2", "jti-1", 600, 150, &first, NULL),
      DOOR_ESTORE_DUPLICATE);
  T_EQ_INT(first, 140);
  t_done(&db, st);
}

static void test_signing_keys(void) {
  t_db db;
  door_store *st;
  door_store_signing_key_new k;
  door_store_signing_key *keys = NULL;
  size_t n = 0;
  char id[33];
  static const uint8_t sealed[] = {0, 1, 2, 0xff, 0, 'P', 'E', 'M'};
  st = with_alice(&db, id);
  memset(&k, 0, sizeof k);
  k.kid = "k1";
  k.alg = "ES256";
  k.private_pem = sealed;
  k.private_pem_len = sizeof sealed;
  k.created_at = 10;
  k.not_before = 10;
  T_EQ_ERR(door__store_signing_key_put(st, &k, NULL), DOOR_OK);
  T_EQ_ERR(door__store_signing_key_put(st, &k, NULL), DOOR_EEXISTS);
  k.kid = "k2";
  k.created_at = 20;
  k.not_before = 30;
  k.retire_at = 100;
  T_EQ_ERR(door__store_signing_key_put(st, &k, NULL), DOOR_OK);
  k.kid = "k3";
  k.private_pem_len = 0;
  T_EQ_ERR(door__store_signing_key_put(st, &k, NULL), DOOR_EINVAL);
  T_EQ_ERR(door__store_signing_key_retire(st, "k1", 50, NULL), DOOR_OK);
  /* k2 keeps its earlier planned time. */
  T_EQ_ERR(door__store_signing_key_retire(st, "k2", 200, NULL), DOOR_OK);
  T_EQ_ERR(door__store_signing_key_retire(st, "k2", 300, NULL), DOOR_OK);
  T_EQ_ERR(door__store_signing_key_retire(st, "nope", 50, NULL),
           DOOR_ENOTFOUND);
  T_EQ_ERR(door__store_signing_keys_list(st, &keys, &n, NULL), DOOR_OK);
  T_EQ_INT(n, 2);
  T_EQ_STR(keys[0].kid, "k1");
  T_EQ_STR(keys[0].alg, "ES256");
  T_EQ_INT(keys[0].private_pem_len, sizeof sealed);
  T_EQ_MEM(keys[0].private_pem, sealed, sizeof sealed);
  T_EQ_INT(keys[0].retired, 1);
  T_EQ_INT(keys[0].retire_at, 50);
  T_EQ_STR(keys[1].kid, "k2");
  T_EQ_INT(keys[1].not_before, 30);
  T_EQ_INT(keys[1].retire_at, 100);
  T_EQ_INT(keys[1].retired, 1);
  door__store_signing_keys_free(keys, n);
  t_done(&db, st);
}

static void test_transmissions(void) {
  t_db db;
  door_store *st;
  door_store_transmission_new t;
  door_store_transmission *list = NULL;
  size_t n = 0;
  uint64_t purged = 0;
  int64_t tid = 0;
  char id[33];
  st = with_alice(&db, id);
  memset(&t, 0, sizeof t);
  t.at = 100;
  t.provider = "xmarket";
  t.endpoint = "https://xmarket.example/api/tickets";
  t.fields_json = "[\"sub\",\"event_id\"]";
  t.purpose = "ticket entitlement";
  t.account_id = id;
  t.outcome = "ok";
  T_EQ_ERR(door__store_transmission_append(st, &t, &tid, NULL), DOOR_OK);
  T_OK(tid > 0);
  t.at = 200;
  t.account_id = NULL;
  T_EQ_ERR(door__store_transmission_append(st, &t, NULL, NULL), DOOR_OK);
  t.fields_json = "[\"sub\",1]";
  T_EQ_ERR(door__store_transmission_append(st, &t, NULL, NULL),
           DOOR_EJSON_TYPE);
  t.fields_json = "{\"sub\":\"x\"}";
  T_EQ_ERR(door__store_transmission_append(st, &t, NULL, NULL),
           DOOR_EJSON_TYPE);
  t.fields_json = "[]";
  t.account_id = "33333333333333333333333333333333";
  T_EQ_ERR(door__store_transmission_append(st, &t, NULL, NULL), DOOR_ENOTFOUND);
  T_EQ_ERR(door__store_transmissions_list(st, id, 10, &list, &n, NULL),
           DOOR_OK);
  T_EQ_INT(n, 1);
  T_EQ_INT(list[0].id, tid);
  T_EQ_STR(list[0].fields_json, "[\"sub\",\"event_id\"]");
  T_EQ_STR(list[0].purpose, "ticket entitlement");
  T_EQ_STR(list[0].account_id, id);
  door__store_transmissions_free(list, n);
  T_EQ_ERR(door__store_transmissions_list(st, NULL, 10, &list, &n, NULL),
           DOOR_OK);
  T_EQ_INT(n, 2);
  T_EQ_INT(list[0].at, 200);
  T_OK(list[0].account_id == NULL);
  door__store_transmissions_free(list, n);
  T_EQ_ERR(door__store_transmissions_purge(st, 200, &purged, NULL), DOOR_OK);
  T_EQ_INT(purged, 1);
  T_EQ_ERR(door__store_transmissions_list(st, NULL, 10, &list, &n, NULL),
           DOOR_OK);
  T_EQ_INT(n, 1);
  T_EQ_INT(list[0].at, 200);
  door__store_transmissions_free(list, n);
  t_done(&db, st);
}

static void test_provider_tokens(void) {
  t_db db;
  door_store *st;
  door_store_tokens_new t;
  door_store_tokens got;
  char id[33];
  static const uint8_t at[] = {'s', 'e', 'a', 'l', 0, 1, 2};
  st = with_alice(&db, id);
  memset(&t, 0, sizeof t);
  t.account_id = id;
  t.provider = "daccount";
  t.access_token = at;
  t.access_len = sizeof at;
  t.refresh_token = (const uint8_t *)"refresh";
  t.refresh_len = 7;
  t.expires_at = 3600;
  t.scope = "openid profile";
  t.now = 10;
  T_EQ_ERR(door__store_tokens_put(st, &t, NULL), DOOR_OK);
  T_EQ_ERR(door__store_tokens_get(st, id, "daccount", &got, NULL), DOOR_OK);
  T_EQ_INT(got.access_len, sizeof at);
  T_EQ_MEM(got.access_token, at, sizeof at);
  T_EQ_INT(got.refresh_len, 7);
  T_EQ_MEM(got.refresh_token, "refresh", 7);
  T_EQ_INT(got.expires_at, 3600);
  T_EQ_INT(got.updated_at, 10);
  T_EQ_STR(got.scope, "openid profile");
  door__store_tokens_clear(&got);
  /* Replacing drops what is no longer given. */
  t.refresh_token = NULL;
  t.refresh_len = 0;
  t.expires_at = 0;
  t.scope = NULL;
  t.now = 20;
  T_EQ_ERR(door__store_tokens_put(st, &t, NULL), DOOR_OK);
  T_EQ_ERR(door__store_tokens_get(st, id, "daccount", &got, NULL), DOOR_OK);
  T_OK(got.refresh_token == NULL);
  T_EQ_INT(got.refresh_len, 0);
  T_EQ_INT(got.expires_at, 0);
  T_OK(got.scope == NULL);
  T_EQ_INT(got.updated_at, 20);
  door__store_tokens_clear(&got);
  T_EQ_ERR(door__store_tokens_get(st, id, "xmarket", &got, NULL),
           DOOR_ENOTFOUND);
  t.account_id = "44444444444444444444444444444444";
  T_EQ_ERR(door__store_tokens_put(st, &t, NULL), DOOR_ENOTFOUND);
  t.account_id = id;
  t.access_len = DOOR_STORE_BLOB_MAX + 1;
  T_EQ_ERR(door__store_tokens_put(st, &t, NULL), DOOR_ETOOBIG);
  T_EQ_ERR(door__store_tokens_delete(st, id, "daccount", NULL), DOOR_OK);
  T_EQ_ERR(door__store_tokens_delete(st, id, "daccount", NULL), DOOR_ENOTFOUND);
  t_done(&db, st);
}

/* A secret handed to the store never reaches its log, even on failure. */
typedef struct sink {
  char text[8192];
  size_t len;
} sink;

static void sink_fn(void *ud, door_log_level level, const char *line,
                    size_t len) {
  sink *s = ud;
  (void)level;
  if (s->len + len + 1 < sizeof s->text) {
    memcpy(s->text + s->len, line, len);
    s->len += len;
    s->text[s->len++] = '\n';
    s->text[s->len] = '\0';
  }
}

static void test_secrets_stay_out_of_logs(void) {
  door_store_options o;
  door_store *st = NULL;
  door_store_tokens_new t;
  door_log lg;
  t_db db;
  sink s;
  char id[33];
  int created;
  memset(&s, 0, sizeof s);
  door__log_init(&lg, "test");
  lg.min_level = DOOR_LOG_DEBUG;
  lg.sink = sink_fn;
  lg.sink_ud = &s;
  door__store_options_init(&o);
  o.log = &lg;
  t_db_make(&db);
  T_EQ_ERR(door__store_open(db.url, &o, &st, NULL), DOOR_OK);
  T_OK(strstr(s.text, "store.open") != NULL);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "alice", "daccount", NULL, 1,
                                      id, &created, NULL),
           DOOR_OK);
  memset(&t, 0, sizeof t);
  t.account_id = id;
  t.provider = "daccount";
  t.access_token = (const uint8_t *)"PLANTED-ACCESS-TOKEN";
  t.access_len = 20;
  t.now = 1;
  T_EQ_ERR(door__store_tokens_put(st, &t, NULL), DOOR_OK);
  t.account_id = "55555555555555555555555555555555";
  T_EQ_ERR(door__store_tokens_put(st, &t, NULL), DOOR_ENOTFOUND);
  t_done(&db, st);
  T_OK(strstr(s.text, "PLANTED") == NULL);
}

T_MAIN(T_CASE(test_audit), T_CASE(test_used_states),
       T_CASE(test_jti_admissions), T_CASE(test_signing_keys),
       T_CASE(test_transmissions), T_CASE(test_provider_tokens),
       T_CASE(test_secrets_stay_out_of_logs))
