/* api.c - the calls of ../shared/API.md, each a request, an exchange and a verdict. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alz_clock.h"
#include "alz_api.h"
#include "alz_request.h"
#include "alz_secret.h"
#include "alz_sso.h"

static void
outcome_reset(struct alz_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->retry_after = -1;
}

/*
 * One request of ENDPOINT; O gets its time and (on a reply) its status and
 * Retry-After, R the reply for the caller's judge (freed by the caller).
 */
static enum alz_rc
send_call(struct alz_http *h, enum alz_path ep, const char *query, const char *body,
	  const char *token, struct alz_http_reply *r, struct alz_outcome *o)
{
	enum alz_rc rc;

	rc = alz_http_call_query(h, ep, query, body, token, r);
	o->elapsed_ms = r->elapsed_ms;
	if (rc == ALZ_OK) {
		o->status = r->status;
		o->retry_after = r->retry_after;
	}
	return rc;
}

/* Send BODY (consumed and wiped) and judge the reply as a log-in. */
static enum alz_rc
login_exchange(struct alz_http *h, enum alz_path ep, char *body, const char *expect_user,
	       struct alz_outcome *o)
{
	struct alz_http_reply r;
	enum alz_rc rc;

	rc = send_call(h, ep, NULL, body, NULL, &r, o);
	alz_secret_free(body);
	if (rc == ALZ_OK)
		rc = alz_reply_login(h->cfg, r.status, r.body.data, r.body.len, expect_user,
				     &o->login, &o->err);
	alz_http_reply_free(&r);
	o->rc = rc;
	return rc;
}

enum alz_rc
alz_api_login(struct alz_http *h, const char *api_user, const char *password,
	      struct alz_outcome *o)
{
	char *body = NULL;
	enum alz_rc rc;

	outcome_reset(o);
	rc = alz_request_login(h->cfg, api_user, password, &body);
	if (rc != ALZ_OK) {
		o->rc = rc;
		return rc;
	}
	return login_exchange(h, ALZ_P_AUTHORIZE, body, api_user, o);
}

enum alz_rc
alz_api_2fa(struct alz_http *h, const char *api_user, const char *session_id,
	    const char *code, struct alz_outcome *o)
{
	char *body = NULL;
	enum alz_rc rc;

	outcome_reset(o);
	rc = alz_request_2fa(h->cfg, session_id, code, &body);
	if (rc != ALZ_OK) {
		o->rc = rc;
		return rc;
	}
	return login_exchange(h, ALZ_P_2FA, body, api_user, o);
}

/* Idempotent calls only: a retry can never cost the user one of the API's tries. */
#define LOGOUT_ATTEMPTS 3
#define BACKOFF_MS 200	/* then 400 */

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* One exchange whose success has no body worth reading (logout, password change). */
static enum alz_rc
status_exchange(struct alz_http *h, enum alz_path ep, const char *body,
		const char *token, struct alz_outcome *o)
{
	struct alz_http_reply r;
	enum alz_rc rc;

	outcome_reset(o);
	rc = send_call(h, ep, NULL, body, token, &r, o);
	if (rc == ALZ_OK)
		rc = alz_reply_status(h->cfg, r.status, r.body.data, r.body.len, &o->err);
	alz_http_reply_free(&r);
	o->rc = rc;
	return rc;
}

enum alz_rc
alz_api_logout(struct alz_http *h, const char *token, struct alz_outcome *o)
{
	long start = alz_now_ms(), wait;
	enum alz_rc rc;
	int attempt;

	for (attempt = 0;; attempt++) {
		rc = status_exchange(h, ALZ_P_LOGOUT, NULL, token, o);
		/* only a 5xx or a 429 is worth another try */
		if (!(rc == ALZ_ERR_SERVER || rc == ALZ_ERR_RATE_LIMITED) ||
		    attempt + 1 >= LOGOUT_ATTEMPTS)
			break;
		wait = o->retry_after >= 0 ? o->retry_after * 1000 : (long)BACKOFF_MS << attempt;
		/* all tries together stay inside one call's deadline */
		if (alz_now_ms() - start + wait + 100 > h->cfg->timeout_ms)
			break;
		alz_api_error_free(&o->err);
		sleep_ms(wait);
	}
	return rc;
}

