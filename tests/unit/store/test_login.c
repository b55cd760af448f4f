/* The login commit (door__store_login_commit): everything a login writes
 * in one transaction, its refusals leaving nothing behind, racing first
 * logins and replays; batches of transmission records and their purge;
 * erasure of an account leaving no row that refers to it in any table. */
#include "t_store.h"

#include <pthread.h>

#define NOW 1000

typedef struct t_login {
  door_store_login in;
  uint8_t hash[DOOR_STORE_HASH_LEN], old[DOOR_STORE_HASH_LEN];
  door_store_transmission_new tx[2];
} t_login;

/* A sign-in of `subject` with state `state` and a session hash made of
 * `tag`, with two transmission records (token, userinfo). */
static void t_login_make(t_login *l, const char *subject, const char *state,
                         char tag) {
  memset(l, 0, sizeof *l);
  memset(l->hash, tag, sizeof l->hash);
  l->in.mode = DOOR_STORE_LOGIN_SIGNIN;
  l->in.now = NOW;
  l->in.state_key = state;
  l->in.state_expires_at = NOW + 600;
  l->in.issuer = T_ISS;
  l->in.subject = subject;
  l->in.provider = "daccount";
  l->in.session.id_hash = l->hash;
  l->in.session.csrf = (const uint8_t *)"csrf-secret";
  l->in.session.csrf_len = 11;
  l->in.session.idle_expires_at = NOW + 60;
  l->in.session.absolute_expires_at = NOW + 3600;
  l->in.session.provider = "daccount";
  l->in.session.issuer = T_ISS;
  l->in.session.provider_sub = subject;
  l->tx[0].at = NOW;
  l->tx[0].provider = "daccount";
  l->tx[0].endpoint = "token";
  l->tx[0].fields_json = "[\"grant_type\",\"code\",\"code_verifier\"]";
  l->tx[0].purpose = "login";
  l->tx[0].outcome = "ok";
  l->tx[0].http_status = 200;
  l->tx[1] = l->tx[0];
  l->tx[1].endpoint = "userinfo";
  l->tx[1].fields_json = "[\"header:Authorization\"]";
  l->in.tx = l->tx;
  l->in.n_tx = 2;
}

static long long t_count(const t_db *t, const char *sql) {
  t_conn *c = t_raw(t);
  long long v = c ? t_int(c, sql) : -1;
  t_close(c);
  return v;
}

/* Row counts of every table the commit writes, as one string. */
static void t_snapshot(const t_db *t, char *out, size_t cap) {
  snprintf(out, cap,
           "acc %lld id %lld ses %lld aud %lld st %lld tx %lld tok %lld",
           t_count(t, "SELECT count(*) FROM accounts"),
           t_count(t, "SELECT count(*) FROM identities"),
           t_count(t, "SELECT count(*) FROM sessions"),
           t_count(t, "SELECT count(*) FROM audit"),
           t_count(t, "SELECT count(*) FROM used_states"),
           t_count(t, "SELECT count(*) FROM transmissions"),
           t_count(t, "SELECT count(*) FROM provider_tokens"));
}

static door_err t_tokens(void *ud, const char *account_id,
                         door_store_tokens_new *t) {
  int *calls = ud;
  (*calls)++;
  T_EQ_INT(strlen(account_id), 32);
  t->access_token = (const uint8_t *)"sealed-access";
  t->access_len = 13;
  t->expires_at = NOW + 300;
  return DOOR_OK;
}

