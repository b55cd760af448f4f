/* Sessions: creation, refresh on lookup, idle and absolute expiry,
 * back-channel logout by sid and sub, purge. */
#include "t_store.h"

typedef struct fixture {
  t_db t;
  door_store *st;
  char alice[33], bob[33];
} fixture;

static void setup(fixture *f) {
  int created;
  t_db_make(&f->t);
  f->st = t_open(&f->t);
  if (!f->st)
    abort();
  if (door__store_login_identity(f->st, T_ISS, "alice", "daccount", NULL, 1,
                                 f->alice, &created, NULL) ||
      door__store_login_identity(f->st, T_ISS, "bob", "daccount", NULL, 1,
                                 f->bob, &created, NULL))
    abort();
}

static void teardown(fixture *f) {
  door__store_close(f->st);
  t_db_remove(&f->t);
}

static door_err make(fixture *f, uint8_t tag, const char *account,
                     const char *sid, const char *sub, int64_t now,
                     int64_t idle, int64_t absolute) {
  door_store_session_new s;
  uint8_t h[32];
  static const uint8_t csrf[] = {1, 2, 3, 4, 5, 6, 7, 8};
  memset(&s, 0, sizeof s);
  memset(h, tag, sizeof h);
  s.id_hash = h;
  s.account_id = account;
  s.csrf = csrf;
  s.csrf_len = sizeof csrf;
  s.now = now;
  s.idle_expires_at = idle;
  s.absolute_expires_at = absolute;
  s.provider = "daccount";
  s.issuer = T_ISS;
  s.provider_sid = sid;
  s.provider_sub = sub;
  return door__store_session_create(f->st, &s, NULL);
}

static door_err get(fixture *f, uint8_t tag, int64_t now, int64_t idle,
                    door_store_session *out) {
  uint8_t h[32];
  memset(h, tag, sizeof h);
  return door__store_session_get(f->st, h, now, idle, out, NULL);
}

static void test_create_and_get_refreshes(void) {
  fixture f;
  door_store_session s;
  uint8_t h[32];
  setup(&f);
  T_EQ_ERR(make(&f, 1, f.alice, "sid-1", "alice", 100, 200, 1000), DOOR_OK);
  T_EQ_ERR(make(&f, 1, f.alice, "sid-1", "alice", 100, 200, 1000),
           DOOR_EEXISTS);
  T_EQ_ERR(make(&f, 2, "00000000000000000000000000000000", NULL, NULL, 100, 200,
                1000),
           DOOR_ENOTFOUND);
  T_EQ_ERR(get(&f, 1, 150, 100, &s), DOOR_OK);
  memset(h, 1, sizeof h);
  T_EQ_MEM(s.id_hash, h, 32);
  T_EQ_STR(s.account_id, f.alice);
  T_EQ_INT(s.created_at, 100);
  T_EQ_INT(s.last_seen_at, 150);
  T_EQ_INT(s.idle_expires_at, 250);
  T_EQ_INT(s.absolute_expires_at, 1000);
  T_EQ_INT(s.csrf_len, 8);
  T_EQ_INT(s.csrf[7], 8);
  T_EQ_STR(s.provider, "daccount");
  T_EQ_STR(s.issuer, T_ISS);
  T_EQ_STR(s.provider_sid, "sid-1");
  T_EQ_STR(s.provider_sub, "alice");
  door__store_session_clear(&s);
  /* The refresh never passes the absolute expiry. */
  T_EQ_ERR(get(&f, 1, 240, 5000, &s), DOOR_OK);
  T_EQ_INT(s.idle_expires_at, 1000);
  door__store_session_clear(&s);
  /* idle 0: last_seen moves, the idle expiry does not. */
  T_EQ_ERR(get(&f, 1, 300, 0, &s), DOOR_OK);
  T_EQ_INT(s.last_seen_at, 300);
  T_EQ_INT(s.idle_expires_at, 1000);
  door__store_session_clear(&s);
  T_EQ_ERR(get(&f, 9, 300, 0, &s), DOOR_ENOTFOUND);
  T_OK(s.provider == NULL);
  teardown(&f);
}

static void test_expiry(void) {
  fixture f;
  door_store_session s;
  door_store_counts c;
  setup(&f);
  /* The idle expiry is lowered to the absolute one. */
  T_EQ_ERR(make(&f, 1, f.alice, NULL, NULL, 100, 5000, 1000), DOOR_OK);
  T_EQ_ERR(get(&f, 1, 101, 0, &s), DOOR_OK);
  T_EQ_INT(s.idle_expires_at, 1000);
  T_OK(s.provider_sid == NULL);
  door__store_session_clear(&s);
  /* Idle expiry: the session is reported expired once, then gone. */
  T_EQ_ERR(make(&f, 2, f.alice, NULL, NULL, 100, 200, 1000), DOOR_OK);
  T_EQ_ERR(door__store_counts(f.st, 150, &c, NULL), DOOR_OK);
  T_EQ_INT(c.sessions, 2);
  T_EQ_ERR(get(&f, 2, 200, 100, &s), DOOR_ESTORE_EXPIRED);
  T_EQ_ERR(get(&f, 2, 150, 100, &s), DOOR_ENOTFOUND);
  /* Absolute expiry. */
  T_EQ_ERR(get(&f, 1, 1000, 100, &s), DOOR_ESTORE_EXPIRED);
  T_EQ_ERR(get(&f, 1, 1000, 100, &s), DOOR_ENOTFOUND);
  /* Creation refuses the past. */
  T_EQ_ERR(make(&f, 3, f.alice, NULL, NULL, 100, 100, 1000), DOOR_EINVAL);
  T_EQ_ERR(make(&f, 3, f.alice, NULL, NULL, 100, 200, 50), DOOR_EINVAL);
  teardown(&f);
}

