/* door-broker's QR codes (src/daemon/qr.c): the SVG is rendered to PNG by
 * rsvg-convert (Debian librsvg2-bin) and decoded by zbarimg (Debian
 * zbar-tools) back to the very bytes encoded; its structure is read back
 * from the SVG path (quiet zone, finder patterns, module count).
 *
 * argv[1] rsvg-convert, argv[2] zbarimg (tests/unit/daemon/meson.build).
 * Missing programs fail the decode cases (./dev installs both).
 */
#include "daemon/qr.h"
#include "qr_read.h"
#include "t.h"

#include <qrencode.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *rsvg = "rsvg-convert", *zbar = "zbarimg";
static char dir[] = "/tmp/door-qr-XXXXXX";

/* SVG -> PNG -> zbarimg --raw: the decoded text (without zbarimg's final
 * newline) in `text` (tests/common/qr_read.c). */
static void decode(const door_buf *svg, door_buf *text) {
  char stem[64];
  snprintf(stem, sizeof stem, "%s/qr", dir);
  qr_read_svg(rsvg, zbar, stem, svg->data, svg->len, text);
}

/* A participation token's shape: header.claims.signature in base64url,
 * `n` characters, deterministic. */
static void token_like(char *out, size_t n) {
  static const char a[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned x = 2463534242u;
  size_t i;
  for (i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out[i] = a[x % 64];
  }
  out[n / 5] = '.';
  out[n - 87] = '.';
  out[n] = '\0';
}

/* The module grid read back from the SVG's path ("MX YhWv1h-Wz" runs):
 * side x side cells, 1 = dark.  Returns side, 0 when it does not parse. */
static int grid(const char *svg, unsigned char *g, int cap) {
  const char *vb = strstr(svg, "viewBox=\"0 0 "), *d = strstr(svg, " d=\"");
  int side, x, y, w, w2, n;
  if (!vb || !d || sscanf(vb + 13, "%d", &side) != 1 || side <= 0 || side > cap)
    return 0;
  memset(g, 0, (size_t)side * (size_t)side);
  d += 4;
  while (*d == 'M') {
    if (sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &w, &w2, &n) != 4 || w != w2 ||
        w <= 0 || x < 0 || y < 0 || x + w > side || y >= side)
      return 0;
    memset(g + (size_t)y * (size_t)side + (size_t)x, 1, (size_t)w);
    d += n;
  }
  return *d == '"' ? side : 0;
}

/* A 7x7 finder pattern with its top-left module at (x, y). */
static int finder_at(const unsigned char *g, int side, int x, int y) {
  int i, j;
  for (j = 0; j < 7; j++)
    for (i = 0; i < 7; i++) {
      int ring = i == 0 || j == 0 || i == 6 || j == 6;
      int core = i >= 2 && i <= 4 && j >= 2 && j <= 4;
      if (g[(y + j) * side + x + i] != (ring || core))
        return 0;
    }
  return 1;
}

/* A 550-character token-like string: level M, version 18 (89 modules),
 * and zbarimg reads it back exactly. */
static void test_token_decodes(void) {
  char tok[551];
  door_buf svg, text;
  door_qr_info info;
  token_like(tok, 550);
  door__buf_init(&svg, 1 << 20);
  door__buf_init(&text, 1 << 16);
  T_EQ_ERR(door__qr_svg(&svg, tok, strlen(tok), 0, "token", &info), DOOR_OK);
  T_EQ_INT(info.level, 'M');
  T_EQ_INT(info.version, 18);
  T_EQ_INT(info.width, 89);
  decode(&svg, &text);
  T_EQ_INT(text.len, 550);
  T_EQ_STR(door__buf_str(&text), tok);
  door__buf_free(&svg);
  door__buf_free(&text);
}

/* Structure: viewBox = width + 8, 4 px per module by default, quiet zone
 * of 4 white modules, finder patterns at three corners, as many dark
 * modules as libqrencode's own matrix has. */