static void test_signin_writes_everything_once(void) {
  t_db t;
  door_store *st = t_fresh(&t);
  door_store_login_result r, r2;
  door_store_transmission *tx = NULL;
  size_t n = 0;
  t_login l;
  char sql[256];
  int calls = 0;
  t_login_make(&l, "alice", "login:s1", 'a');
  l.in.tokens = t_tokens;
  l.in.tokens_ud = &calls;
  T_EQ_ERR(door__store_login_commit(st, &l.in, &r, NULL), DOOR_OK);
  T_EQ_INT(r.created, 1);
  T_EQ_INT(r.linked, 0);
  T_EQ_INT(strlen(r.account_id), 32);
  T_OK(calls >= 1);
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM used_states WHERE key ="
                       " 'login:s1'"),
           1);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM sessions WHERE account_id = '%s'",
           r.account_id);
  T_EQ_INT(t_count(&t, sql), 1);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM provider_tokens WHERE account_id = '%s'",
           r.account_id);
  T_EQ_INT(t_count(&t, sql), 1);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM audit WHERE account_id = '%s' AND"
           " ((kind = 'account_create') OR (kind = 'login' AND detail ="
           " 'new account'))",
           r.account_id);
  T_EQ_INT(t_count(&t, sql), 2);
  /* The records carry the new account, the field names and the status. */
  T_EQ_ERR(door__store_transmissions_list(st, r.account_id, 10, &tx, &n, NULL),
           DOOR_OK);
  T_EQ_INT(n, 2);
  T_EQ_STR(tx[0].endpoint, "userinfo");
  T_EQ_STR(tx[1].endpoint, "token");
  T_EQ_STR(tx[1].fields_json, "[\"grant_type\",\"code\",\"code_verifier\"]");
  T_EQ_INT(tx[1].http_status, 200);
  T_EQ_STR(tx[1].account_id, r.account_id);
  door__store_transmissions_free(tx, n);
  /* The same person again, with this browser's old session: same account,
   * old session gone, a sign-in audit row. */
  t_login_make(&l, "alice", "login:s2", 'b');
  memset(l.old, 'a', sizeof l.old);
  l.in.old_session_hash = l.old;
  T_EQ_ERR(door__store_login_commit(st, &l.in, &r2, NULL), DOOR_OK);
  T_EQ_STR(r2.account_id, r.account_id);
  T_EQ_INT(r2.created, 0);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM sessions WHERE account_id = '%s'",
           r.account_id);
  T_EQ_INT(t_count(&t, sql), 1);
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM audit WHERE kind = 'login' AND"
                       " detail = 'sign-in'"),
           1);
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM accounts"), 1);
  t_done(&t, st);
}