void
alz_api_end_token(struct alz_http *h, const char *token, const char *refresh,
		  bool expired_by_clock, struct alz_end *e)
{
	struct alz_outcome o;
	char *fresh = NULL;
	long expires_in = 0;
	enum alz_rc rc;

	memset(&o, 0, sizeof(o));
	e->rc = e->logout = e->refresh = ALZ_SKIP;
	e->status = 0;
	if (h->cfg->paths[ALZ_P_REFRESH] == NULL)
		refresh = NULL;	/* the dialect has no refresh call (a record from another one) */
	/* a logout with an access token the clock says is dead would only be refused */
	if (!expired_by_clock || refresh == NULL) {
		rc = alz_api_logout(h, token, &o);
		e->logout = rc;
		e->status = o.status;
		alz_outcome_free(&o);
		if (rc != ALZ_ERR_TOKEN_EXPIRED) {
			e->rc = rc;	/* done, or failed: either way no refresh is due */
			goto out;
		}
		if (refresh == NULL) {
			e->rc = ALZ_OK;	/* expired, and nothing to refresh: nothing lives */
			goto out;
		}
	}
	/* the access token is dead, its refresh token not: once, never retried */
	rc = alz_api_refresh(h, refresh, &fresh, &expires_in, &o);
	e->refresh = rc;
	e->status = o.status;
	alz_outcome_free(&o);
	if (rc != ALZ_OK) {
		e->rc = rc;
		goto out;
	}
	/* a logout ends the refresh token too (API.md section 8) */
	rc = alz_api_logout(h, fresh, &o);
	e->logout = rc;
	e->status = o.status;
	e->rc = rc;
	alz_outcome_free(&o);
out:
	alz_secret_free(fresh);
}

bool
alz_end_may_live(const struct alz_end *e)
{
	switch (e->rc) {
	case ALZ_OK:
	case ALZ_ERR_DENIED:		/* 401/404: the API does not take it (logged out, unknown) */
	case ALZ_ERR_TOKEN_EXPIRED:	/* the refresh token expired too */
	case ALZ_ERR_FORBIDDEN:
		return false;
	default:
		return true;	/* any other code, one added later too */
	}
}

static const char *
step_word(enum alz_rc rc)
{
	if (rc == ALZ_OK)
		return "done";
	if (rc == ALZ_SKIP)
		return "-";
	return alz_rc_name(rc);
}

void
alz_end_describe(const struct alz_end *e, char *buf, size_t cap)
{
	snprintf(buf, cap, "logout=%s refresh=%s status=%ld", step_word(e->logout),
		 step_word(e->refresh), e->status);
}

enum alz_rc
alz_api_password(struct alz_http *h, const char *api_user, const char *old_password,
		 const char *new_password, struct alz_outcome *o)
{
	char *body = NULL;
	enum alz_rc rc;

	outcome_reset(o);
	if (h->cfg->paths[ALZ_P_PASSWORD] == NULL) {
		o->rc = ALZ_ERR_UNSUPPORTED;	/* FoodXchange: no change with the current password */
		return o->rc;
	}
	rc = alz_request_password(h->cfg, api_user, old_password, new_password, &body);
	if (rc != ALZ_OK) {
		o->rc = rc;
		return rc;
	}
	/* never retried: each try counts toward the API's lockout */
	rc = status_exchange(h, ALZ_P_PASSWORD, body, NULL, o);
	alz_secret_free(body);
	return rc;
}

bool
alz_jwt_shaped(const char *s)
{
	size_t len = strlen(s), i, part = 0, partlen = 0;

	/* base64url of '{"' starts every JWT header */
	if (len < 16 || len > 8192 || strncmp(s, "eyJ", 3) != 0)
		return false;
	for (i = 0; i <= len; i++) {
		char ch = s[i];

		if (ch == '.' || ch == '\0') {
			if (partlen == 0)
				return false;
			part++;
			partlen = 0;
			continue;
		}
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_'))
			return false;
		partlen++;
	}
	return part == 3;
}

enum alz_rc
alz_api_jwt(struct alz_http *h, const char *api_user, const char *jwt, struct alz_outcome *o)
{
	char *body = NULL;
	enum alz_rc rc;

	outcome_reset(o);
	rc = alz_request_jwt(h->cfg, jwt, &body);
	if (rc != ALZ_OK) {
		o->rc = rc;
		return rc;
	}
	rc = login_exchange(h, ALZ_P_JWT, body, api_user, o);
	/* the token names its user; a success that does not say who is no success */
	if (rc == ALZ_OK && !o->login.name_from_reply) {
		alz_login_free(&o->login);
		rc = o->rc = ALZ_ERR_BAD_REPLY;
	}
	return rc;
}

