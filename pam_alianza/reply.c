/* reply.c - what the API's replies mean: a login, a challenge, or an error. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alz_json.h"
#include "alz_jptr.h"
#include "alz_reply.h"
#include "alz_secret.h"
#include "alz_sso.h"
#include "alz_text.h"

/* One JSON document, nothing before or after it, no NUL inside or escaped. */
static cJSON *
parse_doc(const char *body, size_t len)
{
	return alz_json_parse(body, len);
}

/*
 * The value of fact WHICH: the first pointer of its reply_* list that finds
 * one (a JSON null counts as absent). ALZ_OK with *OUT NULL when none does;
 * ALZ_ERR_BAD_REPLY when a step meets two members of one name or goes
 * through a scalar (alz_jptr_get): a forgery attempt, not a choice to make.
 */
static enum alz_rc
fact_at(const struct alz_config *cfg, const cJSON *root, enum alz_reply_at which,
	const cJSON **out)
{
	char ptr[ALZ_MAX_LIST_ITEM];
	const char *p = cfg->replies[which];
	const cJSON *v = NULL;

	*out = NULL;
	while (p != NULL && alz_list_next(&p, ptr, sizeof(ptr))) {
		if (alz_jptr_get(root, ptr, &v) != ALZ_OK)
			return ALZ_ERR_BAD_REPLY;
		if (v != NULL && !cJSON_IsNull(v)) {
			*out = v;
			return ALZ_OK;
		}
	}
	return ALZ_OK;
}

/*
 * An optional string fact. Absent: true and *out stays NULL. Present: a
 * printable string no longer than CAP (or, for ids, a whole number), else
 * the reply is bad.
 */
static bool
take_fact(const struct alz_config *cfg, const cJSON *root, enum alz_reply_at which,
	  size_t cap, bool number_ok, char **out)
{
	const cJSON *it;
	char num[32];

	if (fact_at(cfg, root, which, &it) != ALZ_OK)
		return false;
	if (it == NULL)
		return true;
	if (number_ok && cJSON_IsNumber(it)) {
		/* FoodXchange ids may be numbers: whole, and exactly representable */
		if (!isfinite(it->valuedouble) || it->valuedouble != floor(it->valuedouble) ||
		    fabs(it->valuedouble) > 9007199254740991.0)
			return false;
		snprintf(num, sizeof(num), "%.0f", it->valuedouble);
		*out = strdup(num);
		return *out != NULL;
	}
	if (!cJSON_IsString(it) || strlen(it->valuestring) > cap ||
	    !alz_text_ok(it->valuestring, ALZ_TEXT_LINE))
		return false;
	*out = strdup(it->valuestring);
	return *out != NULL;
}

/* A token that travels in a header later: 1..ALZ_MAX_TOKEN of visible ASCII, no CR/LF smuggling. */
static enum alz_rc
take_token(const struct alz_config *cfg, const cJSON *root, enum alz_reply_at which,
	   bool required, char **out)
{
	const cJSON *tok;

	if (fact_at(cfg, root, which, &tok) != ALZ_OK)
		return ALZ_ERR_BAD_REPLY;
	if (tok == NULL && !required)
		return ALZ_OK;
	if (!cJSON_IsString(tok) || tok->valuestring[0] == '\0' ||
	    strlen(tok->valuestring) > ALZ_MAX_TOKEN || !alz_text_ok(tok->valuestring, ALZ_TEXT_VISIBLE))
		return ALZ_ERR_BAD_REPLY;
	*out = strdup(tok->valuestring);
	return *out != NULL ? ALZ_OK : ALZ_ERR_NOMEM;
}

