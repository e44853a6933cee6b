/* pam_alianza.c - PAM glue, auth management group: pam_sm_authenticate and pam_sm_setcred. */
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

#define PAM_SM_AUTH
#include "alz_pam.h"
#include "alz_login.h"
#include "alz_policy.h"
#include "alz_secret.h"

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct alz_pam_ctx c;
	struct timespec t0;
	struct alz_login_result res;
	struct alz_login_opts opts;
	struct alz_auth_io io;
	struct passwd pwbuf;
	char pwstore[4096], user_log[80], part_log[80];
	const char *password = NULL;
	struct alz_pam_facts *facts = NULL;
	enum alz_rc rc, gate;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&res, 0, sizeof(res));
	/* a new attempt on the same handle must not inherit an earlier success's facts */
	pam_set_data(pamh, ALZ_PAM_DATA_FACTS, NULL, NULL);
	ret = alz_pam_ctx_init(&c, pamh, flags, argc, argv);
	if (ret != PAM_SUCCESS)
		return alz_pam_config_failed(pamh, ret);

	ret = pam_get_user(pamh, &c.user, NULL);
	if (ret != PAM_SUCCESS || c.user == NULL || c.user[0] == '\0') {
		ret = PAM_USER_UNKNOWN;
		goto out;
	}
	alz_pam_log_safe(user_log, sizeof(user_log), c.user);

	gate = alz_pam_local_user(&c, &pwbuf, pwstore, sizeof(pwstore));
	alz_pam_log_safe(user_log, sizeof(user_log), c.user);	/* now the account's own name */
	/* not ours (root, system account, outside the scope): no prompt, other modules ask */
	if (gate == ALZ_SKIP || gate == ALZ_OUT_OF_SCOPE || gate == ALZ_SCOPE_UNSET ||
	    gate == ALZ_ERR_SYSTEM) {
		alz_log(&c.lg, LOG_DEBUG, "user %s: %s", user_log, alz_strerror(gate));
		ret = alz_pam_code(gate);
		goto out;
	}
	if (c.cfg.login_method == ALZ_LOGIN_SSO) {
		/* no password is asked: the dialogue shows the SSO address (alz_login_run) */
		password = "";
		ret = PAM_SUCCESS;
	} else {
		/*
		 * Ask for the password even for an unknown user, so the prompt does
		 * not reveal which names exist; the answer then goes nowhere.
		 */
		ret = pam_get_authtok(pamh, PAM_AUTHTOK, &password,
				      c.cfg.login_method == ALZ_LOGIN_BOTH ?
				      "Password (or Enter for single sign-on): " : NULL);
	}
	if (ret != PAM_SUCCESS) {
		alz_log(&c.lg, LOG_NOTICE, "user %s: no password obtained: %s", user_log,
			pam_strerror(pamh, ret));
		goto out;
	}
	if (gate == ALZ_ERR_NO_USER) {
		alz_log(&c.lg, LOG_NOTICE,
			"auth service=%s user=%s rhost=%s result=unknown-local-user (no request sent)",
			c.service, user_log, c.rhost);
		ret = alz_pam_code(gate);
		goto out;
	}
	if (password == NULL || (password[0] == '\0' && c.cfg.login_method == ALZ_LOGIN_PASSWORD)) {
		alz_log(&c.lg, LOG_NOTICE,
			"auth service=%s user=%s rhost=%s result=empty-password (no request sent)",
			c.service, user_log, c.rhost);
		ret = PAM_AUTH_ERR;
		goto out;
	}

	io.ask = alz_pam_io_ask;
	io.tell = alz_pam_io_tell;
	io.ask_info = alz_pam_io_ask_info;
	io.ctx = &c;
	/*
	 * In a setuid host (sudo, su) the invoking user can stop and resume us
	 * past any deadline, cut our connection or set our limits: login.c then
	 * lets only failures no caller can cause open the offline window.
	 */
	opts.owner = 0;
	opts.untrusted_caller = getauxval(AT_SECURE) != 0;
	rc = alz_login_run(&c.cfg, &c.lg, &io, c.user, password, &opts, &res);
	if (rc == ALZ_ERR_INPUT)
		alz_log(&c.lg, LOG_NOTICE,
			"user %s: user name or password is not valid UTF-8 text or too long (no request sent)",
			user_log);
	if (rc == ALZ_ERR_BAD_REQUEST)
		alz_log(&c.lg, LOG_ERR, "the API refused our request as malformed (400 %s): "
			"a pam_alianza bug or a user name it cannot take", res.o.err.code);

	alz_pam_log_safe(part_log, sizeof(part_log), res.partition_id);
	alz_log(&c.lg, rc == ALZ_OK ? LOG_INFO : LOG_NOTICE,
		"auth service=%s user=%s rhost=%s result=%s via=%s status=%ld code=%s type=%s "
		"partition=%s logins=%d codes=%d 2fa=%s%s%s%s%s%s%s%s ms=%ld",
		c.service, user_log, c.rhost,
		rc == ALZ_OK ? "success" : res.deny_reason[0] != '\0' ? "denied" : alz_rc_name(rc),
		alz_via_name(res.via), res.o.status,
		res.o.err.code[0] != '\0' ? res.o.err.code : "-",
		alz_user_type_show(res.user_type),
		part_log[0] != '\0' ? part_log : "-",
		res.trace.login_calls, res.trace.code_calls,
		res.trace.local_totp ? (res.trace.remote_2fa ? "api+local" : "local") :
		(res.trace.remote_2fa ? "api" : "none"),
		res.offline_reason[0] != '\0' ? " offline-because=" : "", res.offline_reason,
		res.deny_reason[0] != '\0' ? " reason=" : "", res.deny_reason,
		res.trace.sso ? " method=sso (no password verifier: no cached or offline login)" : "",
		res.trace.api != NULL ? " api=" : "", res.trace.api != NULL ? res.trace.api : "",
		alz_pam_ms_since(&t0));
	if (rc != ALZ_OK) {
		if (res.deny_msg[0] != '\0')
			alz_pam_say(&c, PAM_ERROR_MSG, "%s", res.deny_msg);
		else
			alz_pam_explain(&c, &res.o);
		ret = alz_pam_code(rc);
		goto out;
	}

	facts = calloc(1, sizeof(*facts));
	if (facts == NULL) {
		ret = alz_pam_code(ALZ_ERR_NOMEM);
		goto out;
	}
	memcpy(facts->user_type, res.user_type, sizeof(facts->user_type));
	snprintf(facts->user, sizeof(facts->user), "%s", c.user);
	facts->at = time(NULL);
	memcpy(facts->partition_id, res.partition_id, sizeof(facts->partition_id));
	memcpy(facts->partition_name, res.partition_name, sizeof(facts->partition_name));
	memcpy(facts->user_id, res.user_id, sizeof(facts->user_id));
	ret = pam_set_data(pamh, ALZ_PAM_DATA_FACTS, facts, alz_pam_free_data);
	if (ret != PAM_SUCCESS) {
		free(facts);
		goto out;
	}
	ret = PAM_SUCCESS;
