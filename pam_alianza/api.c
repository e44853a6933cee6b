/* api.c - the calls of ../shared/API.md, each a request, an exchange and a verdict. */
#include "config.h"

#include <string.h>

#include "alz_api.h"
#include "alz_request.h"
#include "alz_secret.h"

static void
outcome_reset(struct alz_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->retry_after = -1;
}

/* Send BODY (consumed and wiped) and judge the reply as a log-in. */
static enum alz_rc
login_exchange(struct alz_http *h, enum alz_path ep, char *body, const char *expect_user,
	       struct alz_outcome *o)
{
	struct alz_http_reply r;
	enum alz_rc rc;

	rc = alz_http_call(h, "POST", ep, body, NULL, &r);
	alz_secret_free(body);
	o->elapsed_ms = r.elapsed_ms;
	if (rc != ALZ_OK)
		goto out;
	o->status = r.status;
	o->retry_after = r.retry_after;
	rc = alz_reply_login(h->cfg, r.status, r.body.data, r.body.len, expect_user,
			     &o->login, &o->err);
out:
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

enum alz_rc
alz_api_logout(struct alz_http *h, const char *token, struct alz_outcome *o)
{
	struct alz_http_reply r;
	enum alz_rc rc;

	outcome_reset(o);
	rc = alz_http_call(h, "PUT", ALZ_P_LOGOUT, NULL, token, &r);
	o->elapsed_ms = r.elapsed_ms;
	if (rc == ALZ_OK) {
		o->status = r.status;
		o->retry_after = r.retry_after;
		rc = alz_reply_status(h->cfg, r.status, r.body.data, r.body.len, &o->err);
	}
	alz_http_reply_free(&r);
	o->rc = rc;
	return rc;
}

void
alz_outcome_free(struct alz_outcome *o)
{
	alz_login_free(&o->login);
	alz_api_error_free(&o->err);
}
