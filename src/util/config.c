/* Configuration loading: schema, typed structs, lookups. */
#include "util/config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Report through a door_config_report_fn (provider type checks). */
static door_err door__cfg_report_cb(void *ctx, int line, const char *key,
                                    door_err code, const char *what,
                                    const char *hint) {
  return door__cfg_report(ctx, DOOR_DIAG_ERROR, line, key, code, what, hint);
}

/* ---- schema -------------------------------------------------------------- */

/* Index of the value for `name` in s (K, or K_file for a secret K); -1. */
static long door__cfg_find(const door_config_section *s, const char *name,
                           int *is_file) {
  size_t i, kl, nl = strlen(name);
  *is_file = 0;
  for (i = 0; i < s->nvals; i++) {
    const door_config_key *k = s->vals[i].key;
    if (strcmp(k->name, name) == 0)
      return (long)i;
    kl = strlen(k->name);
    if (k->type == DOOR_CFG_SECRET && nl == kl + 5 &&
        memcmp(name, k->name, kl) == 0 && strcmp(name + kl, "_file") == 0) {
      *is_file = 1;
      return (long)i;
    }
  }
  return -1;
}

static void door__cfg_unknown_key(door__cfg_ctx *c, door_config_section *s,
                                  const door__cfg_raw *r) {
  const char *names[80], *best;
  char files[16][56];
  size_t n = 0, nf = 0, i, j;
  door_buf what, hint;
  door__buf_init(&what, 512);
  door__buf_init(&hint, 1024);
  /* Another provider type's key? */
  if (s->kind == DOOR__CFG_PROVIDER) {
    for (i = 0; i < door__config_nprovider_types; i++) {
      const door_config_provider_type *t = &door__config_provider_types[i];
      for (j = 0; j < t->nkeys; j++) {
        if (strcmp(t->keys[j].name, r->name) != 0)
          continue;
        if (!s->ptype)
          goto out; /* the type is missing or bad: reported already */
        door__cfg_msg(c, &what, "key only for providers of type ", t->name,
                      NULL);
        door__cfg_msg(c, &hint, "this provider's type is ", s->ptype->name,
                      NULL);
        door__cfg_report(c, DOOR_DIAG_ERROR, r->line, r->name,
                         DOOR_ECONFIG_UNKNOWN, door__buf_str(&what),
                         door__buf_str(&hint));
        goto out;
      }
    }
  }
  for (i = 0; i < s->nvals && n < 64; i++) {
    const door_config_key *k = s->vals[i].key;
    names[n++] = k->name;
    if (k->type == DOOR_CFG_SECRET && nf < 16 && strlen(k->name) < 50) {
      memcpy(files[nf], k->name, strlen(k->name));
      memcpy(files[nf] + strlen(k->name), "_file", 6);
      names[n++] = files[nf++];
    }
  }
  best = door__cfg_suggest(r->name, names, n);
  door__cfg_msg(c, &what, "unknown key in ", NULL);
  if (door__cfg_section_label(s, &what))
    c->oom = 1;
  if (best) {
    door__cfg_msg(c, &hint, "did you mean '", best, "'?", NULL);
  } else {
    door__cfg_msg(c, &hint, "valid keys:", NULL);
    for (i = 0; i < n; i++) {
      /* door_detail holds 191 characters of hint. */
      if (hint.len + strlen(names[i]) + 6 > 190) {
        if (door__buf_puts(&hint, " ..."))
          c->oom = 1;
        break;
      }
      if (door__buf_puts(&hint, i ? ", " : " ") ||
          door__buf_puts(&hint, names[i]))
        c->oom = 1;
    }
  }
  door__cfg_report(c, DOOR_DIAG_ERROR, r->line, r->name, DOOR_ECONFIG_UNKNOWN,
                   door__buf_str(&what), door__buf_str(&hint));
out:
  door__buf_free(&what);
  door__buf_free(&hint);
}

