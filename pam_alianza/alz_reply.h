/* alz_reply.h - what the API's replies mean: a login, a challenge, or an error. */
#ifndef ALZ_REPLY_H
#define ALZ_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "alz_config.h"

#define ALZ_MAX_TOKEN 8192		/* bytes; a JWT is well under 2 KiB */
#define ALZ_MAX_SESSION_ID 512		/* bytes */
#define ALZ_MAX_FACT 256		/* bytes of userId, partitionName, ... */
#define ALZ_MAX_EXPIRES_IN 86400	/* seconds; the API's tokens live 3600 */
#define ALZ_DEFAULT_EXPIRES_IN 3600	/* seconds, when expiresIn is absent */

/* The facts of a successful log-in. */
struct alz_login {
	char *token;		/* secret: wiped on free */
	char *refresh_token;	/* secret, or NULL: the dialect has none (reply_refresh_token) */
	long expires_in;	/* seconds */
	char user_type[ALZ_MAX_TYPE + 1];	/* the API's own name, alz_user_type_ok */
	char *user_name;	/* as the API spells it */
	bool name_from_reply;	/* false: the reply did not say, user_name is what we asked */
	char *user_id;
	char *partition_id;
	char *partition_name;
};

/* The facts of a refusal; codes and messages are sanitised for display. */
struct alz_api_error {
	char code[64];		/* errorCode, "" when none */
	char message[160];	/* printable ASCII, "" when none */
	char *session_id;	/* 2FA_REQUIRED only; secret: wiped on free */
};

/*
 * Judge one reply to a log-in or 2FA call. ALZ_OK fills LOGIN (a 200 with
 * a valid body; a present userName must equal EXPECT_USER). Every other
 * outcome is an error code; ERR gets what the body said. A body that
 * cannot be read never turns a failure into anything but a failure.
 */
enum alz_rc alz_reply_login(const struct alz_config *cfg, long status,
			    const char *body, size_t len, const char *expect_user,
			    struct alz_login *login, struct alz_api_error *err);

/*
 * Judge a who-am-I reply (path_userinfo): on a 200, FACTS gets the user,
 * type and tenant (no token), read like a log-in's. A 401 with
 * TOKEN_EXPIRED is ALZ_ERR_TOKEN_EXPIRED, never a refusal of the user.
 */
enum alz_rc alz_reply_userinfo(const struct alz_config *cfg, long status,
			       const char *body, size_t len, const char *expect_user,
			       struct alz_login *facts, struct alz_api_error *err);

/* Judge a refresh reply: a new access token (secret, caller wipes) and its lifetime. */
enum alz_rc alz_reply_refresh(const struct alz_config *cfg, long status,
			      const char *body, size_t len, char **token,
			      long *expires_in, struct alz_api_error *err);

/* Judge a reply whose body does not matter on success (logout, password change). */
enum alz_rc alz_reply_status(const struct alz_config *cfg, long status,
			     const char *body, size_t len, struct alz_api_error *err);

void alz_login_free(struct alz_login *login);
void alz_api_error_free(struct alz_api_error *err);

#endif
