/* The refresh grant against the real door-idp over TLS (xmarket profile,
 * rotating refresh tokens): new tokens and a rotated refresh token, the
 * record of the call (field names only), the used refresh token refused
 * with invalid_grant in plain words, and a refreshed ID token about another
 * subject refused (IDT_SUB). */
#include "login_env.h"

#include <string.h>

static void refresh_fields_only(const door_txlog *tx, const char *secret) {
  T_EQ_INT(tx->n, 1);
  T_EQ_INT(tx->items[0].endpoint, DOOR_TX_REFRESH);
  T_EQ_STR(tx->items[0].provider, "xmarket");
  T_OK(strncmp(tx->items[0].fields, "grant_type refresh_token", 24) == 0);
  T_EQ_INT(tx->items[0].purpose, DOOR_TXP_EVENT);
  if (strstr(tx->items[0].fields, secret))
    T_FAIL_("the record holds the refresh token: %s", tx->items[0].fields);
}

void test_refresh(void) {
  door_login_result r;
  door_login_tokens t, t2;
  door_txlog tx;
  door_detail d;
  char *first_rt;
  uint64_t mark;
  json_t *log;
  T_EQ_ERR(login_with(g_rp, "xmarket", "hanako", &r, &d), DOOR_OK);
  T_OK(r.tokens.refresh_token != NULL);
  first_rt = r.tokens.refresh_token;
  /* success: new access token, rotated refresh token */
  door_txlog_init(&tx);
  mark = log_mark();
  T_EQ_ERR(
      door_rp_refresh_expect(g_rp, "xmarket", first_rt, r.subject, &tx, &t, &d),
      DOOR_OK);
  T_OK(t.access_token && strcmp(t.access_token, r.tokens.access_token) != 0);
  T_OK(t.refresh_token && strcmp(t.refresh_token, first_rt) != 0);
  T_OK(t.id_token != NULL); /* door-idp sends one for openid scopes */
  T_OK(t.expires_at > 0);
  refresh_fields_only(&tx, first_rt);
  T_EQ_INT(tx.items[0].http_status, 200);
  T_EQ_ERR(tx.items[0].outcome, DOOR_OK);
  /* door-idp saw one refresh grant with that refresh token */
  log = log_since("xmarket", "token", mark);
  T_EQ_INT(json_array_size(log), 1);
  T_EQ_STR(log_field(json_array_get(log, 0), "form", "grant_type"),
           "refresh_token");
  T_EQ_STR(log_field(json_array_get(log, 0), "form", "refresh_token"),
           first_rt);
  json_decref(log);
  /* the new access token works for the ticket check */
  {
    door_entitlement ent;
    T_EQ_ERR(door_rp_entitlement(g_rp, "xmarket", t.access_token, "ev-100",
                                 NULL, &ent, &d),
             DOOR_OK);
    T_EQ_INT(ent.entitled, 1);
  }
  /* the used (rotated) refresh token: invalid_grant, said plainly */
  door_txlog_init(&tx);
  T_EQ_ERR(door_rp_refresh(g_rp, "xmarket", first_rt, &tx, &t2, &d),
           DOOR_ETOKEN_ERROR);
  T_EQ_STR(d.where, "invalid_grant");
  T_OK(strstr(d.what, "refresh token") != NULL);
  T_OK(strstr(d.hint, "sign in again") != NULL);
  T_OK(t2.access_token == NULL && t2.refresh_token == NULL);
  T_EQ_INT(tx.items[0].http_status, 400);
  T_EQ_ERR(tx.items[0].outcome, DOOR_EHTTP_STATUS);
  /* an ID token about another user in the refresh answer */
  arm("id_token.sub_wrong", "xmarket", "token", NULL);
  T_EQ_ERR(door_rp_refresh_expect(g_rp, "xmarket", t.refresh_token, r.subject,
                                  NULL, &t2, &d),
           DOOR_EIDT_SUB);
  T_OK(t2.access_token == NULL);
  disarm_all();
  door_login_tokens_clear(&t);
  door_login_result_clear(&r);
}
