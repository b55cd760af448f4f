/* Transmission records (issue 8; doorauth/privacy.h): the door_txlog a
 * library call filled becomes store rows — the field names as a JSON
 * array, never a value — with the DOOR account id when the broker knows
 * it.  A login's rows go into its login commit (login.c); every other call
 * appends them with door__broker_record. */
#include "broker/broker_int.h"
#include "util/json.h"

#include <string.h>

void door__txrows_free(door__txrows *r) {
  size_t i;
  for (i = 0; i < DOOR_TXLOG_MAX; i++)
    door__buf_free(&r->fields[i]);
  memset(r, 0, sizeof *r);
}

/* `names`: field names separated by spaces -> ["a","b"]. */
static door_err door__fields_json(const char *names, door_buf *out) {
  json_t *a = json_array();
  const char *p = names, *e;
  door_err err = DOOR_ENOMEM;
  if (!a)
    return err;
  while (*p) {
    while (*p == ' ')
      p++;
    if (!*p)
      break;
    e = strchr(p, ' ');
    if (!e)
      e = p + strlen(p);
    if (json_array_append_new(a, json_stringn(p, (size_t)(e - p))))
      goto out;
    p = e;
  }
  err = door__json_dump(a, out);
out:
  json_decref(a);
  return err;
}

door_err door__txrows_make(const door_txlog *log, const char *account_id,
                           door__txrows *out) {
  size_t i, n;
  door_err err;
  memset(out, 0, sizeof *out);
  if (!log)
    return DOOR_OK;
  n = log->n < DOOR_TXLOG_MAX ? log->n : DOOR_TXLOG_MAX;
  for (i = 0; i < n; i++) {
    const door_transmission *t = &log->items[i];
    door_store_transmission_new *r = &out->rows[i];
    door__buf_init(&out->fields[i], DOOR_STORE_TEXT_MAX);
    if ((err = door__fields_json(t->fields, &out->fields[i])))
      return err;
    r->at = t->at;
    r->provider = t->provider;
    r->endpoint = door_tx_endpoint_name(t->endpoint);
    r->fields_json = door__buf_str(&out->fields[i]);
    r->purpose = door_tx_purpose_name(t->purpose);
    r->account_id = account_id;
    r->outcome = t->outcome == DOOR_OK ? "ok" : door_err_name(t->outcome);
    r->http_status =
        t->http_status >= 0 && t->http_status <= 999 ? t->http_status : 0;
    if (!r->endpoint || !r->purpose)
      return DOOR_EINVAL;
    out->n = i + 1;
  }
  return DOOR_OK;
}

void door__broker_record(door_broker *b, door__bgen *g, const door_txlog *log,
                         const char *account_id) {
  door__txrows rows;
  door_detail d;
  uint64_t t0;
  door_err err;
  if (!log || !log->n)
    return;
  door_detail_clear(&d);
  err = door__txrows_make(log, account_id, &rows);
  if (!err)
    err = DOOR__ST(
        b, t0, DOOR_M_ST_AUDIT,
        door__store_transmissions_append(b->store, rows.rows, rows.n, &d));
  if (err)
    door__log(&g->log, DOOR_LOG_WARN, "broker.transmissions_not_recorded",
              "err", door_err_name(err), "what", d.what, NULL);
  if (log->dropped)
    door__log(&g->log, DOOR_LOG_WARN, "broker.transmissions_dropped", "hint",
              "more calls than one door_txlog keeps", NULL);
  door__txrows_free(&rows);
}

void door__broker_transmitted(void *ud, const door_transmission *t) {
  door__bgen *g = ud;
  door_txlog one;
  door_txlog_init(&one);
  one.items[0] = *t;
  one.n = 1;
  door__broker_record(g->b, g, &one, NULL);
}
