/* Reading a QR code back in a test: its SVG rendered to PNG by
 * rsvg-convert (Debian librsvg2-bin) and decoded by zbarimg (Debian
 * zbar-tools).  Shared by tests/unit/daemon/test_qr.c (the SVG door-broker
 * draws) and tests/e2e/broker/test_pages.c (the SVG on the token page).
 * Uses the T_ assertions of tests/unit/t.h: call it from a test case.
 */
#ifndef DOOR_TEST_QR_READ_H
#define DOOR_TEST_QR_READ_H

#include "util/buf.h"

#include <stddef.h>

/* Writes `svg` (len bytes) to STEM.svg, renders it with `rsvg` to STEM.png
 * and decodes that with `zbar` --raw (QR codes only, binary); the decoded
 * text, without zbarimg's final newline, replaces `text`'s contents.  The
 * two files stay (the caller's directory).  A step that fails fails the
 * test case, naming the program, its exit status and its Debian package. */
void qr_read_svg(const char *rsvg, const char *zbar, const char *stem,
                 const char *svg, size_t len, door_buf *text);

#endif
