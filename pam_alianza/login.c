/* login.c - the whole authentication decision: cached window, online, offline window, local code. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alz_login.h"
#include "alz_policy.h"
#include "alz_secret.h"
#include "alz_verifier.h"

const char *
alz_via_name(enum alz_via via)
{
	switch (via) {
	case ALZ_VIA_ONLINE:
		return "online";
	case ALZ_VIA_CACHED:
		return "cached";
	case ALZ_VIA_OFFLINE:
		return "offline";
	case ALZ_VIA_NONE:
		break;
	}
	return "none";
}

/* What a failed call means for the offline window. */
enum offline_cause {
	OFFLINE_NOT_OUTAGE,	/* an answer, or a failure of ours: never offline */
	OFFLINE_OUTAGE,		/* the API could not be asked: the window may open */
	OFFLINE_CALLER_MADE,	/* could be the caller's doing: never offline */
};

/*
 * The one decision "may this failure open the offline window". Only a
 * failure that says the API could not be asked, never an answer. An
 * untrusted caller (the user in front of a setuid sudo or su) can stop and
 * resume us past any deadline (Ctrl-Z ... fg), hold us until the server
 * cuts the connection or the TLS handshake, or starve us of descriptors:
 * for them only what no caller can produce counts, a refused connection
 * or no route, a failed name lookup, a 5xx.
 */
static enum offline_cause
offline_cause(enum alz_rc rc, const struct alz_login_opts *opts)
{
	switch (rc) {
	case ALZ_ERR_CONNECT:
	case ALZ_ERR_RESOLVE:
	case ALZ_ERR_SERVER:
		return OFFLINE_OUTAGE;
	case ALZ_ERR_TIMEOUT:
	case ALZ_ERR_CUT:
	case ALZ_ERR_TLS_HANDSHAKE:
	case ALZ_ERR_TLS:
	case ALZ_ERR_LOCAL_NET:
	case ALZ_ERR_NETWORK:
		return opts->untrusted_caller ? OFFLINE_CALLER_MADE : OFFLINE_OUTAGE;
	default:
		return OFFLINE_NOT_OUTAGE;	/* any other code, one added later too */
	}
}

/*
 * A password-only decision (cached or offline) is one factor. It stands in
 * for the API only when the API did not ask this user for a code last
 * time, or when this host asks for its own code anyway.
 */
static bool
one_factor_ok(const struct alz_config *cfg, const struct alz_record *r)
{
	return !r->api_2fa || alz_auth_local_totp_due(cfg, r->user_type);
}

static void
copy_fact(char *dst, const char *src)
{
	snprintf(dst, ALZ_MAX_FACT + 1, "%s", src != NULL ? src : "");
}

/* The facts of whoever vouched for this login: the API just now, or the record. */
static void
take_facts(struct alz_login_result *res, enum alz_user_type type, const char *partition_id,
	   const char *partition_name, const char *user_id)
{
	res->user_type = type;
	copy_fact(res->partition_id, partition_id);
	copy_fact(res->partition_name, partition_name);
	copy_fact(res->user_id, user_id);
}

static bool
within(time_t since, long window, time_t now)
{
	return window > 0 && since > 0 && since <= now && now - since <= window;
}

/* Read-modify-write of the record under the user's lock. */
enum update {
	UPD_ONLINE,		/* a new login: facts, token, verifier */
	UPD_SUCCESS,		/* a cached or offline success */
	UPD_OFFLINE_FAIL,	/* a wrong offline password */
	UPD_FORGET,		/* the API refused the user: no more offline or cached */
	UPD_THROTTLE_FAIL,	/* a wrong password: one more for the local throttle */
	UPD_REVOKE,		/* locked, forbidden: the facts no longer vouch for anything */
	UPD_SAW_2FA,		/* the API asked for a code: password-only decisions are over */
	UPD_FACTS,		/* the API vouched but the host refused: keep the new facts, no token */
};

struct update_ctx {
	enum update what;
	const struct alz_login_result *res;
	const char *user;
	char *verifier;		/* UPD_ONLINE: the new password's, or NULL */
	const struct alz_log *lg;
};

