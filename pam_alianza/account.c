/* account.c - the account phase's online check: who the API says a user is now. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alz_account.h"
#include "alz_secret.h"

/*
 * What a who-am-I outcome means for a login another module authenticated.
 * Only the API's word about the user vouches or denies. When it could not
 * be asked, or said nothing of the user (no record or no live token, down,
 * a 5xx, busy, the token expired there), the record's facts decide as they
 * do with the check off: the check only ever tightens that rule. An answer
 * that cannot be read, a certificate that fails, a request the API calls
 * malformed, or a failure of ours is read as neither: deny.
 */
static enum alz_account_verdict
verdict_of(enum alz_rc rc)
{
	switch (rc) {
	case ALZ_OK:
		return ALZ_ACCOUNT_VOUCHED;
	case ALZ_ERR_DENIED:
	case ALZ_ERR_FORBIDDEN:
	case ALZ_ERR_LOCKED:
		return ALZ_ACCOUNT_REFUSED;
	case ALZ_ERR_NOT_FOUND:
	case ALZ_ERR_NO_CACHE:
	case ALZ_ERR_UNTRUSTED:
	case ALZ_ERR_BAD_RECORD:
	case ALZ_ERR_NO_TOKEN:
	case ALZ_ERR_UNSUPPORTED:
	case ALZ_ERR_CONNECT:
	case ALZ_ERR_RESOLVE:
	case ALZ_ERR_LOCAL_NET:
	case ALZ_ERR_TIMEOUT:
	case ALZ_ERR_CUT:
	case ALZ_ERR_NETWORK:
	case ALZ_ERR_TLS_HANDSHAKE:
	case ALZ_ERR_SERVER:
	case ALZ_ERR_RATE_LIMITED:
	case ALZ_ERR_TOKEN_EXPIRED:
		return ALZ_ACCOUNT_FALLBACK;
	default:
		return ALZ_ACCOUNT_FAILED;	/* any other code, one added later too */
	}
}

/*
 * seconds; a token this close to its end may be dead at the API already (its
 * clock, the log-in's round trip), and Alianza's 401 cannot say "expired"
 * apart from "revoked": such a token is not asked with (the fallback decides)
 */
#define TOKEN_MARGIN 60

/* The record's side of one check. */
struct keep_ctx {
	const struct alz_account_check *chk;
	const char *token;	/* the one the API was asked with (secret) */
	time_t started;		/* when the check read the record */
	enum alz_rc since;	/* a refusal the record took while the API was asked, else ALZ_OK */
};

/* A 200: the API's facts replace the record's, unless what came since is newer. */
static enum alz_rc
keep_facts(struct alz_record *r, bool existed, void *ctx)
{
	struct keep_ctx *k = ctx;

	(void)existed;	/* always: the update does not create */
	if (r->refused_at >= k->started || r->refused_mark >= k->started) {
		/* a log-in's 403 meanwhile: it stands, whatever this older answer said */
		k->since = r->refused_at >= k->started ? r->refused_why : ALZ_ERR_FORBIDDEN;
		return ALZ_SKIP;
	}
	/* a log-in's facts since (a later second: one of the same second is no newer) */
	if (r->online_at > k->started)
		return ALZ_SKIP;
	if (alz_record_take_facts(r, &k->chk->o.login) != ALZ_OK)
		return ALZ_ERR_NOMEM;
	r->checked_at = time(NULL);
	return ALZ_OK;
}

/* A 401/403: kept as a log-in's 403 is; after a 401 the token is dead at the API. */
static enum alz_rc
keep_refusal(struct alz_record *r, bool existed, void *ctx)
{
	struct keep_ctx *k = ctx;

	(void)existed;
	if (k->chk->why == ALZ_ERR_DENIED)
		alz_record_drop_token(r, k->token);
	alz_record_revoke(r, k->chk->why, time(NULL));
	return ALZ_OK;
}

/* Ask the API with the record's newest live token; the call's outcome. */
static enum alz_rc
ask(const struct alz_cache *cache, const char *local_user, struct alz_account_check *out,
    char **token)
{
	const struct alz_config *cfg = cache->cfg;
	const struct alz_token *live;
	struct alz_record r;
	struct alz_http http;
	char *api_user = NULL;
	enum alz_rc rc;

	memset(&http, 0, sizeof(http));
	rc = alz_cache_load(cache, local_user, &r);
	if (rc != ALZ_OK)
		return rc;
	memcpy(out->was_type, r.user_type, sizeof(out->was_type));
	snprintf(out->was_partition, sizeof(out->was_partition), "%s",
		 r.partition_id != NULL ? r.partition_id : "");
	live = alz_record_live_token(&r, time(NULL) + TOKEN_MARGIN);
	rc = ALZ_ERR_NO_TOKEN;
	if (live != NULL) {
		*token = strdup(live->token);
		rc = *token != NULL ? ALZ_OK : ALZ_ERR_NOMEM;
	}
	alz_record_free(&r);
	/* the API user this host maps the account to now: a token of another is not asked about */
	if (rc == ALZ_OK)
		rc = alz_config_api_user(cfg, local_user, &api_user);
	if (rc == ALZ_OK)
		rc = alz_http_init(&http, cfg, cache->lg);
	if (rc == ALZ_OK)
		rc = alz_api_userinfo(&http, api_user, *token, &out->o);
	alz_http_cleanup(&http);
	free(api_user);
	return rc;
}

void
alz_account_check(const struct alz_cache *cache, const char *local_user,
		  struct alz_account_check *out)
{
	const char *now_part;
	struct keep_ctx k;
	char *token = NULL;
	enum alz_rc rc;

	memset(out, 0, sizeof(*out));
	out->o.retry_after = -1;
	memset(&k, 0, sizeof(k));
	k.chk = out;
	k.started = time(NULL);
	out->why = ask(cache, local_user, out, &token);
	out->verdict = verdict_of(out->why);
	k.token = token;

	if (out->verdict == ALZ_ACCOUNT_VOUCHED) {
		now_part = out->o.login.partition_id != NULL ? out->o.login.partition_id : "";
		out->changed = strcmp(out->o.login.user_type, out->was_type) != 0 ||
			       strcmp(now_part, out->was_partition) != 0;
		rc = alz_cache_update(cache, local_user, false, keep_facts, &k, NULL);
		if (k.since != ALZ_OK) {
			out->verdict = ALZ_ACCOUNT_REFUSED;
			out->why = k.since;	/* already the record's */
		} else if (rc != ALZ_OK && out->changed) {
			/* setcred and session would go by the old facts: not on this login */
			alz_log(cache->lg, LOG_WARNING, "cache: the record could not take the API's new "
				"facts (%s)", alz_rc_name(rc));
			out->verdict = ALZ_ACCOUNT_FAILED;
			out->why = rc;
		}
	} else if (out->verdict == ALZ_ACCOUNT_REFUSED) {
		rc = alz_cache_update(cache, local_user, false, keep_refusal, &k, NULL);
		if (rc != ALZ_OK && cache->usable) {
			alz_log(cache->lg, LOG_WARNING, "cache: the record could not be updated after the "
				"API's answer (%s); marking it refused", alz_rc_name(rc));
			alz_cache_distrust(cache, local_user, ALZ_MARK_REFUSED);
		}
	}
	alz_secret_free(token);
}

void
alz_account_check_free(struct alz_account_check *out)
{
	alz_outcome_free(&out->o);
}
