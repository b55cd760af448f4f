/* `door-broker accounts`: operators' account commands over the broker's
 * account API.
 *
 *   accounts list [--json]
 *   accounts show ID [--json]
 *   accounts unlink ID PROVIDER [--json]
 *   accounts delete ID [--json]
 *
 * Text output is for people; --json prints the library's JSON.  Exit 0 on
 * success, 1 on failure (no such account, last identity, ...), 2 for usage.
 */
#include "daemon/daemon.h"
#include "daemon/html.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOOR_D_PAGE 500

static void door__out(const char *s) { fputs(s, stdout); }

static void door__out_i64(int64_t v) {
  door_buf b;
  door__buf_init(&b, 32);
  if (!door__buf_put_i64(&b, v))
    door__out(door__buf_str(&b));
  door__buf_free(&b);
}

static void door__out_date(int64_t t) {
  door_buf b;
  door__buf_init(&b, 64);
  if (!door__html_date(&b, t))
    door__out(door__buf_str(&b));
  door__buf_free(&b);
}

static const char *door__s(const json_t *o, const char *k) {
  const char *v = json_string_value(json_object_get(o, k));
  return v ? v : "";
}

static int64_t door__i(const json_t *o, const char *k) {
  return (int64_t)json_integer_value(json_object_get(o, k));
}

/* One account: a summary line, or every identity too (`full`). */
static void door__print_account(const json_t *a, int full) {
  const json_t *ids = json_object_get(a, "identities");
  size_t i;
  door__out(door__s(a, "id"));
  door__out("  created ");
  door__out_date(door__i(a, "created_at"));
  door__out("  ");
  door__out_i64((int64_t)json_array_size(ids));
  door__out(json_array_size(ids) == 1 ? " identity" : " identities");
  for (i = 0; i < json_array_size(ids); i++) {
    const json_t *t = json_array_get(ids, i);
    if (!full) {
      door__out(i ? ", " : ": ");
      door__out(door__s(t, "provider"));
      continue;
    }
    door__out("\n  ");
    door__out(door__s(t, "provider"));
    door__out("  issuer ");
    door__out(door__s(t, "issuer"));
    door__out("  subject ");
    door__out(door__s(t, "subject"));
    door__out("\n    linked ");
    door__out_date(door__i(t, "linked_at"));
    door__out("  last login ");
    door__out_date(door__i(t, "last_login_at"));
  }
  door__out("\n");
}

static json_t *door__parse(const char *text) {
  json_t *j = NULL;
  if (door__json_parse(text, strlen(text), 16, &j, NULL))
    return NULL;
  return j;
}

static int door__list(door_broker *b, const char *prog, int json) {
  json_t *all = json_array();
  char *text = NULL, after[64] = "";
  door_detail d;
  door_err err = DOOR_OK;
  size_t i;
  int rc = 0;
  if (!all)
    return 1;
  for (;;) {
    json_t *page, *list, *next;
    err = door_broker_accounts_json(b, after[0] ? after : NULL, DOOR_D_PAGE,
                                    &text, &d);
    if (err)
      break;
    page = door__parse(text);
    free(text);
    text = NULL;
    list = json_object_get(page, "accounts");
    for (i = 0; i < json_array_size(list); i++)
      json_array_append(all, json_array_get(list, i));
    next = json_object_get(page, "next");
    if (!json_is_string(next) ||
        strlen(json_string_value(next)) >= sizeof after) {
      json_decref(page);
      break;
    }
    memcpy(after, json_string_value(next), strlen(json_string_value(next)) + 1);
    json_decref(page);
  }
  if (err) {
    door__print_detail(prog, &d);
    rc = 1;
  } else if (json) {
    door_buf o;
    json_t *w = json_pack("{s:O}", "accounts", all);
    door__buf_init(&o, (size_t)256 << 20);
    if (w && !door__json_dump(w, &o)) {
      door__out(door__buf_str(&o));
      door__out("\n");
    } else {
      rc = 1;
    }
    json_decref(w);
    door__buf_free(&o);
  } else {
    for (i = 0; i < json_array_size(all); i++)
      door__print_account(json_array_get(all, i), 0);
    door__out_i64((int64_t)json_array_size(all));
    door__out(json_array_size(all) == 1 ? " account\n" : " accounts\n");
  }
  json_decref(all);
  return rc;
}

