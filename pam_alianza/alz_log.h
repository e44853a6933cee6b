/* alz_log.h - where the PAM-free library sends its log lines (syslog, PAM, or a test sink). */
#ifndef ALZ_LOG_H
#define ALZ_LOG_H

#include <stdarg.h>
#include <syslog.h>

/*
 * The library never calls syslog() directly: the PAM glue routes lines
 * through pam_vsyslog(), the admin tool to stderr, tests to a buffer.
 * Nothing passed here may contain a password, a code or a token.
 */
struct alz_log {
	void (*fn)(void *ctx, int prio, const char *fmt, va_list ap);
	void *ctx;
	int debug;	/* 1: LOG_DEBUG lines are emitted */
};

void alz_log(const struct alz_log *lg, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A logger writing to syslog(LOG_AUTHPRIV) with an "pam_alianza: " prefix. */
extern const struct alz_log alz_log_syslog;

#endif
