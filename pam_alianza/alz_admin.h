/* alz_admin.h - what pam_alianza-admin's command files share: exit codes, times, commands. */
#ifndef ALZ_ADMIN_H
#define ALZ_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "alz_config.h"

/* Exit codes, documented in pam_alianza-admin's usage and pam_alianza-admin(8). */
enum {
	EX_OK = 0,		/* all good / login accepted */
	EX_PROBLEM = 1,		/* check or status found problems / login refused */
	EX_USAGE = 2,
	EX_CONFIG = 3,		/* the configuration cannot be used */
	EX_NOTROOT = 4,		/* needs root: the cache, --conf, --set; check needs an effective 0 */
};

/* T as local "YYYY-MM-DD HH:MM:SS", or "never" for 0. */
void alz_admin_fmt_time(time_t t, char *buf, size_t cap);

/*
 * status [--json] (admin_status.c): each base_url reached with one TLS
 * connection and no request, its certificate and key pin, the cache, the
 * module's last decisions in the log. EX_OK, or EX_PROBLEM with each
 * problem said. PATH: the config's, for the output.
 */
int alz_admin_status(const struct alz_config *cfg, const char *path, bool configured, bool json,
		     const struct alz_log *lg);

#endif
