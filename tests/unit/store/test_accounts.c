/* Accounts and identities: the login mapping, linking, unlinking, listing,
 * deletion and counts. */
#include "t_store.h"

static void test_login_creates_then_finds(void) {
  t_db t;
  door_store *st;
  door_store_account a;
  door_store_audit *au = NULL;
  size_t n = 0;
  char id[33], id2[33];
  int created = -1;
  t_db_make(&t);
  st = t_open(&t);
  T_OK(st);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "alice", "daccount", NULL,
                                      1000, id, &created, NULL),
           DOOR_OK);
  T_EQ_INT(created, 1);
  T_EQ_INT(strlen(id), DOOR_STORE_ID_LEN);
  T_OK(strspn(id, "0123456789abcdef") == DOOR_STORE_ID_LEN);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "alice", "daccount",
                                      "{\"nickname\":\"Alice\"}", 2000, id2,
                                      &created, NULL),
           DOOR_OK);
  T_EQ_INT(created, 0);
  T_EQ_STR(id2, id);
  T_EQ_ERR(door__store_account_get(st, id, &a, NULL), DOOR_OK);
  T_EQ_STR(a.id, id);
  T_EQ_INT(a.created_at, 1000);
  T_EQ_INT(a.n_identities, 1);
  T_EQ_STR(a.identities[0].provider, "daccount");
  T_EQ_STR(a.identities[0].issuer, T_ISS);
  T_EQ_STR(a.identities[0].subject, "alice");
  T_EQ_INT(a.identities[0].linked_at, 1000);
  T_EQ_INT(a.identities[0].last_login_at, 2000);
  T_EQ_STR(a.identities[0].kept_claims, "{\"nickname\":\"Alice\"}");
  door__store_account_clear(&a);
  /* Keeping no claims any more clears them. */
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "alice", "daccount", NULL,
                                      3000, id2, &created, NULL),
           DOOR_OK);
  T_EQ_ERR(door__store_account_get(st, id, &a, NULL), DOOR_OK);
  T_OK(a.identities[0].kept_claims == NULL);
  door__store_account_clear(&a);
  /* Same subject at another issuer is another person. */
  T_EQ_ERR(door__store_login_identity(st, T_ISS2, "alice", "xmarket", NULL,
                                      3000, id2, &created, NULL),
           DOOR_OK);
  T_EQ_INT(created, 1);
  T_OK(strcmp(id, id2) != 0);
  /* Creation was audited in the same transaction. */
  T_EQ_ERR(door__store_audit_list(st, id, 10, &au, &n, NULL), DOOR_OK);
  T_EQ_INT(n, 1);
  T_EQ_INT(au[0].kind, DOOR_AUDIT_ACCOUNT_CREATE);
  T_EQ_STR(au[0].provider, "daccount");
  T_EQ_INT(au[0].at, 1000);
  door__store_audits_free(au, n);
  T_EQ_ERR(door__store_identity_find(st, T_ISS, "alice", id2, NULL), DOOR_OK);
  T_EQ_STR(id2, id);
  T_EQ_ERR(door__store_identity_find(st, T_ISS, "bob", id2, NULL),
           DOOR_ENOTFOUND);
  door__store_close(st);
  t_db_remove(&t);
}

static void test_login_checks_arguments(void) {
  t_db t;
  door_store *st = NULL;
  char id[33], big[2000];
  int created;
  door_detail d;
  st = t_fresh(&t);
  T_EQ_ERR(
      door__store_login_identity(st, T_ISS, "", "p", NULL, 1, id, &created, &d),
      DOOR_EINVAL);
  T_EQ_STR(d.where, "subject");
  T_EQ_ERR(
      door__store_login_identity(st, NULL, "s", "p", NULL, 1, id, &created, &d),
      DOOR_EINVAL);
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  big[256] = '\0';
  T_EQ_ERR(door__store_login_identity(st, T_ISS, big, "p", NULL, 1, id,
                                      &created, &d),
           DOOR_ETOOBIG);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "s", "p", "[1,2]", 1, id,
                                      &created, &d),
           DOOR_EJSON_TYPE);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "s", "p", "{\"a\":1,\"a\":2}",
                                      1, id, &created, &d),
           DOOR_EJSON_DUPKEY);
  T_EQ_ERR(
      door__store_login_identity(st, T_ISS, "s", "p", "{", 1, id, &created, &d),
      DOOR_EJSON);
  T_EQ_ERR(door__store_login_identity(NULL, T_ISS, "s", "p", NULL, 1, id,
                                      &created, &d),
           DOOR_EINVAL);
  T_EQ_ERR(door__store_account_get(st, "nothex", NULL, &d), DOOR_EINVAL);
  {
    door_store_account a;
    T_EQ_ERR(
        door__store_account_get(st, "ABCDEF0123456789ABCDEF0123456789", &a, &d),
        DOOR_EINVAL);
    T_EQ_ERR(
        door__store_account_get(st, "abcdef0123456789abcdef0123456789", &a, &d),
        DOOR_ENOTFOUND);
  }
  t_done(&t, st);
}