static enum alz_rc
edit_record(struct alz_record *r, bool existed, void *ctx)
{
	struct update_ctx *u = ctx;
	time_t now = time(NULL);

	switch (u->what) {
	case UPD_FACTS:
		if (alz_record_take_login(r, u->user, &u->res->o.login, now) != ALZ_OK)
			return ALZ_ERR_NOMEM;
		free(r->verifier);
		r->verifier = NULL;
		return ALZ_OK;
	case UPD_REVOKE:
		/* an SSH key login must not ride on facts the API just withdrew */
		r->online_at = 0;
		r->user_type = ALZ_UT_UNKNOWN;
		free(r->verifier);
		r->verifier = NULL;
		alz_log(u->lg, LOG_INFO, "cache: facts and verifier revoked after the API's refusal");
		return ALZ_OK;
	case UPD_SAW_2FA:
		if (r->api_2fa)
			return ALZ_SKIP;
		r->api_2fa = true;
		return ALZ_OK;
	case UPD_ONLINE:
		if (alz_record_take_login(r, u->user, &u->res->o.login, now) != ALZ_OK)
			return ALZ_ERR_NOMEM;
		r->api_2fa = u->res->trace.remote_2fa;
		free(r->verifier);
		r->verifier = u->verifier;
		u->verifier = NULL;	/* transferred */
		return ALZ_OK;
	case UPD_SUCCESS:
		r->auth_at = now;
		r->offline_failures = 0;
		r->offline_fail_at = 0;
		r->nfail = 0;
		alz_record_prune(r, now);
		return ALZ_OK;
	case UPD_OFFLINE_FAIL:
		r->offline_failures++;
		r->offline_fail_at = now;
		return ALZ_OK;
	case UPD_THROTTLE_FAIL:
		if (!existed) {
			/* counting needs a record even for a user who never got in */
			r->local_user = strdup(u->user);
			r->api_user = strdup(u->user);
			if (r->local_user == NULL || r->api_user == NULL)
				return ALZ_ERR_NOMEM;
		}
		if (r->nfail == ALZ_MAX_FAIL_TIMES) {
			memmove(&r->fail_times[0], &r->fail_times[1],
				(ALZ_MAX_FAIL_TIMES - 1) * sizeof(r->fail_times[0]));
			r->nfail--;
		}
		r->fail_times[r->nfail++] = now;
		/* a wrong password is a 401 too: the verifier goes as with UPD_FORGET */
		free(r->verifier);
		r->verifier = NULL;
		return ALZ_OK;
	case UPD_FORGET:
		if (r->verifier == NULL)
			return ALZ_SKIP;
		free(r->verifier);
		r->verifier = NULL;
		alz_log(u->lg, LOG_INFO, "cache: password verifier dropped after the API's refusal");
		return ALZ_OK;
	}
	return ALZ_ERR_INPUT;
}

static void
update_record(const struct alz_cache *cache, const char *user, enum update what,
	      const struct alz_login_result *res, const char *password)
{
	const struct alz_config *cfg = cache->cfg;
	struct update_ctx u = { what, res, user, NULL, cache->lg };
	bool create = what == UPD_ONLINE || what == UPD_FACTS || what == UPD_THROTTLE_FAIL;

	if (!cache->usable)
		return;
	/* hash before taking the lock: it is the slow part */
	if (what == UPD_ONLINE && password != NULL &&
	    (cfg->cached_auth_timeout > 0 || cfg->offline_window > 0) &&
	    alz_verifier_make(password, &u.verifier) != ALZ_OK)
		alz_log(cache->lg, LOG_ERR, "cache: cannot make a password verifier");
	alz_cache_update(cache, user, create, edit_record, &u, NULL);
	free(u.verifier);
}

/*
 * sudo opens its session for the target user, so the login's own token
 * would never be claimed: log it out at once, on the same connection.
 */
static void
logout_now(struct alz_http *http, const struct alz_log *lg, struct alz_login *login)
{
	struct alz_outcome o;
	enum alz_rc rc;

	rc = alz_api_logout(http, login->token, &o);
	alz_log(lg, rc == ALZ_OK ? LOG_DEBUG : LOG_WARNING, "logout_after_auth: %s (status %ld)",
		rc == ALZ_OK ? "done" : alz_rc_name(rc), o.status);
	alz_outcome_free(&o);
	alz_secret_free(login->token);
	login->token = NULL;
}

/*
 * pam_faillock's rule, in front of the API: throttle_failures wrong
 * passwords within throttle_interval, and the host refuses for
 * throttle_unlock seconds after the last one without asking the API.
 */
static bool
throttled(const struct alz_config *cfg, const struct alz_record *r, time_t now, long *wait)
{
	size_t i, n = 0;
	time_t last = 0;

	if (cfg->throttle_failures == 0)
		return false;
	for (i = 0; i < r->nfail; i++) {
		if (r->fail_times[i] > now || now - r->fail_times[i] > cfg->throttle_interval)
			continue;
		n++;
		if (r->fail_times[i] > last)
			last = r->fail_times[i];
	}
	if (n < cfg->throttle_failures || now - last >= cfg->throttle_unlock)
		return false;
	*wait = cfg->throttle_unlock - (now - last);
	return true;
}

