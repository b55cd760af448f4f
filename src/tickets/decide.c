/* Who may enter an event: tickets (XMarket), participant lists
 * (d-account and other providers without a ticket check) and the local
 * roster.  The rules are in doorauth/tickets.h. */
#include "tickets/gate_int.h"
#include "tickets/tickets_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DOOR__TK_PLIST_MAX ((size_t)16 << 20)
#define DOOR__TK_ENTRY_MAX 255
#define DOOR__TK_DEFAULT_PTIER "participant"
#define DOOR__TK_DEFAULT_TIER "general"

/* ---- tiers ----------------------------------------------------------------
 */

door_err door__tk_map_tier(const door_strlist *tiers, const char *tier,
                           char *out, size_t cap) {
  size_t i, tl = strlen(tier);
  if (!tiers || tiers->n == 0) {
    door__tk_copy(out, cap, tl ? tier : DOOR__TK_DEFAULT_TIER);
    return DOOR_OK;
  }
  for (i = 0; i < tiers->n; i++) {
    const char *item = tiers->items[i], *eq = strchr(item, '=');
    if (!eq && strcmp(item, tier) == 0) {
      door__tk_copy(out, cap, item);
      return DOOR_OK;
    }
    if (eq && (size_t)(eq - item) == tl && memcmp(item, tier, tl) == 0) {
      door__tk_copy(out, cap, eq + 1);
      return DOOR_OK;
    }
  }
  return DOOR_ETICKETS_TIER;
}

/* ---- participant lists ----------------------------------------------------
 */

typedef struct door__tk_pentry {
  char *entry;
  char tier[DOOR_GATE_TIER_MAX + 1];
} door__tk_pentry;

struct door__tk_plist {
  door__tk_pentry *e;
  size_t n;
};

static int door__pentry_cmp(const void *a, const void *b) {
  return strcmp(((const door__tk_pentry *)a)->entry,
                ((const door__tk_pentry *)b)->entry);
}

void door__tk_plist_free(door__tk_plist *p) {
  size_t i;
  if (!p)
    return;
  for (i = 0; i < p->n; i++)
    free(p->e[i].entry);
  free(p->e);
  free(p);
}

static int door__is_space(char c) { return c == ' ' || c == '\t'; }

/* One line without its newline: appends an entry, or nothing for blank
 * and comment lines. */
static door_err door__plist_line(door__tk_plist *p, size_t *cap, const char *s,
                                 size_t n, size_t lineno, door_detail *d) {
  size_t a = 0, el, tb, tl;
  door__tk_pentry *e;
  while (n && (s[n - 1] == '\r' || door__is_space(s[n - 1])))
    n--;
  while (a < n && door__is_space(s[a]))
    a++;
  if (a == n || s[a] == '#')
    return DOOR_OK;
  el = a;
  while (el < n && !door__is_space(s[el]))
    el++;
  tb = el;
  while (tb < n && door__is_space(s[tb]))
    tb++;
  tl = n - tb;
  if (!door__gate_value_ok(s + a, el - a, DOOR__TK_ENTRY_MAX) ||
      (tl && (!door__gate_value_ok(s + tb, tl, DOOR_GATE_TIER_MAX) ||
              memchr(s + tb, ' ', tl) || memchr(s + tb, '\t', tl)))) {
    char where[32];
    size_t k = door__u64_to_str(lineno, where + 5);
    memcpy(where, "line ", 5);
    where[5 + k] = '\0';
    return door_detail_set(d, DOOR_ECONFIG_VALUE, where,
                           "participant entry is not SUBJECT [TIER]",
                           "one subject (or account:ID) and an optional "
                           "tier per line");
  }
  if (p->n == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    door__tk_pentry *g = realloc(p->e, nc * sizeof *g);
    if (!g)
      return DOOR_ENOMEM;
    p->e = g;
    *cap = nc;
  }
  e = &p->e[p->n];
  e->entry = strndup(s + a, el - a);
  if (!e->entry)
    return DOOR_ENOMEM;
  if (tl) {
    memcpy(e->tier, s + tb, tl);
    e->tier[tl] = '\0';
  } else
    door__tk_copy(e->tier, sizeof e->tier, DOOR__TK_DEFAULT_PTIER);
  p->n++;
  return DOOR_OK;
}

