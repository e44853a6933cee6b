/* text.c - the one home of text validation: which bytes each kind of string may hold. */
#include "config.h"

#include "alz_text.h"

#include <string.h>
#include <strings.h>

/* Length of the well-formed UTF-8 sequence at P (no overlongs, surrogates, C1), or 0. */
static size_t
utf8_seq(const unsigned char *p)
{
	unsigned long cp;
	size_t need, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		need = 1;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 2;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 3;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the terminating NUL */
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return need + 1;
}

static bool
byte_ok(unsigned char c, enum alz_text_kind kind)
{
	switch (kind) {
	case ALZ_TEXT_VISIBLE:
		return c >= 0x21 && c <= 0x7e;
	case ALZ_TEXT_ASCII_LINE:
		return (c >= 0x20 && c <= 0x7e) || c == '\t';
	case ALZ_TEXT_LINE:
	case ALZ_TEXT_UTF8:
		return c >= 0x20 && c != 0x7f;
	}
	return false;
}

bool
alz_text_ok(const char *s, enum alz_text_kind kind)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p != '\0') {
		if (!byte_ok(*p, kind))
			return false;
		if (kind != ALZ_TEXT_UTF8) {
			p++;
			continue;
		}
		n = utf8_seq(p);
		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

bool
alz_text_user(const char *s)
{
	return s != NULL && strlen(s) <= ALZ_MAX_USER && alz_text_ok(s, ALZ_TEXT_UTF8);
}

void
alz_text_copy_safe(char *dst, size_t cap, const char *src, enum alz_text_kind kind)
{
	size_t i;

	if (cap == 0)
		return;
	if (src == NULL)
		src = "";
	/* one byte at a time: a log line is ASCII whatever KIND says of UTF-8 */
	if (kind != ALZ_TEXT_VISIBLE)
		kind = ALZ_TEXT_ASCII_LINE;
	for (i = 0; i + 1 < cap && src[i] != '\0'; i++)
		dst[i] = byte_ok((unsigned char)src[i], kind) && src[i] != '\t' ? src[i] : '?';
	dst[i] = '\0';
}

bool
alz_text_https_url(const char *s, bool query_ok)
{
	const char *host, *end;

	if (strncasecmp(s, "https://", 8) != 0 || !alz_text_ok(s, ALZ_TEXT_VISIBLE))
		return false;
	host = s + 8;
	end = host + strcspn(host, "/?#");
	if (end == host || *host == ':' || memchr(host, '@', (size_t)(end - host)) != NULL)
		return false;
	/*
	 * The authority a person reads is the one a browser opens: a host name
	 * or an IPv4 or bracketed IPv6 address, an optional port, nothing else
	 * (a '\\' makes browsers split it elsewhere).
	 */
	for (; host < end; host++)
		if (!((*host >= 'a' && *host <= 'z') || (*host >= 'A' && *host <= 'Z') ||
		      (*host >= '0' && *host <= '9') || *host == '.' || *host == '-' || *host == ':' ||
		      *host == '[' || *host == ']'))
			return false;
	if (strchr(s, '#') != NULL || (!query_ok && strchr(s, '?') != NULL))
		return false;
	return true;
}
