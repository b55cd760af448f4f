/* `door-broker keys`: the participation-token signing keys (docs/gate.md).
 *
 *   keys list [--json]
 *   keys rotate [--now] [--json]
 *
 * Both go through the tickets library on the keys in the store of
 * [store] url (door_tickets_keys_list, door_tickets_keys_rotate); every
 * broker serving that store picks a rotation up within its key refresh
 * interval (2 s).
 * `rotate --now` is for a compromised key: the new key signs at once and
 * every other key is withdrawn.  Exit 0 on success, 1 on failure, 2 for
 * usage.
 */
#include "daemon/daemon.h"
#include "daemon/html.h"
#include "doorauth/tickets.h"
#include "util/json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void door__kout(const char *s) { fputs(s, stdout); }

static void door__kout_date(int64_t t) {
  door_buf b;
  if (t <= 0) {
    door__kout("-");
    return;
  }
  door__buf_init(&b, 64);
  if (!door__html_date(&b, t))
    door__kout(door__buf_str(&b));
  door__buf_free(&b);
}

static const char *door__ks(const json_t *o, const char *k) {
  const char *v = json_string_value(json_object_get(o, k));
  return v ? v : "";
}

/* Text for people: one line per key, oldest first. */
static int door__keys_print(const char *prog, const char *text) {
  json_t *j = NULL, *keys;
  size_t i;
  door_detail d;
  door_detail_clear(&d);
  if (door__json_parse(text, strlen(text), 16, &j, &d)) {
    door__print_detail(prog, &d);
    return 1;
  }
  keys = json_object_get(j, "keys");
  for (i = 0; i < json_array_size(keys); i++) {
    const json_t *k = json_array_get(keys, i);
    door__kout(door__ks(k, "kid"));
    door__kout("  ");
    door__kout(door__ks(k, "state"));
    door__kout("  alg ");
    door__kout(door__ks(k, "alg"));
    door__kout("  created ");
    door__kout_date(
        (int64_t)json_integer_value(json_object_get(k, "created_at")));
    door__kout("  signs from ");
    door__kout_date(
        (int64_t)json_integer_value(json_object_get(k, "not_before")));
    door__kout("  retires ");
    door__kout_date(
        (int64_t)json_integer_value(json_object_get(k, "retire_at")));
    door__kout("\n");
  }
  json_decref(j);
  return 0;
}

static int door__keys_list(door_tickets *t, const char *prog, int json) {
  char *text = NULL;
  door_detail d;
  int rc;
  door_detail_clear(&d);
  if (door_tickets_keys_list(t, &text, &d)) {
    door__print_detail(prog, &d);
    return 1;
  }
  if (json) {
    door__kout(text);
    door__kout("\n");
    rc = 0;
  } else {
    rc = door__keys_print(prog, text);
  }
  free(text);
  return rc;
}

static int door__keys_rotate(door_tickets *t, const char *prog, unsigned flags,
                             int json) {
  char kid[64] = "";
  door_detail d;
  door_detail_clear(&d);
  if (door_tickets_keys_rotate(t, flags, kid, &d)) {
    door__print_detail(prog, &d);
    return 1;
  }
  if (json) {
    json_t *o = json_pack("{s:s,s:b}", "kid", kid, "now",
                          (flags & DOOR_TICKETS_ROTATE_NOW) != 0);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s)
      return 1;
    door__kout(s);
    door__kout("\n");
    free(s);
  } else {
    door__kout("new signing key ");
    door__kout(kid);
    door__kout((flags & DOOR_TICKETS_ROTATE_NOW)
                   ? " (signs now; every other key withdrawn)\n"
                   : " (published now; signs after the prepublish delay)\n");
  }
  return 0;
}

static int door__keys_usage(const char *prog) {
  fputs(prog, stderr);
  fputs(": usage: keys list [--json] | keys rotate [--now] [--json]\n", stderr);
  return 2;
}

int door__cmd_keys(const char *prog, const char *config_path, int argc,
                   char **argv) {
  const char *what = NULL;
  door_config *cfg = NULL;
  door_tickets *t = NULL;
  door_detail d;
  unsigned flags = 0;
  int i, json = 0, rc;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      json = 1;
    else if (strcmp(argv[i], "--now") == 0)
      flags |= DOOR_TICKETS_ROTATE_NOW;
    else if (!what)
      what = argv[i];
    else
      return door__keys_usage(prog);
  }
  if (!what || !(strcmp(what, "list") == 0 || strcmp(what, "rotate") == 0) ||
      (flags && strcmp(what, "rotate") != 0))
    return door__keys_usage(prog);
  door_detail_clear(&d);
  if (door_config_load(config_path, &cfg, &d) ||
      door_tickets_new(cfg, NULL, &t, &d)) {
    door__print_detail(prog, &d);
    door_config_free(cfg);
    return 1;
  }
  if (strcmp(what, "list") == 0)
    rc = door__keys_list(t, prog, json);
  else
    rc = door__keys_rotate(t, prog, flags, json);
  door_tickets_free(t);
  door_config_free(cfg);
  if (fflush(stdout) != 0)
    rc = 1;
  return rc;
}
