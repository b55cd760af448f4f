/* Signing keys in the store (src/tickets/keystore.c), on SQLite and, in
 * suite pg, on PostgreSQL: one first key and one pairwise key however many
 * brokers start together, a rotation on one broker taken up by another
 * within the refresh interval, the overlap and the retirement, the
 * withdrawal of a compromised key, private keys sealed at rest (the raw
 * column holds neither the PEM nor the private scalar), a wrong sealing
 * secret refused with TICKETS_KEY_SEAL, a sealed key moved to another row
 * refused, the one-time import of a state directory of an earlier
 * version (kids and pairwise subjects kept, tampered files refused), and
 * (PostgreSQL) keys in hand still signing while the server is stopped. */
#include "t.h"

#include "store/store.h"
#include "tickets/gate_int.h"
#include "tickets/tickets_int.h"
#include "tk.h"
#include "tkcfg.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <pthread.h>
#include <sys/stat.h>

static int64_t g_now = TK_NOW;
static int64_t clk(void *ud) {
  (void)ud;
  return g_now;
}

static door_tickets *open_cfg(const door_config *cfg, door_err *err,
                              door_detail *d) {
  door_tickets_options o;
  door_tickets *t = NULL;
  door_tickets_options_init(&o);
  o.clock = clk;
  o.key_refresh = 10; /* the default is 2 s; 10 s shows the interval */
  door_detail_clear(d);
  *err = door_tickets_new(cfg, &o, &t, d);
  if (*err)
    printf("# door_tickets_new: %s %s %s\n", door_err_name(*err), d->where,
           d->what);
  return t;
}

/* The store's rows: how many ES256 keys, how many not retired, pairwise. */
typedef struct rows_count {
  size_t es256, live, pairwise;
} rows_count;

static rows_count count_rows(door_tickets *t) {
  door_store_signing_key *rows = NULL;
  size_t n = 0, i;
  rows_count c = {0, 0, 0};
  if (door__store_signing_keys_list(t->store, &rows, &n, NULL))
    return c;
  for (i = 0; i < n; i++) {
    if (strcmp(rows[i].alg, "ES256") == 0) {
      c.es256++;
      c.live += !rows[i].retired;
    } else if (strcmp(rows[i].kid, DOOR__TK_PAIRWISE_KID) == 0) {
      c.pairwise++;
    }
  }
  door__store_signing_keys_free(rows, n);
  return c;
}

static void issue_at(door_tickets *t, const tkcfg *c, int64_t now,
                     door_tickets_token *tk) {
  door_tickets_grant gr;
  memset(&gr, 0, sizeof gr);
  memcpy(gr.tier, "vip", 4);
  T_EQ_ERR(
      door_tickets_issue(t, c->cfg, "open-all", "acct", &gr, now, tk, NULL),
      DOOR_OK);
}

/* ---- concurrent first starts ----------------------------------------------
 */

#define RACERS 8

typedef struct racer {
  const door_config *cfg;
  pthread_barrier_t *go;
  door_tickets *t;
  door_err err;
} racer;

static void *race(void *p) {
  racer *r = p;
  door_detail d;
  pthread_barrier_wait(r->go);
  r->t = open_cfg(r->cfg, &r->err, &d);
  return NULL;
}