/* Seconds a token lives: 1..ALZ_MAX_EXPIRES_IN, ALZ_DEFAULT_EXPIRES_IN when absent. */
static bool
take_expiry(const struct alz_config *cfg, const cJSON *root, enum alz_reply_at which, long *out)
{
	const cJSON *exp;
	double d;

	if (fact_at(cfg, root, which, &exp) != ALZ_OK)
		return false;
	if (exp == NULL) {
		*out = ALZ_DEFAULT_EXPIRES_IN;
		return true;
	}
	if (!cJSON_IsNumber(exp))
		return false;
	d = exp->valuedouble;
	if (!isfinite(d) || d != floor(d) || d < 1 || d > ALZ_MAX_EXPIRES_IN)
		return false;
	*out = (long)d;
	return true;
}

/* A dialect with a success flag (reply_success): a 200 is a success only when it says true. */
static bool
says_success(const struct alz_config *cfg, const cJSON *root)
{
	const cJSON *ok;

	if (cfg->replies[ALZ_R_SUCCESS] == NULL)
		return true;
	if (fact_at(cfg, root, ALZ_R_SUCCESS, &ok) != ALZ_OK)
		return false;
	/* absent: only where the dialect does not promise one (reply_success_required) */
	if (ok == NULL)
		return !cfg->reply_success_required;
	return cJSON_IsTrue(ok);	/* false, "true", 1: no success */
}

/* Who the reply is about, its type and tenant: a log-in's and a who-am-I's. */
static enum alz_rc
read_user(const struct alz_config *cfg, const cJSON *root, const char *expect_user,
	  struct alz_login *login)
{
	const cJSON *type;
	char *user_name = NULL;

	/* a missing type, or one outside the rule, is no privilege: the login is not trusted */
	if (fact_at(cfg, root, ALZ_R_USER_TYPE, &type) != ALZ_OK || !cJSON_IsString(type) ||
	    !alz_user_type_copy(login->user_type, type->valuestring))
		return ALZ_ERR_BAD_REPLY;

	if (!take_fact(cfg, root, ALZ_R_USER_NAME, ALZ_MAX_FACT, false, &user_name))
		return ALZ_ERR_BAD_REPLY;
	/* a success for somebody else, or (reply_user_required) for nobody named, is no success */
	if ((user_name != NULL && expect_user != NULL && strcmp(user_name, expect_user) != 0) ||
	    (user_name == NULL && cfg->reply_user_required)) {
		free(user_name);
		return ALZ_ERR_BAD_REPLY;
	}
	login->name_from_reply = user_name != NULL;
	if (user_name == NULL && expect_user != NULL) {
		user_name = strdup(expect_user);
		if (user_name == NULL)
			return ALZ_ERR_NOMEM;
	}
	login->user_name = user_name;
	if (!take_fact(cfg, root, ALZ_R_USER_ID, ALZ_MAX_FACT, true, &login->user_id) ||
	    !take_fact(cfg, root, ALZ_R_PARTITION_ID, ALZ_MAX_FACT, true, &login->partition_id) ||
	    !take_fact(cfg, root, ALZ_R_PARTITION_NAME, ALZ_MAX_FACT, false, &login->partition_name))
		return ALZ_ERR_BAD_REPLY;
	return ALZ_OK;
}

static enum alz_rc
read_login(const struct alz_config *cfg, const cJSON *root, const char *expect_user,
	   struct alz_login *login)
{
	enum alz_rc rc;

	if (!cJSON_IsObject(root) || !says_success(cfg, root))
		return ALZ_ERR_BAD_REPLY;
	/* a 200 without a usable token is a bad response, never a success */
	rc = take_token(cfg, root, ALZ_R_TOKEN, true, &login->token);
	if (rc != ALZ_OK)
		return rc;
	if (cfg->replies[ALZ_R_REFRESH_TOKEN] != NULL) {
		rc = take_token(cfg, root, ALZ_R_REFRESH_TOKEN, false, &login->refresh_token);
		if (rc != ALZ_OK)
			return rc;
	}
	if (!take_expiry(cfg, root, ALZ_R_EXPIRES_IN, &login->expires_in))
		return ALZ_ERR_BAD_REPLY;
	return read_user(cfg, root, expect_user, login);
}