door_err door__tk_plist_parse(const char *text, size_t len,
                              door__tk_plist **out, door_detail *d) {
  door__tk_plist *p = calloc(1, sizeof *p);
  size_t cap = 0, off = 0, lineno = 0;
  door_err err = DOOR_OK;
  *out = NULL;
  if (!p)
    return DOOR_ENOMEM;
  if (memchr(text, '\0', len))
    err = door_detail_set(d, DOOR_ECONFIG_VALUE, "participants_file",
                          "participant list holds a NUL byte", NULL);
  while (!err && off < len) {
    const char *nl = memchr(text + off, '\n', len - off);
    size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
    err = door__plist_line(p, &cap, text + off, n, ++lineno, d);
    off += n + 1;
  }
  if (err) {
    door__tk_plist_free(p);
    return err;
  }
  if (p->n)
    qsort(p->e, p->n, sizeof *p->e, door__pentry_cmp);
  *out = p;
  return DOOR_OK;
}

door_err door__tk_plist_find(const door__tk_plist *p, const char *entry,
                             char *tier, size_t cap) {
  size_t lo = 0, hi = p->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(entry, p->e[mid].entry);
    if (c == 0) {
      door__tk_copy(tier, cap, p->e[mid].tier);
      return DOOR_OK;
    }
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return DOOR_ENOTFOUND;
}

void door__tk_pcache_clear(door_tickets *t) {
  size_t i;
  for (i = 0; i < t->npc; i++) {
    free(t->pc[i].path);
    door__tk_plist_free(t->pc[i].list);
  }
  t->npc = 0;
}

/* The cache slot of `path`, parsed afresh when the file changed.  Called
 * with t->pmu held. */
static door_err door__pcache_get(door_tickets *t, const char *path,
                                 door__tk_pcache **out, door_detail *d) {
  struct stat st;
  door__tk_pcache *c = NULL;
  door__tk_plist *list = NULL;
  char *text = NULL;
  size_t len = 0, i;
  int64_t mt;
  door_err err;
  if (stat(path, &st) != 0)
    return door_detail_set(d, DOOR_EIO, "participants_file", strerror(errno),
                           "check the event's participants_file");
  mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  for (i = 0; i < t->npc; i++)
    if (strcmp(t->pc[i].path, path) == 0)
      c = &t->pc[i];
  if (c && c->mtime_ns == mt && c->size == st.st_size && c->ino == st.st_ino) {
    *out = c;
    return DOOR_OK;
  }
  err = door__gate_read_file(path, DOOR__TK_PLIST_MAX, &text, &len, d);
  if (!err)
    err = door__tk_plist_parse(text, len, &list, d);
  free(text);
  if (err)
    return err;
  if (!c) {
    if (t->npc == DOOR__TK_PCACHE) { /* full: drop the oldest */
      free(t->pc[0].path);
      door__tk_plist_free(t->pc[0].list);
      memmove(&t->pc[0], &t->pc[1], (t->npc - 1) * sizeof t->pc[0]);
      t->npc--;
    }
    c = &t->pc[t->npc];
    memset(c, 0, sizeof *c);
    c->path = strdup(path);
    if (!c->path) {
      door__tk_plist_free(list);
      return DOOR_ENOMEM;
    }
    t->npc++;
  }
  door__tk_plist_free(c->list);
  c->list = list;
  c->mtime_ns = mt;
  c->size = st.st_size;
  c->ino = st.st_ino;
  *out = c;
  return DOOR_OK;
}

door_err door__tk_participant(door_tickets *t, const char *path,
                              const char *entry, char *tier, size_t cap,
                              door_detail *d) {
  door__tk_pcache *c = NULL;
  door_err err;
  pthread_mutex_lock(&t->pmu);
  err = door__pcache_get(t, path, &c, d);
  if (!err)
    err = door__tk_plist_find(c->list, entry, tier, cap);
  pthread_mutex_unlock(&t->pmu);
  return err;
}