static void test_link_rules(void) {
  t_db t;
  door_store *st = NULL;
  door_store_account a;
  char alice[33], bob[33], owner[33];
  int created, linked = -1;
  door_detail d;
  st = t_fresh(&t);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "alice", "daccount", NULL, 10,
                                      alice, &created, NULL),
           DOOR_OK);
  T_EQ_ERR(door__store_login_identity(st, T_ISS2, "bob", "xmarket", NULL, 10,
                                      bob, &created, NULL),
           DOOR_OK);
  /* New link. */
  T_EQ_ERR(door__store_link_identity(st, alice, T_ISS2, "alice-x", "xmarket",
                                     "{}", 20, &linked, NULL),
           DOOR_OK);
  T_EQ_INT(linked, 1);
  /* Same link again: idempotent. */
  T_EQ_ERR(door__store_link_identity(st, alice, T_ISS2, "alice-x", "xmarket",
                                     NULL, 30, &linked, NULL),
           DOOR_OK);
  T_EQ_INT(linked, 0);
  /* Bob's identity cannot move to Alice. */
  T_EQ_ERR(door__store_link_identity(st, alice, T_ISS2, "bob", "xmarket", NULL,
                                     40, &linked, &d),
           DOOR_ESTORE_IDENTITY_TAKEN);
  T_EQ_INT(linked, 0);
  T_EQ_ERR(door__store_identity_find(st, T_ISS2, "bob", owner, NULL), DOOR_OK);
  T_EQ_STR(owner, bob);
  T_EQ_ERR(door__store_link_identity(st, "00000000000000000000000000000000",
                                     T_ISS, "carol", "daccount", NULL, 40, NULL,
                                     &d),
           DOOR_ENOTFOUND);
  T_EQ_ERR(door__store_account_get(st, alice, &a, NULL), DOOR_OK);
  T_EQ_INT(a.n_identities, 2);
  T_EQ_STR(a.identities[0].subject, "alice");
  T_EQ_STR(a.identities[1].subject, "alice-x");
  T_EQ_STR(a.identities[1].kept_claims, "{}");
  T_EQ_INT(a.identities[1].linked_at, 20);
  door__store_account_clear(&a);
  t_done(&t, st);
}

static void test_unlink_rules(void) {
  t_db t;
  door_store *st = NULL;
  door_store_account a;
  door_store_tokens_new tn;
  door_store_tokens tk;
  door_store_audit *au = NULL;
  size_t n = 0;
  char id[33];
  int created;
  door_detail d;
  st = t_fresh(&t);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "a1", "daccount", NULL, 10, id,
                                      &created, NULL),
           DOOR_OK);
  /* The only identity stays. */
  T_EQ_ERR(door__store_unlink_identity(st, id, "daccount", NULL, NULL, 11, &d),
           DOOR_ESTORE_LAST_IDENTITY);
  T_EQ_ERR(door__store_link_identity(st, id, T_ISS, "a2", "daccount", NULL, 12,
                                     NULL, NULL),
           DOOR_OK);
  T_EQ_ERR(door__store_link_identity(st, id, T_ISS2, "x1", "xmarket", NULL, 13,
                                     NULL, NULL),
           DOOR_OK);
  /* Two d-accounts: by provider is ambiguous. */
  T_EQ_ERR(door__store_unlink_identity(st, id, "daccount", NULL, NULL, 14, &d),
           DOOR_ESTORE_AMBIGUOUS);
  T_EQ_ERR(door__store_unlink_identity(st, id, "nobody", NULL, NULL, 14, &d),
           DOOR_ENOTFOUND);
  T_EQ_ERR(door__store_unlink_identity(st, id, NULL, T_ISS, "zz", 14, &d),
           DOOR_ENOTFOUND);
  T_EQ_ERR(door__store_unlink_identity(st, id, "daccount", T_ISS, "a2", 14, &d),
           DOOR_EINVAL);
  T_EQ_ERR(door__store_unlink_identity(st, id, NULL, T_ISS, NULL, 14, &d),
           DOOR_EINVAL);
  T_EQ_ERR(door__store_unlink_identity(st, "11111111111111111111111111111111",
                                       "daccount", NULL, NULL, 14, &d),
           DOOR_ENOTFOUND);
  /* By name. */
  T_EQ_ERR(door__store_unlink_identity(st, id, NULL, T_ISS, "a2", 15, NULL),
           DOOR_OK);
  /* xmarket tokens go when its last identity goes. */
  memset(&tn, 0, sizeof tn);
  tn.account_id = id;
  tn.provider = "xmarket";
  tn.access_token = (const uint8_t *)"AT";
  tn.access_len = 2;
  tn.now = 16;
  T_EQ_ERR(door__store_tokens_put(st, &tn, NULL), DOOR_OK);
  tn.provider = "daccount";
  T_EQ_ERR(door__store_tokens_put(st, &tn, NULL), DOOR_OK);
  T_EQ_ERR(door__store_unlink_identity(st, id, "xmarket", NULL, NULL, 17, NULL),
           DOOR_OK);
  T_EQ_ERR(door__store_tokens_get(st, id, "xmarket", &tk, NULL),
           DOOR_ENOTFOUND);
  T_EQ_ERR(door__store_tokens_get(st, id, "daccount", &tk, NULL), DOOR_OK);
  door__store_tokens_clear(&tk);
  T_EQ_ERR(door__store_unlink_identity(st, id, "daccount", NULL, NULL, 18, &d),
           DOOR_ESTORE_LAST_IDENTITY);
  T_EQ_ERR(door__store_account_get(st, id, &a, NULL), DOOR_OK);
  T_EQ_INT(a.n_identities, 1);
  T_EQ_STR(a.identities[0].subject, "a1");
  door__store_account_clear(&a);
  /* Audit: create, link, link, unlink, unlink: newest first. */
  T_EQ_ERR(door__store_audit_list(st, id, 100, &au, &n, NULL), DOOR_OK);
  T_EQ_INT(n, 5);
  T_EQ_INT(au[0].kind, DOOR_AUDIT_UNLINK);
  T_EQ_STR(au[0].provider, "xmarket");
  T_EQ_STR(au[0].issuer, T_ISS2);
  T_EQ_INT(au[1].kind, DOOR_AUDIT_UNLINK);
  T_EQ_STR(au[1].provider, "daccount");
  T_EQ_INT(au[2].kind, DOOR_AUDIT_LINK);
  T_EQ_INT(au[4].kind, DOOR_AUDIT_ACCOUNT_CREATE);
  door__store_audits_free(au, n);
  t_done(&t, st);
}

