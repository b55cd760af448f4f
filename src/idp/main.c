/* door-idp: the test OpenID provider.
 *
 *   door-idp --scenario FILE [--auto-approve] [--ready-file PATH]
 *            [--tls-cert PEM --tls-key PEM] [--plain-http] [--threads N]
 *            [--backchannel-ca PEM]
 *   door-idp --scenario FILE --check     (validate the scenario, exit)
 *   door-idp --list-faults
 *
 * Prints the URLs it serves, then "door-idp: ready", and serves until
 * SIGINT or SIGTERM (exit 0).  docs/door-idp.md is the manual.
 */
#include "idp/bcl_post.h"
#include "idp/admin.h"
#include "idp/idp.h"
#include "idp/server.h"
#include "util/json.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct opts {
  const char *scenario, *ready_file, *tls_cert, *tls_key, *bc_ca;
  int auto_approve, plain_http, list_faults, check;
  long threads;
} opts;

static void out(const char *s) { fputs(s, stdout); }
static void err_line(const char *s) { fputs(s, stderr); }

static void usage(void) {
  err_line("usage: door-idp --scenario FILE [--auto-approve] "
           "[--ready-file PATH]\n"
           "                [--tls-cert PEM --tls-key PEM] [--plain-http] "
           "[--threads N]\n"
           "                [--backchannel-ca PEM]\n"
           "       door-idp --scenario FILE --check\n"
           "       door-idp --list-faults\n"
           "See docs/door-idp.md.\n");
}

static int parse_args(int argc, char **argv, opts *o) {
  int i;
  memset(o, 0, sizeof *o);
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (strcmp(a, "--scenario") == 0)
      slot = &o->scenario;
    else if (strcmp(a, "--ready-file") == 0)
      slot = &o->ready_file;
    else if (strcmp(a, "--tls-cert") == 0)
      slot = &o->tls_cert;
    else if (strcmp(a, "--tls-key") == 0)
      slot = &o->tls_key;
    else if (strcmp(a, "--backchannel-ca") == 0)
      slot = &o->bc_ca;
    else if (strcmp(a, "--auto-approve") == 0)
      o->auto_approve = 1;
    else if (strcmp(a, "--plain-http") == 0)
      o->plain_http = 1;
    else if (strcmp(a, "--list-faults") == 0)
      o->list_faults = 1;
    else if (strcmp(a, "--check") == 0)
      o->check = 1;
    else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
      char *end;
      o->threads = strtol(argv[++i], &end, 10);
      if (*end || o->threads < 1 || o->threads > 64) {
        err_line("door-idp: --threads must be 1 to 64\n");
        return -1;
      }
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage();
      return 1;
    } else {
      err_line("door-idp: unknown argument: ");
      err_line(a);
      err_line("\n");
      usage();
      return -1;
    }
    if (slot) {
      if (i + 1 >= argc) {
        err_line("door-idp: ");
        err_line(a);
        err_line(" needs a value\n");
        return -1;
      }
      *slot = argv[++i];
    }
  }
  if (!o->list_faults && !o->scenario) {
    usage();
    return -1;
  }
  if (!o->tls_cert != !o->tls_key) {
    err_line("door-idp: give --tls-cert and --tls-key together\n");
    return -1;
  }
  return 0;
}

/* The fault registry as the Markdown table of docs/door-idp.md. */
static void list_faults(void) {
  size_t i;
  out("| fault | endpoint | param (default) | effect |\n"
      "|---|---|---|---|\n");
  for (i = 0; i < door__idp_fault_count(); i++) {
    const door_idp_fault_def *f = door__idp_fault_def(i);
    out("| `");
    out(f->name);
    out("` | ");
    out(f->ep == DOOR_IDP_EP_NONE ? "any" : door__idp_ep_name(f->ep));
    out(" | ");
    if (f->param == DOOR_IDP_PARAM_NONE) {
      out("-");
    } else {
      out(f->param == DOOR_IDP_PARAM_INT ? "integer (" : "string (");
      out(*f->param_default ? f->param_default : "\"\"");
      out(")");
    }
    out(" | ");
    out(f->description);
    out(" |\n");
  }
}