enum alz_rc
alz_api_userinfo(struct alz_http *h, const char *api_user, const char *token,
		 struct alz_outcome *o)
{
	struct alz_http_reply r;
	enum alz_rc rc;

	outcome_reset(o);
	rc = send_call(h, ALZ_P_USERINFO, NULL, NULL, token, &r, o);
	if (rc == ALZ_OK)
		rc = alz_reply_userinfo(h->cfg, r.status, r.body.data, r.body.len, api_user,
					&o->login, &o->err);
	alz_http_reply_free(&r);
	o->rc = rc;
	return rc;
}

enum alz_rc
alz_api_refresh(struct alz_http *h, const char *refresh_token, char **token,
		long *expires_in, struct alz_outcome *o)
{
	struct alz_http_reply r;
	char *body = NULL;
	enum alz_rc rc;

	outcome_reset(o);
	*token = NULL;
	rc = alz_request_refresh(h->cfg, refresh_token, &body);
	if (rc != ALZ_OK)
		goto out;
	/* never retried: a refresh token may be single use */
	rc = send_call(h, ALZ_P_REFRESH, NULL, body, NULL, &r, o);
	alz_secret_free(body);
	if (rc == ALZ_OK)
		rc = alz_reply_refresh(h->cfg, r.status, r.body.data, r.body.len, token,
				       expires_in, &o->err);
	alz_http_reply_free(&r);
out:
	o->rc = rc;
	return rc;
}

enum alz_rc
alz_api_sso_config(struct alz_http *h, struct alz_sso_config *sc, struct alz_outcome *o)
{
	struct alz_http_reply r;
	enum alz_rc rc;

	outcome_reset(o);
	memset(sc, 0, sizeof(*sc));
	rc = send_call(h, ALZ_P_SSO, NULL, NULL, NULL, &r, o);
	if (rc == ALZ_OK)
		rc = alz_sso_config_reply(h->cfg, r.status, r.body.data, r.body.len, sc);
	alz_http_reply_free(&r);
	o->rc = rc;
	return rc;
}

enum alz_rc
alz_api_sso_exchange(struct alz_http *h, const char *api_user, const struct alz_sso_config *sc,
		     const struct alz_sso_challenge *ch, const char *code, struct alz_outcome *o)
{
	struct alz_http_reply r;
	char *query = NULL;
	enum alz_rc rc;

	outcome_reset(o);
	rc = alz_sso_exchange_query(h->cfg, sc, ch, code, &query);
	if (rc != ALZ_OK)
		goto out;
	/* never retried: a code is single use */
	rc = send_call(h, ALZ_P_SSO_EXCHANGE, query, NULL, NULL, &r, o);
	alz_secret_free(query);
	if (rc == ALZ_OK) {
		/* judged for whoever it names: who that is is checked below */
		rc = alz_reply_login(h->cfg, r.status, r.body.data, r.body.len, NULL,
				     &o->login, &o->err);
		if (rc == ALZ_ERR_DENIED && strcmp(o->err.code, "INVALID_SSO_CODE") == 0)
			rc = ALZ_ERR_SSO_CODE;
		/* the code names its user: a success that does not say who is no success */
		if (rc == ALZ_OK && !o->login.name_from_reply) {
			alz_login_free(&o->login);
			rc = ALZ_ERR_BAD_REPLY;
		}
	}
	alz_http_reply_free(&r);
	if (rc == ALZ_OK && strcmp(o->login.user_name, api_user) != 0) {
		/*
		 * Signed in at the provider as somebody else: that person's choice of
		 * account, not the API's fault. Their fresh token must not stay live.
		 */
		struct alz_outcome lo;

		alz_api_logout(h, o->login.token, &lo);
		alz_outcome_free(&lo);
		alz_login_free(&o->login);
		rc = ALZ_ERR_SSO_OTHER_USER;
	}
out:
	o->rc = rc;
	return rc;
}

void
alz_outcome_free(struct alz_outcome *o)
{
	alz_login_free(&o->login);
	alz_api_error_free(&o->err);
}
