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
		     add_str(t, "refreshToken", r->tokens[i].refresh) &&
		     add_num(t, "expiresAt", (double)r->tokens[i].expires_at) &&
		     add_num(t, "issuedAt", (double)r->tokens[i].issued_at);
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

/*
 * A token's refresh token: absent is fine (Alianza, records from before);
 * present, it is what the API gave (1..ALZ_MAX_TOKEN of visible ASCII, the
 * rule of reply.c) and its login's time is known, else the record is bad.
 */
static bool
get_refresh(const cJSON *t, struct alz_token *tk)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(t, "refreshToken");
	double d;

	tk->issued_at = 0;
	if (cJSON_GetObjectItemCaseSensitive(t, "issuedAt") != NULL) {
		if (!get_num(t, "issuedAt", MAX_TIME, &d))
			return false;
		tk->issued_at = (time_t)d;
	}
	if (it == NULL)
		return true;
	if (!cJSON_IsString(it) || it->valuestring[0] == '\0' ||
	    strlen(it->valuestring) > ALZ_MAX_TOKEN || !alz_text_ok(it->valuestring, ALZ_TEXT_VISIBLE) ||
	    tk->issued_at == 0)
		return false;
	tk->refresh = strdup(it->valuestring);
	return tk->refresh != NULL;
}

static size_t
token_bytes(const struct alz_record *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->ntokens; i++)
		n += strlen(r->tokens[i].token) +
		     (r->tokens[i].refresh != NULL ? strlen(r->tokens[i].refresh) : 0);
	return n;
}

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
		    tk->token[0] == '\0' || strlen(tk->token) > ALZ_MAX_TOKEN ||
		    /* the reply's rule: it travels in a header */
		    !alz_text_ok(tk->token, ALZ_TEXT_VISIBLE) ||
		    !get_num(t, "expiresAt", MAX_TIME, &d) ||
		    !get_refresh(t, tk))
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
		alz_token_clear(tk);
		goto out;
	}
	/* the cap take_login keeps: a bigger record was not written by the module */
	if (token_bytes(r) > ALZ_MAX_TOKEN_BYTES)
		goto out;
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

bool
alz_token_expired(const struct alz_token *t, time_t now)
{
	return t->expires_at <= now;
}

bool
alz_token_refresh_alive(const struct alz_token *t, time_t now)
{
	/* a clock set back (issued_at ahead of now) keeps it: alive rather than forgotten */
	return t->refresh != NULL && (now < t->issued_at || now - t->issued_at < ALZ_REFRESH_LIFETIME);
}

void
alz_token_clear(struct alz_token *t)
{
	alz_secret_free(t->token);
	alz_secret_free(t->refresh);
	memset(t, 0, sizeof(*t));
}

/* Take entry I out of R, keeping the order; *OUT gets it (NULL: it is wiped). */
static void
take_entry(struct alz_record *r, size_t i, struct alz_token *out)
{
	if (out != NULL)
		*out = r->tokens[i];	/* transferred */
	else
		alz_token_clear(&r->tokens[i]);
	memmove(&r->tokens[i], &r->tokens[i + 1], (r->ntokens - i - 1) * sizeof(r->tokens[0]));
	r->ntokens--;
	memset(&r->tokens[r->ntokens], 0, sizeof(r->tokens[0]));
}

