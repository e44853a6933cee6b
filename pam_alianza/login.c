/* login.c - the whole authentication decision: cached window, online, offline window, local code. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alz_login.h"
#include "alz_policy.h"
#include "alz_secret.h"
#include "alz_session.h"
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
take_facts(struct alz_login_result *res, const char *type, const char *partition_id,
	   const char *partition_name, const char *user_id)
{
	alz_user_type_copy(res->user_type, type);	/* "" when unknown */
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
	UPD_FORGET,		/* the API refused the password: no more offline or cached */
	UPD_REVOKE,		/* locked, forbidden: kept as a fact; the facts vouch for nothing */
	UPD_SAW_2FA,		/* the API asked for a code: password-only decisions are over */
	UPD_FACTS,		/* the API vouched but the host refused: keep the new facts, no token */
	UPD_RESERVE,		/* the throttle: count this attempt before any password is checked */
	UPD_CANCEL,		/* the attempt said nothing about the password: uncount it */
	UPD_OFFLINE,		/* an offline attempt: counted before the verifier is checked */
};

/* One login's side of its record updates: what to do, and what they found. */
struct update_ctx {
	enum update what;
	const struct alz_config *cfg;
	const struct alz_login_result *res;
	const char *user;
	const struct alz_log *lg;
	time_t started;		/* when this login began: a refusal since then wins */
	enum alz_rc why;	/* UPD_REVOKE: ALZ_ERR_LOCKED or ALZ_ERR_FORBIDDEN */
	char *verifier;		/* UPD_ONLINE: the new password's, or NULL */
	time_t reserved;	/* the throttle's count of this attempt (its time), 0 none */
	long wait;		/* UPD_RESERVE refused: seconds the throttle still refuses */
	enum alz_offline_gate gate;	/* UPD_OFFLINE: what the record allowed */
	struct alz_evicted evicted;	/* UPD_ONLINE: tokens the record could not keep */
};

/*
 * pam_faillock's rule, in front of the API: throttle_failures wrong
 * passwords within throttle_interval, and the host refuses for
 * throttle_unlock seconds after the last one without asking the API.
 */
bool
alz_login_throttled(const struct alz_config *cfg, const struct alz_record *r, time_t now,
		    long *wait)
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

enum alz_offline_gate
alz_login_offline_gate(const struct alz_config *cfg, const struct alz_record *r, time_t now)
{
	if (!within(r->online_at, cfg->offline_window, now) || r->verifier == NULL ||
	    r->user_type[0] == '\0')
		return ALZ_OFF_NO_WINDOW;
	if (!one_factor_ok(cfg, r))
		return ALZ_OFF_NEEDS_CODE;
	if (r->offline_failures >= (long)cfg->offline_max_failures &&
	    now - r->offline_fail_at < cfg->offline_failure_delay)
		return ALZ_OFF_PAUSED;
	return ALZ_OFF_OK;
}

/* A record made only to count: for a user who never got in. */
static enum alz_rc
name_record(struct alz_record *r, bool existed, const char *user)
{
	if (existed)
		return ALZ_OK;
	r->local_user = strdup(user);
	r->api_user = strdup(user);
	return r->local_user != NULL && r->api_user != NULL ? ALZ_OK : ALZ_ERR_NOMEM;
}

/* Take back the throttle's count of this attempt (one entry of that time). */
static bool
uncount(struct alz_record *r, time_t reserved)
{
	size_t i;

	if (reserved == 0)
		return false;
	for (i = r->nfail; i > 0; i--) {
		if (r->fail_times[i - 1] != reserved)
			continue;
		memmove(&r->fail_times[i - 1], &r->fail_times[i],
			(r->nfail - i) * sizeof(r->fail_times[0]));
		r->nfail--;
		return true;
	}
	return false;	/* a success cleared it meanwhile */
}

/*
 * The API vouched just now. A refusal older than this login is over; one
 * since it began (a parallel login's 403, or a marker) stands, and so
 * does any refusal's verdict on the verifier.
 */