out:
	alz_login_result_free(&res);
	explicit_bzero(pwstore, sizeof(pwstore));
	alz_pam_ctx_free(&c);
	return ret;
}

PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct alz_pam_facts f;
	struct alz_pam_ctx c;
	const char *source = NULL;
	char user_log[80];
	enum alz_rc rc;
	int ret, added = 0;

	ret = alz_pam_phase_init(&c, pamh, flags, argc, argv, user_log, sizeof(user_log));
	if (ret != PAM_SUCCESS)
		return ret;
	/*
	 * PAM_IGNORE whenever nothing was done: under [success=done ...] a
	 * PAM_SUCCESS would skip every later module's setcred (pam_env,
	 * pam_group, a Kerberos ticket) for Alianza users.
	 */
	ret = PAM_IGNORE;
	/* PAM_DELETE_CRED, PAM_REFRESH_CRED: the groups go with the process */
	if ((flags & (PAM_ESTABLISH_CRED | PAM_REINITIALIZE_CRED)) == 0)
		goto out;
	if (!alz_pam_get_facts(&c, &f, &source)) {
		alz_log(&c.lg, LOG_DEBUG, "setcred user=%s: no fresh facts (%s); no groups added",
			user_log, source);
		goto out;
	}
	/* a user the policy refuses gets nothing, whatever the stack does next */
	if (alz_policy_allow(&c.cfg, f.user_type, f.partition_id[0] != '\0' ? f.partition_id : NULL,
			     (char[200]){ 0 }, 200, (char[120]){ 0 }, 120) != ALZ_OK) {
		alz_log(&c.lg, LOG_DEBUG, "setcred user=%s: the policy refuses type %s; no groups added",
			user_log, alz_user_type_show(f.user_type));
		goto out;
	}
	rc = alz_policy_add_groups(&c.cfg, f.user_type, &c.lg, &added);
	alz_log(&c.lg, rc == ALZ_OK ? LOG_INFO : LOG_ERR,
		"setcred service=%s user=%s type=%s groups_added=%d result=%s", c.service, user_log,
		alz_user_type_show(f.user_type), added, rc == ALZ_OK ? "ok" : alz_rc_name(rc));
	if (rc != ALZ_OK)
		ret = alz_pam_code_for(rc, ALZ_PHASE_SETCRED);
	else if (added > 0)
		ret = PAM_SUCCESS;
out:
	alz_pam_ctx_free(&c);
	return ret;
}
