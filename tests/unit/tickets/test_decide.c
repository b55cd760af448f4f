/* Entitlement decisions: XMarket tickets (tier mapping, refresh and a new
 * sign-in when the provider refuses the access token, failed checks),
 * d-account participant lists, the local roster, the event window, the
 * reasons' order, messages and statuses; the store-backed single-use
 * record shared by two gates. */
#include "t.h"

#include "store/store.h"
#include "tickets/tickets_int.h"
#include "tk.h"
#include "tkcfg.h"

/* ---- a scripted XMarket -------------------------------------------------- */

typedef struct fake {
  const char *tier;  /* the ticket's tier; NULL: no ticket */
  door_err fail;     /* entitlement answers this */
  int refuse_token;  /* entitlement refuses this many tokens (401) */
  int have_token;    /* access_token finds one */
  int refresh_works; /* access_token with refresh = 1 finds one */
  int token_calls, refresh_calls, ent_calls;
  int64_t valid_until;
} fake;

static door_err fake_ent(void *ud, const char *provider, const char *token,
                         const char *event_id, door_entitlement *out,
                         door_detail *d) {
  fake *f = ud;
  (void)provider;
  (void)event_id;
  f->ent_calls++;
  memset(out, 0, sizeof *out);
  T_OK(token && strncmp(token, "at-", 3) == 0);
  if (f->refuse_token > 0) {
    f->refuse_token--;
    /* what providers/xmarket.c answers for a 401 */
    return door_detail_set(d, DOOR_EENTITLEMENT, "tickets_endpoint",
                           "XMarket no longer accepts this sign-in",
                           "sign in with XMarket again");
  }
  if (f->fail)
    return door_detail_set(d, f->fail, "tickets_endpoint", "down", NULL);
  if (f->tier) {
    out->entitled = 1;
    memcpy(out->ticket_id, "T-1", 4);
    door__tk_copy(out->tier, sizeof out->tier, f->tier);
    out->valid_until = f->valid_until;
  }
  return DOOR_OK;
}

static door_err fake_token(void *ud, const char *provider, int refresh,
                           char **token, door_detail *d) {
  fake *f = ud;
  (void)provider;
  (void)d;
  if (refresh)
    f->refresh_calls++;
  else
    f->token_calls++;
  if (refresh ? !f->refresh_works : !f->have_token)
    return DOOR_ENOTFOUND;
  *token = strdup(refresh ? "at-refreshed" : "at-stored");
  return *token ? DOOR_OK : DOOR_ENOMEM;
}

static tkcfg g_c;
static door_tickets *g_t;
static fake g_f;

#define PLIST                                                                  \
  "# participants of live-2025\n"                                              \
  "\n"                                                                         \
  "dacc-sub-1\n"                                                               \
  "  dacc-sub-2   speaker  \r\n"                                               \
  "account:acct-roster vip\n"

static int64_t clk(void *ud) {
  (void)ud;
  return TK_NOW;
}

static void setup(void) {
  door_tickets_options o;
  T_EQ_INT(tkcfg_open(&g_c, PLIST), 0);
  door_tickets_options_init(&o);
  o.entitlement = fake_ent;
  o.entitlement_ud = &g_f;
  o.clock = clk;
  T_EQ_ERR(door_tickets_new(g_c.cfg, &o, &g_t, NULL), DOOR_OK);
}

static door_err check(const char *event, const door_tickets_identity *ids,
                      size_t n, const char *account, door_tickets_grant *gr,
                      door_detail *d) {
  door_tickets_account a;
  memset(&a, 0, sizeof a);
  a.account_id = account;
  a.identities = ids;
  a.n_identities = n;
  a.access_token = fake_token;
  a.ud = &g_f;
  return door_tickets_check(g_t, g_c.cfg, NULL, event, &a, TK_NOW, gr, d);
}

static const door_tickets_identity XM = {"xmarket", "https://xmarket.example",
                                         "xm-user"};
static const door_tickets_identity DA1 = {
    "daccount", "https://conf.uw.docomo.ne.jp/", "dacc-sub-1"};
static const door_tickets_identity DA2 = {
    "daccount", "https://conf.uw.docomo.ne.jp/", "dacc-sub-2"};
static const door_tickets_identity DA9 = {
    "daccount", "https://conf.uw.docomo.ne.jp/", "dacc-sub-9"};
static const door_tickets_identity GEN = {"generic", "https://generic.example",
                                          "dacc-sub-1"};

static void reset_fake(void) {
  memset(&g_f, 0, sizeof g_f);
  g_f.have_token = 1;
}

