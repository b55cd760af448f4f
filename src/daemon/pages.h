/* door-broker's HTML pages: server-rendered, one inline stylesheet, no
 * scripts or external assets, usable without JavaScript, in English and
 * Japanese.  Every dynamic text goes through door__html_escape. */
#ifndef DOOR_DAEMON_PAGES_H
#define DOOR_DAEMON_PAGES_H

#include "daemon/daemon.h"

/* The login chooser: one button per configured provider (by display
 * name); `return_to` (may be NULL) is passed on; `signed_in` adds a link to
 * the account page. */
door_err door__page_chooser(door_dresp *r, const char *lang,
                            const door_broker_provider_info *p, size_t n,
                            const char *return_to, int signed_in);

/* The account page: id, identities with unlink buttons, link buttons for
 * the providers not linked yet, logout.  Forms carry the CSRF token. */
door_err door__page_account(door_dresp *r, const char *lang,
                            const door_broker_session *s,
                            const door_broker_provider_info *p, size_t n,
                            const door_broker_event_info *ev, size_t nev);

/* An error page: what happened (`message`, already in `lang`), the error
 * code, and a retry link (`retry_href`, `retry_label_en/ja` chooses the
 * wording: 0 "Try again", 1 "Back to your account", 2 "Sign in"). */
door_err door__page_error(door_dresp *r, unsigned status, const char *lang,
                          const char *message, door_err code,
                          const char *retry_href, int retry_kind);

/* After logout. */
door_err door__page_logged_out(door_dresp *r, const char *lang);

/* Building blocks for pages in other files (participation.c):
 * door__page_head opens the document (lang, escaped title, the stylesheet)
 * up to the <h1>; door__page_finish closes it and moves it into r with
 * `status`; door__page_hidden appends a hidden form field (escaped). */
door_err door__page_head(door_buf *b, const char *lang, const char *title);
door_err door__page_finish(door_dresp *r, unsigned status, door_buf *b);
door_err door__page_hidden(door_buf *b, const char *name, const char *value);

/* POST /api/events/{id}/participation (participation.c).  Without a form
 * field format=html: the JSON API of docs/broker.md, unchanged.  With it
 * (the /account page's forms): the token page — event title, tier, expiry,
 * the token as selectable monospace text and as an inline-SVG QR code —
 * or an error page with a retry (the same POST again), a sign-in button
 * for the provider when TICKETS_RELOGIN_NEEDED, and the way back to the
 * account.  Both: never cached, the token never logged. */
door_err door__participation(door_daemon *dd, const door_dreq *q, door_dresp *r,
                             const char *event_id);

#endif
