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
	void *ctx;
};

/* What the dialogue did, for the log line; never a secret. */
struct alz_auth_trace {
	int login_calls;	/* POST path_authorize sent */
	int code_calls;		/* POST path_2fa sent */
	bool remote_2fa;	/* the API asked for a code */
	bool local_totp;	/* the host asked for its own code */
	bool jwt;		/* the answer was a JWT, sent to path_jwt */
};

/*
 * Log API_USER in with ANSWER (the password, or password + code when
 * cfg->code_appended). On the API's 2FA_REQUIRED, ask for a code up to
 * cfg->totp_tries times on the same connection. O holds the last call's
 * outcome (on ALZ_OK the login facts).
 */
enum alz_rc alz_auth_login(struct alz_http *h, const char *api_user, const char *answer,
			   const struct alz_auth_io *io, struct alz_outcome *o,
			   struct alz_auth_trace *trace);

/*
 * Split ANSWER into the password and an appended code (cfg->code_appended
 * and ANSWER ends in code_digits digits); else *CODE is NULL. Both secrets.
 */
enum alz_rc alz_auth_split(const struct alz_config *cfg, const char *answer, char **password,
			   char **code);

/* True when cfg->local_totp_user_types names TYPE (all: any known type). */
bool alz_auth_local_totp_due(const struct alz_config *cfg, const char *type);

/*
 * The host's own second factor for LOCAL_USER: the code appended to
 * ANSWER when cfg->code_appended and the API did not consume it, else
 * asked (cfg->totp_tries tries). OWNER: the uid the TOTP file must have.
 */
enum alz_rc alz_auth_local_totp(const struct alz_config *cfg, const char *local_user,
				const char *answer, bool appended_used, uid_t owner,
				const struct alz_auth_io *io, const struct alz_log *lg);

#endif
