/* alz_admin.h - what pam_alianza-admin's command files share: exit codes, times, prompts, commands. */
#ifndef ALZ_ADMIN_H
#define ALZ_ADMIN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "alz_config.h"
#include "alz_error.h"
#include "alz_log.h"

/* Exit codes, documented in pam_alianza-admin's usage and pam_alianza-admin(8). */
enum {
	EX_OK = 0,		/* all good / login accepted */
	EX_PROBLEM = 1,		/* check or status found problems / login or command refused */
	EX_USAGE = 2,
	EX_CONFIG = 3,		/* the configuration cannot be used */
	EX_NOTROOT = 4,		/* needs root: the cache, --conf, --set; check needs an effective 0 */
};

	EX_PROBLEM = 1,		/* check or status found problems / login or command refused */

#endif
