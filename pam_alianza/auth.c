/* auth.c - one log-in dialogue: password, the API's code challenge, the host's own code. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "alz_auth.h"
#include "alz_secret.h"
#include "alz_totp.h"

static void
tell(const struct alz_auth_io *io, bool error, const char *msg)
{
	if (io != NULL && io->tell != NULL)
		io->tell(io->ctx, error, msg);
}

/*
 * Password-only clients: "password" + "123456" arrive as one answer. When
 * cfg->code_appended and ANSWER ends in code_digits digits, split it; else
 * the whole answer is the password. Both outputs are secrets.
 */
enum alz_rc
alz_auth_split(const struct alz_config *cfg, const char *answer, char **password, char **code)
{
	size_t len = strlen(answer), n = cfg->code_digits;

	*code = NULL;
	if (cfg->code_appended && len > n && alz_code_well_formed(answer + len - n)) {
		*password = strndup(answer, len - n);
		*code = strdup(answer + len - n);
	} else {
		*password = strdup(answer);
	}
	if (*password == NULL || (cfg->code_appended && len > n && *code == NULL &&
				  alz_code_well_formed(answer + len - n)))
		goto nomem;
	return ALZ_OK;
nomem:
	alz_secret_free(*password);
	alz_secret_free(*code);
	*password = *code = NULL;
	return ALZ_ERR_NOMEM;
}

static void
wrong_client(const struct alz_config *cfg, const struct alz_auth_io *io)
{
	if (cfg->code_appended)
		tell(io, true, "Type your verification code right after your password, "
			       "in the same answer.");
	else
		tell(io, true, "Your client answered the verification code prompt with your "
			       "password. Use keyboard-interactive authentication "
			       "(ssh -o PreferredAuthentications=keyboard-interactive).");
}

/* One code from the user, or the appended one; ALZ_OK with *CODE set. */
static enum alz_rc
get_code(const struct alz_config *cfg, const struct alz_auth_io *io, const char *answer,
	 char **appended, char **code)
{
	enum alz_rc rc;

	*code = NULL;
	if (*appended != NULL) {
		*code = *appended;
		*appended = NULL;	/* transferred: an appended code is used once */
		return ALZ_OK;
	}
	if (io == NULL || io->ask == NULL)
		return ALZ_ERR_CONV;
	rc = io->ask(io->ctx, cfg->totp_prompt, code);
	if (rc != ALZ_OK)
		return rc;
	/* sshd's password method answers every prompt with the password */
	if (strcmp(*code, answer) == 0) {
		alz_secret_free(*code);
		*code = NULL;
		wrong_client(cfg, io);
		return ALZ_ERR_WRONG_CLIENT;
	}
	return ALZ_OK;
}

enum alz_rc
alz_auth_login(struct alz_http *h, const char *api_user, const char *answer,
	       const struct alz_auth_io *io, struct alz_outcome *o, struct alz_auth_trace *trace)
{
	const struct alz_config *cfg = h->cfg;
	char *password = NULL, *appended = NULL, *sid = NULL, *code = NULL;
	unsigned long try;
	bool had_appended;
	enum alz_rc rc;

	memset(o, 0, sizeof(*o));
	o->retry_after = -1;
	memset(trace, 0, sizeof(*trace));
	rc = alz_auth_split(cfg, answer, &password, &appended);
	if (rc != ALZ_OK)
		goto out;
	had_appended = appended != NULL;
	trace->login_calls++;
	if (cfg->jwt_login && alz_jwt_shaped(answer)) {
		/* an SSO user pasted a token: it goes to path_jwt, never as a password */
		trace->jwt = true;
		rc = alz_api_jwt(h, api_user, answer, o);
	} else {
		rc = alz_api_login(h, api_user, password, o);
	}
	if (rc != ALZ_ERR_2FA_REQUIRED)
		goto out;
	trace->remote_2fa = true;
	sid = o->err.session_id;
	o->err.session_id = NULL;	/* transferred */

	for (try = 0; try < cfg->totp_tries; try++) {
		/* a password-only client cannot answer a second time */
		if (try > 0 && had_appended)
			break;
		rc = get_code(cfg, io, answer, &appended, &code);
		if (rc != ALZ_OK)
			break;
		if (!alz_code_well_formed(code)) {
			/* refused here: a malformed code never costs one of the API's tries */
			rc = ALZ_ERR_2FA_INVALID;
			tell(io, true, "A verification code is 6 to 8 digits.");
			alz_secret_free(code);
			code = NULL;
			continue;
		}
		alz_outcome_free(o);
		trace->code_calls++;
		rc = alz_api_2fa(h, api_user, sid, code, o);
		alz_secret_free(code);
		code = NULL;
		if (rc != ALZ_ERR_2FA_INVALID)
			break;
		if (try + 1 < cfg->totp_tries)
			tell(io, true, "Wrong verification code.");
	}
	if (rc == ALZ_ERR_2FA_REQUIRED)
		rc = ALZ_ERR_BAD_REPLY;	/* a challenge in answer to a code: not in the contract */
	if (rc == ALZ_ERR_2FA_EXPIRED)
		tell(io, true, "The verification has expired. Start the login again.");
out:
	alz_secret_free(password);
	alz_secret_free(appended);
	alz_secret_free(sid);
	alz_secret_free(code);
	o->rc = rc;
	return rc;
}

bool
alz_auth_local_totp_due(const struct alz_config *cfg, enum alz_user_type type)
{
	return type != ALZ_UT_UNKNOWN && (cfg->local_totp_types & (1UL << type)) != 0;
}

enum alz_rc
alz_auth_local_totp(const struct alz_config *cfg, const char *local_user, const char *answer,
		    bool appended_used, uid_t owner, const struct alz_auth_io *io,
		    const struct alz_log *lg)
{
	char *password = NULL, *appended = NULL, *code = NULL;
	unsigned long try;
	enum alz_rc rc;
	bool had_appended;

	rc = alz_auth_split(cfg, answer, &password, &appended);
	alz_secret_free(password);
	if (rc != ALZ_OK)
		return rc;
	if (appended_used) {
		alz_secret_free(appended);
		appended = NULL;
	}
	had_appended = appended != NULL;
	for (try = 0; try < cfg->totp_tries; try++) {
		if (try > 0 && had_appended)
			break;	/* nothing more can come from a password-only client */
		rc = get_code(cfg, io, answer, &appended, &code);
		if (rc != ALZ_OK)
			break;
		rc = alz_totp_verify_local(cfg, local_user, code, owner, lg);
		alz_secret_free(code);
		code = NULL;
		if (rc == ALZ_ERR_NO_USER) {
			alz_log(lg, LOG_NOTICE, "local TOTP required but no secret is enrolled");
			rc = ALZ_ERR_DENIED;
			break;
		}
		if (rc != ALZ_ERR_2FA_INVALID)
			break;
		if (try + 1 < cfg->totp_tries)
			tell(io, true, "Wrong verification code.");
	}
	alz_secret_free(appended);
	return rc;
}
