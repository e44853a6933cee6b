/* record.c - one user's cache record and its JSON form (format version 1). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alz_json.h"
#include "alz_record.h"
#include "alz_secret.h"
#include "alz_text.h"

static bool
add_str(cJSON *o, const char *name, const char *v)
{
	return v == NULL || cJSON_AddStringToObject(o, name, v) != NULL;
}

static bool
add_num(cJSON *o, const char *name, double v)
{
	return cJSON_AddNumberToObject(o, name, v) != NULL;
}

enum alz_rc
alz_record_to_json(const struct alz_record *r, char **json)
{
	cJSON *o, *arr, *t;
	size_t i;
	bool ok;

	*json = NULL;
	o = cJSON_CreateObject();
	if (o == NULL)
		return ALZ_ERR_NOMEM;
	ok = add_num(o, "version", ALZ_RECORD_VERSION) &&
	     add_str(o, "localUser", r->local_user) && add_str(o, "apiUser", r->api_user) &&
	     add_str(o, "userType", r->user_type) &&
	     add_str(o, "userId", r->user_id) && add_str(o, "partitionId", r->partition_id) &&
	     add_str(o, "partitionName", r->partition_name) &&
	     cJSON_AddBoolToObject(o, "api2fa", r->api_2fa) != NULL &&
	     add_num(o, "onlineAt", (double)r->online_at) && add_num(o, "authAt", (double)r->auth_at) &&
	     add_str(o, "verifier", r->verifier) &&
	     add_num(o, "offlineFailures", (double)r->offline_failures) &&
	     add_num(o, "offlineFailAt", (double)r->offline_fail_at);
	arr = ok ? cJSON_AddArrayToObject(o, "tokens") : NULL;
	ok = arr != NULL;
	for (i = 0; ok && i < r->ntokens; i++) {
		t = cJSON_CreateObject();
		ok = t != NULL && cJSON_AddItemToArray(arr, t) &&
		     add_str(t, "session", r->tokens[i].session) &&
		     add_str(t, "token", r->tokens[i].token) &&
		     add_num(t, "expiresAt", (double)r->tokens[i].expires_at);
	}
	arr = ok ? cJSON_AddArrayToObject(o, "failTimes") : NULL;
	ok = arr != NULL;
	for (i = 0; ok && i < r->nfail; i++) {
		t = cJSON_CreateNumber((double)r->fail_times[i]);
		ok = t != NULL && cJSON_AddItemToArray(arr, t);
	}
	if (ok && r->checked_at > 0)
		ok = add_num(o, "checkedAt", (double)r->checked_at);
	if (ok && r->refused_at > 0)
		ok = add_num(o, "refusedAt", (double)r->refused_at) &&
		     add_str(o, "refused", alz_record_refusal_name(r->refused_why));
	if (ok)
		*json = alz_json_print_secret(o);
	alz_json_free(o);
	return *json != NULL ? ALZ_OK : ALZ_ERR_NOMEM;
}

/* A string member: absent is fine when OPTIONAL, else it must be printable and capped. */
static bool
get_str(const cJSON *o, const char *name, bool optional, char **out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
	*out = NULL;
	if (it == NULL)
		return optional;
	if (!cJSON_IsString(it) || strlen(it->valuestring) > ALZ_MAX_TOKEN)
		return false;
	if (!alz_text_ok(it->valuestring, ALZ_TEXT_LINE))
		return false;
	*out = strdup(it->valuestring);
	return *out != NULL;
}

static bool
get_num(const cJSON *o, const char *name, double max, double *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0 ||
	    it->valuedouble > max || it->valuedouble != floor(it->valuedouble))
		return false;
	*out = it->valuedouble;
	return true;
}

#define MAX_TIME 253402300799.0	/* year 9999 */