/* Both envelopes, by the reply_error_code / reply_message / reply_session_id pointers. */
static void
read_error(const struct alz_config *cfg, const cJSON *root, struct alz_api_error *err)
{
	const cJSON *code, *msg, *sid;

	if (!cJSON_IsObject(root))
		return;
	if (fact_at(cfg, root, ALZ_R_ERROR_CODE, &code) != ALZ_OK ||
	    fact_at(cfg, root, ALZ_R_MESSAGE, &msg) != ALZ_OK ||
	    fact_at(cfg, root, ALZ_R_SESSION_ID, &sid) != ALZ_OK)
		return;	/* ambiguous: read as an error without details */
	if (cJSON_IsString(code))
		alz_text_copy_safe(err->code, sizeof(err->code), code->valuestring,
				   ALZ_TEXT_ASCII_LINE);
	if (cJSON_IsString(msg))
		alz_text_copy_safe(err->message, sizeof(err->message), msg->valuestring,
				   ALZ_TEXT_ASCII_LINE);
	if (cJSON_IsString(sid) && sid->valuestring[0] != '\0' &&
	    strlen(sid->valuestring) <= ALZ_MAX_SESSION_ID && alz_text_ok(sid->valuestring, ALZ_TEXT_LINE))
		err->session_id = strdup(sid->valuestring);
}

/* The status table of ../shared/API.md, for everything but a 200. */
static enum alz_rc
judge_error(long status, struct alz_api_error *err)
{
	if (status == 401) {
		if (strcmp(err->code, "2FA_REQUIRED") == 0)
			/* the challenge is useless without its session id */
			return err->session_id != NULL ? ALZ_ERR_2FA_REQUIRED : ALZ_ERR_BAD_REPLY;
		if (strcmp(err->code, "INVALID_2FA_TOKEN") == 0)
			return ALZ_ERR_2FA_INVALID;
		if (strcmp(err->code, "2FA_SESSION_EXPIRED") == 0)
			return ALZ_ERR_2FA_EXPIRED;
		/* FoodXchange: refresh, or log in again; never "the user is denied" */
		if (strcmp(err->code, "TOKEN_EXPIRED") == 0)
			return ALZ_ERR_TOKEN_EXPIRED;
		return ALZ_ERR_DENIED;
	}
	if (status == 404)
		return ALZ_ERR_DENIED;	/* USER_NOT_FOUND looks like a wrong password */
	if (status == 403)
		return strcmp(err->code, "ACCOUNT_LOCKED") == 0 ? ALZ_ERR_LOCKED : ALZ_ERR_FORBIDDEN;
	if (status == 429)
		return ALZ_ERR_RATE_LIMITED;
	if (status == 400)
		return strcmp(err->code, "PASSWORD_POLICY") == 0 ? ALZ_ERR_POLICY : ALZ_ERR_BAD_REQUEST;
	if (status >= 500 && status <= 599)
		return ALZ_ERR_SERVER;
	/* 1xx, 3xx (never followed), other 2xx and 4xx: nothing we agreed on */
	return ALZ_ERR_BAD_REPLY;
}

/* Which call a refusal answers: the codes that make sense differ. */
enum call_kind {
	CALL_LOGIN,		/* log-in, 2FA, JWT, SSO exchange: a challenge may follow */
	CALL_STATUS,		/* logout, password change: any challenge is a plain refusal */
	CALL_FACTS,		/* who am I, refresh: a challenge is not in the contract */
};

/* A non-200: the body's error envelope, the status table, then what KIND allows. */
static enum alz_rc
refusal(const struct alz_config *cfg, long status, const cJSON *root, struct alz_api_error *err,
	enum call_kind kind)
{
	enum alz_rc rc;
	bool challenge;