static int door__show(door_broker *b, const char *prog, const char *id,
                      int json) {
  char *text = NULL;
  door_detail d;
  json_t *a;
  door_err err = door_broker_account_json(b, id, &text, &d);
  if (err) {
    if (err == DOOR_ENOTFOUND)
      door_detail_set(&d, err, id, "no such account", NULL);
    door__print_detail(prog, &d);
    return 1;
  }
  if (json) {
    door__out(text);
    door__out("\n");
  } else if ((a = door__parse(text))) {
    door__print_account(a, 1);
    json_decref(a);
  }
  free(text);
  return 0;
}

static int door__unlink_cmd(door_broker *b, const char *prog, const char *id,
                            const char *provider, int json) {
  door_detail d;
  door_err err;
  door_detail_clear(&d);
  err = door_broker_account_unlink(b, id, provider, &d);
  if (err) {
    if (err == DOOR_ENOTFOUND && !d.what[0])
      door_detail_set(&d, err, id, "no such account or identity", NULL);
    door__print_detail(prog, &d);
    return 1;
  }
  if (json) {
    door__out("{\"unlinked\":true}\n");
  } else {
    door__out("unlinked ");
    door__out(provider);
    door__out(" from ");
    door__out(id);
    door__out("\n");
  }
  return 0;
}

static int door__delete_cmd(door_broker *b, const char *prog, const char *id,
                            int json) {
  char *counts = NULL;
  door_detail d;
  door_err err;
  door_detail_clear(&d);
  err = door_broker_account_delete(b, id, &counts, &d);
  if (err) {
    if (err == DOOR_ENOTFOUND && !d.what[0])
      door_detail_set(&d, err, id, "no such account", NULL);
    door__print_detail(prog, &d);
    return 1;
  }
  if (json) {
    door__out(counts);
    door__out("\n");
  } else {
    door__out("deleted ");
    door__out(id);
    door__out(" ");
    door__out(counts);
    door__out("\n");
  }
  free(counts);
  return 0;
}

/* Operators read the command's answer: only warnings and errors of the
 * library go to stderr. */
static void door__quiet_sink(void *ud, int level, const char *line,
                             size_t len) {
  (void)ud;
  if (level < DOOR_LOG_WARN)
    return;
  fwrite(line, 1, len, stderr);
  fputc('\n', stderr);
}

static int door__usage(const char *prog) {
  fputs(prog, stderr);
  fputs(": usage: accounts list|show ID|unlink ID PROVIDER|delete ID "
        "[--json]\n",
        stderr);
  return 2;
}

int door__cmd_accounts(const char *prog, const char *config_path, int argc,
                       char **argv) {
  const char *args[4];
  door_broker_options bo;
  door_broker *b = NULL;
  door_config *cfg = NULL;
  door_detail d;
  int i, n = 0, json = 0, rc;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      json = 1;
    else if (n < 4)
      args[n++] = argv[i];
    else
      return door__usage(prog);
  }
  if (n == 0 || !((strcmp(args[0], "list") == 0 && n == 1) ||
                  (strcmp(args[0], "show") == 0 && n == 2) ||
                  (strcmp(args[0], "unlink") == 0 && n == 3) ||
                  (strcmp(args[0], "delete") == 0 && n == 2)))
    return door__usage(prog);
  door_detail_clear(&d);
  door_broker_options_init(&bo);
  bo.log_sink = door__quiet_sink;
  bo.log_program = "door-broker";
  if (door_config_load(config_path, &cfg, &d) ||
      door_broker_new(cfg, &bo, &b, &d)) {
    door__print_detail(prog, &d);
    return 1;
  }
  if (strcmp(args[0], "list") == 0)
    rc = door__list(b, prog, json);
  else if (strcmp(args[0], "show") == 0)
    rc = door__show(b, prog, args[1], json);
  else if (strcmp(args[0], "unlink") == 0)
    rc = door__unlink_cmd(b, prog, args[1], args[2], json);
  else
    rc = door__delete_cmd(b, prog, args[1], json);
  door_broker_free(b);
  if (fflush(stdout) != 0)
    rc = 1;
  return rc;
}
