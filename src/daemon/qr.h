/* door-broker's QR codes: libqrencode (Debian libqrencode-dev) rendered
 * server-side as inline SVG — no image file, no script, nothing fetched —
 * so the /account page's participation token can be shown to a gate's
 * camera.
 *
 * Encoding: the bytes as given, in 8-bit mode, version chosen by
 * libqrencode (the smallest that fits).  Error correction M (15% of the
 * code may be lost) while that fits in version 25 (117 modules: about 700
 * bytes, a participation token is 450-600); longer data drops to L, which
 * keeps the code less dense.  A quiet zone of 4 modules on every side
 * (ISO/IEC 18004's minimum) is part of the picture.
 *
 * Threading: libqrencode's Debian build serialises its one lazily built
 * table with its own mutex; these functions keep no state and may run on
 * any number of threads.  Ownership: the caller owns `out`.
 */
#ifndef DOOR_DAEMON_QR_H
#define DOOR_DAEMON_QR_H

#include "doorauth/error.h"
#include "util/buf.h"

#include <stddef.h>

#define DOOR_QR_QUIET 4                /* modules of white around the code */
#define DOOR_QR_M_MAX_VERSION 25       /* above this, level L */
#define DOOR_QR_MAX_INPUT (size_t)2953 /* version 40-L, 8-bit mode */

typedef struct door_qr_info {
  int version; /* 1..40 */
  int width;   /* modules per side, without the quiet zone */
  char level;  /* 'M' or 'L' */
} door_qr_info;

/* Appends <svg ...>...</svg> showing `data` (len bytes) as a QR code:
 * viewBox in modules (width + 2 * DOOR_QR_QUIET), a white background with
 * the dark modules as one path of horizontal runs, crisp edges, and
 * `px` CSS pixels per side (0: 4 px per module).  `label` (may be NULL)
 * becomes the picture's accessible name (escaped).  `info` (may be NULL)
 * says what was encoded.  DOOR_EINVAL for empty data, DOOR_ETOOBIG when
 * the data does not fit a QR code, DOOR_ENOMEM. */
door_err door__qr_svg(door_buf *out, const void *data, size_t len, unsigned px,
                      const char *label, door_qr_info *info);

#endif