static void test_list_pages(void) {
  t_db t;
  door_store *st = NULL;
  door_store_account *a = NULL, *b = NULL;
  size_t n = 0, m = 0, i;
  char id[33], subject[16], after[33];
  int created;
  st = t_fresh(&t);
  for (i = 0; i < 7; i++) {
    snprintf(subject, sizeof subject, "user%zu", i);
    T_EQ_ERR(door__store_login_identity(st, T_ISS, subject, "daccount", NULL,
                                        (int64_t)i, id, &created, NULL),
             DOOR_OK);
    if (i % 2 == 0) {
      snprintf(subject, sizeof subject, "x%zu", i);
      T_EQ_ERR(door__store_link_identity(st, id, T_ISS2, subject, "xmarket",
                                         NULL, 100, NULL, NULL),
               DOOR_OK);
    }
  }
  T_EQ_ERR(door__store_accounts_list(st, NULL, 4, &a, &n, NULL), DOOR_OK);
  T_EQ_INT(n, 4);
  for (i = 1; i < n; i++)
    T_OK(strcmp(a[i - 1].id, a[i].id) < 0);
  snprintf(after, sizeof after, "%s", a[3].id);
  T_EQ_ERR(door__store_accounts_list(st, after, 4, &b, &m, NULL), DOOR_OK);
  T_EQ_INT(m, 3);
  T_OK(strcmp(b[0].id, after) > 0);
  {
    size_t identities = 0;
    for (i = 0; i < n; i++)
      identities += a[i].n_identities;
    for (i = 0; i < m; i++)
      identities += b[i].n_identities;
    T_EQ_INT(identities, 7 + 4);
  }
  door__store_accounts_free(a, n);
  door__store_accounts_free(b, m);
  T_EQ_ERR(door__store_accounts_list(st, NULL, 0, &a, &n, NULL), DOOR_EINVAL);
  T_EQ_ERR(
      door__store_accounts_list(st, "", DOOR_STORE_LIST_MAX + 1, &a, &n, NULL),
      DOOR_EINVAL);
  T_EQ_ERR(door__store_accounts_list(st, "ffffffffffffffffffffffffffffffff", 10,
                                     &a, &n, NULL),
           DOOR_OK);
  T_EQ_INT(n, 0);
  T_OK(a == NULL);
  t_done(&t, st);
}

