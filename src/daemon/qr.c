/* QR codes as inline SVG (see qr.h). */
#include "daemon/qr.h"
#include "daemon/html.h"

#include <errno.h>
#include <qrencode.h>

/* libqrencode: NULL with errno ERANGE when the data does not fit. */
static door_err door__qr_encode(const void *data, size_t len, QRecLevel level,
                                QRcode **out) {
  errno = 0;
  *out = QRcode_encodeData((int)len, data, 0, level);
  if (*out)
    return DOOR_OK;
  return errno == ERANGE   ? DOOR_ETOOBIG
         : errno == ENOMEM ? DOOR_ENOMEM
                           : DOOR_EINTERNAL;
}

/* " x y" run of `w` dark modules at row y: "M x y h w v1 h -w z". */
static door_err door__qr_run(door_buf *b, int x, int y, int w) {
  door_err err;
  if ((err = door__buf_putc(b, 'M')) ||
      (err = door__buf_put_i64(b, x + DOOR_QR_QUIET)) ||
      (err = door__buf_putc(b, ' ')) ||
      (err = door__buf_put_i64(b, y + DOOR_QR_QUIET)) ||
      (err = door__buf_putc(b, 'h')) || (err = door__buf_put_i64(b, w)) ||
      (err = door__buf_puts(b, "v1h-")) || (err = door__buf_put_i64(b, w)))
    return err;
  return door__buf_putc(b, 'z');
}

door_err door__qr_svg(door_buf *out, const void *data, size_t len, unsigned px,
                      const char *label, door_qr_info *info) {
  QRcode *q = NULL;
  char level = 'M';
  door_err err;
  int x, y, side;
  if (!out || !data || len == 0)
    return DOOR_EINVAL;
  if (len > DOOR_QR_MAX_INPUT)
    return DOOR_ETOOBIG;
  err = door__qr_encode(data, len, QR_ECLEVEL_M, &q);
  if (err == DOOR_ETOOBIG || (!err && q->version > DOOR_QR_M_MAX_VERSION)) {
    QRcode_free(q);
    q = NULL;
    level = 'L';
    err = door__qr_encode(data, len, QR_ECLEVEL_L, &q);
  }
  if (err)
    return err;
  side = q->width + 2 * DOOR_QR_QUIET;
  if (px == 0)
    px = 4u * (unsigned)side;
  if ((err = door__buf_puts(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                                 "class=\"qr\" role=\"img\" viewBox=\"0 0 ")) ||
      (err = door__buf_put_i64(out, side)) ||
      (err = door__buf_putc(out, ' ')) ||
      (err = door__buf_put_i64(out, side)) ||
      (err = door__buf_puts(out, "\" width=\"")) ||
      (err = door__buf_put_u64(out, px)) ||
      (err = door__buf_puts(out, "\" height=\"")) ||
      (err = door__buf_put_u64(out, px)) ||
      (err = door__buf_puts(out, "\" shape-rendering=\"crispEdges\">")))
    goto out;
  if (label && *label &&
      ((err = door__buf_puts(out, "<title>")) ||
       (err = door__html_escape(out, label)) ||
       (err = door__buf_puts(out, "</title>"))))
    goto out;
  if ((err = door__buf_puts(out, "<rect width=\"")) ||
      (err = door__buf_put_i64(out, side)) ||
      (err = door__buf_puts(out, "\" height=\"")) ||
      (err = door__buf_put_i64(out, side)) ||
      (err = door__buf_puts(out, "\" fill=\"#fff\"/><path fill=\"#000\" d=\"")))
    goto out;
  for (y = 0; y < q->width; y++) {
    const unsigned char *row = q->data + (size_t)y * (size_t)q->width;
    for (x = 0; x < q->width;) {
      int start;
      if (!(row[x] & 1)) {
        x++;
        continue;
      }
      for (start = x; x < q->width && (row[x] & 1); x++)
        ;
      if ((err = door__qr_run(out, start, y, x - start)))
        goto out;
    }
  }
  err = door__buf_puts(out, "\"/></svg>");
  if (!err && info) {
    info->version = q->version;
    info->width = q->width;
    info->level = level;
  }
out:
  QRcode_free(q);
  return err;
}