static void test_first_start_race(void) {
  tkcfg c;
  pthread_barrier_t go;
  pthread_t th[RACERS];
  racer rs[RACERS];
  char kid0[64] = "", sub0[64] = "";
  rows_count n;
  int i, same_kid = 1, same_sub = 1;
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  g_now = TK_NOW;
  pthread_barrier_init(&go, NULL, RACERS);
  for (i = 0; i < RACERS; i++) {
    rs[i].cfg = c.cfg;
    rs[i].go = &go;
    rs[i].t = NULL;
    pthread_create(&th[i], NULL, race, &rs[i]);
  }
  for (i = 0; i < RACERS; i++)
    pthread_join(th[i], NULL);
  pthread_barrier_destroy(&go);
  for (i = 0; i < RACERS; i++) {
    door_tickets_token tk;
    char sub[64];
    T_EQ_ERR(rs[i].err, DOOR_OK);
    if (!rs[i].t)
      continue;
    issue_at(rs[i].t, &c, TK_NOW, &tk);
    T_EQ_ERR(door_tickets_subject(rs[i].t, "acct-1", "live-2025", sub),
             DOOR_OK);
    if (i == 0) {
      memcpy(kid0, tk.kid, sizeof kid0);
      memcpy(sub0, sub, sizeof sub0);
    }
    same_kid &= strcmp(kid0, tk.kid) == 0;
    same_sub &= strcmp(sub0, sub) == 0;
    door_tickets_token_clear(&tk);
  }
  T_OK(same_kid);
  T_OK(same_sub);
  n = count_rows(rs[0].t);
  T_EQ_INT(n.es256, 1);
  T_EQ_INT(n.pairwise, 1);
  for (i = 0; i < RACERS; i++)
    door_tickets_free(rs[i].t);
  tkcfg_close(&c);
}

/* ---- rotation across brokers ------------------------------------------------
 */

static int jwks_has(door_tickets *t, const char *kid) {
  char *jwks = NULL;
  int has;
  if (door_tickets_jwks(t, &jwks, NULL, NULL))
    return -1;
  has = strstr(jwks, kid) != NULL;
  free(jwks);
  return has;
}

static void test_rotate_two_brokers(void) {
  tkcfg c;
  door_tickets *a, *b;
  door_tickets_token tk;
  door_detail d;
  door_err err;
  char oldkid[64], newkid[64];
  int64_t nb, retire;
  rows_count n;
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  g_now = TK_NOW;
  a = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_OK);
  b = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_OK);
  issue_at(b, &c, g_now, &tk);
  memcpy(oldkid, tk.kid, sizeof oldkid);
  door_tickets_token_clear(&tk);
  T_EQ_ERR(door_tickets_keys_rotate(a, 0, newkid, &d), DOOR_OK);
  nb = TK_NOW + 660;
  retire = nb + 600 + 120;
  T_EQ_INT(jwks_has(a, newkid), 1);
  /* B has not read the store again yet: within the refresh interval */
  g_now = TK_NOW + 9;
  T_EQ_INT(jwks_has(b, newkid), 0);
  g_now = TK_NOW + 10;
  T_EQ_INT(jwks_has(b, newkid), 1);
  T_EQ_INT(jwks_has(b, oldkid), 1);
  /* the old key signs until the new one's not_before, everywhere */
  g_now = nb - 1;
  issue_at(b, &c, g_now, &tk);
  T_EQ_STR(tk.kid, oldkid);
  door_tickets_token_clear(&tk);
  g_now = nb;
  issue_at(b, &c, g_now, &tk);
  T_EQ_STR(tk.kid, newkid);
  door_tickets_token_clear(&tk);
  /* published through the overlap, then retired in the store */
  g_now = retire - 1;
  T_EQ_INT(jwks_has(b, oldkid), 1);
  g_now = retire;
  T_EQ_INT(jwks_has(b, oldkid), 0);
  T_EQ_INT(jwks_has(a, oldkid), 0);
  n = count_rows(a);
  T_EQ_INT(n.es256, 2);
  T_EQ_INT(n.live, 1);
  /* a broker started now finds the new key and does not make another */
  door_tickets_free(a);
  a = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_OK);
  issue_at(a, &c, g_now, &tk);
  T_EQ_STR(tk.kid, newkid);
  door_tickets_token_clear(&tk);
  T_EQ_INT(count_rows(a).es256, 2);
  door_tickets_free(a);
  door_tickets_free(b);
  tkcfg_close(&c);
}

