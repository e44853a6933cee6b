/* alz_record.h - one user's cache record and its JSON form (format version 1). */
#ifndef ALZ_RECORD_H
#define ALZ_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "alz_reply.h"

#define ALZ_RECORD_VERSION 1
#define ALZ_MAX_TOKENS 32		/* live logins kept per user for logout */
#define ALZ_MAX_TOKEN_BYTES (64 * 1024)	/* bytes of all a record's tokens, refresh tokens too */
/* bytes of a record file: the tokens (escaped, at worst twice their size) and the rest */
#define ALZ_MAX_RECORD (2 * ALZ_MAX_TOKEN_BYTES + 32 * 1024)
#define ALZ_SESSION_ID_LEN 32		/* hex characters */
#define ALZ_MAX_FAIL_TIMES 100		/* throttle_failures' upper bound */

/*
 * Seconds a refresh token lives at the API from its login (API.md section 8:
 * 24 h). A constant, not a setting: it is the API's fact, not the host's
 * choice, and a shorter value would make the record forget refresh tokens
 * the API still honours; a longer one only keeps dead ones a little longer
 * (their refresh then fails, is logged, and they go).
 */
#define ALZ_REFRESH_LIFETIME 86400

struct alz_token {
	char session[ALZ_SESSION_ID_LEN + 1];	/* "" until a session claims it */
	char *token;				/* secret: the access token */
	char *refresh;				/* secret, or NULL: its refresh token (FoodXchange) */
	time_t expires_at;			/* the access token's end, by our clock */
	time_t issued_at;			/* its login, by our clock; 0 in records from before */
};

struct alz_record {
	char *local_user;	/* must equal the user it is read for */
	char *api_user;
	char user_type[ALZ_MAX_TYPE + 1];	/* "" unknown: a record of failures or a refusal */
	char *user_id;
	char *partition_id;
	char *partition_name;
	bool api_2fa;		/* the API asked this user for a code last time */
	time_t online_at;	/* last online success, 0 never */
	time_t checked_at;	/* last who-am-I success of the account phase's online check, 0 never */
	time_t auth_at;		/* last success of any kind (online, cached, offline) */
	char *verifier;		/* crypt(5) hash of the password, or NULL */
	long offline_failures;	/* offline attempts counted (reserved before each check) */
	time_t offline_fail_at;
	struct alz_token tokens[ALZ_MAX_TOKENS];	/* oldest first */
	size_t ntokens;
	time_t fail_times[ALZ_MAX_FAIL_TIMES];	/* recent attempts counted by the throttle */
	size_t nfail;
	time_t refused_at;	/* the API's last refusal of this user (403, or a who-am-I's 401), 0 none */
	enum alz_rc refused_why;	/* ALZ_ERR_LOCKED, ALZ_ERR_FORBIDDEN or ALZ_ERR_DENIED, with refused_at */
	/* not stored: when the cache's markers (alz_cache_mark) were last set, 0 never */
	time_t forget_mark;
	time_t refused_mark;
};

/*
 * Tokens a record could not keep, or keeps no more (an expired access token
 * whose refresh token may still live): the caller ends each at the API
 * (alz_api_end_token), then frees them.
 */
struct alz_evicted {
	struct alz_token tokens[ALZ_MAX_TOKENS + 1];	/* secrets */
	size_t n;
	bool own;		/* the last one is the new login's own: every stored one is claimed */
};

/* Serialise R; *JSON holds tokens: free it with alz_secret_free(). */
enum alz_rc alz_record_to_json(const struct alz_record *r, char **json);

/*
 * Parse a record of LEN bytes at JSON (JSON[LEN] must be NUL). Anything unexpected (version, types, sizes, missing
 * fields) is ALZ_ERR_BAD_REPLY: the caller treats the record as absent.
 */
enum alz_rc alz_record_from_json(const char *json, size_t len, struct alz_record *r);

/*
 * Copy a successful login's facts into R (token and refresh token appended,
 * the record pruned into EV). A claimed token (an open session's) is never
 * dropped: when the new token does not fit (ALZ_MAX_TOKENS,
 * ALZ_MAX_TOKEN_BYTES), the oldest unclaimed ones leave first, and when
 * every stored one is claimed the new one is not stored. Either way what
 * left is in EV (may be NULL only when LOGIN has no token).
 */
enum alz_rc alz_record_take_login(struct alz_record *r, const char *local_user,
				  const struct alz_login *login, time_t now,
				  struct alz_evicted *ev);

/* Copy what the API says of the user into R: type, user id, tenant (no token, no time). */
enum alz_rc alz_record_take_facts(struct alz_record *r, const struct alz_login *facts);

void alz_evicted_free(struct alz_evicted *ev);

/*
 * Put T back into R, unclaimed and last, when ending it at the API failed
 * while its refresh token may live: then the next caller with a connection
 * (an online login, cache purge) ends it. ALZ_OK: stored, T is zeroed
 * (transferred). ALZ_SKIP: no room within ALZ_MAX_TOKENS and
 * ALZ_MAX_TOKEN_BYTES, or nothing left to end (T's refresh token is dead by
 * now); T is left to the caller.
 */
enum alz_rc alz_record_keep(struct alz_record *r, struct alz_token *t, time_t now);

/* True when T's access token is past its expiry by the record's clock. */
bool alz_token_expired(const struct alz_token *t, time_t now);

/* True when T has a refresh token the API may still honour (ALZ_REFRESH_LIFETIME). */
bool alz_token_refresh_alive(const struct alz_token *t, time_t now);

/* Wipe and free T's secrets; T is zeroed. */
void alz_token_clear(struct alz_token *t);

/*
 * Drop what is dead at the API by the record's clock: an expired access
 * token without a live refresh token. An expired access token whose
 * refresh token may live is never dropped unseen: claimed, it stays for
 * its session's close to end (refresh, log out); unclaimed, it moves to EV
 * for the caller to end, or stays when EV is NULL (a caller with no
 * connection: the next online login, or cache purge, ends it).
 */
void alz_record_prune(struct alz_record *r, time_t now, struct alz_evicted *ev);

/*
 * When the API last vouched for R's facts: its last online login or the
 * account phase's last who-am-I, whichever is newer (0 never). Only the
 * facts' age: the password verifier's windows go by online_at alone.
 */
time_t alz_record_vouched_at(const struct alz_record *r);

/* R's newest token still live at NOW (claimed or not) and issued after the API's last refusal, or NULL. */
const struct alz_token *alz_record_live_token(const struct alz_record *r, time_t now);

/* Drop TOKEN (a secret, compared whole) from R: the API said it is dead. */
void alz_record_drop_token(struct alz_record *r, const char *token);

/*
 * The API refused the user (WHY: ALZ_ERR_LOCKED, ALZ_ERR_FORBIDDEN or
 * ALZ_ERR_DENIED) at NOW: kept as a fact, and the facts and the verifier
 * vouch for nothing from here on (an SSH key login must not ride on them).
 */
void alz_record_revoke(struct alz_record *r, enum alz_rc why, time_t now);

/* "locked", "forbidden", "denied": a refusal's word in the record and the log. */
const char *alz_record_refusal_name(enum alz_rc why);

void alz_record_free(struct alz_record *r);

#endif
