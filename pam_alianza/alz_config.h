/* alz_config.h - pam_alianza's settings: defaults, the config file, module arguments. */
#ifndef ALZ_CONFIG_H
#define ALZ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "alz_error.h"
#include "alz_log.h"
#include "alz_usertype.h"

#define ALZ_DEFAULT_CONF "/etc/security/pam_alianza.conf"
#define ALZ_DEFAULT_MIN_UID 1000	/* min_uid's default; also what a broken config falls back to */
#define ALZ_MAX_CONF_SIZE (64 * 1024)	/* bytes; a config is a few hundred */
#define ALZ_MAX_CONF_LINE 4096		/* bytes per line */
#define ALZ_MAX_TYPE_GROUPS 32		/* groups.<TYPE> keys of one config */
#define ALZ_MAX_LIST_ITEM 257		/* bytes of one item of a list setting, NUL included */

/* The two wire shapes of docs/API.md; api_dialect presets every setting below. */
enum alz_dialect {
	ALZ_DIALECT_ALIANZA,		/* sections 1-7 */
	ALZ_DIALECT_FOODXCHANGE,	/* section 8 */
	ALZ_DIALECT_COUNT
};

/* How a service's users prove who they are (login_method). */
enum alz_login_method {
	ALZ_LOGIN_PASSWORD,	/* the password (and the API's code): the default */
	ALZ_LOGIN_SSO,		/* single sign-on only (docs/API.md 7): no password is asked */
	ALZ_LOGIN_BOTH,		/* the password prompt; an empty answer starts single sign-on */
	ALZ_LOGIN_COUNT
};

/*
 * The API's calls; each has a path (path_* keys) and a method (method_*
 * keys). A path set to "" means the dialect does not offer the call.
 */
enum alz_path {
	ALZ_P_AUTHORIZE,	/* POST /v2/authorize | POST /api/v1/auth/login */
	ALZ_P_2FA,		/* POST /v2/authorize/2fa | POST /api/v1/auth/2fa/authenticate */
	ALZ_P_USERINFO,		/* GET /v2/authorize/userinfo | GET /api/v1/auth/session */
	ALZ_P_LOGOUT,		/* PUT /v2/authorize/logout | POST /api/v1/auth/logout */
	ALZ_P_PASSWORD,		/* PUT /v2/authorize | none */
	ALZ_P_JWT,		/* POST /v2/authorize/jwt | none */
	ALZ_P_REFRESH,		/* none | POST /api/v1/auth/refresh */
	ALZ_P_SSO,		/* GET /v2/authorize/sso (the SSO configuration) | none */
	ALZ_P_SSO_EXCHANGE,	/* POST /v2/authorize/sso?code=... | none */
	ALZ_PATH_COUNT
};

/* Member names of the JSON bodies the module sends (field_* keys); bodies are flat in both dialects. */
enum alz_field {
	ALZ_F_USER_NAME,	/* userName | email */
	ALZ_F_PASSWORD,		/* password */
	ALZ_F_NEW_PASSWORD,	/* newPassword */
	ALZ_F_SESSION_ID,	/* sessionId (in the 2FA request) */
	ALZ_F_2FA_CODE,		/* token (in the 2FA request) */
	ALZ_F_JWT,		/* token (in the JWT request) */
	ALZ_F_REFRESH_TOKEN,	/* refreshToken (in the refresh request) */
	ALZ_F_SSO_CODE,		/* code (query of the SSO exchange) */
	ALZ_F_SSO_REDIRECT_URI,	/* redirect_uri (query of the SSO exchange) */
	ALZ_F_SSO_VERIFIER,	/* code_verifier (query of the SSO exchange, PKCE) */
	ALZ_FIELD_COUNT
};

/*
 * Where a reply keeps each fact (reply_* keys): JSON Pointers (RFC 6901),
 * one or more, the first one present wins; "" means the dialect has none.
 */