static door_err read_file(const char *path, size_t max, door_buf *b) {
  char chunk[8192];
  size_t n;
  door_err err = DOOR_OK;
  FILE *f = fopen(path, "rb");
  if (!f)
    return DOOR_EIO;
  while (!err && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
    err = b->len + n > max ? DOOR_ETOOBIG : door__buf_append(b, chunk, n);
  if (!err && ferror(f))
    err = DOOR_EIO;
  fclose(f);
  return err;
}

static void print_detail(const char *file, const door_detail *d) {
  if (file) {
    err_line(file);
    err_line(": ");
  } else {
    err_line("door-idp: ");
  }
  if (d->where[0]) {
    err_line(d->where);
    err_line(": ");
  }
  err_line(d->what[0] ? d->what : door_strerror(d->code));
  if (d->hint[0]) {
    err_line(" (");
    err_line(d->hint);
    err_line(")");
  }
  err_line("\n");
}

static int set_path(char **slot, const char *v) {
  size_t n = strlen(v) + 1;
  free(*slot);
  *slot = malloc(n);
  if (!*slot)
    return -1;
  memcpy(*slot, v, n);
  return 0;
}

static int load(door_idp *idp, const opts *o) {
  door_buf text;
  door_detail d;
  json_t *doc = NULL;
  char *dir = NULL, *slash;
  size_t n;
  int rc = 1;
  door__buf_init(&text, (size_t)8 << 20);
  door_detail_clear(&d);
  if (read_file(o->scenario, (size_t)8 << 20, &text)) {
    err_line(o->scenario);
    err_line(": cannot read: ");
    err_line(strerror(errno));
    err_line("\n");
    goto out;
  }
  if (door__json_parse(text.data, text.len, 32, &doc, &d)) {
    print_detail(o->scenario, &d);
    goto out;
  }
  n = strlen(o->scenario) + 1;
  dir = malloc(n);
  if (!dir)
    goto out;
  memcpy(dir, o->scenario, n);
  slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  else
    dir[0] = '\0';
  if (door__idp_scenario_load(idp, doc, dir, &d)) {
    print_detail(o->scenario, &d);
    goto out;
  }
  rc = 0;
out:
  free(dir);
  json_decref(doc);
  door__buf_free(&text);
  return rc;
}

static int apply_opts(door_idp *idp, const opts *o) {
  door_buf pem;
  size_t i, k;
  int need_tls = 0;
  if (o->auto_approve)
    idp->auto_approve = 1;
  if (o->plain_http)
    idp->plain_http = 1;
  if (o->threads)
    idp->threads = (unsigned)o->threads;
  if ((o->tls_cert && (set_path(&idp->tls_cert_file, o->tls_cert) ||
                       set_path(&idp->tls_key_file, o->tls_key))) ||
      (o->bc_ca && set_path(&idp->backchannel_ca, o->bc_ca)))
    return 1;
  for (i = 0; i < idp->nprofiles; i++) {
    for (k = 0; k < idp->profiles[i]->nlisteners; k++)
      need_tls |= !idp->plain_http && !idp->profiles[i]->listeners[k].plain;
  }
  if (!need_tls)
    return 0;
  if (!idp->tls_cert_file || !idp->tls_key_file) {
    err_line("door-idp: HTTPS needs a certificate: give --tls-cert and "
             "--tls-key (build/certs/server.pem, server.key) or tls.cert "
             "and tls.key in the scenario, or --plain-http\n");
    return 1;
  }
  door__buf_init(&pem, 1 << 20);
  if (read_file(idp->tls_cert_file, 1 << 20, &pem) || !pem.len) {
    err_line("door-idp: cannot read the TLS certificate ");
    err_line(idp->tls_cert_file);
    err_line("\n");
    door__buf_free(&pem);
    return 1;
  }
  idp->tls_cert_pem = door__buf_detach(&pem);
  door__buf_init(&pem, 1 << 20);
  if (read_file(idp->tls_key_file, 1 << 20, &pem) || !pem.len) {
    err_line("door-idp: cannot read the TLS key ");
    err_line(idp->tls_key_file);
    err_line("\n");
    door__buf_free(&pem);
    return 1;
  }
  idp->tls_key_pem = door__buf_detach(&pem);
  return idp->tls_cert_pem && idp->tls_key_pem ? 0 : 1;
}

static int start_bcl(door_idp *idp) {
  door_detail d;
  door_detail_clear(&d);
  if (door__idp_bcl_new(idp->backchannel_ca, &idp->bcl, &d)) {
    print_detail(NULL, &d);
    return 1;
  }
  return 0;
}

/* The ready file: written to PATH.tmp, then renamed over PATH. */
static int write_ready(door_idp *idp, const char *path) {
  json_t *doc = json_object(), *profs = json_object();
  door_buf tmp, text;
  FILE *f;
  size_t i;
  int rc = 1;
  door__buf_init(&tmp, 8192);
  door__buf_init(&text, 1 << 20);
  if (!doc || !profs)
    goto out;
  json_object_set_new(doc, "admin", json_string(idp->admin.origin));
  for (i = 0; i < idp->nprofiles; i++)
    json_object_set_new(profs, idp->profiles[i]->name,
                        door__idp_profile_json(idp->profiles[i]));
  json_object_set(doc, "profiles", profs);
  if (idp->tls_cert_file)
    json_object_set_new(doc, "tls_cert", json_string(idp->tls_cert_file));
  json_object_set_new(doc, "pid", json_integer((json_int_t)getpid()));
  if (door__json_dump(doc, &text) || door__buf_putc(&text, '\n') ||
      door__buf_puts(&tmp, path) || door__buf_puts(&tmp, ".tmp"))
    goto out;
  f = fopen(tmp.data, "wb");
  if (!f)
    goto out;
  if (fwrite(text.data, 1, text.len, f) != text.len) {
    fclose(f);
    goto out;
  }
  if (fclose(f) != 0 || rename(tmp.data, path) != 0)
    goto out;
  rc = 0;
out:
  if (rc) {
    err_line("door-idp: cannot write the ready file ");
    err_line(path);
    err_line("\n");
  }
  json_decref(doc);
  json_decref(profs);
  door__buf_free(&tmp);
  door__buf_free(&text);
  return rc;
}

static void print_urls(door_idp *idp) {
  static const char *const names[DOOR_IDP_EP_COUNT_] = {
      NULL,
      "discovery",
      "authorization_endpoint",
      "token_endpoint",
      "userinfo_endpoint",
      "jwks_uri",
      "tickets_endpoint",
      "end_session_endpoint"};
  size_t i;
  unsigned ep;
  for (i = 0; i < idp->nprofiles; i++) {
    door_idp_profile *p = idp->profiles[i];
    out("door-idp: profile ");
    out(p->name);
    out(" issuer ");
    out(p->issuer);
    out("\n");
    for (ep = 1; ep < DOOR_IDP_EP_COUNT_; ep++) {
      if (!p->urls[ep])
        continue;
      out("door-idp: profile ");
      out(p->name);
      out(" ");
      out(names[ep]);
      out(" ");
      out(p->urls[ep]);
      out("\n");
    }
  }
  out("door-idp: admin ");
  out(idp->admin.origin);
  out("\n");
}

int main(int argc, char **argv) {
  door_idp idp;
  door_detail d;
  sigset_t set;
  opts o;
  int rc, sig = 0, started = 0;
  rc = parse_args(argc, argv, &o);
  if (rc)
    return rc < 0 ? 2 : 0;
  if (o.list_faults) {
    list_faults();
    return 0;
  }
  /* Signals are taken synchronously by sigwait below; the worker threads
   * inherit the mask. */
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (door__idp_init(&idp)) {
    err_line("door-idp: out of memory\n");
    return 1;
  }
  rc = load(&idp, &o);
  if (!rc && o.check) {
    out("door-idp: ");
    out(o.scenario);
    out(": OK\n");
    door__idp_free(&idp);
    return 0;
  }
  if (!rc)
    rc = apply_opts(&idp, &o);
  if (!rc)
    rc = start_bcl(&idp);
  if (!rc) {
    door_detail_clear(&d);
    if (door__idp_server_start(&idp, &d)) {
      print_detail(NULL, &d);
      rc = 1;
    } else {
      started = 1;
    }
  }
  if (!rc) {
    print_urls(&idp);
    if (o.ready_file)
      rc = write_ready(&idp, o.ready_file);
  }
  if (!rc) {
    out("door-idp: ready\n");
    fflush(stdout);
    door__log(&idp.log, DOOR_LOG_INFO, "idp.ready", "admin", idp.admin.origin,
              NULL);
    while (sigwait(&set, &sig) != 0)
      ;
    door__log(&idp.log, DOOR_LOG_INFO, "idp.stop", "signal",
              sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
  }
  if (started)
    door__idp_server_stop(&idp);
  door__idp_bcl_free(idp.bcl);
  door__idp_free(&idp);
  return rc ? 1 : 0;
}