enum alz_rc
alz_record_from_json(const char *json, size_t len, struct alz_record *r)
{
	cJSON *o = NULL;
	const cJSON *arr, *t, *b;
	char *type = NULL, *sess = NULL, *why = NULL;
	double d;
	enum alz_rc rc = ALZ_ERR_BAD_REPLY;

	memset(r, 0, sizeof(*r));
	o = alz_json_parse(json, len);
	if (!cJSON_IsObject(o) || !alz_json_unique_keys(o))
		goto out;
	if (!get_num(o, "version", 1e6, &d) || d != ALZ_RECORD_VERSION)
		goto out;
	if (!get_str(o, "localUser", false, &r->local_user) ||
	    !get_str(o, "apiUser", false, &r->api_user) ||
	    !get_str(o, "userType", false, &type) ||
	    !get_str(o, "userId", true, &r->user_id) ||
	    !get_str(o, "partitionId", true, &r->partition_id) ||
	    !get_str(o, "partitionName", true, &r->partition_name) ||
	    !get_str(o, "verifier", true, &r->verifier))
		goto out;
	/*
	 * "" is no type (failures, a refusal); so is "UNKNOWN", what records
	 * before types were the API's strings wrote for none. Anything else
	 * breaking the rule is a corrupt record, not an unknown type.
	 */
	if (type[0] != '\0' && strcmp(type, "UNKNOWN") != 0 &&
	    !alz_user_type_copy(r->user_type, type))
		goto out;
	b = cJSON_GetObjectItemCaseSensitive(o, "api2fa");
	if (!cJSON_IsBool(b))
		goto out;
	r->api_2fa = cJSON_IsTrue(b);
	if (!get_num(o, "onlineAt", MAX_TIME, &d))
		goto out;
	r->online_at = (time_t)d;
	if (!get_num(o, "authAt", MAX_TIME, &d))
		goto out;
	r->auth_at = (time_t)d;
	if (!get_num(o, "offlineFailures", 1e9, &d))
		goto out;
	r->offline_failures = (long)d;
	if (!get_num(o, "offlineFailAt", MAX_TIME, &d))
		goto out;
	r->offline_fail_at = (time_t)d;
	arr = cJSON_GetObjectItemCaseSensitive(o, "tokens");
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > ALZ_MAX_TOKENS)
		goto out;
	cJSON_ArrayForEach(t, arr) {
		struct alz_token *tk = &r->tokens[r->ntokens];

		if (!cJSON_IsObject(t) || !alz_json_unique_keys(t) ||
		    !get_str(t, "token", false, &tk->token) ||
		    tk->token[0] == '\0' || !get_num(t, "expiresAt", MAX_TIME, &d))
			goto out_token;
		tk->expires_at = (time_t)d;
		if (!get_str(t, "session", false, &sess) || strlen(sess) > ALZ_SESSION_ID_LEN)
			goto out_token;
		memcpy(tk->session, sess, strlen(sess) + 1);
		free(sess);
		sess = NULL;
		r->ntokens++;
		continue;
out_token:
		alz_secret_free(tk->token);
		tk->token = NULL;
		goto out;
	}
	/* optional: records written before the throttle existed have none */
	arr = cJSON_GetObjectItemCaseSensitive(o, "failTimes");
	if (arr != NULL) {
		if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > ALZ_MAX_FAIL_TIMES)
			goto out;
		cJSON_ArrayForEach(t, arr) {
			if (!cJSON_IsNumber(t) || !isfinite(t->valuedouble) || t->valuedouble < 0 ||
			    t->valuedouble > MAX_TIME)
				goto out;
			r->fail_times[r->nfail++] = (time_t)t->valuedouble;
		}
	}
	/* optional: absent in records from before the account phase's online check */
	if (cJSON_GetObjectItemCaseSensitive(o, "checkedAt") != NULL) {
		if (!get_num(o, "checkedAt", MAX_TIME, &d))
			goto out;
		r->checked_at = (time_t)d;
	}
	/* optional: the API's last refusal; absent in records from before it was kept */
	if (cJSON_GetObjectItemCaseSensitive(o, "refusedAt") != NULL) {
		if (!get_num(o, "refusedAt", MAX_TIME, &d) || d == 0 ||
		    !get_str(o, "refused", false, &why))
			goto out;
		if (strcmp(why, "locked") == 0)
			r->refused_why = ALZ_ERR_LOCKED;
		else if (strcmp(why, "forbidden") == 0)
			r->refused_why = ALZ_ERR_FORBIDDEN;
		else if (strcmp(why, "denied") == 0)
			r->refused_why = ALZ_ERR_DENIED;
		else
			goto out;
		r->refused_at = (time_t)d;
	} else if (cJSON_GetObjectItemCaseSensitive(o, "refused") != NULL) {
		goto out;
	}
	rc = ALZ_OK;
out:
	free(type);
	free(sess);
	free(why);
	alz_json_free(o);
	if (rc != ALZ_OK)
		alz_record_free(r);
	return rc;
}

void
alz_record_prune(struct alz_record *r, time_t now)
{
	size_t i, j = 0;

	for (i = 0; i < r->ntokens; i++) {
		if (r->tokens[i].expires_at <= now) {
			alz_secret_free(r->tokens[i].token);
			continue;
		}
		r->tokens[j++] = r->tokens[i];
	}
	for (i = j; i < r->ntokens; i++)
		memset(&r->tokens[i], 0, sizeof(r->tokens[i]));
	r->ntokens = j;
}

time_t
alz_record_vouched_at(const struct alz_record *r)
{
	return r->checked_at > r->online_at ? r->checked_at : r->online_at;
}

const struct alz_token *
alz_record_live_token(const struct alz_record *r, time_t now)
{
	size_t i;

	/* oldest first: the newest has the most time left at the API */
	for (i = r->ntokens; i > 0; i--)
		if (r->tokens[i - 1].expires_at > now)
			return &r->tokens[i - 1];
	return NULL;
}

