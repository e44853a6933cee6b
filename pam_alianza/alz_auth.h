/* alz_auth.h - one log-in dialogue: password, the API's code challenge, the host's own code. */
#ifndef ALZ_AUTH_H
#define ALZ_AUTH_H

#include <stdbool.h>
#include <sys/types.h>

#include "alz_api.h"

/* How the dialogue reaches the user: the PAM conversation, or a terminal. */
struct alz_auth_io {
	/* Ask PROMPT with echo off; *ANSWER is malloc'd and wiped by the caller. */
	enum alz_rc (*ask)(void *ctx, const char *prompt, char **answer);
	/* Show MSG (error or info). */
	void (*tell)(void *ctx, bool error, const char *msg);
	/*
	 * Show INFO and ask PROMPT (echo off) in ONE round of the conversation:
	 * sshd's keyboard-interactive shows a message only with the next prompt
	 * (OpenSSH bug 2876). NULL: the dialogue uses tell, then ask.
	 */
	enum alz_rc (*ask_info)(void *ctx, const char *info, const char *prompt, char **answer);
	void *ctx;
};

/* What the dialogue did, for the log line; never a secret. */
struct alz_auth_trace {
	int login_calls;	/* POST path_authorize sent */
	int code_calls;		/* POST path_2fa sent */
	bool remote_2fa;	/* the API asked for a code */
	bool local_totp;	/* the host asked for its own code */
	bool jwt;		/* the answer was a JWT, sent to path_jwt */
	bool sso;		/* single sign-on: the SSO configuration asked, codes exchanged */
	int sso_calls;		/* POST path_sso_exchange sent */
	const char *api;	/* the base URL that answered last (the config's), NULL: none */
};

/* What the answer at the password prompt is. */
enum alz_cred_kind {
	ALZ_CRED_PASSWORD,	/* a password, maybe with a code appended */
	ALZ_CRED_JWT,		/* jwt_login and a JWT's shape: it goes to path_jwt, never as a password */
	ALZ_CRED_SSO,		/* single sign-on (login_method sso, or both and an empty answer) */
};

/*
 * The answer, parsed once for the whole login (the cached window, the
 * API, the offline window and the host's own code read this, never the
 * answer again). Every string is a secret, wiped by alz_credential_free.
 */
struct alz_credential {
	enum alz_cred_kind kind;
	char *answer;		/* as typed: a code prompt answered with it is a wrong client */
	char *password;		/* ALZ_CRED_PASSWORD: the answer without an appended code */
	char *appended;		/* the appended code (cfg->code_appended), until one check uses it */
};

/*
 * Parse ANSWER: single sign-on (cfg->login_method sso; both and ANSWER
 * empty), a JWT (cfg->jwt_login), else a password and, when
 * cfg->code_appended and it ends in code_digits digits, the code after it.
 */
enum alz_rc alz_credential_parse(const struct alz_config *cfg, const char *answer,
				 struct alz_credential *cred);
void alz_credential_free(struct alz_credential *cred);

/*
 * Log API_USER in with CRED. On the API's 2FA_REQUIRED, ask for a code up
 * to cfg->totp_tries times on the same connection (an appended code is
 * used, and taken out of CRED). O holds the last call's outcome (on
 * ALZ_OK the login facts).
 */
enum alz_rc alz_auth_login(struct alz_http *h, const char *api_user, struct alz_credential *cred,
			   const struct alz_auth_io *io, struct alz_outcome *o,
			   struct alz_auth_trace *trace);

/* True when cfg->local_totp_user_types names TYPE (all: any known type). */
bool alz_auth_local_totp_due(const struct alz_config *cfg, const char *type);

/*
 * The host's own second factor for LOCAL_USER: CRED's appended code when
 * the API did not use it, else asked (cfg->totp_tries tries). OWNER: the
 * uid the TOTP file must have.
 */
enum alz_rc alz_auth_local_totp(const struct alz_config *cfg, const char *local_user,
				struct alz_credential *cred, uid_t owner,
				const struct alz_auth_io *io, const struct alz_log *lg);

#endif