static void door__cfg_apply(door__cfg_ctx *c, door_config_section *s) {
  const door__cfg_kind_info *info = &door__cfg_kinds[s->kind];
  size_t i, nt = 0;
  door_buf what, hint;
  if (s->kind == DOOR__CFG_PROVIDER) {
    for (i = 0; i < s->nraw; i++) {
      if (strcmp(s->raw[i].name, "type") != 0)
        continue;
      for (nt = 0; nt < door__config_nprovider_types; nt++)
        if (strcmp(door__config_provider_types[nt].name, s->raw[i].value) == 0)
          s->ptype = &door__config_provider_types[nt];
    }
  }
  nt = s->ptype ? s->ptype->nkeys : 0;
  s->nvals = info->nkeys + nt;
  s->vals = calloc(s->nvals, sizeof *s->vals);
  s->given = calloc(s->nvals, 1);
  if (!s->vals || !s->given) {
    c->oom = 1;
    s->nvals = 0;
    return;
  }
  for (i = 0; i < info->nkeys; i++)
    s->vals[i].key = &info->keys[i];
  for (i = 0; i < nt; i++)
    s->vals[info->nkeys + i].key = &s->ptype->keys[i];
  door__buf_init(&what, 512);
  door__buf_init(&hint, 512);
  for (i = 0; i < s->nraw; i++) {
    const door__cfg_raw *r = &s->raw[i];
    int is_file;
    long idx = door__cfg_find(s, r->name, &is_file);
    if (idx < 0) {
      door__cfg_unknown_key(c, s, r);
      continue;
    }
    if (s->given[idx]) {
      door__cfg_msg(c, &what, "both ", s->vals[idx].key->name, " and ",
                    s->vals[idx].key->name, "_file are given", NULL);
      door__cfg_report(c, DOOR_DIAG_ERROR, r->line, r->name,
                       DOOR_ECONFIG_CONFLICT, door__buf_str(&what),
                       "keep one of them");
      continue;
    }
    s->given[idx] = 1;
    door__cfg_parse_value(c, s->vals[idx].key, r->value, is_file, r->line,
                          &s->vals[idx]);
  }
  for (i = 0; i < s->nvals; i++) {
    const door_config_key *k = s->vals[i].key;
    if (s->given[i])
      continue;
    if (k->flags & DOOR_CFG_REQUIRED) {
      door__cfg_msg(c, &what, "missing required key in ", NULL);
      if (door__cfg_section_label(s, &what))
        c->oom = 1;
      door__cfg_msg(c, &hint, "add '", k->name, " = ...': ", k->help, NULL);
      door__cfg_report(c, DOOR_DIAG_ERROR, s->line, k->name,
                       DOOR_ECONFIG_MISSING, door__buf_str(&what),
                       door__buf_str(&hint));
    } else if (k->def &&
               door__cfg_parse_value(c, k, k->def, 0, 0, &s->vals[i])) {
      door__cfg_report(c, DOOR_DIAG_ERROR, 0, k->name, DOOR_EINTERNAL,
                       "built-in default does not parse", NULL);
    }
  }
  door__buf_free(&what);
  door__buf_free(&hint);
}

/* Copies the values into the section's struct (see config.h). */
static void door__cfg_fill(const door_config_section *s, void *base) {
  size_t i;
  for (i = 0; i < s->nvals; i++) {
    const door_config_value *v = &s->vals[i];
    const door_config_key *k = v->key;
    char *f;
    if (k->offset == DOOR_CFG_NO_FIELD || !v->set)
      continue; /* before any pointer arithmetic: NO_FIELD is SIZE_MAX */
    f = (char *)base + k->offset;
    switch (k->type) {
    case DOOR_CFG_STRING:
    case DOOR_CFG_URL:
    case DOOR_CFG_PATH: {
      const char *p = v->text;
      memcpy(f, &p, sizeof p);
      break;
    }
    case DOOR_CFG_BOOL:
    case DOOR_CFG_INT:
    case DOOR_CFG_ENUM: {
      int x = (int)v->num;
      memcpy(f, &x, sizeof x);
      break;
    }
    case DOOR_CFG_DURATION:
    case DOOR_CFG_TIME: {
      int64_t x = (int64_t)v->num;
      memcpy(f, &x, sizeof x);
      break;
    }
    case DOOR_CFG_LIST:
      memcpy(f, &v->list, sizeof v->list);
      break;
    case DOOR_CFG_SECRET: {
      const door_config_secret *p = &v->secret;
      memcpy(f, &p, sizeof p);
      break;
    }
    }
  }
}