static void test_withdraw(void) {
  tkcfg c;
  door_tickets *a, *b;
  door_tickets_token tk;
  door_detail d;
  door_err err;
  char oldkid[64], newkid[64];
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  g_now = TK_NOW;
  a = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_OK);
  b = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_OK);
  issue_at(b, &c, g_now, &tk);
  memcpy(oldkid, tk.kid, sizeof oldkid);
  door_tickets_token_clear(&tk);
  T_EQ_ERR(door_tickets_keys_rotate(a, DOOR_TICKETS_ROTATE_NOW, newkid, &d),
           DOOR_OK);
  T_EQ_INT(jwks_has(a, oldkid), 0);
  g_now = TK_NOW + 10;
  T_EQ_INT(jwks_has(b, oldkid), 0);
  issue_at(b, &c, g_now, &tk);
  T_EQ_STR(tk.kid, newkid);
  door_tickets_token_clear(&tk);
  T_EQ_INT(count_rows(a).live, 1);
  door_tickets_free(a);
  door_tickets_free(b);
  tkcfg_close(&c);
}

/* Rotations pile up published keys (each keeps its overlap): past 64 the
 * rotation is refused with a hint; --now withdraws them all. */
static void test_too_many_keys(void) {
  tkcfg c;
  door_tickets *t;
  door_detail d;
  door_err err = DOOR_OK;
  int i;
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  g_now = TK_NOW;
  t = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_OK);
  for (i = 0; i < 70 && !err; i++)
    err = door_tickets_keys_rotate(t, 0, NULL, &d);
  T_EQ_ERR(err, DOOR_ETOOBIG);
  T_EQ_INT(i, 64); /* 1 + 63 rotations, the 64th refused */
  T_EQ_INT(count_rows(t).live, 64);
  T_OK(strstr(d.hint, "rotate --now") != NULL);
  T_EQ_ERR(door_tickets_keys_rotate(t, DOOR_TICKETS_ROTATE_NOW, NULL, &d),
           DOOR_OK);
  T_EQ_INT(count_rows(t).live, 1);
  door_tickets_free(t);
  tkcfg_close(&c);
}

/* ---- sealed at rest -------------------------------------------------------
 */

static int contains(const uint8_t *hay, size_t n, const void *needle,
                    size_t m) {
  size_t i;
  for (i = 0; m && i + m <= n; i++)
    if (memcmp(hay + i, needle, m) == 0)
      return 1;
  return 0;
}

