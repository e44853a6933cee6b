/* alz_text.h - the one home of text validation: which bytes each kind of string may hold. */
#ifndef ALZ_TEXT_H
#define ALZ_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define ALZ_MAX_USER 256	/* bytes of a user name: the local one, and the API's */

enum alz_text_kind {
	/* 0x21-0x7e: tokens (they travel in a header), URLs, paths, config keys */
	ALZ_TEXT_VISIBLE,
	/* 0x20-0x7e and tab: config lists ("sudo, adm") */
	ALZ_TEXT_ASCII_LINE,
	/* no C0 control and no DEL; other bytes unchecked: facts from the API or the record */
	ALZ_TEXT_LINE,
	/* ALZ_TEXT_LINE and well-formed UTF-8 without C1 controls: what we send the API */
	ALZ_TEXT_UTF8,
};

/* True when every byte of S is allowed in KIND (the empty string is). */
bool alz_text_ok(const char *s, enum alz_text_kind kind);

/*
 * True when S is a user name the module takes (PAM_USER, the name NSS
 * answers, a name the admin tool is given): at most ALZ_MAX_USER bytes of
 * ALZ_TEXT_UTF8. Whether such an account exists is NSS's to say.
 */
bool alz_text_user(const char *s);

/*
 * An https:// URL with a host, no user part ('@' in the authority) and no
 * fragment, of visible ASCII; QUERY_OK: a query may follow the path.
 */
bool alz_text_https_url(const char *s, bool query_ok);

/*
 * A capped copy of possibly hostile SRC for a log line or a message: bytes
 * outside KIND (ALZ_TEXT_VISIBLE for key=value fields, ALZ_TEXT_ASCII_LINE
 * for sentences) become '?'. SRC NULL copies "".
 */
void alz_text_copy_safe(char *dst, size_t cap, const char *src, enum alz_text_kind kind);

#endif
