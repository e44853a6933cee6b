/* fuzz.h - what the libFuzzer targets share: a quiet log sink, a NUL-terminated copy, invariant checks. */
#ifndef ALZ_FUZZ_H
#define ALZ_FUZZ_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alz_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Set by a target that leaves files behind (fuzz_config's temp dir); run before abort(). */
static void (*fuzz_before_abort)(void);

/*
 * An invariant the library promises whatever the input: when it breaks,
 * say which and abort(), so libFuzzer keeps the input as a crash artifact.
 */
#define FUZZ_CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
				__FILE__, __LINE__, #cond);			\
			if (fuzz_before_abort != NULL)				\
				fuzz_before_abort();				\
			abort();					\
		}							\
	} while (0)

/* Format every line (a bad format argument still trips the sanitizers), print none. */
static inline void fuzz_log_discard(void *ctx, int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static inline void
fuzz_log_discard(void *ctx, int prio, const char *fmt, va_list ap)
{
	char line[1024];

	(void)ctx;
	(void)prio;
	vsnprintf(line, sizeof(line), fmt, ap);
}

/* debug on: the debug lines' arguments are exercised too */
static const struct alz_log fuzz_log = { fuzz_log_discard, NULL, 1 };

/* The parsers read buf[len]: a private copy with the NUL they expect. Caller frees. */
static inline char *
fuzz_copy(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);

	if (buf == NULL)
		abort();
	if (size > 0)
		memcpy(buf, data, size);
	buf[size] = '\0';
	return buf;
}

/* Visible ASCII (0x21-0x7e) only, as a header value must be. */
static inline int
fuzz_visible(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* No control character (below 0x20, or DEL): what the library calls printable. */
static inline int
fuzz_no_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

#endif
