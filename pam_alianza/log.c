/* log.c - the library's log sink dispatch. */
#include "config.h"

#include <stdio.h>

#include "alz_log.h"

static void syslog_sink(void *ctx, int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
syslog_sink(void *ctx, int prio, const char *fmt, va_list ap)
{
	char line[1024];

	(void)ctx;
	vsnprintf(line, sizeof(line), fmt, ap);
	syslog(LOG_AUTHPRIV | prio, "pam_alianza: %s", line);
}

const struct alz_log alz_log_syslog = { syslog_sink, NULL, 0 };

void
alz_log(const struct alz_log *lg, int prio, const char *fmt, ...)
{
	va_list ap;

	if (lg == NULL || lg->fn == NULL)
		lg = &alz_log_syslog;
	if (prio == LOG_DEBUG && !lg->debug)
		return;
	va_start(ap, fmt);
	lg->fn(lg->ctx, prio, fmt, ap);
	va_end(ap);
}