static void test_structure(void) {
  static unsigned char g[200 * 200];
  char tok[481];
  door_buf svg;
  door_qr_info info;
  QRcode *q;
  int side, x, y, dark = 0, qdark = 0, i;
  token_like(tok, 480);
  door__buf_init(&svg, 1 << 20);
  T_EQ_ERR(door__qr_svg(&svg, tok, strlen(tok), 0, NULL, &info), DOOR_OK);
  side = grid(svg.data, g, 200);
  T_EQ_INT(side, info.width + 2 * DOOR_QR_QUIET);
  T_OK(strstr(svg.data, "width=\"") != NULL);
  {
    char want[64];
    snprintf(want, sizeof want, "width=\"%d\" height=\"%d\"", 4 * side,
             4 * side);
    T_OK(strstr(svg.data, want) != NULL);
  }
  T_OK(strstr(svg.data, "<title>") == NULL);
  T_OK(strstr(svg.data, "<script") == NULL && strstr(svg.data, "href") == NULL);
  for (y = 0; y < side; y++)
    for (x = 0; x < side; x++) {
      int quiet = x < DOOR_QR_QUIET || y < DOOR_QR_QUIET ||
                  x >= side - DOOR_QR_QUIET || y >= side - DOOR_QR_QUIET;
      if (quiet && g[y * side + x])
        T_FAIL_("dark module in the quiet zone at %d,%d (side %d)", x, y, side);
      dark += g[y * side + x];
    }
  T_OK(finder_at(g, side, 4, 4));
  T_OK(finder_at(g, side, side - 11, 4));
  T_OK(finder_at(g, side, 4, side - 11));
  T_OK(!finder_at(g, side, side - 11, side - 11));
  q = QRcode_encodeData(480, (const unsigned char *)tok, 0, QR_ECLEVEL_M);
  T_OK(q != NULL);
  for (i = 0; i < q->width * q->width; i++)
    qdark += q->data[i] & 1;
  T_EQ_INT(q->width, info.width);
  QRcode_free(q);
  T_EQ_INT(dark, qdark);
  door__buf_free(&svg);
}

/* Longer data leaves level M (version > 25) for L, and still decodes;
 * explicit size in CSS pixels; the label is escaped into <title>. */
static void test_long_data_level_l(void) {
  char tok[1201];
  door_buf svg, text;
  door_qr_info info;
  token_like(tok, 1200);
  door__buf_init(&svg, 1 << 20);
  door__buf_init(&text, 1 << 16);
  T_EQ_ERR(door__qr_svg(&svg, tok, strlen(tok), 600, "<a&b>", &info), DOOR_OK);
  T_EQ_INT(info.level, 'L');
  {
    QRcode *m =
        QRcode_encodeData(1200, (const unsigned char *)tok, 0, QR_ECLEVEL_M);
    T_OK(m != NULL);
    printf("# 1200 bytes: level M would be version %d, L is %d\n", m->version,
           info.version);
    T_OK(m->version > DOOR_QR_M_MAX_VERSION && info.version < m->version);
    QRcode_free(m);
  }
  T_OK(strstr(svg.data, "width=\"600\" height=\"600\"") != NULL);
  T_OK(strstr(svg.data, "<title>&lt;a&amp;b&gt;</title>") != NULL);
  decode(&svg, &text);
  T_EQ_STR(door__buf_str(&text), tok);
  door__buf_free(&svg);
  door__buf_free(&text);
}

/* Empty data, data past version 40-L, and a buffer cap too small. */
static void test_refusals(void) {
  static char big[3001];
  char tok[501];
  door_buf svg;
  door__buf_init(&svg, 1 << 20);
  T_EQ_ERR(door__qr_svg(&svg, "", 0, 0, NULL, NULL), DOOR_EINVAL);
  memset(big, 'a', 3000);
  T_EQ_ERR(door__qr_svg(&svg, big, 3000, 0, NULL, NULL), DOOR_ETOOBIG);
  /* 2954 bytes: one past the limit, refused before libqrencode. */
  T_EQ_ERR(door__qr_svg(&svg, big, DOOR_QR_MAX_INPUT + 1, 0, NULL, NULL),
           DOOR_ETOOBIG);
  door__buf_free(&svg);
  token_like(tok, 500);
  door__buf_init(&svg, 512);
  T_EQ_ERR(door__qr_svg(&svg, tok, 500, 0, NULL, NULL), DOOR_ETOOBIG);
  door__buf_free(&svg);
}

jmp_buf t__jmp;

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_token_decodes),
      T_CASE(test_structure),
      T_CASE(test_long_data_level_l),
      T_CASE(test_refusals),
  };
  int rc;
  if (argc > 2) {
    rsvg = argv[1];
    zbar = argv[2];
  }
  if (!mkdtemp(dir)) {
    printf("1..1\nnot ok 1 - mkdtemp\n");
    return 1;
  }
  rc = t_run(cases, sizeof cases / sizeof cases[0]);
  {
    char p[64];
    snprintf(p, sizeof p, "%s/qr.svg", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/qr.png", dir);
    unlink(p);
    rmdir(dir);
  }
  return rc;
}
