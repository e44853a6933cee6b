/* pam_password.c - PAM glue, password management group: the API password change. */
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

#define PAM_SM_PASSWORD
#include "alz_pam.h"
#include "alz_password.h"

PAM_EXTERN int
pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct alz_outcome o;
	struct alz_pam_ctx c;
	const char *old_pw = NULL, *new_pw = NULL;
	char user_log[80], msg[160];
	enum alz_rc rc;
	int ret;

	memset(&o, 0, sizeof(o));
	ret = alz_pam_phase_init(&c, pamh, flags, argc, argv, user_log, sizeof(user_log));
	if (ret != PAM_SUCCESS)
		return ret;
	if (c.cfg.paths[ALZ_P_PASSWORD] == NULL) {
		/* said before any password is asked: none could be used */
		alz_pam_say(&c, PAM_ERROR_MSG, "The password of this account cannot be changed "
			    "on this host: change it where you manage your account.");
		alz_log(&c.lg, LOG_NOTICE, "chauthtok service=%s user=%s result=%s (path_password is "
			"empty: api_dialect %s offers no password change)", c.service, user_log,
			alz_rc_name(ALZ_ERR_UNSUPPORTED), alz_config_dialect_name(&c.cfg));
		ret = alz_pam_code_for(ALZ_ERR_UNSUPPORTED, ALZ_PHASE_CHAUTHTOK);
		goto out;
	}
	if (flags & PAM_PRELIM_CHECK) {
		/* collect the current password; the API judges it in the update, once */
		ret = pam_get_authtok(pamh, PAM_OLDAUTHTOK, &old_pw, NULL);
		if (ret == PAM_SUCCESS && (old_pw == NULL || old_pw[0] == '\0'))
			ret = PAM_AUTHTOK_RECOVERY_ERR;
		goto out;
	}
	if ((flags & PAM_UPDATE_AUTHTOK) == 0) {
		ret = PAM_SERVICE_ERR;
		goto out;
	}
	ret = pam_get_authtok(pamh, PAM_OLDAUTHTOK, &old_pw, NULL);
	if (ret != PAM_SUCCESS)
		goto out;
	if (old_pw == NULL || old_pw[0] == '\0') {
		ret = PAM_AUTHTOK_RECOVERY_ERR;
		goto out;
	}
	/* asks twice ("Retype new password"); use_authtok takes a stacked one */
	ret = pam_get_authtok(pamh, PAM_AUTHTOK, &new_pw, NULL);
	if (ret != PAM_SUCCESS)
		goto out;
	if (new_pw == NULL || new_pw[0] == '\0') {
		ret = PAM_AUTHTOK_ERR;
		goto out;
	}
	rc = alz_password_policy(new_pw, msg, sizeof(msg));
	if (rc == ALZ_OK && strcmp(new_pw, old_pw) == 0) {
		snprintf(msg, sizeof(msg), "The new password must differ from the current one.");
		rc = ALZ_ERR_POLICY;
	}
	if (rc != ALZ_OK) {
		alz_pam_say(&c, PAM_ERROR_MSG, "%s", msg);
		alz_log(&c.lg, LOG_NOTICE, "chauthtok service=%s user=%s result=local-policy "
			"(no request sent): %s", c.service, user_log, msg);
		ret = alz_pam_code_for(rc, ALZ_PHASE_CHAUTHTOK);
		pam_set_item(pamh, PAM_AUTHTOK, NULL);	/* let the application ask again */
		goto out;
	}
	rc = alz_password_change(&c.cfg, &c.lg, c.user, old_pw, new_pw, 0, &o);
	alz_log(&c.lg, rc == ALZ_OK ? LOG_INFO : LOG_NOTICE,
		"chauthtok service=%s user=%s result=%s status=%ld code=%s", c.service, user_log,
		rc == ALZ_OK ? "changed" : alz_rc_name(rc), o.status,
		o.err.code[0] != '\0' ? o.err.code : "-");
	switch (rc) {
	case ALZ_OK:
		alz_pam_say(&c, PAM_TEXT_INFO, "Your Alianza password has been changed.");
		break;
	case ALZ_ERR_DENIED:
		alz_pam_say(&c, PAM_ERROR_MSG, "The current password is wrong.");
		break;
	case ALZ_ERR_POLICY:
		alz_pam_say(&c, PAM_ERROR_MSG, "The new password was refused: %s",
		    o.err.message[0] != '\0' ? o.err.message : "it does not meet the password policy.");
		break;
	default:
		alz_pam_explain(&c, &o);
		break;
	}
	ret = alz_pam_code_for(rc, ALZ_PHASE_CHAUTHTOK);
out:
	alz_outcome_free(&o);
	alz_pam_ctx_free(&c);
	return ret;
}