static void test_sealed_at_rest(void) {
  tkcfg c;
  door_tickets *t;
  door_store *raw = NULL;
  door_store_signing_key *rows = NULL;
  door_detail d;
  door_err err;
  door_buf pem;
  unsigned char priv[32];
  BIGNUM *bn = NULL;
  size_t n = 0, i, checked = 0;
  const char *body;
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  g_now = TK_NOW;
  t = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_OK);
  /* the key in memory: its PEM body and private scalar */
  door__buf_init(&pem, 8192);
  T_EQ_ERR(door__jwk_to_pem(t->ring->keys[0].jwk, 1, &pem), DOOR_OK);
  T_EQ_INT(EVP_PKEY_get_bn_param(door__jwk_evp(t->ring->keys[0].jwk),
                                 OSSL_PKEY_PARAM_PRIV_KEY, &bn),
           1);
  T_EQ_INT(BN_bn2binpad(bn, priv, 32), 32);
  body = strchr(pem.data, '\n') + 1; /* after -----BEGIN PRIVATE KEY----- */
  /* what the database holds, through another handle */
  T_EQ_ERR(door__store_open(c.db.url, NULL, &raw, NULL), DOOR_OK);
  T_EQ_ERR(door__store_signing_keys_list(raw, &rows, &n, NULL), DOOR_OK);
  for (i = 0; i < n; i++) {
    T_OK(!contains(rows[i].private_pem, rows[i].private_pem_len, "PRIVATE KEY",
                   11));
    T_OK(!contains(rows[i].private_pem, rows[i].private_pem_len, body, 40));
    T_OK(!contains(rows[i].private_pem, rows[i].private_pem_len, priv, 32));
    T_OK(!contains(rows[i].private_pem, rows[i].private_pem_len, t->pairwise,
                   32));
    T_EQ_INT(rows[i].private_pem[0], 1); /* sealed, version 1 */
    checked++;
  }
  T_EQ_INT(checked, 2); /* the signing key and the pairwise key */
  door__store_signing_keys_free(rows, n);
  /* a sealed blob moved to another row does not open there */
  {
    door_store_signing_key *r2 = NULL;
    door_store_signing_key_new k;
    size_t n2 = 0;
    int added = 0;
    T_EQ_ERR(door__store_signing_keys_list(raw, &r2, &n2, NULL), DOOR_OK);
    for (i = 0; i < n2; i++)
      if (strcmp(r2[i].alg, "ES256") == 0)
        break;
    memset(&k, 0, sizeof k);
    k.kid = "moved-key";
    k.alg = "ES256";
    k.private_pem = r2[i].private_pem;
    k.private_pem_len = r2[i].private_pem_len;
    k.created_at = TK_NOW;
    k.not_before = TK_NOW + 5;
    T_EQ_ERR(door__store_signing_key_add(raw, &k, DOOR_STORE_KEY_IF_ABSENT,
                                         TK_NOW, 0, &added, NULL),
             DOOR_OK);
    T_EQ_INT(added, 1);
    door__store_signing_keys_free(r2, n2);
    g_now = TK_NOW + 10;
    door_tickets_free(t);
    t = open_cfg(c.cfg, &err, &d);
    T_EQ_ERR(err, DOOR_ETICKETS_KEY_SEAL);
    T_EQ_STR(d.where, "moved-key");
  }
  BN_clear_free(bn);
  OPENSSL_cleanse(priv, sizeof priv);
  door__buf_free(&pem);
  door__store_close(raw);
  door_tickets_free(t);
  tkcfg_close(&c);
}

static void test_wrong_secret(void) {
  tkcfg c;
  door_tickets *t, *t2;
  door_config *other = NULL;
  door_detail d;
  door_err err;
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  g_now = TK_NOW;
  t = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_OK);
  T_EQ_INT(tkcfg_load_key(&c, TKCFG_OTHER_KEY, &other), 0);
  t2 = open_cfg(other, &err, &d);
  T_EQ_ERR(err, DOOR_ETICKETS_KEY_SEAL);
  T_OK(t2 == NULL);
  T_OK(strstr(d.what, "cookie_key") != NULL);
  T_OK(strstr(d.hint, "same [broker] cookie_key") != NULL);
  /* nothing was added by the refused start */
  T_EQ_INT(count_rows(t).es256, 1);
  T_EQ_INT(count_rows(t).pairwise, 1);
  door__config_free(other);
  door_tickets_free(t);
  tkcfg_close(&c);
}

/* ---- import of a state directory --------------------------------------------
 */

static void path_of(const tkcfg *c, const char *name, door_buf *p) {
  door__buf_reset(p);
  door__buf_puts(p, c->state);
  door__buf_puts(p, name);
}

/* A state directory as earlier versions wrote it: one key (kid out), the
 * pairwise key `pw`. */
