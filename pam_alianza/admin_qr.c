/* admin_qr.c - a QR code drawn in text on a terminal (libqrencode): UTF-8 half blocks or ASCII. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "alz_qr.h"

#define COLOUR_ON "\033[40;97m"	/* black background, bright white glyphs */
#define COLOUR_OFF "\033[0m"

/* Module (X, Y) of the drawing, quiet zone included: light? Past the edge is margin too. */
static bool
light(const QRcode *qr, int x, int y)
{
	int w = qr->width;

	x -= ALZ_QR_QUIET;
	y -= ALZ_QR_QUIET;
	if (x < 0 || y < 0 || x >= w || y >= w)
		return true;
	return (qr->data[y * w + x] & 1) == 0;	/* bit 0: dark */
}

static void
put(char *buf, size_t *n, const char *s)
{
	size_t k = strlen(s);

	memcpy(buf + *n, s, k);
	*n += k;
}

static const char *
cell(const QRcode *qr, enum alz_qr_style style, int x, int y)
{
	bool top = light(qr, x, y), bottom;

	if (style == ALZ_QR_ASCII)
		return top ? "##" : "  ";
	bottom = light(qr, x, y + 1);
	if (top && bottom)
		return "\xe2\x96\x88";	/* U+2588 full block */
	if (top)
		return "\xe2\x96\x80";	/* U+2580 upper half block */
	if (bottom)
		return "\xe2\x96\x84";	/* U+2584 lower half block */
	return " ";
}

char *
alz_qr_draw(const char *text, enum alz_qr_style style, bool colour, size_t *len)
{
	QRcode *qr;
	char *buf = NULL;
	size_t n = 0, lines, per_line;
	int size, x, y, step = style == ALZ_QR_UTF8 ? 2 : 1;

	*len = 0;
	qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (qr == NULL)
		return NULL;
	size = qr->width + 2 * ALZ_QR_QUIET;
	lines = (size_t)(size + step - 1) / (size_t)step;
	/* at most 3 bytes a module (a half block), the escapes and the newline */
	per_line = (size_t)size * 3 + sizeof(COLOUR_ON) + sizeof(COLOUR_OFF) + 1;
	buf = malloc(lines * per_line + 1);
	if (buf == NULL)
		goto out;
	for (y = 0; y < size; y += step) {
		if (colour)
			put(buf, &n, COLOUR_ON);
		for (x = 0; x < size; x++)
			put(buf, &n, cell(qr, style, x, y));
		if (colour)
			put(buf, &n, COLOUR_OFF);
		put(buf, &n, "\n");
	}
	buf[n] = '\0';
	*len = n;
out:
	/* the modules spell TEXT (a secret) */
	explicit_bzero(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	return buf;
}
