/* Issuing: keys made at first start in the store (thumbprint kids, the
 * same keys at the next start), pairwise subjects, tokens (claims, lifetime
 * capped by the event's end and the ticket, the window), the JWKS, rotation
 * with overlap (the old key published until its last token ends, then
 * retired: KID_UNKNOWN at the gate), compromise rotation.  Runs on SQLite
 * and, in suite pg, on PostgreSQL.  The store side (concurrent first
 * starts, sealing, import of a state directory) is test_keystore.c. */
#include "t.h"

#include "tickets/gate_int.h"
#include "store/store.h"
#include "tickets/tickets_int.h"
#include "tk.h"
#include "tkcfg.h"

#include <sys/stat.h>

static int64_t g_now = TK_NOW;
static int64_t clk(void *ud) {
  (void)ud;
  return g_now;
}

static door_tickets *open_t(const tkcfg *c, door_err *err) {
  door_tickets_options o;
  door_tickets *t = NULL;
  door_detail d;
  door_tickets_options_init(&o);
  o.clock = clk;
  *err = door_tickets_new(c->cfg, &o, &t, &d);
  if (*err)
    printf("# door_tickets_new: %s %s %s\n", door_err_name(*err), d.where,
           d.what);
  return t;
}

static mode_t mode_of(const char *dir, const char *name) {
  door_buf p;
  struct stat st;
  mode_t m = 0;
  door__buf_init(&p, 512);
  door__buf_puts(&p, dir);
  door__buf_puts(&p, name);
  if (stat(p.data, &st) == 0)
    m = st.st_mode & 0777;
  door__buf_free(&p);
  return m;
}

/* A gate over the tickets' current JWKS. */
static door_gate *gate_of(door_tickets *t, int single_use) {
  char *jwks = NULL;
  int64_t age = 0;
  door_gate *g;
  if (door_tickets_jwks(t, &jwks, &age, NULL))
    return NULL;
  g = tk_gate(jwks, single_use);
  free(jwks);
  return g;
}

static door_tickets_grant grant_of(const char *tier) {
  door_tickets_grant gr;
  memset(&gr, 0, sizeof gr);
  door__tk_copy(gr.tier, sizeof gr.tier, tier);
  return gr;
}

static void test_first_start(void) {
  tkcfg c;
  door_tickets *t, *t2;
  door_err err;
  char *list = NULL, sub1[64], sub2[64];
  json_t *j = NULL, *keys;
  const char *kid;
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  g_now = TK_NOW;
  t = open_t(&c, &err);
  T_EQ_ERR(err, DOOR_OK);
  /* nothing in the state directory: the keys are in the store */
  T_EQ_INT(mode_of(c.state, "/pairwise.key"), 0);
  T_EQ_ERR(door_tickets_keys_list(t, &list, NULL), DOOR_OK);
  T_EQ_ERR(door__json_parse(list, strlen(list), 4, &j, NULL), DOOR_OK);
  keys = json_object_get(j, "keys");
  T_EQ_INT(json_array_size(keys), 1);
  kid = json_string_value(json_object_get(json_array_get(keys, 0), "kid"));
  T_OK(kid && strlen(kid) == 43);
  T_EQ_STR(json_string_value(json_object_get(json_array_get(keys, 0), "state")),
           "active");
  T_EQ_ERR(door_tickets_subject(t, "acct-1", "live-2025", sub1), DOOR_OK);
  T_EQ_INT(strlen(sub1), 43);
  /* a second start finds the same key and pairwise key */
  t2 = open_t(&c, &err);
  T_EQ_ERR(err, DOOR_OK);
  {
    char *list2 = NULL;
    T_EQ_ERR(door_tickets_keys_list(t2, &list2, NULL), DOOR_OK);
    T_EQ_STR(list2, list);
    free(list2);
  }
  T_EQ_ERR(door_tickets_subject(t2, "acct-1", "live-2025", sub2), DOOR_OK);
  T_EQ_STR(sub1, sub2);
  /* pairwise: per event and per account */
  T_EQ_ERR(door_tickets_subject(t2, "acct-1", "open-all", sub2), DOOR_OK);
  T_OK(strcmp(sub1, sub2) != 0);
  T_EQ_ERR(door_tickets_subject(t2, "acct-2", "live-2025", sub2), DOOR_OK);
  T_OK(strcmp(sub1, sub2) != 0);
  /* the separator: ("a", "bc") and ("ab", "c") differ */
  {
    char x[64], y[64];
    T_EQ_ERR(door_tickets_subject(t2, "a", "bc", x), DOOR_OK);
    T_EQ_ERR(door_tickets_subject(t2, "ab", "c", y), DOOR_OK);
    T_OK(strcmp(x, y) != 0);
  }
  json_decref(j);
  free(list);
  door_tickets_free(t);
  door_tickets_free(t2);
  tkcfg_close(&c);
}

