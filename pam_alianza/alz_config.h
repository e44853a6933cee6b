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

/* Endpoint paths of ../shared/API.md; each is a setting (path_* keys). */
enum alz_path {
	ALZ_P_AUTHORIZE,	/* POST /v2/authorize */
	ALZ_P_2FA,		/* POST /v2/authorize/2fa */
	ALZ_P_USERINFO,		/* GET /v2/authorize/userinfo */
	ALZ_P_LOGOUT,		/* PUT /v2/authorize/logout */
	ALZ_P_PASSWORD,		/* PUT /v2/authorize */
	ALZ_P_JWT,		/* POST /v2/authorize/jwt */
	ALZ_PATH_COUNT
};

/* JSON field and header names of ../shared/API.md; each is a setting (field_* keys). */
enum alz_field {
	ALZ_F_USER_NAME,	/* userName */
	ALZ_F_PASSWORD,		/* password */
	ALZ_F_NEW_PASSWORD,	/* newPassword */
	ALZ_F_AUTH_TOKEN,	/* authToken */
	ALZ_F_TOKEN_TYPE,	/* tokenType */
	ALZ_F_EXPIRES_IN,	/* expiresIn */
	ALZ_F_USER_ID,		/* userId */
	ALZ_F_PARTITION_ID,	/* partitionId */
	ALZ_F_PARTITION_NAME,	/* partitionName */
	ALZ_F_USER_TYPE,	/* userType */
	ALZ_F_ERROR_CODE,	/* errorCode */
	ALZ_F_MESSAGE,		/* message */
	ALZ_F_SESSION_ID,	/* sessionId */
	ALZ_F_2FA_CODE,		/* token (in the /2fa request) */
	ALZ_F_JWT,		/* token (in the /jwt request) */
	ALZ_F_FX_SUCCESS,	/* success (FoodXchange envelope) */
	ALZ_F_FX_ERROR,		/* error */
	ALZ_F_FX_CODE,		/* code */
	ALZ_F_FX_DATA,		/* data */
	ALZ_F_AUTH_HEADER,	/* X-AUTH-TOKEN (HTTP header) */
	ALZ_FIELD_COUNT
};

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

struct alz_config {
	char *base_url;		/* https://host[:port][/prefix], no trailing slash */
	char *ca_file;		/* NULL: the hashed directory ca_dir */
	char *ca_dir;		/* OpenSSL hashed CA directory, used when ca_file is unset */
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

	/* who may log in, and with which groups */
	struct alz_type_list allowed_types;	/* type names matched exactly; all; none */
	char *allowed_partitions;	/* "p1, p2"; "*" any; NULL: nobody (refused, logged) */
	long account_max_age;	/* seconds a record vouches for a login done by another module */
	bool account_deny_without_facts;	/* no fresh facts: deny instead of PAM_IGNORE */
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

	char *paths[ALZ_PATH_COUNT];
	char *fields[ALZ_FIELD_COUNT];

	/* bookkeeping for duplicate-key detection; not settings */
	unsigned char seen[128];
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