static void test_tickets(void) {
  door_tickets_grant gr;
  door_detail d;
  setup();
  reset_fake();
  g_f.tier = "vip";
  T_EQ_ERR(check("live-2025", &XM, 1, "a1", &gr, &d), DOOR_OK);
  T_EQ_STR(gr.via, "ticket");
  T_EQ_STR(gr.provider, "xmarket");
  T_EQ_STR(gr.tier, "vip");
  T_EQ_STR(gr.ticket_id, "T-1");
  T_EQ_INT(g_f.token_calls, 1);
  /* a mapped tier, and one the event does not take */
  g_f.tier = "XM_PREMIUM";
  T_EQ_ERR(check("live-2025", &XM, 1, "a1", &gr, &d), DOOR_OK);
  T_EQ_STR(gr.tier, "vip");
  g_f.tier = "backstage";
  T_EQ_ERR(check("live-2025", &XM, 1, "a1", &gr, &d), DOOR_ETICKETS_TIER);
  T_EQ_STR(gr.tier, "");
  /* no tiers configured: as it is, "general" when none */
  T_EQ_ERR(check("open-all", &XM, 1, "a1", &gr, &d), DOOR_OK);
  T_EQ_STR(gr.tier, "backstage");
  g_f.tier = "";
  T_EQ_ERR(check("open-all", &XM, 1, "a1", &gr, &d), DOOR_OK);
  T_EQ_STR(gr.tier, "general");
  /* no ticket */
  g_f.tier = NULL;
  T_EQ_ERR(check("live-2025", &XM, 1, "a1", &gr, &d), DOOR_ETICKETS_NO_TICKET);
  /* valid_until is passed on */
  g_f.tier = "vip";
  g_f.valid_until = TK_NOW + 77;
  T_EQ_ERR(check("live-2025", &XM, 1, "a1", &gr, &d), DOOR_OK);
  T_EQ_INT(gr.valid_until, TK_NOW + 77);
}

static void test_relogin_and_refresh(void) {
  door_tickets_grant gr;
  door_detail d;
  reset_fake();
  g_f.tier = "vip";
  /* no stored token: sign in again */
  g_f.have_token = 0;
  T_EQ_ERR(check("live-2025", &XM, 1, "a1", &gr, &d),
           DOOR_ETICKETS_RELOGIN_NEEDED);
  T_EQ_STR(d.where, "xmarket");
  T_EQ_INT(g_f.ent_calls, 0);
  /* the provider refuses the stored token; the refreshed one works */
  reset_fake();
  g_f.tier = "vip";
  g_f.refuse_token = 1;
  g_f.refresh_works = 1;
  T_EQ_ERR(check("live-2025", &XM, 1, "a1", &gr, &d), DOOR_OK);
  T_EQ_INT(g_f.refresh_calls, 1);
  T_EQ_INT(g_f.ent_calls, 2);
  /* refused again after the refresh */
  reset_fake();
  g_f.tier = "vip";
  g_f.refuse_token = 2;
  g_f.refresh_works = 1;
  T_EQ_ERR(check("live-2025", &XM, 1, "a1", &gr, &d),
           DOOR_ETICKETS_RELOGIN_NEEDED);
  /* no refresh token */
  reset_fake();
  g_f.refuse_token = 1;
  T_EQ_ERR(check("live-2025", &XM, 1, "a1", &gr, &d),
           DOOR_ETICKETS_RELOGIN_NEEDED);
  T_EQ_INT(g_f.refresh_calls, 1);
  /* a check that failed is said so, not "no ticket" */
  reset_fake();
  g_f.fail = DOOR_EHTTP_TIMEOUT;
  T_EQ_ERR(check("live-2025", &XM, 1, "a1", &gr, &d), DOOR_EHTTP_TIMEOUT);
  T_EQ_INT(door_tickets_error_status(DOOR_EHTTP_TIMEOUT), 502);
  /* without an access-token callback */
  {
    door_tickets_account a;
    memset(&a, 0, sizeof a);
    a.account_id = "a1";
    a.identities = &XM;
    a.n_identities = 1;
    T_EQ_ERR(door_tickets_check(g_t, g_c.cfg, NULL, "live-2025", &a, TK_NOW,
                                &gr, &d),
             DOOR_ETICKETS_RELOGIN_NEEDED);
  }
}