/* The cached re-auth window: ALZ_OK without a request, or anything else to go online. */
static enum alz_rc
try_cached(const struct alz_config *cfg, const struct alz_record *r, const char *password,
	   time_t now)
{
	if (!within(r->online_at, cfg->cached_auth_timeout, now) || r->verifier == NULL ||
	    r->user_type == ALZ_UT_UNKNOWN || !one_factor_ok(cfg, r))
		return ALZ_ERR_NO_USER;
	/* a mismatch goes online once, never straight to a failure */
	return alz_verifier_check(password, r->verifier) ? ALZ_OK : ALZ_ERR_DENIED;
}

/* OUTAGE: why the API could not be asked; it stands when no offline decision is possible. */
static enum alz_rc
try_offline(const struct alz_config *cfg, const struct alz_log *lg, const struct alz_auth_io *io,
	    const struct alz_record *r, const char *password, time_t now, enum alz_rc outage,
	    bool *counted)
{
	char msg[160];

	*counted = false;
	if (!within(r->online_at, cfg->offline_window, now) || r->verifier == NULL ||
	    r->user_type == ALZ_UT_UNKNOWN) {
		alz_log(lg, LOG_NOTICE, "offline: no online login inside offline_window; refused");
		return outage;
	}
	if (!one_factor_ok(cfg, r)) {
		alz_log(lg, LOG_NOTICE, "offline: the API demands a code of this user and no local "
			"TOTP is configured for the type; refused");
		return outage;
	}
	if (r->offline_failures >= (long)cfg->offline_max_failures &&
	    now - r->offline_fail_at < cfg->offline_failure_delay) {
		snprintf(msg, sizeof(msg), "Too many failed offline logins. Try again in %ld seconds.",
			 (long)(cfg->offline_failure_delay - (now - r->offline_fail_at)));
		if (io != NULL && io->tell != NULL)
			io->tell(io->ctx, true, msg);
		alz_log(lg, LOG_NOTICE, "offline: %ld failures, pausing offline logins", r->offline_failures);
		return ALZ_ERR_RATE_LIMITED;
	}
	*counted = true;
	return alz_verifier_check(password, r->verifier) ? ALZ_OK : ALZ_ERR_DENIED;
}