enum alz_reply_at {
	ALZ_R_TOKEN,		/* /authToken | /data/tokens/accessToken */
	ALZ_R_EXPIRES_IN,	/* /expiresIn | /data/tokens/expiresIn */
	ALZ_R_REFRESH_TOKEN,	/* none | /data/tokens/refreshToken */
	ALZ_R_USER_NAME,	/* /userName | /data/user/email */
	ALZ_R_USER_ID,		/* /userId | /data/user/id */
	ALZ_R_USER_TYPE,	/* /userType | /data/user/role */
	ALZ_R_PARTITION_ID,	/* /partitionId | /data/user/company/id */
	ALZ_R_PARTITION_NAME,	/* /partitionName | /data/user/company/name */
	ALZ_R_SUCCESS,		/* /success: if there, true | must be there and true (reply_success_required) */
	ALZ_R_ERROR_CODE,	/* /errorCode /error/code | /error/code */
	ALZ_R_MESSAGE,		/* /message /error/message | /error/message */
	ALZ_R_SESSION_ID,	/* /sessionId /error/data/sessionId | /error/data/sessionId */
	ALZ_R_REFRESHED_TOKEN,	/* none | /data/accessToken (the refresh reply) */
	ALZ_R_REFRESHED_EXPIRES_IN,	/* none | /data/expiresIn */
	ALZ_R_SSO_ENABLED,	/* /enabled (the SSO configuration) | none */
	ALZ_R_SSO_ENDPOINT,	/* /authorizationEndpoint */
	ALZ_R_SSO_CLIENT_ID,	/* /clientId */
	ALZ_R_SSO_REDIRECT_URI,	/* /redirectUri */
	ALZ_R_SSO_SCOPE,	/* /scope */
	ALZ_R_SSO_PKCE,		/* /pkce */
	ALZ_REPLY_AT_COUNT
};

#define ALZ_MAX_REPLY_AT 4	/* pointers in one reply_* setting */

/* One key of the group map: groups.TYPE = "sudo, adm". */
struct alz_type_groups {
	char type[ALZ_MAX_TYPE + 1];	/* passes alz_user_type_ok */
	char *groups;	/* "sudo, adm"; NULL: none */
	bool seen;	/* bookkeeping: set by a line of the file being read (set twice) */
};

/* An inclusive uid range (alianza_uids); unset: no range was named. */
struct alz_uid_range {
	bool set;
	unsigned long lo, hi;
};

/* base_url: the API's addresses, tried in order (failover, http.c) */
#define ALZ_MAX_BASE_URLS 4
#define ALZ_MAX_BASE_URL_LEN 512
struct alz_url_list {
	char *url[ALZ_MAX_BASE_URLS];	/* https://host[:port][/prefix], no trailing slash */
	unsigned n;			/* 0: unset, the module does nothing */
};

struct alz_config {
	struct alz_url_list base_urls;
	char *ca_file;		/* NULL: the hashed directory ca_dir */
	char *ca_dir;		/* OpenSSL hashed CA directory, used when ca_file is unset */
	char *pinned_public_key;	/* NULL, or "sha256//B64[;sha256//B64]...": on top of the CA check */
	char *proxy;		/* NULL: no proxy, whatever the environment says */
	long connect_timeout_ms;
	long timeout_ms;	/* total deadline of one HTTP exchange */
	char *user_template;	/* local user -> API userName, "%u" */
	unsigned long min_uid;
	char *ignore_users;	/* local users never handled (break-glass accounts) */
	/* who the Alianza users are; neither set: nobody (the module does nothing) */
	char *alianza_group;	/* "alianza, ops": members (primary or supplementary) of any */
	struct alz_uid_range alianza_uids;	/* and, when both are set, a uid in this range */
	bool debug;

	/* cache and the windows it allows */
	char *cache_dir;	/* root-only directory of per-user records */
	bool logout;		/* log the token out when the session closes */
	bool logout_after_auth;	/* log it out at once: services with no session of the user's */
	long cached_auth_timeout;	/* seconds; 0: every authentication goes online */
	long offline_window;	/* seconds since the last online login; 0: never offline */
	unsigned long offline_max_failures;	/* wrong offline passwords before a pause */
	long offline_failure_delay;	/* seconds of that pause */

	/* lockout and SSO */
	unsigned long throttle_failures;	/* wrong passwords per user before the host stops asking; 0 off */
	long throttle_interval;	/* seconds in which they count */
	long throttle_unlock;	/* seconds the host then refuses without asking the API */
	bool jwt_login;		/* a pasted JWT goes to path_jwt */
	unsigned long login_method;	/* enum alz_login_method */
	unsigned long sso_tries;	/* codes pasted per SSO challenge */
	bool sso_require_pkce;	/* an SSO configuration without PKCE is refused */