static void test_participants_and_roster(void) {
  door_tickets_grant gr;
  door_detail d;
  door_tickets_identity two[2];
  reset_fake();
  T_EQ_ERR(check("live-2025", &DA1, 1, "a1", &gr, &d), DOOR_OK);
  T_EQ_STR(gr.via, "participants");
  T_EQ_STR(gr.provider, "daccount");
  T_EQ_STR(gr.tier, "participant");
  T_EQ_ERR(check("live-2025", &DA2, 1, "a1", &gr, &d), DOOR_OK);
  T_EQ_STR(gr.tier, "speaker");
  T_EQ_ERR(check("live-2025", &DA9, 1, "a1", &gr, &d),
           DOOR_ETICKETS_NOT_PARTICIPANT);
  /* the subject only counts through a provider the event takes */
  T_EQ_ERR(check("live-2025", &GEN, 1, "a1", &gr, &d),
           DOOR_ETICKETS_NO_PROVIDER);
  T_EQ_ERR(check("open-all", &GEN, 1, "a1", &gr, &d), DOOR_OK);
  /* the roster admits an account whatever its identities */
  T_EQ_ERR(check("live-2025", NULL, 0, "acct-roster", &gr, &d), DOOR_OK);
  T_EQ_STR(gr.via, "roster");
  T_EQ_STR(gr.tier, "vip");
  T_EQ_ERR(check("live-2025", NULL, 0, "acct-other", &gr, &d),
           DOOR_ETICKETS_NO_PROVIDER);
  /* the first identity that admits wins; reasons in their order */
  two[0] = XM;
  two[1] = DA1;
  g_f.tier = NULL;
  T_EQ_ERR(check("live-2025", two, 2, "a1", &gr, &d), DOOR_OK);
  T_EQ_STR(gr.via, "participants");
  two[1] = DA9;
  T_EQ_ERR(check("live-2025", two, 2, "a1", &gr, &d), DOOR_ETICKETS_NO_TICKET);
  g_f.have_token = 0;
  T_EQ_ERR(check("live-2025", two, 2, "a1", &gr, &d),
           DOOR_ETICKETS_RELOGIN_NEEDED);
  g_f.have_token = 1;
  g_f.tier = "backstage";
  T_EQ_ERR(check("live-2025", two, 2, "a1", &gr, &d), DOOR_ETICKETS_TIER);
  /* the list is read again when it changes */
  sleep(1); /* a new mtime even on coarse file systems */
  tkcfg_write(g_c.plist, "dacc-sub-9 crew\n");
  T_EQ_ERR(check("live-2025", &DA9, 1, "a1", &gr, &d), DOOR_OK);
  T_EQ_STR(gr.tier, "crew");
  T_EQ_ERR(check("live-2025", &DA1, 1, "a1", &gr, &d),
           DOOR_ETICKETS_NOT_PARTICIPANT);
  /* a malformed list is an error, not a refusal */
  sleep(1);
  tkcfg_write(g_c.plist, "dacc-sub-9 crew extra\n");
  T_EQ_ERR(check("live-2025", &DA9, 1, "a1", &gr, &d), DOOR_ECONFIG_VALUE);
  T_EQ_STR(d.where, "line 1");
  T_EQ_INT(door_tickets_error_status(DOOR_ECONFIG_VALUE), 500);
  tkcfg_write(g_c.plist, PLIST);
}

static void test_window(void) {
  door_tickets_grant gr;
  door_detail d;
  reset_fake();
  g_f.tier = "vip";
  T_EQ_ERR(check("later", &XM, 1, "a1", &gr, &d),
           DOOR_ETICKETS_EVENT_NOT_STARTED);
  T_EQ_ERR(check("over", &XM, 1, "a1", &gr, &d), DOOR_ETICKETS_EVENT_CLOSED);
  T_EQ_ERR(check("nope", &XM, 1, "a1", &gr, &d), DOOR_ETICKETS_EVENT_UNKNOWN);
  T_EQ_INT(g_f.ent_calls, 0);
}

static void test_participation_call(void) {
  door_tickets_account a;
  door_tickets_grant gr;
  door_tickets_token tk;
  door_gate *g;
  door_gate_result r;
  char *jwks = NULL, sub[64];
  reset_fake();
  g_f.tier = "vip";
  memset(&a, 0, sizeof a);
  a.account_id = "acct-7";
  a.identities = &XM;
  a.n_identities = 1;
  a.access_token = fake_token;
  a.ud = &g_f;
  T_EQ_ERR(door_tickets_participation(g_t, g_c.cfg, NULL, "live-2025", &a,
                                      TK_NOW, &gr, &tk, NULL),
           DOOR_OK);
  T_EQ_ERR(door_tickets_jwks(g_t, &jwks, NULL, NULL), DOOR_OK);
  g = tk_gate(jwks, 1);
  T_OK(g != NULL);
  T_EQ_ERR(door_gate_verify(g, tk.token, strlen(tk.token), "live-2025", TK_NOW,
                            &r, NULL),
           DOOR_OK);
  T_EQ_ERR(door_tickets_subject(g_t, "acct-7", "live-2025", sub), DOOR_OK);
  T_EQ_STR(r.sub, sub);
  T_EQ_STR(r.tier, "vip");
  door_tickets_token_clear(&tk);
  /* refused: no token */
  g_f.tier = NULL;
  T_EQ_ERR(door_tickets_participation(g_t, g_c.cfg, NULL, "live-2025", &a,
                                      TK_NOW, &gr, &tk, NULL),
           DOOR_ETICKETS_NO_TICKET);
  T_OK(tk.token == NULL);
  door_gate_free(g);
  free(jwks);
}

