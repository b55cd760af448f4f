/* Configuration loader internals, shared by src/util/config*.c. */
#ifndef DOOR_UTIL_CONFIG_INT_H
#define DOOR_UTIL_CONFIG_INT_H

#include "util/config.h"

typedef enum door__cfg_kind {
  DOOR__CFG_BROKER = 0,
  DOOR__CFG_STORE = 1,
  DOOR__CFG_PROVIDER = 2,
  DOOR__CFG_EVENT = 3,
  DOOR__CFG_NKINDS = 4,
} door__cfg_kind;

typedef struct door__cfg_kind_info {
  const char *name; /* "provider" */
  int named;        /* [provider "NAME"] */
  const door_config_key *keys;
  size_t nkeys;
  const char *label; /* "NAME" or "ID" in messages */
} door__cfg_kind_info;

extern const door__cfg_kind_info door__cfg_kinds[DOOR__CFG_NKINDS];

/* A `name = value` line as read, before the schema looked at it. */
typedef struct door__cfg_raw {
  char *name;
  char *value; /* may be a secret: wiped when freed */
  int line;
} door__cfg_raw;

struct door_config_section {
  door__cfg_kind kind;
  char *name; /* NAME or ID; NULL for [broker] and [store] */
  int line;
  door__cfg_raw *raw;
  size_t nraw, capraw;
  const door_config_provider_type *ptype; /* providers with a valid type */
  door_config_value *vals; /* one per key: kind keys, then ptype keys */
  size_t nvals;
  unsigned char *given; /* per value: the file had it (even if refused) */
};

typedef struct door__cfg_ctx {
  const char *file;     /* name in diagnostics */
  const char *base_dir; /* for relative paths; NULL: keep them */
  door_errlist *errs;
  int oom;
  door_config *cfg;
  /* reader */
  const char *text;
  size_t len, pos;
  int lineno;
  door_config_section *cur; /* NULL outside a valid section */
  int in_bad_section;       /* keys of a refused header are ignored */
} door__cfg_ctx;

/* Adds a diagnostic at `line` (0: the file itself) and returns `code`. */
door_err door__cfg_report(door__cfg_ctx *c, door_diag_level level, int line,
                          const char *key, door_err code, const char *what,
                          const char *hint);

/* Reads the text into sections of raw entries (config_lex.c). */
door_err door__cfg_lex(door__cfg_ctx *c);

/* Appends the strings, up to a NULL, to b after resetting it. */
void door__cfg_msg(door__cfg_ctx *c, door_buf *b, ...);
char *door__cfg_strndup(const char *s, size_t n);

/* "[broker]", "[provider \"NAME\"]" into out. */
door_err door__cfg_section_label(const door_config_section *s, door_buf *out);

/* Parses `text` (as written after `K =`, or the path of `K_file =` when
 * is_file) into v, reporting problems at `line`.  v is left cleared on
 * failure. */
door_err door__cfg_parse_value(door__cfg_ctx *c, const door_config_key *k,
                               const char *text, int is_file, int line,
                               door_config_value *v);
void door__cfg_value_free(door_config_value *v);

/* Up to 48 bytes of s for a message, without control characters. */
door_err door__cfg_quote(door_buf *out, const char *s);

/* The closest of `names` to `s` (edit distance at most 2, or a case
 * difference), or NULL. */
const char *door__cfg_suggest(const char *s, const char *const *names,
                              size_t n);

/* The value of `key` in s, or NULL. */
const door_config_value *door__cfg_value(const door_config_section *s,
                                         const char *key);
/* Line of `key` in s when given, else the section's line. */
int door__cfg_line(const door_config_section *s, const char *key);

/* Checks that need several keys or sections; run after every section
 * parsed and the typed structs are filled. */
void door__cfg_cross_check(door__cfg_ctx *c);

/* 1 when s is a provider NAME or event ID: [a-z0-9_-]{1,32}. */
int door__cfg_name_ok(const char *s, size_t len);

/* Human form of a duration: "90s", "10m", "2h", "7d". */
door_err door__cfg_put_duration(door_buf *out, long long seconds);

#endif