static void door__cfg_build(door__cfg_ctx *c) {
  door_config *cfg = c->cfg;
  size_t i, np = 0, ne = 0;
  int have[DOOR__CFG_NKINDS] = {0};
  for (i = 0; i < cfg->nsections; i++) {
    have[cfg->sections[i]->kind] = 1;
    np += cfg->sections[i]->kind == DOOR__CFG_PROVIDER;
    ne += cfg->sections[i]->kind == DOOR__CFG_EVENT;
  }
  if (!have[DOOR__CFG_BROKER])
    door__cfg_report(c, DOOR_DIAG_ERROR, 0, NULL, DOOR_ECONFIG_MISSING,
                     "no [broker] section",
                     "add [broker] with at least public_url = https://...");
  if (!have[DOOR__CFG_STORE])
    door__cfg_report(c, DOOR_DIAG_ERROR, 0, NULL, DOOR_ECONFIG_MISSING,
                     "no [store] section",
                     "add [store] with url = sqlite:PATH or postgres://...");
  cfg->providers = np ? calloc(np, sizeof *cfg->providers) : NULL;
  cfg->events = ne ? calloc(ne, sizeof *cfg->events) : NULL;
  if ((np && !cfg->providers) || (ne && !cfg->events)) {
    c->oom = 1;
    return;
  }
  for (i = 0; i < cfg->nsections; i++) {
    door_config_section *s = cfg->sections[i];
    switch (s->kind) {
    case DOOR__CFG_BROKER:
      door__cfg_fill(s, &cfg->broker);
      break;
    case DOOR__CFG_STORE:
      door__cfg_fill(s, &cfg->store);
      break;
    case DOOR__CFG_PROVIDER: {
      door_provider_config *p = &cfg->providers[cfg->nproviders++];
      p->name = s->name;
      p->line = s->line;
      p->section_ = s;
      door__cfg_fill(s, p);
      break;
    }
    case DOOR__CFG_EVENT: {
      door_event_config *e = &cfg->events[cfg->nevents++];
      e->id = s->name;
      e->line = s->line;
      door__cfg_fill(s, e);
      break;
    }
    default:
      break;
    }
  }
  for (i = 0; i < cfg->nproviders; i++) {
    const door_config_section *s = cfg->providers[i].section_;
    if (s->ptype && s->ptype->check)
      s->ptype->check(&cfg->providers[i], door__cfg_report_cb, c);
  }
}

/* ---- loading ------------------------------------------------------------- */

static void door__cfg_free_raw(door_config_section *s) {
  size_t i;
  for (i = 0; i < s->nraw; i++) {
    free(s->raw[i].name);
    OPENSSL_cleanse(s->raw[i].value, strlen(s->raw[i].value));
    free(s->raw[i].value);
  }
  free(s->raw);
  s->raw = NULL;
  s->nraw = s->capraw = 0;
}

void door__config_free(door_config *cfg) {
  size_t i, j;
  if (!cfg)
    return;
  for (i = 0; i < cfg->nsections; i++) {
    door_config_section *s = cfg->sections[i];
    door__cfg_free_raw(s);
    for (j = 0; j < s->nvals; j++)
      door__cfg_value_free(&s->vals[j]);
    free(s->vals);
    free(s->given);
    free(s->name);
    free(s);
  }
  free(cfg->sections);
  free(cfg->providers);
  free(cfg->events);
  free(cfg->path);
  free(cfg);
}