static void test_messages(void) {
  static const door_err refusals[] = {DOOR_ETICKETS_EVENT_NOT_STARTED,
                                      DOOR_ETICKETS_EVENT_CLOSED,
                                      DOOR_ETICKETS_NO_PROVIDER,
                                      DOOR_ETICKETS_NO_TICKET,
                                      DOOR_ETICKETS_TIER,
                                      DOOR_ETICKETS_NOT_PARTICIPANT,
                                      DOOR_ETICKETS_RELOGIN_NEEDED};
  char en[512], ja[512], small[20];
  size_t i;
  for (i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
    T_EQ_INT(door_tickets_error_status(refusals[i]), 403);
    T_OK(door_tickets_error_message(refusals[i], "XMarket", "en", en,
                                    sizeof en) > 20);
    T_OK(door_tickets_error_message(refusals[i], "XMarket", "ja", ja,
                                    sizeof ja) > 20);
    T_OK(strcmp(en, ja) != 0);
  }
  door_tickets_error_message(DOOR_ETICKETS_RELOGIN_NEEDED, "XMarket", "en", en,
                             sizeof en);
  T_EQ_STR(en, "Please sign in with XMarket again so we can check your "
               "tickets.");
  door_tickets_error_message(DOOR_ETICKETS_NO_TICKET, NULL, "fr", en,
                             sizeof en);
  T_OK(strstr(en, "the provider") != NULL);
  T_EQ_INT(door_tickets_error_status(DOOR_ETICKETS_EVENT_UNKNOWN), 404);
  T_EQ_INT(door_tickets_error_status(DOOR_ESTORE_BUSY), 503);
  T_EQ_INT(door_tickets_error_status(DOOR_ENOMEM), 500);
  /* truncation never cuts a UTF-8 sequence */
  door_tickets_error_message(DOOR_ETICKETS_NO_TICKET, "XMarket", "ja", small,
                             sizeof small);
  T_OK(strlen(small) < sizeof small);
  {
    json_t *s = json_string(small);
    T_OK(s != NULL); /* valid UTF-8 */
    json_decref(s);
  }
}

/* Two gates (two processes in production) sharing one store admit a
 * single-use token once. */
static void test_store_guard(void) {
  door_store *st = NULL;
  door_buf url, p, tok;
  door_gate_jti_guard guard;
  door_gate_options o;
  door_gate *g1 = NULL, *g2 = NULL;
  door_jwk *k = tk_key("k1");
  char *jwks = tk_jwks(&k, 1);
  tk_claims c = tk_default();
  door__buf_init(&url, 512);
  door__buf_init(&p, 4096);
  door__buf_init(&tok, 4096);
  door__buf_puts(&url, "sqlite:");
  door__buf_puts(&url, g_c.dir);
  door__buf_puts(&url, "/gates.db");
  T_EQ_ERR(door__store_open(url.data, NULL, &st, NULL), DOOR_OK);
  guard = door__tickets_store_guard(st);
  door_gate_options_init(&o);
  o.issuer = TK_ISS;
  o.jwks = jwks;
  o.single_use = 1;
  o.jti_guard = &guard;
  T_EQ_ERR(door_gate_new(&o, &g1, NULL), DOOR_OK);
  T_EQ_ERR(door_gate_new(&o, &g2, NULL), DOOR_OK);
  tk_payload(&c, &p);
  T_EQ_INT(tk_sign(k, TK_HDR_K1, p.data, &tok), 0);
  T_EQ_ERR(tk_verify(g1, &tok, NULL), DOOR_OK);
  T_EQ_ERR(tk_verify(g2, &tok, NULL), DOOR_EGATE_REPLAYED);
  T_EQ_ERR(tk_verify(g1, &tok, NULL), DOOR_EGATE_REPLAYED);
  door_gate_free(g1);
  door_gate_free(g2);
  door__store_close(st);
  free(jwks);
  door__jwk_unref(k);
  door__buf_free(&url);
  door__buf_free(&p);
  door__buf_free(&tok);
}

static void test_teardown(void) {
  door_tickets_free(g_t);
  g_t = NULL;
  tkcfg_close(&g_c);
}

T_MAIN(T_CASE(test_tickets), T_CASE(test_relogin_and_refresh),
       T_CASE(test_participants_and_roster), T_CASE(test_window),
       T_CASE(test_participation_call), T_CASE(test_messages),
       T_CASE(test_store_guard), T_CASE(test_teardown))