/* ---- the decision -----------------------------------------------------------
 */

static int door__event_takes(const door_event_config *ev, const char *p) {
  size_t i;
  if (ev->providers.n == 0)
    return 1;
  for (i = 0; i < ev->providers.n; i++)
    if (strcmp(ev->providers.items[i], p) == 0)
      return 1;
  return 0;
}

/* The provider refused the access token (xmarket.c: 401 and 403 on the
 * ticket list ask for a new sign-in). */
static int door__refused_token(door_err err, const door_detail *d) {
  return err == DOOR_EENTITLEMENT &&
         strcmp(d->where, "tickets_endpoint") == 0 &&
         strncmp(d->hint, "sign in", 7) == 0;
}

typedef struct door__tk_seen {
  int relogin, tier, no_ticket, not_participant;
  door_err failed; /* first failed check */
  door_detail failed_d;
  char relogin_provider[64];
  char no_ticket_provider[64]; /* the first provider that showed none */
} door__tk_seen;

static door_err door__tk_entitle(door_tickets *t, door_rp *rp,
                                 const char *provider, const char *token,
                                 const char *event_id, door_txlog *tx,
                                 door_entitlement *ent, door_detail *d) {
  if (t->entitlement)
    return t->entitlement(t->entitlement_ud, provider, token, event_id, ent, d);
  if (!rp)
    return door_detail_set(d, DOOR_EINVAL, provider,
                           "no login context for the ticket check", NULL);
  return door_rp_entitlement(rp, provider, token, event_id, tx, ent, d);
}

static void door__token_free(char *tok) {
  if (tok) {
    OPENSSL_cleanse(tok, strlen(tok));
    free(tok);
  }
}

/* A ticket identity.  DOOR_OK with out filled: admitted. */
static door_err door__tk_ticket(door_tickets *t, door_rp *rp,
                                const door_event_config *ev,
                                const door_tickets_identity *id,
                                const door_tickets_account *acct,
                                door_tickets_grant *out, door__tk_seen *seen) {
  door_entitlement ent;
  door_detail dd;
  char *tok = NULL;
  int refresh;
  door_err err = DOOR_ENOTFOUND;
  memset(&ent, 0, sizeof ent);
  for (refresh = 0; refresh < 2; refresh++) {
    door_detail_clear(&dd);
    err = acct->access_token
              ? acct->access_token(acct->ud, id->provider, refresh, &tok, &dd)
              : DOOR_ENOTFOUND;
    if (err)
      break;
    err =
        door__tk_entitle(t, rp, id->provider, tok, ev->id, acct->tx, &ent, &dd);
    door__token_free(tok);
    tok = NULL;
    if (!door__refused_token(err, &dd))
      break;
    err = DOOR_ENOTFOUND; /* refused twice: sign in again */
  }
  if (err == DOOR_ENOTFOUND) {
    if (!seen->relogin)
      door__tk_copy(seen->relogin_provider, sizeof seen->relogin_provider,
                    id->provider);
    seen->relogin = 1;
    return DOOR_ETICKETS_RELOGIN_NEEDED;
  }
  if (err) {
    if (!seen->failed) {
      seen->failed = err;
      seen->failed_d = dd;
    }
    return err;
  }
  if (!ent.entitled) {
    if (!seen->no_ticket)
      door__tk_copy(seen->no_ticket_provider, sizeof seen->no_ticket_provider,
                    id->provider);
    seen->no_ticket = 1;
    return DOOR_ETICKETS_NO_TICKET;
  }
  if (door__tk_map_tier(&ev->tiers, ent.tier, out->tier, sizeof out->tier)) {
    seen->tier = 1;
    return DOOR_ETICKETS_TIER;
  }
  door__tk_copy(out->provider, sizeof out->provider, id->provider);
  door__tk_copy(out->via, sizeof out->via, "ticket");
  door__tk_copy(out->ticket_id, sizeof out->ticket_id, ent.ticket_id);
  out->valid_until = ent.valid_until;
  return DOOR_OK;
}