static void test_refusals_leave_nothing(void) {
  t_db t;
  door_store *st = t_fresh(&t);
  door_store_login_result r, bob, x;
  t_login l;
  char before[256], after[256];
  t_login_make(&l, "alice", "login:a", 'a');
  T_EQ_ERR(door__store_login_commit(st, &l.in, &r, NULL), DOOR_OK);
  t_login_make(&l, "bob", "login:b", 'b');
  T_EQ_ERR(door__store_login_commit(st, &l.in, &bob, NULL), DOOR_OK);
  t_snapshot(&t, before, sizeof before);
  /* A replayed callback (state used): nothing at all is written. */
  t_login_make(&l, "carol", "login:a", 'c');
  T_EQ_ERR(door__store_login_commit(st, &l.in, &x, NULL),
           DOOR_ESTORE_DUPLICATE);
  T_EQ_STR(x.account_id, "");
  t_snapshot(&t, after, sizeof after);
  T_EQ_STR(after, before);
  /* A session id that exists (the last write): the new account, its
   * identity, audit, records and the state's use are all rolled back. */
  t_login_make(&l, "dave", "login:d", 'a');
  T_EQ_ERR(door__store_login_commit(st, &l.in, &x, NULL), DOOR_EEXISTS);
  t_snapshot(&t, after, sizeof after);
  T_EQ_STR(after, before);
  /* Linking bob's identity to alice: refused, not moved, nothing written;
   * the broker then records the state as used (FAILED). */
  t_login_make(&l, "bob", "login:e", 'e');
  l.in.mode = DOOR_STORE_LOGIN_LINK;
  l.in.link_account = r.account_id;
  T_EQ_ERR(door__store_login_commit(st, &l.in, &x, NULL),
           DOOR_ESTORE_IDENTITY_TAKEN);
  t_snapshot(&t, after, sizeof after);
  T_EQ_STR(after, before);
  l.in.mode = DOOR_STORE_LOGIN_FAILED;
  T_EQ_ERR(door__store_login_commit(st, &l.in, &x, NULL), DOOR_OK);
  T_EQ_STR(x.account_id, "");
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM used_states WHERE key ="
                       " 'login:e'"),
           1);
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM transmissions WHERE account_id"
                       " IS NULL"),
           2);
  /* FAILED again on a used state is not an error (a record only). */
  T_EQ_ERR(door__store_login_commit(st, &l.in, &x, NULL), DOOR_OK);
  /* Linking to an account that does not exist. */
  t_login_make(&l, "erin", "login:f", 'f');
  l.in.mode = DOOR_STORE_LOGIN_LINK;
  l.in.link_account = "00000000000000000000000000000000";
  T_EQ_ERR(door__store_login_commit(st, &l.in, &x, NULL), DOOR_ENOTFOUND);
  /* A new link: the identity joins alice, a link audit row, the link's
   * session replaces the old one. */
  l.in.link_account = r.account_id;
  memset(l.old, 'a', sizeof l.old);
  l.in.old_session_hash = l.old;
  T_EQ_ERR(door__store_login_commit(st, &l.in, &x, NULL), DOOR_OK);
  T_EQ_INT(x.linked, 1);
  T_EQ_STR(x.account_id, r.account_id);
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM audit WHERE kind = 'link'"), 1);
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM identities WHERE subject ="
                       " 'erin'"),
           1);
  /* Linking it again to the same account changes nothing but is OK. */
  t_login_make(&l, "erin", "login:g", 'g');
  l.in.mode = DOOR_STORE_LOGIN_LINK;
  l.in.link_account = r.account_id;
  T_EQ_ERR(door__store_login_commit(st, &l.in, &x, NULL), DOOR_OK);
  T_EQ_INT(x.linked, 0);
  /* Arguments. */
  l.in.mode = (door_store_login_mode)7;
  T_EQ_ERR(door__store_login_commit(st, &l.in, &x, NULL), DOOR_EINVAL);
  t_login_make(&l, "erin", "login:h", 'h');
  l.tx[0].fields_json = "{\"code\":\"a value\"}";
  T_EQ_ERR(door__store_login_commit(st, &l.in, &x, NULL), DOOR_EJSON_TYPE);
  t_login_make(&l, "erin", "login:h", 'h');
  l.tx[0].http_status = 1000;
  T_EQ_ERR(door__store_login_commit(st, &l.in, &x, NULL), DOOR_EINVAL);
  t_done(&t, st);
}

#define RACERS 8

typedef struct racer {
  door_store *st;
  const t_db *t;
  pthread_barrier_t *go;
  const char *subject;
  char state[32];
  char tag;
  door_err err;
  door_store_login_result r;
} racer;

static void *race(void *p) {
  racer *x = p;
  door_store *own = NULL;
  t_login l;
  if (!x->st && door__store_open(x->t->url, NULL, &own, NULL) != DOOR_OK) {
    x->err = DOOR_EIO;
    pthread_barrier_wait(x->go);
    return NULL;
  }
  t_login_make(&l, x->subject, x->state, x->tag);
  pthread_barrier_wait(x->go);
  x->err = door__store_login_commit(x->st ? x->st : own, &l.in, &x->r, NULL);
  door__store_close(own);
  return NULL;
}

/* RACERS commits at once: first logins of one subject (own states), then
 * one state presented RACERS times (own subjects). */