	if (root != NULL)
		read_error(cfg, root, err);
	rc = judge_error(status, err);
	challenge = rc == ALZ_ERR_2FA_REQUIRED || rc == ALZ_ERR_2FA_INVALID || rc == ALZ_ERR_2FA_EXPIRED;
	/* a log-in carries no token that could have expired */
	if (kind == CALL_LOGIN && rc == ALZ_ERR_TOKEN_EXPIRED)
		return ALZ_ERR_BAD_REPLY;
	if (kind == CALL_STATUS && challenge)
		return ALZ_ERR_DENIED;
	if (kind == CALL_FACTS && challenge)
		return ALZ_ERR_BAD_REPLY;
	return rc;
}

enum alz_rc
alz_reply_login(const struct alz_config *cfg, long status, const char *body, size_t len,
		const char *expect_user, struct alz_login *login, struct alz_api_error *err)
{
	enum alz_rc rc;
	cJSON *root;

	memset(login, 0, sizeof(*login));
	memset(err, 0, sizeof(*err));
	root = parse_doc(body, len);
	if (status == 200) {
		rc = root != NULL ? read_login(cfg, root, expect_user, login) : ALZ_ERR_BAD_REPLY;
		if (rc != ALZ_OK)
			alz_login_free(login);
	} else {
		rc = refusal(cfg, status, root, err, CALL_LOGIN);
	}
	alz_json_free(root);
	return rc;
}

enum alz_rc
alz_reply_userinfo(const struct alz_config *cfg, long status, const char *body, size_t len,
		   const char *expect_user, struct alz_login *facts, struct alz_api_error *err)
{
	enum alz_rc rc;
	cJSON *root;

	memset(facts, 0, sizeof(*facts));
	memset(err, 0, sizeof(*err));
	root = parse_doc(body, len);
	if (status == 200) {
		rc = ALZ_ERR_BAD_REPLY;
		if (root != NULL && cJSON_IsObject(root) && says_success(cfg, root))
			rc = read_user(cfg, root, expect_user, facts);
		if (rc != ALZ_OK)
			alz_login_free(facts);
	} else {
		rc = refusal(cfg, status, root, err, CALL_FACTS);
	}
	alz_json_free(root);
	return rc;
}

enum alz_rc
alz_reply_refresh(const struct alz_config *cfg, long status, const char *body, size_t len,
		  char **token, long *expires_in, struct alz_api_error *err)
{
	enum alz_rc rc;
	cJSON *root;

	*token = NULL;
	memset(err, 0, sizeof(*err));
	root = parse_doc(body, len);
	if (status == 200) {
		rc = ALZ_ERR_BAD_REPLY;
		if (root != NULL && cJSON_IsObject(root) && says_success(cfg, root) &&
		    take_expiry(cfg, root, ALZ_R_REFRESHED_EXPIRES_IN, expires_in))
			rc = take_token(cfg, root, ALZ_R_REFRESHED_TOKEN, true, token);
	} else {
		rc = refusal(cfg, status, root, err, CALL_FACTS);
	}
	alz_json_free(root);
	return rc;
}

enum alz_rc
alz_reply_status(const struct alz_config *cfg, long status, const char *body, size_t len,
		 struct alz_api_error *err)
{
	cJSON *root;
	enum alz_rc rc;

	memset(err, 0, sizeof(*err));
	root = parse_doc(body, len);
	if (status == 200 || status == 204) {
		/*
		 * A dialect with a success flag says so on every success; where it is
		 * optional (Alianza: no body at all) a flag that is there must be true.
		 */
		if (root == NULL || !cJSON_IsObject(root))
			rc = cfg->replies[ALZ_R_SUCCESS] == NULL || !cfg->reply_success_required ?
			     ALZ_OK : ALZ_ERR_BAD_REPLY;
		else
			rc = says_success(cfg, root) ? ALZ_OK : ALZ_ERR_BAD_REPLY;
		alz_json_free(root);
		return rc;
	}
	/* a 2FA code is meaningless here; whatever it says, it is a refusal */
	rc = refusal(cfg, status, root, err, CALL_STATUS);
	alz_json_free(root);
	return rc;
}