enum alz_rc
alz_login_run(const struct alz_config *cfg, const struct alz_log *lg,
	      const struct alz_auth_io *io, const char *local_user, const char *answer,
	      const struct alz_login_opts *opts, struct alz_login_result *res)
{
	uid_t owner = opts->owner;
	struct alz_cache cache;
	struct alz_record rec;
	struct alz_http http;
	char *api_user = NULL, *password = NULL, *code = NULL;
	bool have_rec = false, counted = false, is_jwt = false;
	long wait = 0;
	time_t now = time(NULL);
	enum offline_cause cause;
	enum alz_rc rc;
	int lock = -1;

	memset(res, 0, sizeof(*res));
	res->o.retry_after = -1;
	memset(&http, 0, sizeof(http));
	memset(&rec, 0, sizeof(rec));
	alz_cache_open(&cache, cfg, owner, lg);
	rc = alz_auth_split(cfg, answer, &password, &code);
	if (rc != ALZ_OK)
		goto out;
	rc = alz_config_api_user(cfg, local_user, &api_user);
	if (rc != ALZ_OK)
		goto out;

	/* a consistent snapshot of the record; the lock is not held over the network */
	if (cache.usable && alz_cache_lock(&cache, local_user, &lock) == ALZ_OK) {
		have_rec = alz_cache_load(&cache, local_user, &rec) == ALZ_OK;
		alz_cache_unlock(lock);
	}

	if (have_rec && throttled(cfg, &rec, now, &wait)) {
		char msg[120];

		snprintf(msg, sizeof(msg), "Too many failed logins on this host. Try again in %ld seconds.",
			 wait);
		if (io != NULL && io->tell != NULL)
			io->tell(io->ctx, true, msg);
		alz_log(lg, LOG_NOTICE, "throttle: %lu wrong passwords within %ld s; no request sent",
			cfg->throttle_failures, cfg->throttle_interval);
		snprintf(res->deny_reason, sizeof(res->deny_reason), "local throttle");
		rc = ALZ_ERR_RATE_LIMITED;
		goto out;
	}
	/* a pasted JWT is no password: no cached, offline or verifier use of it */
	is_jwt = cfg->jwt_login && alz_jwt_shaped(answer);
	if (have_rec && !is_jwt && try_cached(cfg, &rec, password, now) == ALZ_OK) {
		res->via = ALZ_VIA_CACHED;
		take_facts(res, rec.user_type, rec.partition_id, rec.partition_name, rec.user_id);
		rc = ALZ_OK;
		goto second_factor;
	}

	rc = alz_http_init(&http, cfg, lg);
	if (rc == ALZ_OK)
		rc = alz_auth_login(&http, api_user, answer, io, &res->o, &res->trace);
	if (rc == ALZ_OK) {
		res->via = ALZ_VIA_ONLINE;
		take_facts(res, res->o.login.user_type, res->o.login.partition_id,
			   res->o.login.partition_name, res->o.login.user_id);
		goto second_factor;
	}
	if (rc == ALZ_ERR_LOCKED || rc == ALZ_ERR_FORBIDDEN) {
		update_record(&cache, local_user, UPD_REVOKE, res, NULL);
		goto out;
	}
	if (rc == ALZ_ERR_DENIED) {
		/* after a 401/404 for this user no password of theirs is trusted offline */
		update_record(&cache, local_user, cfg->throttle_failures > 0 ?
			      UPD_THROTTLE_FAIL : UPD_FORGET, res, NULL);
		goto out;
	}
	if (res->trace.remote_2fa) {
		/* the API wants a code from this user now: remember, whatever happens next */
		update_record(&cache, local_user, UPD_SAW_2FA, res, NULL);
		rec.api_2fa = true;
	}
	cause = offline_cause(rc, opts);
	if (cause == OFFLINE_NOT_OUTAGE || cfg->offline_window <= 0 || is_jwt)
		goto out;
	if (cause == OFFLINE_CALLER_MADE) {
		alz_log(lg, LOG_NOTICE, "offline: refused: %s is a failure the caller of a setuid "
			"program can cause (stopping it, cutting its connection, its limits); here only "
			"a refused connection, a failed name lookup or a 5xx opens offline_window",
			alz_rc_name(rc));
		goto out;
	}

	snprintf(res->offline_reason, sizeof(res->offline_reason), "%s", alz_rc_name(rc));
	if (!have_rec) {
		alz_log(lg, LOG_NOTICE, "offline: no cached record for this user; refused");
		goto out;
	}
	rc = try_offline(cfg, lg, io, &rec, password, now, rc, &counted);
	if (rc == ALZ_ERR_DENIED && counted)
		update_record(&cache, local_user, UPD_OFFLINE_FAIL, res, NULL);
	if (rc != ALZ_OK)
		goto out;
	res->via = ALZ_VIA_OFFLINE;
	take_facts(res, rec.user_type, rec.partition_id, rec.partition_name, rec.user_id);
	if (io != NULL && io->tell != NULL)
		io->tell(io->ctx, false, "Logged in offline: the Alianza service could not be reached.");

second_factor:
	/* the host's policy, whoever vouched: the API just now, the cache or the offline window */
	rc = alz_policy_allow(cfg, res->user_type, res->partition_id[0] != '\0' ? res->partition_id : NULL,
			      res->deny_reason, sizeof(res->deny_reason), res->deny_msg,
			      sizeof(res->deny_msg));
	if (rc != ALZ_OK) {
		if (res->via == ALZ_VIA_ONLINE) {
			/* a refused user keeps no live token; the API's new word replaces the old facts */
			logout_now(&http, lg, &res->o.login);
			update_record(&cache, local_user, UPD_FACTS, res, NULL);
		}
		goto out;
	}
	if (alz_auth_local_totp_due(cfg, res->user_type)) {
		res->trace.local_totp = true;
		rc = alz_auth_local_totp(cfg, local_user, answer, res->trace.remote_2fa, owner, io, lg);
		if (rc != ALZ_OK) {
			/* the host's own factor failed: the API's token must not outlive it */
			if (res->via == ALZ_VIA_ONLINE && res->o.login.token != NULL)
				logout_now(&http, lg, &res->o.login);
			goto out;
		}
	}
	/* sudo opens no session of the user's: its token dies now, on the same connection */
	if (res->via == ALZ_VIA_ONLINE && cfg->logout_after_auth)
		logout_now(&http, lg, &res->o.login);
	/* only a complete success refreshes the record (and clears the counters) */
	update_record(&cache, local_user, res->via == ALZ_VIA_ONLINE ? UPD_ONLINE : UPD_SUCCESS, res,
		      res->via == ALZ_VIA_ONLINE && !is_jwt ? password : NULL);
out:
	/* a policy refusal keeps the facts it was about, for the log line */
	if (rc != ALZ_OK && res->deny_reason[0] == '\0')
		take_facts(res, ALZ_UT_UNKNOWN, NULL, NULL, NULL);
	res->rc = rc;
	alz_record_free(&rec);
	alz_http_cleanup(&http);
	alz_secret_free(password);
	alz_secret_free(code);
	free(api_user);
	return rc;
}

void
alz_login_result_free(struct alz_login_result *res)
{
	alz_outcome_free(&res->o);
}
