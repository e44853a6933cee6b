/* reply.c - what the API's replies mean: a login, a challenge, or an error. */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alz_json.h"
#include "alz_reply.h"
#include "alz_secret.h"
#include "alz_text.h"

/* One JSON document, nothing before or after it, no NUL inside or escaped. */
static cJSON *
parse_doc(const char *body, size_t len)
{
	return alz_json_parse(body, len);
}

/*
 * The member NAME of OBJ; *DUP is set when it occurs more than once (two
 * authTokens in one reply are a forgery attempt, not a choice to make).
 */
static cJSON *
member(const cJSON *obj, const char *name, bool *dup)
{
	cJSON *c, *found = NULL;

	if (!cJSON_IsObject(obj))
		return NULL;
	for (c = obj->child; c != NULL; c = c->next) {
		if (c->string == NULL || strcmp(c->string, name) != 0)
			continue;
		if (found != NULL)
			*dup = true;
		found = c;
	}
	return found;
}

/*
 * An optional string fact. Absent: OK and *out stays NULL. Present: must be
 * a printable string no longer than the cap, else the reply is bad.
 */
static bool
take_fact(const cJSON *root, const char *name, size_t cap, char **out)
{
	bool dup = false;
	cJSON *it = member(root, name, &dup);

	if (dup)
		return false;
	if (it == NULL || cJSON_IsNull(it))
		return true;
	if (!cJSON_IsString(it) || strlen(it->valuestring) > cap ||
	    !alz_text_ok(it->valuestring, ALZ_TEXT_LINE))
		return false;
	*out = strdup(it->valuestring);
	return *out != NULL;
}

static enum alz_rc
read_login(const struct alz_config *cfg, const cJSON *root, const char *expect_user,
	   struct alz_login *login)
{
	const char *const *f = (const char *const *)cfg->fields;
	bool dup = false;
	cJSON *tok, *exp, *type;
	char *user_name = NULL;

	if (!cJSON_IsObject(root))
		return ALZ_ERR_BAD_REPLY;
	tok = member(root, f[ALZ_F_AUTH_TOKEN], &dup);
	exp = member(root, f[ALZ_F_EXPIRES_IN], &dup);
	type = member(root, f[ALZ_F_USER_TYPE], &dup);
	if (dup)
		return ALZ_ERR_BAD_REPLY;

	/* a 200 without a usable token is a bad response, never a success */
	if (!cJSON_IsString(tok) || tok->valuestring[0] == '\0' ||
	    strlen(tok->valuestring) > ALZ_MAX_TOKEN)
		return ALZ_ERR_BAD_REPLY;
	/* it travels in a header later: visible ASCII only, no CR/LF smuggling */
	if (!alz_text_ok(tok->valuestring, ALZ_TEXT_VISIBLE))
		return ALZ_ERR_BAD_REPLY;

	if (exp == NULL || cJSON_IsNull(exp)) {
		login->expires_in = ALZ_DEFAULT_EXPIRES_IN;
	} else {
		double d;

		if (!cJSON_IsNumber(exp))
			return ALZ_ERR_BAD_REPLY;
		d = exp->valuedouble;
		if (!isfinite(d) || d != floor(d) || d < 1 || d > ALZ_MAX_EXPIRES_IN)
			return ALZ_ERR_BAD_REPLY;
		login->expires_in = (long)d;
	}

	/* a missing type, or one outside the rule, is no privilege: the login is not trusted */
	if (!cJSON_IsString(type) || !alz_user_type_copy(login->user_type, type->valuestring))
		return ALZ_ERR_BAD_REPLY;

	if (!take_fact(root, f[ALZ_F_USER_NAME], ALZ_MAX_FACT, &user_name))
		return ALZ_ERR_BAD_REPLY;
	/* a success for somebody else is no success for this user */
	if (user_name != NULL && expect_user != NULL && strcmp(user_name, expect_user) != 0) {
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
	if (!take_fact(root, f[ALZ_F_USER_ID], ALZ_MAX_FACT, &login->user_id) ||
	    !take_fact(root, f[ALZ_F_PARTITION_ID], ALZ_MAX_FACT, &login->partition_id) ||
	    !take_fact(root, f[ALZ_F_PARTITION_NAME], ALZ_MAX_FACT, &login->partition_name))
		return ALZ_ERR_BAD_REPLY;

	login->token = strdup(tok->valuestring);
	if (login->token == NULL)
		return ALZ_ERR_NOMEM;
	return ALZ_OK;
}

/* Both envelopes: Alianza's flat one, and FoodXchange's {"error":{"code",..,"data"}}. */
static void
read_error(const struct alz_config *cfg, const cJSON *root, struct alz_api_error *err)
{
	const char *const *f = (const char *const *)cfg->fields;
	bool dup = false;
	const cJSON *code, *msg, *sid, *fx, *data;

	if (!cJSON_IsObject(root))
		return;
	code = member(root, f[ALZ_F_ERROR_CODE], &dup);
	msg = member(root, f[ALZ_F_MESSAGE], &dup);
	sid = member(root, f[ALZ_F_SESSION_ID], &dup);
	fx = member(root, f[ALZ_F_FX_ERROR], &dup);
	if (!cJSON_IsString(code) && cJSON_IsObject(fx)) {
		code = member(fx, f[ALZ_F_FX_CODE], &dup);
		msg = member(fx, f[ALZ_F_MESSAGE], &dup);
		data = member(fx, f[ALZ_F_FX_DATA], &dup);
		sid = member(data, f[ALZ_F_SESSION_ID], &dup);
	}
	if (dup)
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
		if (root != NULL)
			read_error(cfg, root, err);
		rc = judge_error(status, err);
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
	if (status == 200 || status == 204)
		return ALZ_OK;
	root = parse_doc(body, len);
	if (root != NULL)
		read_error(cfg, root, err);
	alz_json_free(root);
	rc = judge_error(status, err);
	/* a 2FA code is meaningless here; whatever it says, it is a refusal */
	if (rc == ALZ_ERR_2FA_REQUIRED || rc == ALZ_ERR_2FA_INVALID || rc == ALZ_ERR_2FA_EXPIRED)
		rc = ALZ_ERR_DENIED;
	return rc;
}

void
alz_login_free(struct alz_login *login)
{
	alz_secret_free(login->token);
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
