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
#include "alz_account.h"
#include "alz_cache.h"

/* Tell the user why, and the account phase's failing code for O->rc (never a success). */
static int
deny(struct alz_pam_ctx *c, const struct alz_outcome *o)
{
	int ret;

	if (o->rc == ALZ_ERR_DENIED)
		/* the API no longer takes the token this login rode on */
		alz_pam_say(c, PAM_ERROR_MSG, "Access denied by the Alianza service: log in with "
			    "your Alianza password.");
	else
		alz_pam_explain(c, o);
	ret = alz_pam_code_for(o->rc, ALZ_PHASE_ACCOUNT);
	return ret == PAM_SUCCESS || ret == PAM_IGNORE ? PAM_PERM_DENIED : ret;
}

/*
 * The API refused this user (locked, forbidden, a who-am-I's 401) within account_max_age and
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

	alz_cache_open(&cache, &c->cfg, 0, &c->lg);
	at = alz_cache_refused(&cache, c->user, &why);
	if (at == 0 || at > now || now - at > c->cfg.account_max_age)
		return PAM_SUCCESS;
	alz_log(&c->lg, LOG_NOTICE, "account service=%s user=%s facts=refusal refused=%s age=%lds "
		"result=denied", c->service, user_log, alz_record_refusal_name(why), (long)(now - at));
	memset(&o, 0, sizeof(o));
	o.rc = why;
	return deny(c, &o);
}

/*
 * account_online_check: ask the API who a user another module let in is
 * (alz_account_check decides what the answer means). PAM_SUCCESS to go on:
 * with *F the API's facts (*SOURCE "api") when it vouched, untouched when
 * it could not be asked (the record and account_max_age decide, as with
 * the check off). Otherwise the code that denies.
 */
static int
online_check(struct alz_pam_ctx *c, const char *user_log, struct alz_pam_facts *f, bool *have,
	     const char **source)
{
	struct alz_account_check chk;
	struct alz_cache cache;
	char part_log[80], was_log[80];
	int ret = PAM_SUCCESS;

	alz_cache_open(&cache, &c->cfg, 0, &c->lg);
	alz_account_check(&cache, c->user, &chk);
	switch (chk.verdict) {
	case ALZ_ACCOUNT_VOUCHED:
		memset(f, 0, sizeof(*f));
		snprintf(f->user, sizeof(f->user), "%s", c->user);
		f->at = time(NULL);
		memcpy(f->user_type, chk.o.login.user_type, sizeof(f->user_type));
		snprintf(f->partition_id, sizeof(f->partition_id), "%s",
			 chk.o.login.partition_id != NULL ? chk.o.login.partition_id : "");
		snprintf(f->partition_name, sizeof(f->partition_name), "%s",
			 chk.o.login.partition_name != NULL ? chk.o.login.partition_name : "");
		snprintf(f->user_id, sizeof(f->user_id), "%s",
			 chk.o.login.user_id != NULL ? chk.o.login.user_id : "");
		*have = true;
		*source = "api";
		alz_pam_log_safe(part_log, sizeof(part_log), f->partition_id);
		alz_pam_log_safe(was_log, sizeof(was_log), chk.was_partition);
		alz_log(&c->lg, chk.changed ? LOG_NOTICE : LOG_INFO, "account service=%s user=%s "
			"check=online status=%ld type=%s partition=%s facts=%s (record: type=%s "
			"partition=%s)", c->service, user_log, chk.o.status,
			alz_user_type_show(f->user_type), part_log[0] != '\0' ? part_log : "-",
			chk.changed ? "changed" : "same", alz_user_type_show(chk.was_type),
			was_log[0] != '\0' ? was_log : "-");
		break;
	case ALZ_ACCOUNT_REFUSED:
		alz_log(&c->lg, LOG_NOTICE, "account service=%s user=%s check=online status=%ld "
			"refused=%s result=denied reason=%s", c->service, user_log, chk.o.status,
			alz_record_refusal_name(chk.why), alz_rc_name(chk.why));
		chk.o.rc = chk.why;
		ret = deny(c, &chk.o);
		break;
	case ALZ_ACCOUNT_FALLBACK:
		alz_log(&c->lg, LOG_NOTICE, "account service=%s user=%s check=online status=%ld "
			"fallback=account_max_age reason=%s", c->service, user_log, chk.o.status,
			alz_rc_name(chk.why));
		break;
	case ALZ_ACCOUNT_FAILED:
		alz_log(&c->lg, LOG_ERR, "account service=%s user=%s check=online status=%ld "
			"result=denied reason=%s", c->service, user_log, chk.o.status,
			alz_rc_name(chk.why));
		chk.o.rc = chk.why;
		ret = deny(c, &chk.o);
		break;
	}
	alz_account_check_free(&chk);
	return ret;
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
	/* facts from this process's own success are newer than any refusal, and fresh */
	if (!have || strcmp(source, "this-auth") != 0) {
		/* a refusal kept within account_max_age denies without asking again */
		ret = refused(&c, user_log);
		if (ret != PAM_SUCCESS)
			goto out;
		if (c.cfg.account_online_check) {
			ret = online_check(&c, user_log, &f, &have, &source);
			if (ret != PAM_SUCCESS)
				goto out;
		}
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