static void test_delete_cascades_and_anonymises(void) {
  t_db t;
  door_store *st;
  door_store_delete_counts k;
  door_store_session_new s;
  door_store_tokens_new tn;
  door_store_transmission_new tr;
  door_store_audit *au = NULL;
  door_store_counts c;
  t_conn *db;
  uint8_t h[32];
  size_t n = 0;
  char id[33], other[33];
  int created;
  t_db_make(&t);
  st = t_open(&t);
  T_OK(st);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "gone", "daccount",
                                      "{\"name\":\"G\"}", 10, id, &created,
                                      NULL),
           DOOR_OK);
  T_EQ_ERR(door__store_login_identity(st, T_ISS, "stays", "daccount", NULL, 10,
                                      other, &created, NULL),
           DOOR_OK);
  T_EQ_ERR(door__store_link_identity(st, id, T_ISS2, "gone-x", "xmarket", NULL,
                                     11, NULL, NULL),
           DOOR_OK);
  memset(&s, 0, sizeof s);
  memset(h, 7, sizeof h);
  s.id_hash = h;
  s.account_id = id;
  s.now = 12;
  s.idle_expires_at = 100;
  s.absolute_expires_at = 1000;
  T_EQ_ERR(door__store_session_create(st, &s, NULL), DOOR_OK);
  memset(&tn, 0, sizeof tn);
  tn.account_id = id;
  tn.provider = "daccount";
  tn.refresh_token = (const uint8_t *)"RT";
  tn.refresh_len = 2;
  tn.now = 12;
  T_EQ_ERR(door__store_tokens_put(st, &tn, NULL), DOOR_OK);
  memset(&tr, 0, sizeof tr);
  tr.at = 12;
  tr.provider = "daccount";
  tr.endpoint = "https://op.example/token";
  tr.fields_json = "[\"code\",\"client_id\"]";
  tr.purpose = "login";
  tr.account_id = id;
  tr.outcome = "200";
  T_EQ_ERR(door__store_transmission_append(st, &tr, NULL, NULL), DOOR_OK);
  T_EQ_ERR(door__store_transmission_append(st, &tr, NULL, NULL), DOOR_OK);
  tr.account_id = other;
  T_EQ_ERR(door__store_transmission_append(st, &tr, NULL, NULL), DOOR_OK);
  T_EQ_ERR(door__store_audit_append(st, 13, id, DOOR_AUDIT_LOGIN, "daccount",
                                    T_ISS, "from the test", NULL, NULL),
           DOOR_OK);
  T_EQ_ERR(door__store_account_delete(st, id, 20, &k, NULL), DOOR_OK);
  T_EQ_INT(k.identities, 2);
  T_EQ_INT(k.sessions, 1);
  T_EQ_INT(k.provider_tokens, 1);
  T_EQ_INT(k.transmissions, 2);
  T_EQ_INT(k.audit_anonymised, 3); /* create, link, login */
  T_EQ_ERR(door__store_account_delete(st, id, 21, &k, NULL), DOOR_ENOTFOUND);
  T_EQ_INT(k.identities, 0);
  T_EQ_ERR(door__store_identity_find(st, T_ISS, "gone", id, NULL),
           DOOR_ENOTFOUND);
  /* The newest audit row records the counts, with no account. */
  T_EQ_ERR(door__store_audit_list(st, NULL, 10, &au, &n, NULL), DOOR_OK);
  T_EQ_INT(au[0].kind, DOOR_AUDIT_ACCOUNT_DELETE);
  T_OK(au[0].account_id == NULL);
  T_EQ_STR(au[0].detail,
           "{\"identities\":2,\"sessions\":1,\"provider_tokens\":1,"
           "\"transmissions\":2,\"audit_anonymised\":3}");
  door__store_audits_free(au, n);
  T_EQ_ERR(door__store_counts(st, 20, &c, NULL), DOOR_OK);
  T_EQ_INT(c.accounts, 1);
  T_EQ_INT(c.identities, 1);
  T_EQ_INT(c.sessions, 0);
  T_EQ_INT(c.provider_tokens, 0);
  T_EQ_INT(c.transmissions, 1);
  T_EQ_INT(c.audit, 5); /* 3 anonymised + other's create + the delete */
  door__store_close(st);
  /* No trace of the subject, the claims or the detail in the rows. */
  db = t_raw(&t);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM audit WHERE detail ="
                     " 'from the test' OR account_id IS NOT NULL AND"
                     " account_id NOT IN (SELECT id FROM accounts)"),
           0);
  T_EQ_INT(t_int(db, "SELECT count(*) FROM identities WHERE subject LIKE"
                     " 'gone%'"),
           0);
  t_close(db);
  t_db_remove(&t);
}

T_MAIN(T_CASE(test_login_creates_then_finds),
       T_CASE(test_login_checks_arguments), T_CASE(test_link_rules),
       T_CASE(test_unlink_rules), T_CASE(test_list_pages),
       T_CASE(test_delete_cascades_and_anonymises))
