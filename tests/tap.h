/* tap.h - a minimal TAP producer for the C unit tests (automake's tap-driver reads it).
 *
 *   tap_ok(cond, fmt, ...)       one check
 *   ok_int(got, want, fmt, ...)  integers equal
 *   ok_str(got, want, fmt, ...)  strings equal (NULL equals only NULL)
 *   ok_has(text, part, fmt, ...) TEXT contains PART (a log buffer, a message)
 *   ok_rc(got, want, fmt, ...)   return codes equal, by name (include alz_error.h first)
 *
 * A failure says where and what: "#   at tests/test_cache.c:123: b.ntokens: got 3, expected 4".
 * Each returns whether it passed, so a check can guard the ones that need its result.
 */
#ifndef ALZ_TAP_H
#define ALZ_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* "../tests/x.c" from an out-of-tree build reads as "tests/x.c" */
static __attribute__((unused)) const char *
tap_where(const char *file)
{
	const char *p = strstr(file, "tests/");

	return p != NULL ? p : file;
}

static int tap_report(int cond, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static __attribute__((unused)) int
tap_report(int cond, const char *fmt, va_list ap)
{
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

/* a value on one line of TAP diagnostics: quoted, control bytes escaped, capped */
static __attribute__((unused)) void
tap_show(const char *s)
{
	size_t i;

	if (s == NULL) {
		printf("NULL");
		return;
	}
	putchar('"');
	for (i = 0; s[i] != '\0' && i < 400; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	if (s[i] != '\0')
		printf("\"... (%zu bytes)", strlen(s));
	else
		putchar('"');
}

static int tap_ok_at(const char *file, int line, int cond, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static __attribute__((unused)) int
tap_ok_at(const char *file, int line, int cond, const char *expr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   at %s:%d: false: %s\n", tap_where(file), line, expr);
	fflush(stdout);
	return cond;
}

static int tap_int_at(const char *file, int line, long long got, long long want, const char *expr,
		      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static __attribute__((unused)) int
tap_int_at(const char *file, int line, long long got, long long want, const char *expr,
	   const char *fmt, ...)
{
	va_list ap;
	int cond = got == want;

	va_start(ap, fmt);
	tap_report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   at %s:%d: %s: got %lld, expected %lld\n", tap_where(file), line, expr, got,
		       want);
	fflush(stdout);
	return cond;
}

static int tap_str_at(const char *file, int line, const char *got, const char *want, const char *expr,
		      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static __attribute__((unused)) int
tap_str_at(const char *file, int line, const char *got, const char *want, const char *expr,
	   const char *fmt, ...)
{
	va_list ap;
	int cond = got == NULL || want == NULL ? got == want : strcmp(got, want) == 0;

	va_start(ap, fmt);
	tap_report(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		printf("#   at %s:%d: %s: got ", tap_where(file), line, expr);
		tap_show(got);
		printf(", expected ");
		tap_show(want);
		printf("\n");
	}
	fflush(stdout);
	return cond;
}

static int tap_has_at(const char *file, int line, const char *text, const char *part, const char *expr,
		      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static __attribute__((unused)) int
tap_has_at(const char *file, int line, const char *text, const char *part, const char *expr,
	   const char *fmt, ...)
{
	va_list ap;
	int cond = text != NULL && part != NULL && strstr(text, part) != NULL;

	va_start(ap, fmt);
	tap_report(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		printf("#   at %s:%d: %s: ", tap_where(file), line, expr);
		tap_show(text);
		printf(" does not contain ");
		tap_show(part);
		printf("\n");
	}
	fflush(stdout);
	return cond;
}

#define tap_ok(cond, ...) tap_ok_at(__FILE__, __LINE__, (cond) ? 1 : 0, #cond, __VA_ARGS__)
#define ok_int(got, want, ...) \
	tap_int_at(__FILE__, __LINE__, (long long)(got), (long long)(want), #got, __VA_ARGS__)
#define ok_str(got, want, ...) tap_str_at(__FILE__, __LINE__, (got), (want), #got, __VA_ARGS__)
#define ok_has(text, part, ...) tap_has_at(__FILE__, __LINE__, (text), (part), #text, __VA_ARGS__)

#ifdef ALZ_ERROR_H
static int tap_rc_at(const char *file, int line, enum alz_rc got, enum alz_rc want, const char *expr,
		     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static __attribute__((unused)) int
tap_rc_at(const char *file, int line, enum alz_rc got, enum alz_rc want, const char *expr,
	  const char *fmt, ...)
{
	va_list ap;
	int cond = got == want;

	va_start(ap, fmt);
	tap_report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   at %s:%d: %s: got %s, expected %s\n", tap_where(file), line, expr,
		       alz_rc_name(got), alz_rc_name(want));
	fflush(stdout);
	return cond;
}

#define ok_rc(got, want, ...) tap_rc_at(__FILE__, __LINE__, (got), (want), #got, __VA_ARGS__)
#endif

static __attribute__((unused)) int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