static void test_races(void) {
  t_db t;
  door_store *st = t_fresh(&t);
  pthread_barrier_t go;
  pthread_t th[RACERS];
  racer x[RACERS];
  int i, round, created, ok, dup;
  for (round = 0; round < 2; round++) {
    pthread_barrier_init(&go, NULL, RACERS);
    for (i = 0; i < RACERS; i++) {
      memset(&x[i], 0, sizeof x[i]);
      x[i].st = i % 2 ? st : NULL; /* half pooled, half own connections */
      x[i].t = &t;
      x[i].go = &go;
      x[i].tag = (char)('A' + round * RACERS + i);
      if (round == 0) {
        x[i].subject = "first-login";
        snprintf(x[i].state, sizeof x[i].state, "login:race%d", i);
      } else {
        x[i].subject = i % 2 ? "replayer-odd" : "replayer-even";
        snprintf(x[i].state, sizeof x[i].state, "login:one");
      }
      pthread_create(&th[i], NULL, race, &x[i]);
    }
    for (i = 0; i < RACERS; i++)
      pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    created = ok = dup = 0;
    for (i = 0; i < RACERS; i++) {
      if (x[i].err == DOOR_OK) {
        ok++;
        created += x[i].r.created;
      } else if (x[i].err == DOOR_ESTORE_DUPLICATE) {
        dup++;
      } else {
        printf("# round %d racer %d: %s\n", round, i, door_err_name(x[i].err));
      }
    }
    if (round == 0) {
      T_EQ_INT(ok, RACERS);
      T_EQ_INT(created, 1);
      for (i = 1; i < RACERS; i++)
        T_EQ_STR(x[i].r.account_id, x[0].r.account_id);
    } else {
      T_EQ_INT(ok, 1);
      T_EQ_INT(dup, RACERS - 1);
    }
  }
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM identities WHERE subject ="
                       " 'first-login'"),
           1);
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM accounts"), 2);
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM sessions"), RACERS + 1);
  t_done(&t, st);
}

static void test_batch_and_purge(void) {
  t_db t;
  door_store *st = t_fresh(&t);
  door_store_transmission_new b[3];
  uint64_t n = 0;
  t_login l;
  t_login_make(&l, "x", NULL, 'x');
  b[0] = l.tx[0];
  b[1] = l.tx[1];
  b[2] = l.tx[0];
  b[0].at = 100; /* old */
  b[1].at = 200;
  b[2].at = 300;
  b[2].endpoint = "tickets";
  b[2].http_status = 0;
  T_EQ_ERR(door__store_transmissions_append(st, b, 3, NULL), DOOR_OK);
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM transmissions"), 3);
  /* All or none: one bad record refuses the batch. */
  b[1].account_id = "11111111111111111111111111111111";
  T_EQ_ERR(door__store_transmissions_append(st, b, 3, NULL), DOOR_ENOTFOUND);
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM transmissions"), 3);
  T_EQ_ERR(door__store_transmissions_append(st, b, 0, NULL), DOOR_EINVAL);
  T_EQ_ERR(door__store_transmissions_append(st, b, DOOR_STORE_TX_BATCH_MAX + 1,
                                            NULL),
           DOOR_ETOOBIG);
  T_EQ_ERR(door__store_transmissions_purge(st, 250, &n, NULL), DOOR_OK);
  T_EQ_INT(n, 2);
  T_EQ_INT(t_count(&t, "SELECT count(*) FROM transmissions"), 1);
  t_done(&t, st);
}

/* Every text column of every table (sqlite_master / information_schema),
 * so a table added later is checked too: how many values mention `id`. */