static void test_issue_and_verify(void) {
  tkcfg c;
  door_tickets *t;
  door_tickets_token tk;
  door_tickets_grant gr = grant_of("vip");
  door_gate *g;
  door_gate_result r;
  door_detail d;
  door_err err;
  json_t *hdr, *claims;
  char sub[64];
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  g_now = TK_NOW;
  t = open_t(&c, &err);
  T_EQ_ERR(err, DOOR_OK);
  T_EQ_ERR(
      door_tickets_issue(t, c.cfg, "live-2025", "acct-1", &gr, TK_NOW, &tk, &d),
      DOOR_OK);
  T_EQ_INT(tk.exp, TK_NOW + 600);
  T_EQ_INT(tk.iat, TK_NOW);
  T_EQ_INT(strlen(tk.jti), 22);
  T_EQ_ERR(door_tickets_subject(t, "acct-1", "live-2025", sub), DOOR_OK);
  T_EQ_STR(tk.sub, sub);
  /* header and claims as written */
  {
    door_jws jws;
    T_EQ_ERR(door__jws_parse(tk.token, strlen(tk.token), NULL, &jws, NULL),
             DOOR_OK);
    hdr = jws.header;
    claims = jws.payload;
    T_EQ_INT(json_object_size(hdr), 3);
    T_EQ_STR(json_string_value(json_object_get(hdr, "typ")),
             "door-participation+jwt");
    T_EQ_STR(json_string_value(json_object_get(hdr, "kid")), tk.kid);
    T_EQ_INT(json_object_size(claims), 8);
    T_EQ_STR(json_string_value(json_object_get(claims, "iss")),
             "https://door.example.jp");
    T_EQ_STR(json_string_value(json_object_get(claims, "aud")), "live-2025");
    T_EQ_STR(json_string_value(json_object_get(claims, "tier")), "vip");
    T_EQ_INT(json_integer_value(json_object_get(claims, "nbf")), TK_NOW);
    door__jws_clear(&jws);
  }
  /* the gate admits it on the strict fast path */
  g = gate_of(t, 1);
  T_OK(g != NULL);
  T_EQ_ERR(door_gate_verify(g, tk.token, strlen(tk.token), "live-2025",
                            TK_NOW + 1, &r, NULL),
           DOOR_OK);
  T_EQ_STR(r.sub, sub);
  T_EQ_STR(r.tier, "vip");
  T_EQ_STR(r.jti, tk.jti);
  T_EQ_ERR(door_gate_verify(g, tk.token, strlen(tk.token), "live-2025",
                            TK_NOW + 2, &r, NULL),
           DOOR_EGATE_REPLAYED);
  T_EQ_ERR(door_gate_verify(g, tk.token, strlen(tk.token), "open-all",
                            TK_NOW + 2, &r, NULL),
           DOOR_EGATE_AUD);
  T_EQ_ERR(door_gate_verify(g, tk.token, strlen(tk.token), "live-2025",
                            TK_NOW + 630, &r, NULL),
           DOOR_EGATE_EXP);
  door_tickets_token_clear(&tk);
  T_OK(tk.token == NULL);
  /* token JSON for the route */
  T_EQ_ERR(
      door_tickets_issue(t, c.cfg, "live-2025", "acct-1", &gr, TK_NOW, &tk, &d),
      DOOR_OK);
  {
    char *js = NULL;
    json_t *o = NULL;
    T_EQ_ERR(door_tickets_token_json(&tk, 0, &js), DOOR_OK);
    T_EQ_ERR(door__json_parse(js, strlen(js), 4, &o, NULL), DOOR_OK);
    T_EQ_STR(json_string_value(json_object_get(o, "token")), tk.token);
    T_EQ_STR(json_string_value(json_object_get(o, "event")), "live-2025");
    T_EQ_INT(json_integer_value(json_object_get(o, "expires_at")), tk.exp);
    T_OK(json_is_false(json_object_get(o, "single_use")));
    json_decref(o);
    free(js);
  }
  door_tickets_token_clear(&tk);
  door_gate_free(g);
  door_tickets_free(t);
  tkcfg_close(&c);
}

