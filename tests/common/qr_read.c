/* Reading a QR code back in a test (see qr_read.h). */
#include "qr_read.h"

#include "run_prog.h"
#include "t.h"

#include <stdio.h>

void qr_read_svg(const char *rsvg, const char *zbar, const char *stem,
                 const char *svg, size_t len, door_buf *text) {
  char svgp[4096], pngp[4096];
  FILE *f;
  int rc;
  rc = snprintf(svgp, sizeof svgp, "%s.svg", stem);
  T_OK(rc > 0 && (size_t)rc < sizeof svgp);
  rc = snprintf(pngp, sizeof pngp, "%s.png", stem);
  T_OK(rc > 0 && (size_t)rc < sizeof pngp);
  f = fopen(svgp, "wb");
  T_OK(f != NULL);
  T_EQ_INT(fwrite(svg, 1, len, f), len);
  T_EQ_INT(fclose(f), 0);
  {
    const char *argv[] = {rsvg, "-o", pngp, svgp, NULL};
    rc = run_prog(argv, NULL);
    if (rc != 0)
      T_FAIL_("%s exited with %d (Debian librsvg2-bin; ./dev installs it)",
              rsvg, rc);
  }
  {
    const char *argv[] = {
        zbar,       "--raw", "-q", "-Sdisable", "-Sqrcode.enable",
        "-Sbinary", pngp,    NULL};
    door__buf_reset(text);
    rc = run_prog(argv, text);
    if (rc != 0)
      T_FAIL_("%s exited with %d, nothing decoded (Debian zbar-tools; "
              "./dev installs it)",
              zbar, rc);
  }
  if (text->len && text->data[text->len - 1] == '\n')
    text->data[--text->len] = '\0';
}
