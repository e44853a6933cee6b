/* auth.c - one log-in dialogue: password, the API's code challenge, the host's own code. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alz_auth.h"
#include "alz_secret.h"
#include "alz_sso.h"
#include "alz_text.h"
#include "alz_totp.h"

static void
tell(const struct alz_auth_io *io, bool error, const char *msg)
{
	if (io != NULL && io->tell != NULL)
		io->tell(io->ctx, error, msg);
}

/*
 * Password-only clients: "password" + "123456" arrive as one answer. When
 * cfg->code_appended and ANSWER ends in code_digits digits, the code is
 * split off; else the whole answer is the password.
 */
enum alz_rc
alz_credential_parse(const struct alz_config *cfg, const char *answer, struct alz_credential *cred)
{
	size_t len = strlen(answer), n = cfg->code_digits;
	bool split;

	memset(cred, 0, sizeof(*cred));
	cred->answer = strdup(answer);
	if (cred->answer == NULL)
		goto nomem;
	if (cfg->login_method == ALZ_LOGIN_SSO ||
	    (cfg->login_method == ALZ_LOGIN_BOTH && answer[0] == '\0')) {
		/* no password at all: no cached or offline use, no verifier */
		cred->kind = ALZ_CRED_SSO;
		return ALZ_OK;
	}
	if (cfg->jwt_login && alz_jwt_shaped(answer)) {
		/* an SSO user pasted a token: no password, no cached or offline use of it */
		cred->kind = ALZ_CRED_JWT;
		return ALZ_OK;
	}
	cred->kind = ALZ_CRED_PASSWORD;
	split = cfg->code_appended && len > n && alz_code_well_formed(answer + len - n);
	cred->password = split ? strndup(answer, len - n) : strdup(answer);
	if (cred->password == NULL)
		goto nomem;
	if (split) {
		cred->appended = strdup(answer + len - n);
		if (cred->appended == NULL)
			goto nomem;
	}
	return ALZ_OK;
nomem:
	alz_credential_free(cred);
	return ALZ_ERR_NOMEM;
}

void
alz_credential_free(struct alz_credential *cred)
{
	alz_secret_free(cred->answer);
	alz_secret_free(cred->password);
	alz_secret_free(cred->appended);
	memset(cred, 0, sizeof(*cred));
}

/*
 * The code prompt came back with the password: a client that can send one
 * secret only (sshd's password method answers every prompt with it). Say
 * what works instead. sshd's password method keeps these words for after a
 * successful login, so they reach keyboard-interactive, a terminal (su, the
 * admin tool) and the log's result=ALZ_ERR_WRONG_CLIENT, not that client.
 */