static void test_window_and_lifetime(void) {
  tkcfg c;
  door_tickets *t;
  door_tickets_token tk;
  door_tickets_grant gr = grant_of("");
  door_detail d;
  door_err err;
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  t = open_t(&c, &err);
  T_EQ_ERR(err, DOOR_OK);
  /* default tier, default 5 minute lifetime capped by the event's end */
  T_EQ_ERR(door_tickets_issue(t, c.cfg, "closing", "a", &gr, TK_NOW, &tk, &d),
           DOOR_OK);
  T_EQ_STR(tk.tier, "general");
  T_EQ_INT(tk.exp, 1760000100);
  door_tickets_token_clear(&tk);
  T_EQ_ERR(door_tickets_issue(t, c.cfg, "open-all", "a", &gr, TK_NOW, &tk, &d),
           DOOR_OK);
  T_EQ_INT(tk.exp, TK_NOW + 300);
  door_tickets_token_clear(&tk);
  /* the ticket's own end */
  gr.valid_until = TK_NOW + 42;
  T_EQ_ERR(door_tickets_issue(t, c.cfg, "open-all", "a", &gr, TK_NOW, &tk, &d),
           DOOR_OK);
  T_EQ_INT(tk.exp, TK_NOW + 42);
  door_tickets_token_clear(&tk);
  gr.valid_until = TK_NOW;
  T_EQ_ERR(door_tickets_issue(t, c.cfg, "open-all", "a", &gr, TK_NOW, &tk, &d),
           DOOR_ETICKETS_NO_TICKET);
  gr.valid_until = 0;
  /* outside the window */
  T_EQ_ERR(door_tickets_issue(t, c.cfg, "later", "a", &gr, TK_NOW, &tk, &d),
           DOOR_ETICKETS_EVENT_NOT_STARTED);
  T_EQ_ERR(door_tickets_issue(t, c.cfg, "over", "a", &gr, TK_NOW, &tk, &d),
           DOOR_ETICKETS_EVENT_CLOSED);
  T_EQ_ERR(
      door_tickets_issue(t, c.cfg, "closing", "a", &gr, 1760000100, &tk, &d),
      DOOR_ETICKETS_EVENT_CLOSED);
  T_EQ_ERR(door_tickets_issue(t, c.cfg, "nope", "a", &gr, TK_NOW, &tk, &d),
           DOOR_ETICKETS_EVENT_UNKNOWN);
  T_EQ_ERR(door_tickets_issue(t, c.cfg, "open-all", "", &gr, TK_NOW, &tk, &d),
           DOOR_EINVAL);
  /* a tier with control characters never reaches a token */
  gr = grant_of("v\nip");
  T_EQ_ERR(door_tickets_issue(t, c.cfg, "open-all", "a", &gr, TK_NOW, &tk, &d),
           DOOR_EINVAL);
  T_OK(tk.token == NULL);
  door_tickets_free(t);
  tkcfg_close(&c);
}

static void test_jwks(void) {
  tkcfg c;
  door_tickets *t;
  door_err err;
  char *jwks = NULL;
  int64_t age = 0;
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  t = open_t(&c, &err);
  T_EQ_ERR(err, DOOR_OK);
  T_EQ_ERR(door_tickets_jwks(t, &jwks, &age, NULL), DOOR_OK);
  T_EQ_INT(age, 300);
  T_OK(strstr(jwks, "\"kty\":\"EC\"") != NULL);
  T_OK(strstr(jwks, "\"alg\":\"ES256\"") != NULL);
  T_OK(strstr(jwks, "\"use\":\"sig\"") != NULL);
  T_OK(strstr(jwks, "\"d\"") == NULL);
  free(jwks);
  door_tickets_free(t);
  tkcfg_close(&c);
}

/* A token by the key that signs at `now`. */
static void issue_at(door_tickets *t, const tkcfg *c, int64_t now,
                     door_tickets_token *tk) {
  door_tickets_grant gr = grant_of("vip");
  T_EQ_ERR(
      door_tickets_issue(t, c->cfg, "open-all", "acct", &gr, now, tk, NULL),
      DOOR_OK);
}

