/* door-broker's text helpers: HTML escaping, Accept-Language, dates. */
#ifndef DOOR_DAEMON_HTML_H
#define DOOR_DAEMON_HTML_H

#include "doorauth/error.h"
#include "util/buf.h"

#include <stdint.h>

/* Appends `s` with & < > " ' escaped (for element text and quoted
 * attribute values alike).  Invalid UTF-8 and control characters other
 * than tab and newline are replaced by U+FFFD. */
door_err door__html_escape(door_buf *out, const char *s);

/* The page language for an Accept-Language header: "ja" or "en" (the
 * default, also for NULL, "*" and anything unparsable).  Highest q wins;
 * equal q: the first listed; q=0 excludes; "ja-JP" counts as "ja". */
const char *door__lang_pick(const char *accept_language);

/* Appends a Unix time as "YYYY-MM-DD HH:MM UTC". */
door_err door__html_date(door_buf *out, int64_t t);

#endif