static long long t_refs(const t_db *t, const char *id) {
  t_conn *c = t_raw(t);
  char tables[64][64], cols[32][64], sql[1024];
  long long total = 0;
  int nt = 0, i, j, nc;
  if (!c)
    return -1;
  if (c->sq) {
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(c->sq,
                       "SELECT name FROM sqlite_master WHERE type = 'table'"
                       " AND name NOT LIKE 'sqlite%'",
                       -1, &s, NULL);
    while (nt < 64 && sqlite3_step(s) == SQLITE_ROW)
      snprintf(tables[nt++], 64, "%s", sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
  } else {
    PGresult *r = PQexec(c->pg, "SELECT table_name FROM"
                                " information_schema.tables WHERE"
                                " table_schema = current_schema()"
                                " AND table_type = 'BASE TABLE'");
    for (i = 0; i < PQntuples(r) && nt < 64; i++)
      snprintf(tables[nt++], 64, "%s", PQgetvalue(r, i, 0));
    PQclear(r);
  }
  T_OK(nt >= 9);
  for (i = 0; i < nt; i++) {
    nc = 0;
    if (c->sq) {
      sqlite3_stmt *s = NULL;
      snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%.63s')",
               tables[i]);
      sqlite3_prepare_v2(c->sq, sql, -1, &s, NULL);
      while (nc < 32 && sqlite3_step(s) == SQLITE_ROW)
        snprintf(cols[nc++], 64, "%s", sqlite3_column_text(s, 0));
      sqlite3_finalize(s);
    } else {
      PGresult *r;
      snprintf(sql, sizeof sql,
               "SELECT column_name FROM information_schema.columns WHERE"
               " table_schema = current_schema() AND table_name = '%.63s'",
               tables[i]);
      r = PQexec(c->pg, sql);
      for (j = 0; j < PQntuples(r) && nc < 32; j++)
        snprintf(cols[nc++], 64, "%s", PQgetvalue(r, j, 0));
      PQclear(r);
    }
    for (j = 0; j < nc; j++) {
      long long v;
      /* Every column as text (blobs and numbers too). */
      snprintf(sql, sizeof sql,
               "SELECT count(*) FROM \"%.63s\" WHERE"
               " CAST(\"%.63s\" AS TEXT) LIKE '%%%.32s%%'",
               tables[i], cols[j], id);
      v = t_int(c, sql);
      if (v != 0)
        printf("# %s.%s: %lld rows mention the account\n", tables[i], cols[j],
               v);
      total += v < 0 ? 1 : v;
    }
  }
  t_close(c);
  return total;
}

static void test_erasure_leaves_no_row(void) {
  t_db t;
  door_store *st = t_fresh(&t);
  door_store_login_result r, linked, keep;
  door_store_delete_counts k;
  door_store_transmission_new extra;
  t_login l;
  int calls = 0;
  t_login_make(&l, "erased", "login:e1", 'e');
  l.in.tokens = t_tokens;
  l.in.tokens_ud = &calls;
  T_EQ_ERR(door__store_login_commit(st, &l.in, &r, NULL), DOOR_OK);
  t_login_make(&l, "erased-too", "login:e2", 'f');
  l.in.mode = DOOR_STORE_LOGIN_LINK;
  l.in.link_account = r.account_id;
  T_EQ_ERR(door__store_login_commit(st, &l.in, &linked, NULL), DOOR_OK);
  T_EQ_INT(linked.linked, 1);
  t_login_make(&l, "kept", "login:k1", 'k');
  T_EQ_ERR(door__store_login_commit(st, &l.in, &keep, NULL), DOOR_OK);
  extra = l.tx[0];
  extra.account_id = r.account_id;
  extra.endpoint = "tickets";
  T_EQ_ERR(door__store_transmissions_append(st, &extra, 1, NULL), DOOR_OK);
  T_EQ_ERR(door__store_audit_append(st, NOW, r.account_id, DOOR_AUDIT_LOGOUT,
                                    "daccount", T_ISS, "logout", NULL, NULL),
           DOOR_OK);
  T_OK(t_refs(&t, r.account_id) > 5);
  T_EQ_ERR(door__store_account_delete(st, r.account_id, NOW + 1, &k, NULL),
           DOOR_OK);
  T_EQ_INT(k.identities, 2);
  T_EQ_INT(k.sessions, 2);
  T_EQ_INT(k.provider_tokens, 1);
  T_EQ_INT(k.transmissions, 5);
  T_EQ_INT(t_refs(&t, r.account_id), 0);
  /* The other account is untouched. */
  T_OK(t_refs(&t, keep.account_id) > 0);
  t_done(&t, st);
}

T_MAIN(T_CASE(test_signin_writes_everything_once),
       T_CASE(test_refusals_leave_nothing), T_CASE(test_races),
       T_CASE(test_batch_and_purge), T_CASE(test_erasure_leaves_no_row))