void
alz_record_prune(struct alz_record *r, time_t now, struct alz_evicted *ev)
{
	size_t i = 0;

	while (i < r->ntokens) {
		const struct alz_token *t = &r->tokens[i];

		if (!alz_token_expired(t, now)) {
			i++;
		} else if (!alz_token_refresh_alive(t, now)) {
			take_entry(r, i, NULL);	/* dead at the API by now: nothing to end */
		} else if (t->session[0] == '\0' && ev != NULL && ev->n < ALZ_MAX_TOKENS + 1) {
			/* unclaimed, its refresh token alive: the caller refreshes it and logs it out */
			take_entry(r, i, &ev->tokens[ev->n++]);
		} else {
			i++;	/* its session's close ends it, or the next caller with a connection */
		}
	}
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

	/*
	 * Oldest first: the newest has the most time left at the API. A token
	 * issued before the API's last refusal of this user (a 403 at log-in)
	 * vouches for nothing since: a lock need not end the tokens issued
	 * before it, and a who-am-I with one must not undo the refusal.
	 */
	for (i = r->ntokens; i > 0; i--)
		if (r->tokens[i - 1].expires_at > now &&
		    (r->refused_at == 0 || r->tokens[i - 1].issued_at > r->refused_at))
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
		take_entry(r, i, NULL);	/* both secrets wiped: the access token and its refresh token */
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
	struct alz_token tk;
	size_t len, i;

	/* an empty EV has room for every stored token and the new one (ALZ_MAX_TOKENS + 1) */
	if (ev != NULL && ev->n != 0)
		return ALZ_ERR_INPUT;
	if (replace(&r->local_user, local_user) != ALZ_OK ||
	    replace(&r->api_user, login->user_name) != ALZ_OK ||
	    alz_record_take_facts(r, login) != ALZ_OK)
		return ALZ_ERR_NOMEM;
	r->online_at = now;
	r->auth_at = now;
	r->offline_failures = 0;
	r->offline_fail_at = 0;
	r->nfail = 0;
	alz_record_prune(r, now, ev);
	if (login->token == NULL)
		return ALZ_OK;	/* already logged out (logout_after_auth): nothing to keep */
	if (ev == NULL)
		return ALZ_ERR_INPUT;
	memset(&tk, 0, sizeof(tk));
	tk.token = strdup(login->token);
	tk.refresh = login->refresh_token != NULL ? strdup(login->refresh_token) : NULL;
	if (tk.token == NULL || (login->refresh_token != NULL && tk.refresh == NULL)) {
		alz_token_clear(&tk);
		return ALZ_ERR_NOMEM;
	}
	tk.expires_at = now + login->expires_in;
	tk.issued_at = now;
	len = strlen(tk.token) + (tk.refresh != NULL ? strlen(tk.refresh) : 0);
	/* room for it: the oldest unclaimed leave; a session's token is never dropped */
	while (r->ntokens == ALZ_MAX_TOKENS || token_bytes(r) + len > ALZ_MAX_TOKEN_BYTES) {
		i = oldest_unclaimed(r);
		if (i == r->ntokens) {
			ev->tokens[ev->n++] = tk;	/* transferred: every stored one is claimed */
			ev->own = true;
			return ALZ_OK;
		}
		take_entry(r, i, &ev->tokens[ev->n++]);
	}
	r->tokens[r->ntokens++] = tk;	/* transferred */
	return ALZ_OK;
}

enum alz_rc
alz_record_keep(struct alz_record *r, struct alz_token *t, time_t now)
{
	size_t len;

	if (t->token == NULL || !alz_token_refresh_alive(t, now))
		return ALZ_SKIP;
	len = strlen(t->token) + strlen(t->refresh);
	/* the caps hold as for a new login, but nothing is evicted for it */
	if (r->ntokens == ALZ_MAX_TOKENS || token_bytes(r) + len > ALZ_MAX_TOKEN_BYTES)
		return ALZ_SKIP;
	r->tokens[r->ntokens] = *t;	/* transferred */
	r->tokens[r->ntokens].session[0] = '\0';
	r->ntokens++;
	memset(t, 0, sizeof(*t));
	return ALZ_OK;
}

void
alz_evicted_free(struct alz_evicted *ev)
{
	size_t i;

	for (i = 0; i < ev->n; i++)
		alz_token_clear(&ev->tokens[i]);
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
		alz_token_clear(&r->tokens[i]);
	memset(r, 0, sizeof(*r));
}
