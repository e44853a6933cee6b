/* test_text.c - unit tests of the one text validator and the log-safe copy. */
#include "config.h"

#include <string.h>

#include "alz_text.h"
#include "tap.h"

static const struct {
	const char *name, *s;
	enum alz_text_kind kind;
	bool ok;
} cases[] = {
	{ "token", "abc.DEF-123_~", ALZ_TEXT_VISIBLE, true },
	{ "space in a token", "ab c", ALZ_TEXT_VISIBLE, false },
	{ "CR in a token", "ab\rc", ALZ_TEXT_VISIBLE, false },
	{ "DEL in a token", "ab\x7f", ALZ_TEXT_VISIBLE, false },
	{ "UTF-8 in a token", "t\xc3\xa9", ALZ_TEXT_VISIBLE, false },
	{ "empty", "", ALZ_TEXT_VISIBLE, true },
	{ "list with spaces and tab", "sudo, adm\tstaff", ALZ_TEXT_ASCII_LINE, true },
	{ "newline in a list", "sudo,\nadm", ALZ_TEXT_ASCII_LINE, false },
	{ "high byte in a list", "sud\xc3\xb6", ALZ_TEXT_ASCII_LINE, false },
	{ "fact with UTF-8", "Caf\xc3\xa9 S.A.", ALZ_TEXT_LINE, true },
	{ "fact with a tab", "a\tb", ALZ_TEXT_LINE, false },
	{ "fact with ESC", "a\x1b[2J", ALZ_TEXT_LINE, false },
	{ "fact with DEL", "a\x7f", ALZ_TEXT_LINE, false },
	{ "fact with a bad byte passes LINE", "\xff", ALZ_TEXT_LINE, true },
	{ "UTF-8 text", "j\xc3\xa9r\xc3\xb4me \xe2\x82\xac \xf0\x9f\x94\x91", ALZ_TEXT_UTF8, true },
	{ "invalid UTF-8", "\xff\xfe", ALZ_TEXT_UTF8, false },
	{ "overlong UTF-8", "\xc0\xaf", ALZ_TEXT_UTF8, false },
	{ "overlong 3-byte", "\xe0\x80\xaf", ALZ_TEXT_UTF8, false },
	{ "surrogate", "\xed\xa0\x80", ALZ_TEXT_UTF8, false },
	{ "beyond U+10FFFF", "\xf4\x90\x80\x80", ALZ_TEXT_UTF8, false },
	{ "C1 control", "\xc2\x85", ALZ_TEXT_UTF8, false },
	{ "truncated sequence", "a\xe2\x82", ALZ_TEXT_UTF8, false },
	{ "control in UTF-8 text", "a\nb", ALZ_TEXT_UTF8, false },
};

/* The one user-name rule (the module's gate, the admin tool's commands). */
static void
user_names(void)
{
	char name[ALZ_MAX_USER + 2];

	tap_ok(alz_text_user("alice"), "user name alice taken");
	tap_ok(alz_text_user("j\xc3\xbcrgen"), "user name in UTF-8 taken");
	tap_ok(!alz_text_user("x\n"), "user name with a newline refused");
	tap_ok(!alz_text_user("a\tb"), "user name with a tab refused");
	tap_ok(!alz_text_user("\xff"), "user name of invalid UTF-8 refused");
	tap_ok(!alz_text_user(NULL), "no user name refused");
	memset(name, 'a', ALZ_MAX_USER);
	name[ALZ_MAX_USER] = '\0';
	tap_ok(alz_text_user(name), "user name of ALZ_MAX_USER bytes taken");
	name[ALZ_MAX_USER] = 'a';
	name[ALZ_MAX_USER + 1] = '\0';
	tap_ok(!alz_text_user(name), "user name of ALZ_MAX_USER + 1 bytes refused");
}

int
main(void)
{
	char buf[8];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = alz_text_ok(cases[i].s, cases[i].kind);

		tap_ok(got == cases[i].ok, "%s: %s (expected %s)", cases[i].name,
		       got ? "accepted" : "refused", cases[i].ok ? "accepted" : "refused");
	}

	alz_text_copy_safe(buf, sizeof(buf), "a b\nc\xc3", ALZ_TEXT_VISIBLE);
	tap_ok(strcmp(buf, "a?b?c?") == 0, "log field copy: spaces, controls, high bytes -> '?' (%s)",
	       buf);
	alz_text_copy_safe(buf, sizeof(buf), "a b\tc", ALZ_TEXT_ASCII_LINE);
	tap_ok(strcmp(buf, "a b?c") == 0, "sentence copy keeps spaces, not tabs (%s)", buf);
	alz_text_copy_safe(buf, sizeof(buf), "0123456789", ALZ_TEXT_VISIBLE);
	tap_ok(strcmp(buf, "0123456") == 0, "copy is capped and terminated (%s)", buf);
	alz_text_copy_safe(buf, sizeof(buf), NULL, ALZ_TEXT_VISIBLE);
	tap_ok(buf[0] == '\0', "NULL copies as empty");
	user_names();
	return tap_done();
}