static void test_rotation_overlap(void) {
  tkcfg c;
  door_tickets *t, *other;
  door_tickets_token old_tok, new_tok;
  door_gate *g;
  door_gate_result r;
  door_err err;
  char newkid[64], *jwks = NULL, oldkid[64];
  int64_t nb, retire;
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  g_now = TK_NOW;
  t = open_t(&c, &err);
  T_EQ_ERR(err, DOOR_OK);
  other = open_t(&c, &err); /* another broker on the same store */
  T_EQ_ERR(err, DOOR_OK);
  issue_at(t, &c, g_now, &old_tok);
  memcpy(oldkid, old_tok.kid, sizeof oldkid);
  T_EQ_ERR(door_tickets_keys_rotate(t, 0, newkid, NULL), DOOR_OK);
  T_OK(strcmp(newkid, oldkid) != 0);
  /* published at once, signing after prepublish (2 * 300 + 60 s) */
  nb = TK_NOW + 660;
  retire = nb + 600 + 120; /* the longest token_lifetime is 10 minutes */
  T_EQ_ERR(door_tickets_jwks(t, &jwks, NULL, NULL), DOOR_OK);
  T_OK(strstr(jwks, newkid) && strstr(jwks, oldkid));
  free(jwks);
  {
    char *list = NULL;
    T_EQ_ERR(door_tickets_keys_list(t, &list, NULL), DOOR_OK);
    T_OK(strstr(list, "\"state\":\"next\"") != NULL);
    T_OK(strstr(list, "\"state\":\"active\"") != NULL);
    free(list);
  }
  g_now = nb - 1;
  issue_at(t, &c, g_now, &new_tok);
  T_EQ_STR(new_tok.kid, oldkid);
  door_tickets_token_clear(&new_tok);
  /* the other broker read the keys again since (every 10 s) */
  g_now = nb;
  issue_at(other, &c, g_now, &new_tok);
  T_EQ_STR(new_tok.kid, newkid);
  door_tickets_token_clear(&new_tok);
  issue_at(t, &c, g_now, &new_tok);
  T_EQ_STR(new_tok.kid, newkid);
  /* during the overlap a gate takes both */
  g_now = retire - 1;
  g = gate_of(t, 0);
  T_OK(g != NULL);
  T_EQ_INT(door_gate_key_count(g), 2);
  T_EQ_ERR(door_gate_verify(g, old_tok.token, strlen(old_tok.token), "open-all",
                            TK_NOW + 10, &r, NULL),
           DOOR_OK);
  door_gate_free(g);
  {
    char *list = NULL;
    T_EQ_ERR(door_tickets_keys_list(t, &list, NULL), DOOR_OK);
    T_OK(strstr(list, "\"state\":\"retiring\"") != NULL);
    free(list);
  }
  /* after the overlap the old key is gone: its tokens name an unknown kid */
  g_now = retire;
  g = gate_of(t, 0);
  T_OK(g != NULL);
  T_EQ_INT(door_gate_key_count(g), 1);
  T_EQ_ERR(door_gate_verify(g, old_tok.token, strlen(old_tok.token), "open-all",
                            TK_NOW + 10, &r, NULL),
           DOOR_EKID_UNKNOWN);
  T_EQ_ERR(door_gate_verify(g, new_tok.token, strlen(new_tok.token), "open-all",
                            nb + 10, &r, NULL),
           DOOR_OK);
  door_gate_free(g);
  {
    /* retired in the store */
    door_store_signing_key *rows = NULL;
    size_t n = 0, i;
    int retired = -1;
    T_EQ_ERR(door__store_signing_keys_list(t->store, &rows, &n, NULL), DOOR_OK);
    for (i = 0; i < n; i++)
      if (strcmp(rows[i].kid, oldkid) == 0)
        retired = rows[i].retired;
    T_EQ_INT(retired, 1);
    door__store_signing_keys_free(rows, n);
  }
  door_tickets_token_clear(&old_tok);
  door_tickets_token_clear(&new_tok);
  door_tickets_free(t);
  door_tickets_free(other);
  tkcfg_close(&c);
}

static void test_rotation_now(void) {
  tkcfg c;
  door_tickets *t;
  door_tickets_token tk;
  door_err err;
  char newkid[64], *jwks = NULL, oldkid[64];
  T_EQ_INT(tkcfg_open(&c, NULL), 0);
  g_now = TK_NOW;
  t = open_t(&c, &err);
  T_EQ_ERR(err, DOOR_OK);
  issue_at(t, &c, g_now, &tk);
  memcpy(oldkid, tk.kid, sizeof oldkid);
  door_tickets_token_clear(&tk);
  T_EQ_ERR(door_tickets_keys_rotate(t, DOOR_TICKETS_ROTATE_NOW, newkid, NULL),
           DOOR_OK);
  issue_at(t, &c, g_now, &tk);
  T_EQ_STR(tk.kid, newkid);
  door_tickets_token_clear(&tk);
  T_EQ_ERR(door_tickets_jwks(t, &jwks, NULL, NULL), DOOR_OK);
  T_OK(strstr(jwks, newkid) != NULL);
  T_OK(strstr(jwks, oldkid) == NULL);
  free(jwks);
  T_EQ_ERR(door_tickets_keys_rotate(t, 4, NULL, NULL), DOOR_EINVAL);
  door_tickets_free(t);
  tkcfg_close(&c);
}

T_MAIN(T_CASE(test_first_start), T_CASE(test_issue_and_verify),
       T_CASE(test_window_and_lifetime), T_CASE(test_jwks),
       T_CASE(test_rotation_overlap), T_CASE(test_rotation_now))
