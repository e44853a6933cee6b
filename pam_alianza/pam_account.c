/* pam_account.c - PAM glue, account management group: who may log in here. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#define PAM_SM_ACCOUNT
#include "alz_pam.h"
#include "alz_cache.h"

/*
 * The API refused this user (locked, forbidden) within account_max_age and
 * has not let them in since: a key login is denied as the password was.
 * PAM_SUCCESS when there is no such refusal.
 */
static int
refused(struct alz_pam_ctx *c, const char *user_log)
{
	struct alz_cache cache;
	struct alz_outcome o;
	time_t at, now = time(NULL);
	enum alz_rc why;
	int ret;

	alz_cache_open(&cache, &c->cfg, 0, &c->lg);
	at = alz_cache_refused(&cache, c->user, &why);
	if (at == 0 || at > now || now - at > c->cfg.account_max_age)
		return PAM_SUCCESS;
	alz_log(&c->lg, LOG_NOTICE, "account service=%s user=%s facts=refusal refused=%s age=%lds "
		"result=denied", c->service, user_log, why == ALZ_ERR_LOCKED ? "locked" : "forbidden",
		(long)(now - at));
	memset(&o, 0, sizeof(o));
	o.rc = why;
	alz_pam_explain(c, &o);
	ret = alz_pam_code_for(why, ALZ_PHASE_ACCOUNT);
	return ret == PAM_SUCCESS || ret == PAM_IGNORE ? PAM_PERM_DENIED : ret;
}

PAM_EXTERN int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct alz_pam_facts f;
	struct alz_pam_ctx c;
	const char *source = NULL;
	char user_log[80];
	bool have;
	int ret;

	ret = alz_pam_phase_init(&c, pamh, flags, argc, argv, user_log, sizeof(user_log));
	if (ret != PAM_SUCCESS)
		return ret;
	have = alz_pam_get_facts(&c, &f, &source);
	/* facts from this process's own success are newer than any refusal */
	if (!have || strcmp(source, "this-auth") != 0) {
		ret = refused(&c, user_log);
		if (ret != PAM_SUCCESS)
			goto out;
	}
	if (!have) {
		/* authenticated by another module (a key, say) and nothing fresh to go by */
		ret = c.cfg.account_deny_without_facts ? PAM_PERM_DENIED : PAM_IGNORE;
		alz_log(&c.lg, LOG_INFO, "account service=%s user=%s facts=%s result=%s", c.service,
			user_log, source, ret == PAM_IGNORE ? "ignore" : "denied");
		if (ret == PAM_PERM_DENIED)
			alz_pam_say(&c, PAM_ERROR_MSG, "Access denied: log in with your Alianza password first.");
		goto out;
	}
	ret = alz_pam_code_for(alz_pam_allow(&c, user_log, "account", f.user_type, f.partition_id),
			       ALZ_PHASE_ACCOUNT);
	if (ret == PAM_SUCCESS)
		alz_log(&c.lg, LOG_INFO, "account service=%s user=%s type=%s facts=%s result=allowed",
			c.service, user_log, alz_user_type_show(f.user_type), source);
out:
	alz_pam_ctx_free(&c);
	return ret;
}