void
alz_record_drop_token(struct alz_record *r, const char *token)
{
	size_t i;

	for (i = 0; i < r->ntokens; i++) {
		if (strcmp(r->tokens[i].token, token) != 0)
			continue;
		alz_secret_free(r->tokens[i].token);
		memmove(&r->tokens[i], &r->tokens[i + 1], (r->ntokens - i - 1) * sizeof(r->tokens[0]));
		r->ntokens--;
		memset(&r->tokens[r->ntokens], 0, sizeof(r->tokens[0]));
		return;
	}
}

void
alz_record_revoke(struct alz_record *r, enum alz_rc why, time_t now)
{
	r->online_at = 0;
	r->checked_at = 0;
	r->user_type[0] = '\0';
	r->refused_at = now;
	r->refused_why = why;
	free(r->verifier);
	r->verifier = NULL;
}

const char *
alz_record_refusal_name(enum alz_rc why)
{
	if (why == ALZ_ERR_LOCKED)
		return "locked";
	return why == ALZ_ERR_DENIED ? "denied" : "forbidden";
}

static enum alz_rc
replace(char **slot, const char *v)
{
	char *copy = NULL;

	if (v != NULL) {
		copy = strdup(v);
		if (copy == NULL)
			return ALZ_ERR_NOMEM;
	}
	free(*slot);
	*slot = copy;
	return ALZ_OK;
}

enum alz_rc
alz_record_take_facts(struct alz_record *r, const struct alz_login *facts)
{
	if (replace(&r->user_id, facts->user_id) != ALZ_OK ||
	    replace(&r->partition_id, facts->partition_id) != ALZ_OK ||
	    replace(&r->partition_name, facts->partition_name) != ALZ_OK)
		return ALZ_ERR_NOMEM;
	memcpy(r->user_type, facts->user_type, sizeof(r->user_type));
	return ALZ_OK;
}

static size_t
token_bytes(const struct alz_record *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->ntokens; i++)
		n += strlen(r->tokens[i].token);
	return n;
}

/* The oldest token no session has claimed, or ntokens if every one is claimed. */
static size_t
oldest_unclaimed(const struct alz_record *r)
{
	size_t i;

	for (i = 0; i < r->ntokens; i++)
		if (r->tokens[i].session[0] == '\0')
			break;
	return i;
}

enum alz_rc
alz_record_take_login(struct alz_record *r, const char *local_user,
		      const struct alz_login *login, time_t now, struct alz_evicted *ev)
{
	struct alz_token *tk;
	char *token;
	size_t len, i;

	if (replace(&r->local_user, local_user) != ALZ_OK ||
	    replace(&r->api_user, login->user_name) != ALZ_OK ||
	    alz_record_take_facts(r, login) != ALZ_OK)
		return ALZ_ERR_NOMEM;
	r->online_at = now;
	r->auth_at = now;
	r->offline_failures = 0;
	r->offline_fail_at = 0;
	r->nfail = 0;
	alz_record_prune(r, now);
	if (login->token == NULL)
		return ALZ_OK;	/* already logged out (logout_after_auth): nothing to keep */
	if (ev == NULL)
		return ALZ_ERR_INPUT;
	token = strdup(login->token);
	if (token == NULL)
		return ALZ_ERR_NOMEM;
	len = strlen(token);
	/* room for it: the oldest unclaimed leave; a session's token is never dropped */
	while (r->ntokens == ALZ_MAX_TOKENS || token_bytes(r) + len > ALZ_MAX_TOKEN_BYTES) {
		i = oldest_unclaimed(r);
		if (i == r->ntokens) {
			ev->tokens[ev->n++] = token;	/* transferred: every stored one is claimed */
			ev->own = true;
			return ALZ_OK;
		}
		ev->tokens[ev->n++] = r->tokens[i].token;	/* transferred */
		memmove(&r->tokens[i], &r->tokens[i + 1], (r->ntokens - i - 1) * sizeof(r->tokens[0]));
		r->ntokens--;
		memset(&r->tokens[r->ntokens], 0, sizeof(r->tokens[0]));
	}
	tk = &r->tokens[r->ntokens++];
	memset(tk, 0, sizeof(*tk));
	tk->token = token;
	tk->expires_at = now + login->expires_in;
	return ALZ_OK;
}

void
alz_evicted_free(struct alz_evicted *ev)
{
	size_t i;

	for (i = 0; i < ev->n; i++)
		alz_secret_free(ev->tokens[i]);
	memset(ev, 0, sizeof(*ev));
}

void
alz_record_free(struct alz_record *r)
{
	size_t i;

	free(r->local_user);
	free(r->api_user);
	free(r->user_id);
	free(r->partition_id);
	free(r->partition_name);
	free(r->verifier);
	for (i = 0; i < r->ntokens; i++)
		alz_secret_free(r->tokens[i].token);
	memset(r, 0, sizeof(*r));
}