	/* who may log in, and with which groups */
	struct alz_type_list allowed_types;	/* type names matched exactly; all; none */
	char *allowed_partitions;	/* "p1, p2"; "*" any; NULL: nobody (refused, logged) */
	long account_max_age;	/* seconds a record vouches for a login done by another module */
	bool account_deny_without_facts;	/* no fresh facts: deny instead of PAM_IGNORE */
	bool account_online_check;	/* ask the API who a user another module let in is */
	/* groups.TYPE keys in the order first set; a type not here gets no group */
	struct alz_type_groups type_groups[ALZ_MAX_TYPE_GROUPS];
	size_t ntype_groups;
	bool missing_group_fatal;	/* a mapped group missing locally fails setcred */
	char *env_prefix;	/* session environment variables' prefix */

	/* second factor */
	char *totp_prompt;	/* echo-off prompt for a code */
	unsigned long totp_tries;	/* codes asked per challenge; the API allows 3 */
	bool code_appended;	/* password-only clients: code typed after the password */
	unsigned long code_digits;	/* length of an appended code */
	char *local_totp_file;	/* liboath usersfile for codes this host checks */
	struct alz_type_list local_totp_types;	/* types this host asks its own code of */
	unsigned long local_totp_window;	/* 30 s steps accepted either side */

	/* the wire (docs/API.md): api_dialect presets all of it */
	unsigned long dialect;		/* enum alz_dialect */
	char *paths[ALZ_PATH_COUNT];	/* NULL: the call is not offered */
	char *methods[ALZ_PATH_COUNT];	/* "GET", "POST", "PUT", ... */
	char *fields[ALZ_FIELD_COUNT];
	char *replies[ALZ_REPLY_AT_COUNT];	/* pointer lists; NULL: not in this dialect */
	char *token_header;		/* "X-AUTH-TOKEN: %t", "Authorization: Bearer %t" */
	bool reply_user_required;	/* a success must name its user */
	bool reply_success_required;	/* a 200 must carry reply_success, true (else: if there, true) */

	/* bookkeeping, not settings: keys seen in the file, keys set on purpose */
	unsigned char seen[160];
	unsigned char explicit_set[160];
};

/* Fill cfg with every default. Returns ALZ_OK or ALZ_ERR_NOMEM. */
enum alz_rc alz_config_init(struct alz_config *cfg);
void alz_config_free(struct alz_config *cfg);

/*
 * Read PATH over the defaults. The file must be a regular file owned by
 * OWNER (0 in the module) and not writable by group or others. Any bad
 * line is logged with file, line and key and makes the whole load fail.
 */
enum alz_rc alz_config_load_file(struct alz_config *cfg, const char *path,
				 uid_t owner, const struct alz_log *lg);

/*
 * The one setter: file lines and "key=value" module arguments go through
 * it, groups.TYPE keys too. SOURCE and LINE only serve the error message
 * (line 0: an argument).
 */
enum alz_rc alz_config_set(struct alz_config *cfg, const char *key,
			   const char *value, const char *source, unsigned line,
			   const struct alz_log *lg);

/*
 * Checks that span keys (connect <= total deadline). ALZ_NOT_CONFIGURED
 * when the config is sound but base_url is unset: the module then does
 * nothing at all (PAM_IGNORE), as the shipped file leaves it.
 */
enum alz_rc alz_config_finish(struct alz_config *cfg, const char *source,
			      const struct alz_log *lg);

/* "alianza", "foodxchange" */
const char *alz_config_dialect_name(const struct alz_config *cfg);

/* True when alianza_group or alianza_uids names the Alianza users. */
bool alz_config_scope_set(const struct alz_config *cfg);

/*
 * Walk a comma/space separated list: copies the next item of *P into BUF
 * and advances *P. Returns false at the end (or for an item over CAP-1).
 */
bool alz_list_next(const char **p, char *buf, size_t cap);

/* True when LIST (comma/space separated) contains ITEM exactly. */
bool alz_list_has(const char *list, const char *item);

/* The groups the group map gives TYPE ("sudo, adm"), or NULL: no key names TYPE. */
const char *alz_config_groups(const struct alz_config *cfg, const char *type);

/* Apply TEMPLATE to LOCAL_USER ("%u" -> user, "%%" -> "%"); caller frees. */
enum alz_rc alz_config_api_user(const struct alz_config *cfg,
				const char *local_user, char **out);

#endif