static void old_state(const tkcfg *c, char kid[64],
                      const unsigned char pw[32]) {
  door_jwk *k = tk_key(NULL);
  door_buf p, pem, b;
  door__buf_init(&p, 512);
  door__buf_init(&pem, 8192);
  door__buf_init(&b, 1024);
  mkdir(c->state, 0700);
  path_of(c, "/signing-keys", &p);
  mkdir(p.data, 0700);
  T_EQ_ERR(door__tk_thumbprint(k, kid), DOOR_OK);
  T_EQ_ERR(door__jwk_to_pem(k, 1, &pem), DOOR_OK);
  path_of(c, "/signing-keys/", &p);
  door__buf_puts(&p, kid);
  door__buf_puts(&p, ".pem");
  T_EQ_ERR(door__gate_write_file(p.data, pem.data, pem.len, 0600, NULL),
           DOOR_OK);
  door__buf_puts(&b, "{\"version\":1,\"keys\":[{\"kid\":\"");
  door__buf_puts(&b, kid);
  door__buf_puts(&b, "\",\"alg\":\"ES256\",\"created_at\":1700000000,"
                     "\"not_before\":1700000000,\"retire_at\":0}]}\n");
  path_of(c, "/signing-keys/index.json", &p);
  T_EQ_ERR(door__gate_write_file(p.data, b.data, b.len, 0600, NULL), DOOR_OK);
  door__buf_reset(&b);
  door__b64url_encode(pw, 32, &b);
  door__buf_putc(&b, '\n');
  path_of(c, "/pairwise.key", &p);
  T_EQ_ERR(door__gate_write_file(p.data, b.data, b.len, 0600, NULL), DOOR_OK);
  door__buf_free(&p);
  door__buf_free(&pem);
  door__buf_free(&b);
  door__jwk_unref(k);
}

static int exists(const tkcfg *c, const char *name) {
  door_buf p;
  struct stat st;
  int rc;
  door__buf_init(&p, 512);
  path_of(c, name, &p);
  rc = stat(p.data, &st) == 0;
  door__buf_free(&p);
  return rc;
}

static void test_import(void) {
  tkcfg c;
  door_tickets *t;
  door_tickets_token tk;
  door_detail d;
  door_err err;
  unsigned char pw[32];
  char kid[64], want[64], got[64];
  size_t i;
  for (i = 0; i < sizeof pw; i++)
    pw[i] = (unsigned char)(i * 7 + 3);
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  old_state(&c, kid, pw);
  g_now = TK_NOW;
  t = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_OK);
  /* the upgrade keeps the kid and the pairwise subjects */
  issue_at(t, &c, g_now, &tk);
  T_EQ_STR(tk.kid, kid);
  door_tickets_token_clear(&tk);
  T_EQ_ERR(door__tk_pairwise_sub(pw, "acct-1", "live-2025", want), DOOR_OK);
  T_EQ_ERR(door_tickets_subject(t, "acct-1", "live-2025", got), DOOR_OK);
  T_EQ_STR(got, want);
  T_EQ_INT(count_rows(t).es256, 1);
  T_EQ_INT(count_rows(t).pairwise, 1);
  /* imported once: the files are renamed, the next start reads the store */
  T_EQ_INT(exists(&c, "/signing-keys/index.json"), 0);
  T_EQ_INT(exists(&c, "/signing-keys/index.json.imported"), 1);
  T_EQ_INT(exists(&c, "/pairwise.key"), 0);
  T_EQ_INT(exists(&c, "/pairwise.key.imported"), 1);
  door_tickets_free(t);
  t = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_OK);
  T_EQ_ERR(door_tickets_subject(t, "acct-1", "live-2025", got), DOOR_OK);
  T_EQ_STR(got, want);
  T_EQ_INT(count_rows(t).es256, 1);
  door_tickets_free(t);
  tkcfg_close(&c);
}