static door_err door__tk_listed(door_tickets *t, const door_event_config *ev,
                                const char *entry, door_tickets_grant *out,
                                door__tk_seen *seen) {
  door_detail dd;
  door_err err;
  if (!ev->participants_file)
    return DOOR_ENOTFOUND;
  door_detail_clear(&dd);
  err = door__tk_participant(t, ev->participants_file, entry, out->tier,
                             sizeof out->tier, &dd);
  if (err && err != DOOR_ENOTFOUND && !seen->failed) {
    seen->failed = err;
    seen->failed_d = dd;
  }
  return err;
}

door_err door_tickets_check(door_tickets *t, const door_config *cfg,
                            door_rp *rp, const char *event_id,
                            const door_tickets_account *acct, int64_t now,
                            door_tickets_grant *out, door_detail *d) {
  const door_event_config *ev;
  door__tk_seen seen;
  door_buf roster;
  size_t i;
  door_err err;
  if (out)
    memset(out, 0, sizeof *out);
  if (!t || !cfg || !event_id || !acct || !acct->account_id || !out)
    return door_detail_set(d, DOOR_EINVAL, NULL, "missing argument", NULL);
  ev = door__config_event(cfg, event_id);
  if (!ev)
    return door_detail_set(d, DOOR_ETICKETS_EVENT_UNKNOWN, "event",
                           "no such event", NULL);
  if (now < ev->start)
    return door_detail_set(d, DOOR_ETICKETS_EVENT_NOT_STARTED, "event",
                           "the event has not started yet",
                           "come back when it starts");
  if (now >= ev->end)
    return door_detail_set(d, DOOR_ETICKETS_EVENT_CLOSED, "event",
                           "the event has ended", NULL);
  memset(&seen, 0, sizeof seen);
  for (i = 0; i < acct->n_identities; i++) {
    const door_tickets_identity *id = &acct->identities[i];
    const door_provider_config *pc;
    if (!id->provider || !id->subject || !door__event_takes(ev, id->provider))
      continue;
    pc = door__config_provider(cfg, id->provider);
    if (!pc)
      continue;
    if (pc->type == DOOR_PROVIDER_XMARKET) {
      if (!door__tk_ticket(t, rp, ev, id, acct, out, &seen))
        return DOOR_OK;
      memset(out, 0, sizeof *out);
      continue;
    }
    err = door__tk_listed(t, ev, id->subject, out, &seen);
    if (!err) {
      door__tk_copy(out->provider, sizeof out->provider, id->provider);
      door__tk_copy(out->via, sizeof out->via, "participants");
      return DOOR_OK;
    }
    memset(out, 0, sizeof *out);
    seen.not_participant = 1;
  }
  /* The local roster. */
  door__buf_init(&roster, 512);
  err = door__buf_puts(&roster, "account:");
  if (!err)
    err = door__buf_puts(&roster, acct->account_id);
  if (!err)
    err = door__tk_listed(t, ev, roster.data, out, &seen);
  door__buf_free(&roster);
  if (!err) {
    door__tk_copy(out->via, sizeof out->via, "roster");
    return DOOR_OK;
  }
  memset(out, 0, sizeof *out);
  if (seen.relogin)
    return door_detail_set(d, DOOR_ETICKETS_RELOGIN_NEEDED,
                           seen.relogin_provider,
                           "the provider needs a new sign-in to show "
                           "tickets",
                           "sign in with that provider again");
  if (seen.failed) {
    if (d)
      *d = seen.failed_d;
    return seen.failed;
  }
  if (seen.tier)
    return door_detail_set(d, DOOR_ETICKETS_TIER, "tiers",
                           "the ticket's tier does not admit to this event",
                           NULL);
  if (seen.no_ticket)
    return door_detail_set(d, DOOR_ETICKETS_NO_TICKET, seen.no_ticket_provider,
                           "no ticket for this event", NULL);
  if (seen.not_participant)
    return door_detail_set(d, DOOR_ETICKETS_NOT_PARTICIPANT,
                           "participants_file",
                           "not on this event's participant list", NULL);
  return door_detail_set(d, DOOR_ETICKETS_NO_PROVIDER, "providers",
                         "no linked account at a provider this event takes",
                         NULL);
}