static void test_back_channel_logout(void) {
  fixture f;
  door_store_session s;
  uint64_t n = 99;
  uint8_t h[32];
  setup(&f);
  T_EQ_ERR(make(&f, 1, f.alice, "sid-a", "alice", 1, 500, 1000), DOOR_OK);
  T_EQ_ERR(make(&f, 2, f.alice, "sid-a2", "alice", 1, 500, 1000), DOOR_OK);
  T_EQ_ERR(make(&f, 3, f.bob, "sid-b", "bob", 1, 500, 1000), DOOR_OK);
  T_EQ_ERR(make(&f, 4, f.bob, NULL, "bob", 1, 500, 1000), DOOR_OK);
  T_EQ_ERR(door__store_sessions_delete_by_sid(f.st, T_ISS, "sid-a", &n, NULL),
           DOOR_OK);
  T_EQ_INT(n, 1);
  T_EQ_ERR(get(&f, 1, 2, 0, &s), DOOR_ENOTFOUND);
  T_EQ_ERR(get(&f, 2, 2, 0, &s), DOOR_OK);
  door__store_session_clear(&s);
  /* A sid of another issuer matches nothing. */
  T_EQ_ERR(door__store_sessions_delete_by_sid(f.st, T_ISS2, "sid-b", &n, NULL),
           DOOR_OK);
  T_EQ_INT(n, 0);
  T_EQ_ERR(door__store_sessions_delete_by_sub(f.st, T_ISS, "bob", &n, NULL),
           DOOR_OK);
  T_EQ_INT(n, 2);
  T_EQ_ERR(door__store_sessions_delete_by_sub(f.st, T_ISS, "bob", NULL, NULL),
           DOOR_OK);
  T_EQ_ERR(door__store_sessions_delete_by_sid(f.st, T_ISS, "", &n, NULL),
           DOOR_EINVAL);
  T_EQ_ERR(door__store_sessions_delete_account(f.st, f.alice, &n, NULL),
           DOOR_OK);
  T_EQ_INT(n, 1);
  T_EQ_ERR(make(&f, 5, f.alice, NULL, NULL, 1, 500, 1000), DOOR_OK);
  memset(h, 5, sizeof h);
  T_EQ_ERR(door__store_session_delete(f.st, h, NULL), DOOR_OK);
  T_EQ_ERR(door__store_session_delete(f.st, h, NULL), DOOR_ENOTFOUND);
  T_EQ_ERR(door__store_session_delete(f.st, NULL, NULL), DOOR_EINVAL);
  teardown(&f);
}

static void test_purge(void) {
  fixture f;
  door_store_counts c;
  uint64_t n = 0;
  setup(&f);
  T_EQ_ERR(make(&f, 1, f.alice, NULL, NULL, 1, 100, 1000), DOOR_OK);
  T_EQ_ERR(make(&f, 2, f.alice, NULL, NULL, 1, 200, 1000), DOOR_OK);
  T_EQ_ERR(make(&f, 3, f.bob, NULL, NULL, 1, 900, 300), DOOR_OK);
  T_EQ_ERR(make(&f, 4, f.bob, NULL, NULL, 1, 900, 1000), DOOR_OK);
  T_EQ_ERR(door__store_sessions_purge(f.st, 300, &n, NULL), DOOR_OK);
  T_EQ_INT(n, 3);
  T_EQ_ERR(door__store_counts(f.st, 0, &c, NULL), DOOR_OK);
  T_EQ_INT(c.sessions, 1);
  teardown(&f);
}

static void test_no_session_id_in_the_file(void) {
  fixture f;
  static const char sid[] = "raw-session-id-that-must-not-be-stored-xxxx";
  door_store_session_new s;
  uint8_t h[32];
  t_conn *db;
  setup(&f);
  T_EQ_ERR(door__store_session_hash(sid, strlen(sid), h), DOOR_OK);
  memset(&s, 0, sizeof s);
  s.id_hash = h;
  s.account_id = f.alice;
  s.now = 1;
  s.idle_expires_at = s.absolute_expires_at = 10;
  T_EQ_ERR(door__store_session_create(f.st, &s, NULL), DOOR_OK);
  db = t_raw(&f.t);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM sessions WHERE length(id_hash)=32"),
           1);
  T_EQ_INT(t_int(db, t_sql(&f.t,
                           "SELECT count(*) FROM sessions WHERE"
                           " instr(CAST(id_hash AS TEXT), 'raw-session') > 0",
                           "SELECT count(*) FROM sessions WHERE"
                           " position('raw-session'::bytea in id_hash) > 0")),
           0);
  t_close(db);
  teardown(&f);
}

T_MAIN(T_CASE(test_create_and_get_refreshes), T_CASE(test_expiry),
       T_CASE(test_back_channel_logout), T_CASE(test_purge),
       T_CASE(test_no_session_id_in_the_file))