static void
wrong_client(const struct alz_config *cfg, const struct alz_auth_io *io)
{
	if (cfg->code_appended)
		tell(io, true, "This login needs a verification code: type it right after your "
			       "password, in the same answer, or log in with keyboard-interactive "
			       "authentication (ssh -o PreferredAuthentications=keyboard-interactive).");
	else
		tell(io, true, "This login needs a verification code, and your client answered its "
			       "prompt with your password (a password-only client). Log in with "
			       "keyboard-interactive authentication, which asks for the code: "
			       "ssh -o PreferredAuthentications=keyboard-interactive");
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

/*
 * Ask for codes until CHECK accepts one or cfg->totp_tries are used. A code
 * that is not 6-8 digits is refused here and never reaches CHECK (nor costs
 * one of the API's tries); an appended code is the only one a password-only
 * client can give.
 */
static enum alz_rc
ask_codes(const struct alz_config *cfg, const struct alz_auth_io *io, const char *answer,
	  char **appended, enum alz_rc (*check)(void *ctx, const char *code), void *ctx)
{
	bool had_appended = *appended != NULL, refused = false;
	enum alz_rc rc = ALZ_ERR_2FA_INVALID;
	unsigned long try;
	char *code = NULL;

	for (try = 0; try < cfg->totp_tries; try++) {
		if (try > 0 && had_appended)
			break;
		rc = get_code(cfg, io, answer, appended, &code);
		if (rc != ALZ_OK)
			break;
		if (!alz_code_well_formed(code)) {
			rc = ALZ_ERR_2FA_INVALID;
			tell(io, true, "A verification code is 6 to 8 digits.");
		} else {
			rc = check(ctx, code);
			refused = refused || rc == ALZ_ERR_2FA_INVALID;
		}
		alz_secret_free(code);
		code = NULL;
		if (rc != ALZ_ERR_2FA_INVALID)
			break;
		if (try + 1 < cfg->totp_tries)
			tell(io, true, "Wrong verification code.");
	}
	/* an abort after a refused code is that refusal: the throttle keeps counting it */
	if (rc == ALZ_ERR_CONV && refused)
		rc = ALZ_ERR_2FA_INVALID;
	return rc;
}

/* The API's challenge: each code is one POST path_2fa on the same connection. */
struct remote_ctx {
	struct alz_http *h;
	const char *api_user;
	const char *sid;
	struct alz_outcome *o;
	struct alz_auth_trace *trace;
};

static enum alz_rc
check_remote(void *ctx, const char *code)
{
	struct remote_ctx *r = ctx;

	alz_outcome_free(r->o);
	r->trace->code_calls++;
	return alz_api_2fa(r->h, r->api_user, r->sid, code, r->o);
}

/* The host's own code, checked with liboath. */
struct local_ctx {
	const struct alz_config *cfg;
	const char *user;
	uid_t owner;
	const struct alz_log *lg;
};

static enum alz_rc
check_local(void *ctx, const char *code)
{
	struct local_ctx *l = ctx;
	enum alz_rc rc;

	rc = alz_totp_verify_local(l->cfg, l->user, code, l->owner, l->lg);
	if (rc == ALZ_ERR_NOT_FOUND) {
		alz_log(l->lg, LOG_NOTICE, "local TOTP required but no secret is enrolled");
		rc = ALZ_ERR_DENIED;
	}
	return rc;
}

/* One round: INFO and PROMPT together where the conversation can, else one after the other. */
static enum alz_rc
ask_with_info(const struct alz_auth_io *io, const char *info, const char *prompt, char **answer)
{
	if (io == NULL || io->ask == NULL)
		return ALZ_ERR_CONV;
	if (io->ask_info != NULL)
		return io->ask_info(io->ctx, info, prompt, answer);
	tell(io, false, info);
	return io->ask(io->ctx, prompt, answer);
}

/*
 * Single sign-on (docs/API.md 7): the API's SSO configuration, a fresh
 * state (and PKCE verifier), the URL shown with the host's name in the
 * same round as the prompt, then up to sso_tries pasted codes or addresses
 * exchanged within this one challenge.
 */
static enum alz_rc
sso_login(struct alz_http *h, const char *api_user, const struct alz_auth_io *io,
	  struct alz_outcome *o, struct alz_auth_trace *trace)
{
	const struct alz_config *cfg = h->cfg;
	struct alz_sso_challenge ch;
	struct alz_sso_config sc;
	char raw[256], host[256], *info = NULL, *answer = NULL, *code = NULL, *refused = NULL;
	unsigned long try;
	size_t cap;
	enum alz_rc rc;

	memset(&ch, 0, sizeof(ch));
	trace->sso = true;
	rc = alz_api_sso_config(h, &sc, o);
	if (rc == ALZ_ERR_SSO_DISABLED)
		tell(io, true, "Single sign-on is not offered for this account's service.");
	if (rc != ALZ_OK)
		goto out;
	rc = alz_sso_begin(&sc, &ch);
	if (rc != ALZ_OK)
		goto out;
	if (gethostname(raw, sizeof(raw)) != 0)
		snprintf(raw, sizeof(raw), "this host");
	raw[sizeof(raw) - 1] = '\0';
	alz_text_copy_safe(host, sizeof(host), raw, ALZ_TEXT_VISIBLE);
	cap = strlen(ch.url) + strlen(host) + 256;
	info = malloc(cap);
	rc = ALZ_ERR_NOMEM;
	if (info == NULL)
		goto out;
	snprintf(info, cap, "Single sign-on to %s: open this address in a browser and sign in,\n"
		 "then paste the code it shows (or the whole address it ends on):\n%s", host, ch.url);
	rc = ALZ_ERR_SSO_CODE;
	for (try = 0; try < cfg->sso_tries; try++) {
		rc = ask_with_info(io, info, "SSO code: ", &answer);
		if (rc != ALZ_OK)
			break;
		rc = alz_sso_read_answer(&ch, answer, &code);
		alz_secret_free(answer);
		answer = NULL;
		if (rc == ALZ_ERR_INPUT) {
			tell(io, true, "That is neither a code nor the address the browser ended on.");
			continue;
		}
		if (rc == ALZ_ERR_SSO_STATE) {
			/* another sign-in's address: nothing is sent for it */
			tell(io, true, "That address belongs to another sign-in. Use the address above.");
			continue;
		}
		if (rc != ALZ_OK)
			break;
		if (refused != NULL && strcmp(code, refused) == 0) {
			/*
			 * Refused already: not sent again. sshd's password method answers
			 * every prompt with the password, which must not go to the API's
			 * access log as a code over and over.
			 */
			tell(io, true, "That code was refused already.");
			alz_secret_free(code);
			code = NULL;
			rc = ALZ_ERR_SSO_CODE;
			continue;
		}
		alz_outcome_free(o);
		trace->sso_calls++;
		rc = alz_api_sso_exchange(h, api_user, &sc, &ch, code, o);
		if (rc == ALZ_ERR_SSO_CODE) {
			alz_secret_free(refused);
			refused = code;	/* kept to compare, wiped at the end */
		} else {
			alz_secret_free(code);
		}
		code = NULL;
		if (rc == ALZ_ERR_SSO_OTHER_USER)
			tell(io, true, "You signed in at the identity provider as another user: "
				       "sign in as the account you are logging in to.");
		if (rc != ALZ_ERR_SSO_CODE)
			break;
		if (try + 1 < cfg->sso_tries)
			tell(io, true, "The code was refused (used, expired or mistyped). Paste it again.");
	}
	/*
	 * A refused paste is the user's: the session's verdict is the SSO
	 * code's; so is an abort (Ctrl-C, end of input) after the API refused
	 * one, or the throttle would take the refusal back.
	 */
	if (rc == ALZ_ERR_INPUT || rc == ALZ_ERR_SSO_STATE || (rc == ALZ_ERR_CONV && refused != NULL))
		rc = ALZ_ERR_SSO_CODE;
out:
	alz_secret_free(refused);
	alz_secret_free(info);
	alz_secret_free(answer);
	alz_secret_free(code);
	alz_sso_challenge_free(&ch);
	alz_sso_config_free(&sc);
	return rc;
}

enum alz_rc
alz_auth_login(struct alz_http *h, const char *api_user, struct alz_credential *cred,
	       const struct alz_auth_io *io, struct alz_outcome *o, struct alz_auth_trace *trace)
{
	const struct alz_config *cfg = h->cfg;
	struct remote_ctx remote;
	char *sid = NULL;
	enum alz_rc rc;

	memset(o, 0, sizeof(*o));
	o->retry_after = -1;
	memset(trace, 0, sizeof(*trace));
	if (cred->kind == ALZ_CRED_SSO) {
		rc = sso_login(h, api_user, io, o, trace);
		goto out;
	}
	trace->login_calls++;
	if (cred->kind == ALZ_CRED_JWT) {
		trace->jwt = true;
		rc = alz_api_jwt(h, api_user, cred->answer, o);
	} else {
		rc = alz_api_login(h, api_user, cred->password, o);
	}
	if (rc != ALZ_ERR_2FA_REQUIRED)
		goto out;
	trace->remote_2fa = true;
	sid = o->err.session_id;
	o->err.session_id = NULL;	/* transferred */

	remote.h = h;
	remote.api_user = api_user;
	remote.sid = sid;
	remote.o = o;
	remote.trace = trace;
	rc = ask_codes(cfg, io, cred->answer, &cred->appended, check_remote, &remote);
	if (rc == ALZ_ERR_2FA_REQUIRED)
		rc = ALZ_ERR_BAD_REPLY;	/* a challenge in answer to a code: not in the contract */
	if (rc == ALZ_ERR_2FA_EXPIRED)
		tell(io, true, "The verification has expired. Start the login again.");
	/* the API had its chance at an appended code: the host's own check asks afresh */
	alz_secret_free(cred->appended);
	cred->appended = NULL;
out:
	alz_secret_free(sid);
	o->rc = rc;
	return rc;
}

bool
alz_auth_local_totp_due(const struct alz_config *cfg, const char *type)
{
	return alz_type_list_has(&cfg->local_totp_types, type);
}

enum alz_rc
alz_auth_local_totp(const struct alz_config *cfg, const char *local_user,
		    struct alz_credential *cred, uid_t owner, const struct alz_auth_io *io,
		    const struct alz_log *lg)
{
	struct local_ctx local = { cfg, local_user, owner, lg };

	return ask_codes(cfg, io, cred->answer, &cred->appended, check_local, &local);
}