static void test_import_tampered(void) {
  tkcfg c;
  door_tickets *t;
  door_detail d;
  door_err err;
  door_buf p;
  unsigned char pw[32];
  char kid[64];
  memset(pw, 0x5a, sizeof pw);
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  old_state(&c, kid, pw);
  door__buf_init(&p, 512);
  path_of(&c, "/signing-keys/", &p);
  door__buf_puts(&p, kid);
  door__buf_puts(&p, ".pem");
  g_now = TK_NOW;
  /* readable by others */
  T_EQ_INT(chmod(p.data, 0644), 0);
  t = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_EIO);
  T_OK(t == NULL);
  T_EQ_INT(chmod(p.data, 0600), 0);
  /* another key under this name */
  {
    door_jwk *k = tk_key(NULL);
    door_buf pem;
    door__buf_init(&pem, 8192);
    T_EQ_ERR(door__jwk_to_pem(k, 1, &pem), DOOR_OK);
    T_EQ_ERR(door__gate_write_file(p.data, pem.data, pem.len, 0600, NULL),
             DOOR_OK);
    t = open_cfg(c.cfg, &err, &d);
    T_EQ_ERR(err, DOOR_EJWK_INVALID);
    T_OK(t == NULL);
    door__buf_free(&pem);
    door__jwk_unref(k);
  }
  /* a broken index */
  path_of(&c, "/signing-keys/index.json", &p);
  tkcfg_write(p.data, "{\"keys\":[{\"kid\":\"../x\"}]}");
  t = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_EJSON);
  T_OK(t == NULL);
  /* a broken pairwise key */
  unlink(p.data);
  path_of(&c, "/pairwise.key", &p);
  tkcfg_write(p.data, "short\n");
  T_EQ_INT(chmod(p.data, 0600), 0);
  t = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_EINVAL);
  T_OK(t == NULL);
  /* nothing reached the store on any refused start */
  unlink(p.data);
  t = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_OK);
  T_EQ_INT(count_rows(t).es256, 1);
  door_tickets_free(t);
  door__buf_free(&p);
  tkcfg_close(&c);
}

/* ---- the store goes away ------------------------------------------------- */

/* cluster.sh halt|start DIR (PostgreSQL runs only); 0 on success. */
static int cluster(const char *verb) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s' %s '%s' >/dev/null",
           getenv("DOOR_TEST_PG_CLUSTER"), verb, getenv("DOOR_TEST_PG_DIR"));
  fflush(stdout);
  return system(cmd);
}

/* PostgreSQL stopped: the keys in hand keep signing and the JWKS is still
 * served (the re-read fails and is logged); back, a rotation is seen. */
static void test_store_down(void) {
  tkcfg c;
  door_tickets *t;
  door_tickets_token tk;
  door_detail d;
  door_err err;
  char kid[64], newkid[64];
  if (!t_is_pg() || !getenv("DOOR_TEST_PG_DIR") ||
      !getenv("DOOR_TEST_PG_CLUSTER")) {
    t_only("postgres (tests/pg/cluster.sh run)");
    return;
  }
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  g_now = TK_NOW;
  t = open_cfg(c.cfg, &err, &d);
  T_EQ_ERR(err, DOOR_OK);
  issue_at(t, &c, g_now, &tk);
  memcpy(kid, tk.kid, sizeof kid);
  door_tickets_token_clear(&tk);
  T_EQ_INT(cluster("halt"), 0);
  g_now = TK_NOW + 60; /* past the refresh interval: a re-read is due */
  issue_at(t, &c, g_now, &tk);
  T_EQ_STR(tk.kid, kid);
  door_tickets_token_clear(&tk);
  T_EQ_INT(jwks_has(t, kid), 1);
  T_EQ_INT(cluster("start"), 0);
  T_EQ_ERR(door_tickets_keys_rotate(t, DOOR_TICKETS_ROTATE_NOW, newkid, &d),
           DOOR_OK);
  g_now = TK_NOW + 120;
  issue_at(t, &c, g_now, &tk);
  T_EQ_STR(tk.kid, newkid);
  door_tickets_token_clear(&tk);
  door_tickets_free(t);
  tkcfg_close(&c);
}

T_MAIN(T_CASE(test_first_start_race), T_CASE(test_rotate_two_brokers),
       T_CASE(test_withdraw), T_CASE(test_too_many_keys),
       T_CASE(test_sealed_at_rest), T_CASE(test_wrong_secret),
       T_CASE(test_import), T_CASE(test_import_tampered),
       T_CASE(test_store_down))