door_err door__config_load_mem(const char *name, const char *text, size_t len,
                               const char *base_dir, door_config **out,
                               door_errlist *errs) {
  door__cfg_ctx c;
  size_t errors_before = errs->nerrors, first = errs->n, i;
  *out = NULL;
  memset(&c, 0, sizeof c);
  c.file = name ? name : "(config)";
  c.base_dir = base_dir;
  c.errs = errs;
  c.text = text;
  c.len = len;
  c.cfg = calloc(1, sizeof *c.cfg);
  if (!c.cfg)
    return DOOR_ENOMEM;
  c.cfg->path = door__cfg_strndup(c.file, strlen(c.file));
  if (!c.cfg->path)
    c.oom = 1;
  if (len > DOOR_CONFIG_MAX_FILE) {
    door__cfg_report(&c, DOOR_DIAG_ERROR, 0, NULL, DOOR_ETOOBIG,
                     "configuration file is larger than 1 MiB", NULL);
  } else {
    door__cfg_lex(&c);
    for (i = 0; i < c.cfg->nsections && !c.oom; i++) {
      door__cfg_apply(&c, c.cfg->sections[i]);
      door__cfg_free_raw(c.cfg->sections[i]);
    }
    if (!c.oom)
      door__cfg_build(&c);
    if (!c.oom)
      door__cfg_cross_check(&c);
  }
  door__errlist_sort(errs, first);
  if (c.oom || errs->nerrors != errors_before) {
    door__config_free(c.cfg);
    return c.oom ? DOOR_ENOMEM : DOOR_ECONFIG;
  }
  *out = c.cfg;
  return DOOR_OK;
}

door_err door__config_load(const char *path, door_config **out,
                           door_errlist *errs) {
  door__cfg_ctx c;
  struct stat st;
  int fd, e = 0;
  char *text = NULL, *dir = NULL;
  const char *slash;
  size_t len = 0;
  ssize_t r;
  door_err err;
  *out = NULL;
  memset(&c, 0, sizeof c);
  c.file = path;
  c.errs = errs;
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0 || fstat(fd, &st) != 0) {
    e = errno;
  } else if (!S_ISREG(st.st_mode)) {
    e = EISDIR;
  } else if ((size_t)st.st_size > DOOR_CONFIG_MAX_FILE) {
    e = EFBIG;
  } else {
    text = malloc((size_t)st.st_size + 1);
    if (!text) {
      close(fd);
      return DOOR_ENOMEM;
    }
    while (len < (size_t)st.st_size) {
      r = read(fd, text + len, (size_t)st.st_size - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        e = errno;
      if (r <= 0)
        break;
      len += (size_t)r;
    }
  }
  if (fd >= 0)
    close(fd);
  if (e) {
    door_buf what;
    door__buf_init(&what, 256);
    if (door__buf_puts(&what, "cannot read the configuration file: ") ||
        door__buf_puts(&what, e == EISDIR  ? "not a regular file"
                              : e == EFBIG ? "larger than 1 MiB"
                                           : strerror(e)))
      c.oom = 1;
    door__cfg_report(&c, DOOR_DIAG_ERROR, 0, NULL, DOOR_EIO,
                     door__buf_str(&what), "check the path given to --config");
    door__buf_free(&what);
    free(text);
    return DOOR_EIO;
  }
  slash = strrchr(path, '/');
  if (slash) {
    dir = door__cfg_strndup(path, slash == path ? 1 : (size_t)(slash - path));
    if (!dir) {
      free(text);
      return DOOR_ENOMEM;
    }
  }
  err = door__config_load_mem(path, text, len, dir, out, errs);
  free(text);
  free(dir);
  return err;
}

/* ---- lookups ------------------------------------------------------------- */

const door_config_value *door__cfg_value(const door_config_section *s,
                                         const char *key) {
  size_t i;
  if (!s)
    return NULL;
  for (i = 0; i < s->nvals; i++)
    if (strcmp(s->vals[i].key->name, key) == 0)
      return &s->vals[i];
  return NULL;
}

int door__cfg_line(const door_config_section *s, const char *key) {
  const door_config_value *v = door__cfg_value(s, key);
  return v && v->line ? v->line : s->line;
}

const door_config_value *
door__config_provider_value(const door_provider_config *p, const char *key) {
  return p ? door__cfg_value(p->section_, key) : NULL;
}

const door_provider_config *door__config_provider(const door_config *cfg,
                                                  const char *name) {
  size_t i;
  for (i = 0; cfg && i < cfg->nproviders; i++)
    if (strcmp(cfg->providers[i].name, name) == 0)
      return &cfg->providers[i];
  return NULL;
}

const door_event_config *door__config_event(const door_config *cfg,
                                            const char *id) {
  size_t i;
  for (i = 0; cfg && i < cfg->nevents; i++)
    if (strcmp(cfg->events[i].id, id) == 0)
      return &cfg->events[i];
  return NULL;
}
