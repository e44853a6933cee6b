/* alz_admin.h - what the files of pam_alianza-admin share: exit codes, prompts, commands. */
#ifndef ALZ_ADMIN_H
#define ALZ_ADMIN_H

#include <signal.h>
#include <stdbool.h>

#include "alz_config.h"
#include "alz_error.h"
#include "alz_log.h"

/* Exit codes, documented in pam_alianza-admin's usage and pam_alianza-admin(8). */
enum {
	EX_OK = 0,		/* all good / login accepted */
	EX_PROBLEM = 1,		/* check found problems / login refused / command refused */
	EX_USAGE = 2,
	EX_CONFIG = 3,		/* the configuration cannot be used */
	EX_NOTROOT = 4,		/* needs root: the cache, --conf, --set; check needs an effective 0 */
};

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
