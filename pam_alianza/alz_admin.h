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

/*
 * Ask PROMPT on stderr and read one line of at most 1024 bytes from
 * stdin, with echo off on a terminal (a terminal whose echo cannot be
 * turned off is not asked). Echo is back before a signal that cut the
 * prompt short acts; after Ctrl-Z and fg the prompt starts over. ALZ_OK:
 * *ANSWER is the caller's (alz_secret_free). An alz_auth_io ask function.
 */
enum alz_rc alz_admin_ask(void *ctx, const char *prompt, char **answer);

/* A message for the person at the terminal, on stderr ("! " before an error). */
void alz_admin_tell(void *ctx, bool error, const char *msg);

/*
 * Block the signals that end or stop a prompt (Ctrl-C, Ctrl-Z, hang-up,
 * TERM) until sigprocmask(SIG_SETMASK, OLD, NULL): around a write that
 * must not stop half-way, or stop while it holds a lock logins wait for.
 */
void alz_admin_block_signals(sigset_t *old);

/* pam_alianza-admin totp enroll|list|remove ...: ARGV[0] is the subcommand. */
int alz_admin_totp(const struct alz_config *cfg, const struct alz_log *lg, int argc, char **argv);

#endif