static bool
settle_refusal(struct alz_record *r, time_t started)
{
	if (r->refused_mark != 0 && r->refused_mark >= started && r->refused_mark > r->refused_at) {
		r->refused_at = r->refused_mark;
		r->refused_why = ALZ_ERR_FORBIDDEN;
	}
	if (r->refused_at != 0 && r->refused_at < started) {
		r->refused_at = 0;
		r->refused_why = ALZ_OK;
	}
	return r->refused_at == 0 && (r->forget_mark == 0 || r->forget_mark < started);
}

static enum alz_rc
edit_record(struct alz_record *r, bool existed, void *ctx)
{
	struct update_ctx *u = ctx;
	time_t now = time(NULL);
	bool changed;

	switch (u->what) {
	case UPD_FACTS:
		if (alz_record_take_login(r, u->user, &u->res->o.login, now, &u->evicted) != ALZ_OK)
			return ALZ_ERR_NOMEM;
		settle_refusal(r, u->started);
		free(r->verifier);
		r->verifier = NULL;
		return ALZ_OK;
	case UPD_REVOKE:
		if (name_record(r, existed, u->user) != ALZ_OK)
			return ALZ_ERR_NOMEM;
		/* an SSH key login must not ride on facts the API just withdrew */
		alz_record_revoke(r, u->why, now);
		alz_log(u->lg, LOG_INFO, "cache: refusal (%s) kept, facts and verifier revoked",
			alz_record_refusal_name(u->why));
		return ALZ_OK;
	case UPD_SAW_2FA:
		if (r->api_2fa)
			return ALZ_SKIP;
		r->api_2fa = true;
		return ALZ_OK;
	case UPD_ONLINE:
		if (alz_record_take_login(r, u->user, &u->res->o.login, now, &u->evicted) != ALZ_OK)
			return ALZ_ERR_NOMEM;
		r->api_2fa = u->res->trace.remote_2fa;
		free(r->verifier);
		r->verifier = NULL;
		if (!settle_refusal(r, u->started)) {
			alz_log(u->lg, LOG_NOTICE, "cache: the API refused this user while this login ran: "
				"no verifier kept");
			return ALZ_OK;
		}
		r->verifier = u->verifier;
		u->verifier = NULL;	/* transferred */
		return ALZ_OK;
	case UPD_SUCCESS:
		r->auth_at = now;
		r->offline_failures = 0;
		r->offline_fail_at = 0;
		r->nfail = 0;
		/* maybe no connection (cached, offline): an expired token whose refresh lives stays */
		alz_record_prune(r, now, NULL);
		return ALZ_OK;
	case UPD_RESERVE:
		if (name_record(r, existed, u->user) != ALZ_OK)
			return ALZ_ERR_NOMEM;
		if (alz_login_throttled(u->cfg, r, now, &u->wait))
			return ALZ_ERR_RATE_LIMITED;
		if (r->nfail == ALZ_MAX_FAIL_TIMES) {
			memmove(&r->fail_times[0], &r->fail_times[1],
				(ALZ_MAX_FAIL_TIMES - 1) * sizeof(r->fail_times[0]));
			r->nfail--;
		}
		r->fail_times[r->nfail++] = now;
		u->reserved = now;
		return ALZ_OK;
	case UPD_CANCEL:
		return uncount(r, u->reserved) ? ALZ_OK : ALZ_SKIP;
	case UPD_OFFLINE:
		/* the API said nothing about the password: the throttle's count goes */
		changed = uncount(r, u->reserved);
		u->gate = alz_login_offline_gate(u->cfg, r, now);
		if (u->gate == ALZ_OFF_OK) {
			r->offline_failures++;
			r->offline_fail_at = now;
			changed = true;
		}
		return changed ? ALZ_OK : ALZ_SKIP;
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

/* Run U->what on the record; KEEP (or NULL) receives the record as stored. */
static enum alz_rc
update_record(const struct alz_cache *cache, struct update_ctx *u, enum update what,
	      const char *password, struct alz_record *keep)
{
	const struct alz_config *cfg = cache->cfg;
	bool create = what == UPD_ONLINE || what == UPD_FACTS || what == UPD_RESERVE ||
		      what == UPD_REVOKE;
	enum alz_rc rc;

	u->what = what;
	if (!cache->usable)
		return ALZ_ERR_NO_CACHE;
	/* hash before taking the lock: it is the slow part */
	if (what == UPD_ONLINE && password != NULL &&
	    (cfg->cached_auth_timeout > 0 || cfg->offline_window > 0) &&
	    alz_verifier_make(password, &u->verifier, cache->lg) != ALZ_OK)
		alz_log(cache->lg, LOG_ERR, "cache: cannot make a password verifier");
	rc = alz_cache_update(cache, u->user, create, edit_record, u, keep);
	free(u->verifier);
	u->verifier = NULL;
	return rc;
}

/*
 * A refusal the record must remember, or a fact it must drop (the verifier
 * after a 401, the one-factor trust after a code was asked for, the facts
 * the API withdrew). If the record cannot be written (its lock busy, the
 * disk full), a marker makes every later read distrust what it says.
 */
static void
remember(const struct alz_cache *cache, struct update_ctx *u, enum update what,
	 enum alz_mark fallback)
{
	enum alz_rc rc = update_record(cache, u, what, NULL, NULL);

	if (rc == ALZ_OK || (rc == ALZ_ERR_NOT_FOUND && what != UPD_REVOKE) || !cache->usable)
		return;
	alz_log(u->lg, LOG_WARNING, "cache: the record could not be updated after the API's answer "
		"(%s); marking it %s", alz_rc_name(rc),
		fallback == ALZ_MARK_REFUSED ? "refused" : "untrusted");
	alz_cache_distrust(cache, u->user, fallback);
}

/*
 * End one token at the API (refreshed first when it expired); a failure is
 * logged, never fatal. True when it failed while its refresh token may live.
 */
static bool
end_token(struct alz_http *http, const struct alz_log *lg, const char *why,
	  const struct alz_token *t, time_t now)
{
	struct alz_end e;
	char what[96];

	alz_api_end_token(http, t->token, alz_token_refresh_alive(t, now) ? t->refresh : NULL,
			  alz_token_expired(t, now), &e);
	alz_end_describe(&e, what, sizeof(what));
	alz_log(lg, e.rc == ALZ_OK ? LOG_DEBUG : LOG_WARNING, "%s: %s", why, what);
	return alz_end_may_live(&e) && alz_token_refresh_alive(t, now);
}

/*
 * sudo opens its session for the target user, so the login's own token
 * would never be claimed: log it out at once, on the same connection (its
 * refresh token ends with it); both are wiped.
 */
static void
logout_now(struct alz_http *http, const struct alz_log *lg, struct alz_login *login,
	   const char *why)
{
	struct alz_end e;
	char what[96];

	alz_api_end_token(http, login->token, login->refresh_token, false, &e);
	alz_end_describe(&e, what, sizeof(what));
	alz_log(lg, e.rc == ALZ_OK ? LOG_DEBUG : LOG_WARNING, "%s: %s", why, what);
	alz_secret_free(login->token);
	login->token = NULL;
	alz_secret_free(login->refresh_token);
	login->refresh_token = NULL;
}

/*
 * What the record could not keep past its cap, and unclaimed expired
 * tokens whose refresh token may live, are ended now, never left to expire.
 * One that fails while its refresh token may live goes back into the
 * record (when there is room) for a later try.
 */
#define ENDS_PER_LOGIN 4	/* old tokens one login ends at the API; the rest wait for the next */

static void
logout_evicted(struct alz_http *http, const struct alz_cache *cache, const char *user,
	       const struct alz_log *lg, struct alz_evicted *ev)
{
	time_t now = time(NULL);
	size_t i, expired = 0, tried = 0;
	bool gave_up = false;

	if (ev->n == 0)
		return;
	for (i = 0; i < ev->n; i++)
		expired += alz_token_expired(&ev->tokens[i], now);
	if (expired > 0)
		alz_log(lg, LOG_INFO, "cache: %zu expired token(s) whose refresh token may live: "
			"refreshed and logged out now", expired);
	if (ev->n > expired)
		alz_log(lg, LOG_NOTICE, "cache: %zu token(s) past the record's cap (%d tokens, %d KiB) "
			"logged out now: %s", ev->n - expired, ALZ_MAX_TOKENS,
			ALZ_MAX_TOKEN_BYTES / 1024, ev->own ? "every stored one is held by an open "
			"session, so this login's own goes (its session will have none to log out)" :
			"the oldest ones no session claimed");
	for (i = 0; i < ev->n; i++) {
		/*
		 * The login's own verdict is decided: its answer must not wait on a
		 * slow or failing API for up to ALZ_MAX_TOKENS ends of old tokens.
		 * After one failure, or past the budget, the rest stay in the record.
		 */
		if (tried < ENDS_PER_LOGIN && !gave_up) {
			tried++;
			if (!end_token(http, lg, alz_token_expired(&ev->tokens[i], now) ?
				       "end of an expired token" : "logout past the cap", &ev->tokens[i], now))
				continue;
			gave_up = true;
		}
		if (alz_session_keep(cache, user, &ev->tokens[i]) == ALZ_OK)
			alz_log(lg, LOG_NOTICE, "cache: a token that could not be ended stays in the "
				"record for a later try");
		else
			alz_log(lg, LOG_WARNING, "cache: a token that could not be ended cannot be kept "
				"either: its refresh token may stay valid at the API until it expires");
	}
	alz_evicted_free(ev);
}

/* The cached re-auth window: ALZ_OK without a request, or anything else to go online. */
static enum alz_rc
try_cached(const struct alz_config *cfg, const struct alz_record *r, const char *password,
	   time_t now, const struct alz_log *lg)
{
	if (!within(r->online_at, cfg->cached_auth_timeout, now) || r->verifier == NULL ||
	    r->user_type[0] == '\0' || !one_factor_ok(cfg, r))
		return ALZ_ERR_NO_WINDOW;
	/* a mismatch (or a verifier that cannot be checked) goes online, never to a failure */
	return alz_verifier_check(password, r->verifier, lg);
}

/*
 * The attempt counted under the lock before any password is checked, so
 * N parallel logins cannot all pass a count read before any of them
 * wrote theirs. *REC: the record as it then was (have_rec), for the
 * cached window. With the throttle on and no way to count, no request.
 */
static enum alz_rc
begin_attempt(const struct alz_cache *cache, struct update_ctx *u, const struct alz_auth_io *io,
	      struct alz_record *rec, bool *have_rec, struct alz_login_result *res)
{
	const struct alz_config *cfg = u->cfg;
	char msg[120];
	enum alz_rc rc;
	int lock = -1;

	*have_rec = false;
	if (cfg->throttle_failures == 0) {
		/* a consistent snapshot of the record; the lock is not held over the network */
		if (!cache->usable)
			return ALZ_OK;
		if (alz_cache_lock(cache, u->user, &lock) != ALZ_OK) {
			alz_log(u->lg, LOG_WARNING, "cache: record busy: no cached or offline decision "
				"for this login");
			return ALZ_OK;
		}
		*have_rec = alz_cache_load(cache, u->user, rec) == ALZ_OK;
		alz_cache_unlock(lock);
		return ALZ_OK;
	}
	rc = update_record(cache, u, UPD_RESERVE, NULL, rec);
	if (rc == ALZ_OK) {
		*have_rec = true;
		return ALZ_OK;
	}
	if (rc == ALZ_ERR_RATE_LIMITED) {
		snprintf(msg, sizeof(msg), "Too many failed logins on this host. Try again in %ld seconds.",
			 u->wait);
		if (io != NULL && io->tell != NULL)
			io->tell(io->ctx, true, msg);
		alz_log(u->lg, LOG_NOTICE, "throttle: %lu wrong passwords within %ld s; no request sent",
			cfg->throttle_failures, cfg->throttle_interval);
		snprintf(res->deny_reason, sizeof(res->deny_reason), "local throttle");
		return rc;
	}
	/* fail closed: an attempt the throttle cannot count is not made */
	alz_log(u->lg, LOG_ERR, "throttle: this attempt cannot be counted in the user's record (%s); "
		"refused, no request sent", cache->usable ? alz_rc_name(rc) : "the cache is unusable");
	snprintf(res->deny_reason, sizeof(res->deny_reason), "local throttle: no record");
	return ALZ_ERR_SYSTEM;
}

/*
 * A wrong password, a wrong code, a refusal of the account, an SSO sign-in
 * whose pastes were all refused: what a guesser is counted for (once per
 * attempt, however many codes it tried).
 */
static bool
verdict(enum alz_rc rc)
{
	return rc == ALZ_ERR_DENIED || rc == ALZ_ERR_2FA_INVALID || rc == ALZ_ERR_2FA_EXPIRED ||
	       rc == ALZ_ERR_LOCKED || rc == ALZ_ERR_FORBIDDEN || rc == ALZ_ERR_SSO_CODE ||
	       rc == ALZ_ERR_SSO_OTHER_USER;
}

/* OUTAGE: why the API could not be asked; it stands when no offline decision is made. */
static enum alz_rc
try_offline(const struct alz_cache *cache, struct update_ctx *u, const struct alz_auth_io *io,
	    const char *password, enum alz_rc outage, struct alz_record *rec)
{
	const struct alz_config *cfg = u->cfg;
	char msg[160];
	time_t now;
	enum alz_rc rc;

	/* the attempt counted under the lock, on the record as it is now */
	alz_record_free(rec);
	rc = update_record(cache, u, UPD_OFFLINE, NULL, rec);
	if (rc == ALZ_OK)
		u->reserved = 0;	/* the throttle's count was taken back in the same write */
	if (rc == ALZ_ERR_NOT_FOUND || rc == ALZ_ERR_NO_CACHE) {
		alz_log(u->lg, LOG_NOTICE, "offline: no cached record for this user; refused");
		return outage;
	}
	if (rc != ALZ_OK) {
		alz_log(u->lg, LOG_ERR, "offline: this attempt cannot be counted in the user's record "
			"(%s); refused", alz_rc_name(rc));
		return outage;
	}
	switch (u->gate) {
	case ALZ_OFF_NO_WINDOW:
		alz_log(u->lg, LOG_NOTICE, "offline: no online login inside offline_window; refused");
		return outage;
	case ALZ_OFF_NEEDS_CODE:
		alz_log(u->lg, LOG_NOTICE, "offline: the API demands a code of this user and no local "
			"TOTP is configured for the type; refused");
		return outage;
	case ALZ_OFF_PAUSED:
		now = time(NULL);
		snprintf(msg, sizeof(msg), "Too many failed offline logins. Try again in %ld seconds.",
			 (long)(cfg->offline_failure_delay - (now - rec->offline_fail_at)));
		if (io != NULL && io->tell != NULL)
			io->tell(io->ctx, true, msg);
		alz_log(u->lg, LOG_NOTICE, "offline: %ld failures, pausing offline logins",
			rec->offline_failures);
		return ALZ_ERR_RATE_LIMITED;
	case ALZ_OFF_OK:
		break;
	}
	alz_log(u->lg, LOG_DEBUG, "offline: attempt %ld of %lu counted; checking the verifier",
		rec->offline_failures, cfg->offline_max_failures);
	return alz_verifier_check(password, rec->verifier, u->lg);
}

/* One login's state, passed from step to step. */
struct run {
	const struct alz_config *cfg;
	const struct alz_log *lg;
	const struct alz_auth_io *io;
	const struct alz_login_opts *opts;
	const char *local_user;
	char *api_user;
	struct alz_credential cred;	/* the answer, parsed once */
	struct alz_cache cache;
	struct alz_record rec;		/* the record as this attempt found it */
	bool have_rec;
	struct alz_http http;
	struct update_ctx u;
	struct alz_login_result *res;
};

/* The cached re-auth window. ALZ_OK: the record vouches, no request. */
static enum alz_rc
step_cached(struct run *r)
{
	/* a pasted JWT is no password: no cached, offline or verifier use of it */
	if (!r->have_rec || r->cred.kind != ALZ_CRED_PASSWORD ||
	    try_cached(r->cfg, &r->rec, r->cred.password, r->u.started, r->lg) != ALZ_OK)
		return ALZ_ERR_NO_WINDOW;
	r->res->via = ALZ_VIA_CACHED;
	take_facts(r->res, r->rec.user_type, r->rec.partition_id, r->rec.partition_name,
		   r->rec.user_id);
	return ALZ_OK;
}

/* Ask the API (password, its code challenge). A refusal is remembered in the record. */
static enum alz_rc
step_online(struct run *r)
{
	struct alz_login_result *res = r->res;
	enum alz_rc rc;

	rc = alz_http_init(&r->http, r->cfg, r->lg);
	if (rc == ALZ_OK)
		rc = alz_auth_login(&r->http, r->api_user, &r->cred, r->io, &res->o, &res->trace);
	if (rc == ALZ_OK) {
		res->via = ALZ_VIA_ONLINE;
		take_facts(res, res->o.login.user_type, res->o.login.partition_id,
			   res->o.login.partition_name, res->o.login.user_id);
		return ALZ_OK;
	}
	if (rc == ALZ_ERR_LOCKED || rc == ALZ_ERR_FORBIDDEN) {
		/* kept as a fact: the account phase denies a key login on it */
		r->u.why = rc;
		remember(&r->cache, &r->u, UPD_REVOKE, ALZ_MARK_REFUSED);
	} else if (rc == ALZ_ERR_DENIED) {
		/* after a 401/404 for this user no password of theirs is trusted offline */
		remember(&r->cache, &r->u, UPD_FORGET, ALZ_MARK_FORGET);
	} else if (res->trace.remote_2fa) {
		/* the API wants a code from this user now: remember, whatever happens next */
		remember(&r->cache, &r->u, UPD_SAW_2FA, ALZ_MARK_FORGET);
	}
	return rc;
}

/* The API could not be asked (OUTAGE): the offline window, when it may open. */
static enum alz_rc
step_offline(struct run *r, enum alz_rc outage)
{
	enum offline_cause cause = offline_cause(outage, r->opts);
	enum alz_rc rc;

	if (cause == OFFLINE_NOT_OUTAGE || r->cfg->offline_window <= 0 ||
	    r->cred.kind != ALZ_CRED_PASSWORD)
		return outage;
	if (cause == OFFLINE_CALLER_MADE) {
		alz_log(r->lg, LOG_NOTICE, "offline: refused: %s is a failure the caller of a setuid "
			"program can cause (stopping it, cutting its connection, its limits); here only "
			"a refused connection, a failed name lookup or a 5xx opens offline_window",
			alz_rc_name(outage));
		return outage;
	}
	snprintf(r->res->offline_reason, sizeof(r->res->offline_reason), "%s", alz_rc_name(outage));
	rc = try_offline(&r->cache, &r->u, r->io, r->cred.password, outage, &r->rec);
	if (rc != ALZ_OK)
		return rc;
	r->res->via = ALZ_VIA_OFFLINE;
	take_facts(r->res, r->rec.user_type, r->rec.partition_id, r->rec.partition_name,
		   r->rec.user_id);
	if (r->io != NULL && r->io->tell != NULL)
		r->io->tell(r->io->ctx, false, "Logged in offline: the Alianza service could not be reached.");
	return ALZ_OK;
}

/*
 * Somebody vouched (the API just now, the cache, the offline window): the
 * host's policy, then the host's own code, then the record. On a policy
 * refusal *UNCOUNT is set: the password was right, the attempt is no guess.
 */
static enum alz_rc
step_finish(struct run *r, bool *uncount_it)
{
	struct alz_login_result *res = r->res;
	bool online = res->via == ALZ_VIA_ONLINE;
	enum alz_rc rc;

	rc = alz_policy_allow(r->cfg, res->user_type,
			      res->partition_id[0] != '\0' ? res->partition_id : NULL,
			      res->deny_reason, sizeof(res->deny_reason), res->deny_msg,
			      sizeof(res->deny_msg));
	if (rc != ALZ_OK) {
		if (online) {
			/* a refused user keeps no live token; the API's new word replaces the old facts */
			logout_now(&r->http, r->lg, &res->o.login, "logout of a refused user");
			remember(&r->cache, &r->u, UPD_FACTS, ALZ_MARK_REFUSED);
			r->u.reserved = 0;	/* the new facts reset the count */
			/* what that write's prune handed over (expired, refresh token alive) ends now */
			logout_evicted(&r->http, &r->cache, r->local_user, r->lg, &r->u.evicted);
		}
		*uncount_it = true;
		return rc;
	}
	if (alz_auth_local_totp_due(r->cfg, res->user_type)) {
		res->trace.local_totp = true;
		rc = alz_auth_local_totp(r->cfg, r->local_user, &r->cred, r->opts->owner, r->io, r->lg);
		if (rc != ALZ_OK) {
			/* the host's own factor failed: the API's token must not outlive it */
			if (online && res->o.login.token != NULL)
				logout_now(&r->http, r->lg, &res->o.login, "logout after a wrong local code");
			return rc;
		}
	}
	/* sudo opens no session of the user's: its token dies now, on the same connection */
	if (online && r->cfg->logout_after_auth)
		logout_now(&r->http, r->lg, &res->o.login, "logout_after_auth");
	/* only a complete success refreshes the record (and clears the counters) */
	if (update_record(&r->cache, &r->u, online ? UPD_ONLINE : UPD_SUCCESS,
			  online ? r->cred.password : NULL, NULL) == ALZ_OK) {
		r->u.reserved = 0;
		logout_evicted(&r->http, &r->cache, r->local_user, r->lg, &r->u.evicted);
	} else if (r->cache.usable && online && res->o.login.token != NULL) {
		/* no record holds the token, so no session could log it out later */
		logout_now(&r->http, r->lg, &res->o.login, "logout of a token the record could not take");
	}
	return ALZ_OK;
}

enum alz_rc
alz_login_run(const struct alz_config *cfg, const struct alz_log *lg,
	      const struct alz_auth_io *io, const char *local_user, const char *answer,
	      const struct alz_login_opts *opts, struct alz_login_result *res)
{
	struct run r;
	bool uncount_it = false;
	enum alz_rc rc;

	memset(res, 0, sizeof(*res));
	res->o.retry_after = -1;
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.lg = lg;
	r.io = io;
	r.opts = opts;
	r.local_user = local_user;
	r.res = res;
	r.u.cfg = cfg;
	r.u.res = res;
	r.u.user = local_user;
	r.u.lg = lg;
	r.u.started = time(NULL);
	alz_cache_open(&r.cache, cfg, opts->owner, lg);
	rc = alz_credential_parse(cfg, answer, &r.cred);
	if (rc != ALZ_OK)
		goto out;
	rc = alz_config_api_user(cfg, local_user, &r.api_user);
	if (rc != ALZ_OK)
		goto out;

	/* counted before any password of this attempt is checked, cached or online */
	rc = begin_attempt(&r.cache, &r.u, io, &r.rec, &r.have_rec, res);
	if (rc != ALZ_OK)
		goto out;
	rc = step_cached(&r);
	if (rc != ALZ_OK)
		rc = step_online(&r);
	if (rc != ALZ_OK && rc != ALZ_ERR_LOCKED && rc != ALZ_ERR_FORBIDDEN && rc != ALZ_ERR_DENIED)
		rc = step_offline(&r, rc);
	if (rc == ALZ_OK)
		rc = step_finish(&r, &uncount_it);
	if (uncount_it) {
		if (r.u.reserved != 0)
			update_record(&r.cache, &r.u, UPD_CANCEL, NULL, NULL);
		r.u.reserved = 0;
	}
out:
	/* an attempt that said nothing about the password is not counted against the user */
	if (r.u.reserved != 0 && !verdict(rc))
		update_record(&r.cache, &r.u, UPD_CANCEL, NULL, NULL);
	/* a policy refusal keeps the facts it was about, for the log line */
	if (rc != ALZ_OK && res->deny_reason[0] == '\0')
		take_facts(res, NULL, NULL, NULL, NULL);
	res->rc = rc;
	/* which base URL answered last (it lives in the config): the log line names it */
	res->trace.api = alz_http_answered(&r.http);
	alz_evicted_free(&r.u.evicted);
	alz_record_free(&r.rec);
	alz_http_cleanup(&r.http);
	alz_credential_free(&r.cred);
	free(r.api_user);
	return rc;
}

void
alz_login_result_free(struct alz_login_result *res)
{
	alz_outcome_free(&res->o);
}
