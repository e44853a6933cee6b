/* alz_qr.h - a QR code drawn in text on a terminal (libqrencode): UTF-8 half blocks or ASCII. */
#ifndef ALZ_QR_H
#define ALZ_QR_H

#include <stdbool.h>
#include <stddef.h>

#define ALZ_QR_QUIET 4	/* modules of light margin on every side (ISO/IEC 18004) */

enum alz_qr_style {
	ALZ_QR_UTF8,	/* one character per module across, two down: U+2580, U+2584, U+2588 */
	ALZ_QR_ASCII,	/* "##" per light module, two spaces per dark one, a line per row */
};

/*
 * TEXT as a QR code (byte mode, error correction level M) with its quiet
 * zone, drawn for a terminal: a glyph is a light module and a blank a dark
 * one, so light text on a dark background shows dark modules on light, as
 * a phone's camera needs; COLOUR adds ANSI escapes (bright white on black)
 * that show it so on a light background too. Returns the drawing (lines
 * ending in '\n', *LEN bytes, NUL-terminated), the caller's to wipe and
 * free (it holds TEXT); NULL: out of memory, or TEXT too long for a code.
 */
char *alz_qr_draw(const char *text, enum alz_qr_style style, bool colour, size_t *len);

#endif
