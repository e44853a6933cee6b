/* alz_api.h - the calls of ../shared/API.md, each a request, an exchange and a verdict. */
#ifndef ALZ_API_H
#define ALZ_API_H

#include <stdbool.h>

#include "alz_http.h"
#include "alz_reply.h"

/* Everything one call found out; free with alz_outcome_free(). */
struct alz_outcome {
	enum alz_rc rc;
	long status;		/* HTTP status, 0 when there was no reply */
	long retry_after;	/* seconds, -1 when absent */
	long elapsed_ms;
	struct alz_login login;	/* filled when rc == ALZ_OK on a log-in call */
	struct alz_api_error err;
};

/* POST path_authorize {userName, password}. */
enum alz_rc alz_api_login(struct alz_http *h, const char *api_user,
			  const char *password, struct alz_outcome *o);

/* POST path_2fa {sessionId, token}; API_USER is what the success must name. */
enum alz_rc alz_api_2fa(struct alz_http *h, const char *api_user,
			const char *session_id, const char *code,
			struct alz_outcome *o);

/* POST path_jwt {token}; the success must name API_USER. The signature is the API's to check. */
enum alz_rc alz_api_jwt(struct alz_http *h, const char *api_user, const char *jwt,
			struct alz_outcome *o);

/* True when S has a JWT's shape: three non-empty base64url parts, a JSON header. */
bool alz_jwt_shaped(const char *s);

/*
 * GET path_userinfo with the token header: who the token's user is now
 * (LOGIN facts, no token). ALZ_ERR_TOKEN_EXPIRED is not a refusal.
 */
enum alz_rc alz_api_userinfo(struct alz_http *h, const char *api_user, const char *token,
			     struct alz_outcome *o);

/* POST path_refresh {refreshToken}: a new access token (secret: wipe and free) and its lifetime. */
enum alz_rc alz_api_refresh(struct alz_http *h, const char *refresh_token, char **token,
			    long *expires_in, struct alz_outcome *o);

/* method_logout path_logout with the token header; retried on 5xx/429 inside the deadline. */
enum alz_rc alz_api_logout(struct alz_http *h, const char *token,
			   struct alz_outcome *o);

/* What ending one token at the API did (alz_api_end_token). */
struct alz_end {
	enum alz_rc rc;		/* ALZ_OK: nothing of it lives at the API any more */
	enum alz_rc logout;	/* the last logout's verdict; ALZ_SKIP: none was made */
	enum alz_rc refresh;	/* the refresh's verdict; ALZ_SKIP: none was needed or possible */
	long status;		/* the last answer's HTTP status, 0 when none came */
};

/*
 * End TOKEN (and REFRESH, its refresh token, or NULL) at the API, so that
 * neither outlives what it was kept for. Log it out, which also ends its
 * refresh token. When the access token has expired (EXPIRED_BY_CLOCK: by
 * the record's clock, then no logout is tried with it; or the logout says
 * ALZ_ERR_TOKEN_EXPIRED) and REFRESH is there, refresh once and log out
 * with the fresh access token, which is wiped. TOKEN_EXPIRED is never
 * taken for a refusal: with no refresh token the expired token is dead,
 * and E->rc is ALZ_OK. A dialect without path_refresh ignores REFRESH.
 */
void alz_api_end_token(struct alz_http *h, const char *token, const char *refresh,
		       bool expired_by_clock, struct alz_end *e);

/*
 * True when E failed without the API's word that the token is dead (it
 * could not be asked, a 5xx, a 429, a reply we cannot read): its refresh
 * token may still live. False after ALZ_OK and after a refusal of the token
 * or the refresh token (401, 403): nothing usable is left.
 */
bool alz_end_may_live(const struct alz_end *e);

/* "logout=done refresh=- status=200": E for a log line (never a token). */
void alz_end_describe(const struct alz_end *e, char *buf, size_t cap);

/* path_password {userName, password, newPassword}; never retried; ALZ_ERR_UNSUPPORTED when unset. */
enum alz_rc alz_api_password(struct alz_http *h, const char *api_user, const char *old_password,
			     const char *new_password, struct alz_outcome *o);

struct alz_sso_config;
struct alz_sso_challenge;

/* GET path_sso: the SSO configuration (ALZ_ERR_SSO_DISABLED: not offered). */
enum alz_rc alz_api_sso_config(struct alz_http *h, struct alz_sso_config *sc,
			       struct alz_outcome *o);

/*
 * POST path_sso_exchange?code=&redirect_uri=[&code_verifier=], no body:
 * judged as a log-in that must name API_USER. ALZ_ERR_SSO_CODE for
 * INVALID_SSO_CODE. Never retried.
 */
enum alz_rc alz_api_sso_exchange(struct alz_http *h, const char *api_user,
				 const struct alz_sso_config *sc,
				 const struct alz_sso_challenge *ch, const char *code,
				 struct alz_outcome *o);

void alz_outcome_free(struct alz_outcome *o);

#endif