void
alz_login_free(struct alz_login *login)
{
	alz_secret_free(login->token);
	alz_secret_free(login->refresh_token);
	free(login->user_name);
	free(login->user_id);
	free(login->partition_id);
	free(login->partition_name);
	memset(login, 0, sizeof(*login));
}

void
alz_api_error_free(struct alz_api_error *err)
{
	alz_secret_free(err->session_id);
	err->session_id = NULL;
}

/* An SSO configuration string: present, printable, capped; URLs https (a query allowed). */
static bool
sso_field(const struct alz_config *cfg, const cJSON *root, enum alz_reply_at which, size_t cap,
	  bool url, bool required, char **out)
{
	const cJSON *v;

	if (fact_at(cfg, root, which, &v) != ALZ_OK)
		return false;
	if (v == NULL)
		return !required;
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0' || strlen(v->valuestring) > cap ||
	    !alz_text_ok(v->valuestring, url ? ALZ_TEXT_VISIBLE : ALZ_TEXT_ASCII_LINE) ||
	    (url && !alz_text_https_url(v->valuestring, true)))
		return false;
	*out = strdup(v->valuestring);
	return *out != NULL;
}

enum alz_rc
alz_sso_config_reply(const struct alz_config *cfg, long status, const char *body, size_t len,
		     struct alz_sso_config *sc)
{
	const cJSON *enabled, *pkce;
	enum alz_rc rc = ALZ_ERR_BAD_REPLY;
	struct alz_api_error err;
	cJSON *root;

	memset(sc, 0, sizeof(*sc));
	memset(&err, 0, sizeof(err));
	root = parse_doc(body, len);
	if (status != 200) {
		/*
		 * docs/API.md 7: a 404 is "SSO is not offered"; a 5xx is the service's
		 * trouble. The call names no user and carries no token: a 401 or 403
		 * says nothing about this user (a proxy's, say) and must not be kept
		 * as their refusal. Anything else is an odd reply.
		 */
		rc = status == 404 ? ALZ_ERR_SSO_DISABLED :
		     status >= 500 && status <= 599 ? ALZ_ERR_SERVER : ALZ_ERR_BAD_REPLY;
		goto out;
	}
	if (root == NULL || !cJSON_IsObject(root) ||
	    fact_at(cfg, root, ALZ_R_SSO_ENABLED, &enabled) != ALZ_OK || !cJSON_IsBool(enabled))
		goto out;
	if (!cJSON_IsTrue(enabled)) {
		rc = ALZ_ERR_SSO_DISABLED;	/* a login must not pretend otherwise */
		goto out;
	}
	if (fact_at(cfg, root, ALZ_R_SSO_PKCE, &pkce) != ALZ_OK || (pkce != NULL && !cJSON_IsBool(pkce)))
		goto out;
	sc->pkce = pkce != NULL && cJSON_IsTrue(pkce);
	/*
	 * Without PKCE a bare code is bound to nothing this login made (the
	 * state is shown to the person at the keyboard): refused unless the
	 * admin allowed it (sso_require_pkce = no).
	 */
	if (!sc->pkce && cfg->sso_require_pkce)
		goto out;
	if (!sso_field(cfg, root, ALZ_R_SSO_ENDPOINT, ALZ_SSO_MAX_URL, true, true, &sc->endpoint) ||
	    !sso_field(cfg, root, ALZ_R_SSO_CLIENT_ID, ALZ_SSO_MAX_FIELD, false, true, &sc->client_id) ||
	    !sso_field(cfg, root, ALZ_R_SSO_REDIRECT_URI, ALZ_SSO_MAX_URL, true, true, &sc->redirect_uri) ||
	    !sso_field(cfg, root, ALZ_R_SSO_SCOPE, ALZ_SSO_MAX_FIELD, false, false, &sc->scope))
		goto out;
	rc = ALZ_OK;
out:
	if (rc != ALZ_OK)
		alz_sso_config_free(sc);
	alz_api_error_free(&err);
	alz_json_free(root);
	return rc;
}
