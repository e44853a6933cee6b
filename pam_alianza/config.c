/* config.c - pam_alianza's settings: defaults, the config file, module arguments. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alz_config.h"
#include "alz_jptr.h"
#include "alz_text.h"
#include "alz_trust.h"

enum key_type {
	K_URLS,		/* 1-4 https:// URLs, comma or space separated (struct alz_url_list) */
	K_PINS,		/* sha256//BASE64 public key pins, ';' separated (CURLOPT_PINNEDPUBLICKEY) */
	K_FILE,		/* absolute path */
	K_PROXY,	/* proxy URL, or empty for none */
	K_SECONDS,	/* integer seconds, stored as milliseconds */
	K_DURATION,	/* integer seconds, stored as seconds; 0 allowed when min is 0 */
	K_UINT,		/* unsigned integer in [min, max] */
	K_BOOL,
	K_TEMPLATE,	/* user name template with %u */
	K_APIPATH,	/* "/..." endpoint path */
	K_NAME,		/* a JSON field or header name */
	K_TEXT,		/* printable text, may be "quoted" to keep edge spaces */
	K_TYPES,	/* comma-separated user type names, "all" or "none" (struct alz_type_list) */
	K_GROUPS,	/* comma-separated local group names */
	K_PARTITIONS,	/* comma-separated partition ids, or "*" */
	K_ENVNAME,	/* an environment variable name prefix */
	K_UIDRANGE,	/* "LOW-HIGH" or "UID" (struct alz_uid_range); empty: unset */
	K_CHOICE,	/* one word of the key's list (choices[]), stored as its index */
	K_METHOD,	/* an HTTP method */
	K_POINTERS,	/* JSON Pointers (RFC 6901), space separated; empty: none */
	K_HEADER,	/* "Name: text %t text": the token header */
};

struct key {
	const char *name;
	enum key_type type;
	size_t off;
	const char *def;	/* default, parsed like a file value */
	unsigned long min, max;	/* K_SECONDS, K_UINT */
	/* per enum alz_dialect, for the wire's keys (def is then NULL) */
	const char *preset[ALZ_DIALECT_COUNT];
};

/* An older spelling of a key: its value, between PREFIX and SUFFIX, is the new key's. */
struct alias {
	const char *name, *key, *prefix, *suffix;
};

#define OFF(member) offsetof(struct alz_config, member)

/* Every setting, its default and its range. Adding a key is one line here. */
static const struct key keys[] = {
	{ "base_url", K_URLS, OFF(base_urls), NULL, 0, 0, { NULL, NULL } },
	{ "ca_file", K_FILE, OFF(ca_file), NULL, 0, 0, { NULL, NULL } },
	{ "ca_dir", K_FILE, OFF(ca_dir), "/etc/ssl/certs", 0, 0, { NULL, NULL } },
	{ "pinned_public_key", K_PINS, OFF(pinned_public_key), NULL, 0, 0, { NULL, NULL } },
	{ "proxy", K_PROXY, OFF(proxy), NULL, 0, 0, { NULL, NULL } },
	{ "connect_timeout", K_SECONDS, OFF(connect_timeout_ms), "5", 1, 60, { NULL, NULL } },
	{ "timeout", K_SECONDS, OFF(timeout_ms), "10", 1, 300, { NULL, NULL } },
	{ "user_template", K_TEMPLATE, OFF(user_template), "%u", 0, 0, { NULL, NULL } },
	{ "min_uid", K_UINT, OFF(min_uid), "1000", 0, 4294967294UL, { NULL, NULL } },	/* ALZ_DEFAULT_MIN_UID */
	{ "ignore_users", K_GROUPS, OFF(ignore_users), NULL, 0, 0, { NULL, NULL } },
	{ "alianza_group", K_GROUPS, OFF(alianza_group), NULL, 0, 0, { NULL, NULL } },
	{ "alianza_uids", K_UIDRANGE, OFF(alianza_uids), NULL, 0, 4294967294UL, { NULL, NULL } },
	{ "debug", K_BOOL, OFF(debug), "no", 0, 0, { NULL, NULL } },

	{ "cache_dir", K_FILE, OFF(cache_dir), "/var/lib/pam_alianza", 0, 0, { NULL, NULL } },
	{ "logout", K_BOOL, OFF(logout), "yes", 0, 0, { NULL, NULL } },
	{ "logout_after_auth", K_BOOL, OFF(logout_after_auth), "no", 0, 0, { NULL, NULL } },
	{ "cached_auth_timeout", K_DURATION, OFF(cached_auth_timeout), "0", 0, 86400, { NULL, NULL } },
	{ "offline_window", K_DURATION, OFF(offline_window), "0", 0, 2592000, { NULL, NULL } },
	{ "offline_max_failures", K_UINT, OFF(offline_max_failures), "3", 1, 100, { NULL, NULL } },
	{ "offline_failure_delay", K_DURATION, OFF(offline_failure_delay), "300", 0, 86400, { NULL, NULL } },

	{ "throttle_failures", K_UINT, OFF(throttle_failures), "0", 0, 100, { NULL, NULL } },
	{ "throttle_interval", K_DURATION, OFF(throttle_interval), "900", 1, 86400, { NULL, NULL } },
	{ "throttle_unlock", K_DURATION, OFF(throttle_unlock), "600", 1, 86400, { NULL, NULL } },
	{ "jwt_login", K_BOOL, OFF(jwt_login), "no", 0, 0, { NULL, NULL } },
	{ "login_method", K_CHOICE, OFF(login_method), "password", 0, 0, { NULL, NULL } },
	{ "sso_tries", K_UINT, OFF(sso_tries), "3", 1, 10, { NULL, NULL } },
	{ "sso_require_pkce", K_BOOL, OFF(sso_require_pkce), "yes", 0, 0, { NULL, NULL } },

	{ "allowed_user_types", K_TYPES, OFF(allowed_types), "MANAGEMENT_USER, ACCOUNT_USER", 0, 0, { NULL, NULL } },
	/* groups.<TYPE>: one key per type, not in this table (set_groups) */
	{ "allowed_partitions", K_PARTITIONS, OFF(allowed_partitions), NULL, 0, 0, { NULL, NULL } },
	{ "account_max_age", K_DURATION, OFF(account_max_age), "3600", 0, 2592000, { NULL, NULL } },
	{ "account_deny_without_facts", K_BOOL, OFF(account_deny_without_facts), "no", 0, 0, { NULL, NULL } },
	{ "account_online_check", K_BOOL, OFF(account_online_check), "no", 0, 0, { NULL, NULL } },
	{ "missing_group_fatal", K_BOOL, OFF(missing_group_fatal), "no", 0, 0, { NULL, NULL } },
	{ "env_prefix", K_ENVNAME, OFF(env_prefix), "ALIANZA_", 0, 0, { NULL, NULL } },

	{ "totp_prompt", K_TEXT, OFF(totp_prompt), "\"Verification code: \"", 0, 0, { NULL, NULL } },
	{ "totp_tries", K_UINT, OFF(totp_tries), "3", 1, 10, { NULL, NULL } },
	{ "code_appended", K_BOOL, OFF(code_appended), "no", 0, 0, { NULL, NULL } },
	{ "code_digits", K_UINT, OFF(code_digits), "6", 6, 8, { NULL, NULL } },
	{ "local_totp_file", K_FILE, OFF(local_totp_file), "/etc/security/pam_alianza_totp", 0, 0, { NULL, NULL } },
	{ "local_totp_user_types", K_TYPES, OFF(local_totp_types), "none", 0, 0, { NULL, NULL } },
	{ "local_totp_window", K_UINT, OFF(local_totp_window), "1", 0, 10, { NULL, NULL } },

	/* docs/API.md: the wire; api_dialect presets every key of this part */
	{ "api_dialect", K_CHOICE, OFF(dialect), "alianza", 0, 0, { NULL, NULL } },
#define WIRE(name, type, member, alianza, foodxchange) \
	{ name, type, OFF(member), NULL, 0, 0, { alianza, foodxchange } }
	WIRE("path_authorize", K_APIPATH, paths[ALZ_P_AUTHORIZE], "/v2/authorize", "/api/v1/auth/login"),
	WIRE("path_2fa", K_APIPATH, paths[ALZ_P_2FA], "/v2/authorize/2fa", "/api/v1/auth/2fa/authenticate"),
	WIRE("path_userinfo", K_APIPATH, paths[ALZ_P_USERINFO], "/v2/authorize/userinfo", "/api/v1/auth/session"),
	WIRE("path_logout", K_APIPATH, paths[ALZ_P_LOGOUT], "/v2/authorize/logout", "/api/v1/auth/logout"),
	WIRE("path_password", K_APIPATH, paths[ALZ_P_PASSWORD], "/v2/authorize", ""),
	WIRE("path_jwt", K_APIPATH, paths[ALZ_P_JWT], "/v2/authorize/jwt", ""),
	WIRE("path_refresh", K_APIPATH, paths[ALZ_P_REFRESH], "", "/api/v1/auth/refresh"),
	WIRE("path_sso", K_APIPATH, paths[ALZ_P_SSO], "/v2/authorize/sso", ""),
	WIRE("path_sso_exchange", K_APIPATH, paths[ALZ_P_SSO_EXCHANGE], "/v2/authorize/sso", ""),
	WIRE("method_authorize", K_METHOD, methods[ALZ_P_AUTHORIZE], "POST", "POST"),
	WIRE("method_2fa", K_METHOD, methods[ALZ_P_2FA], "POST", "POST"),
	WIRE("method_userinfo", K_METHOD, methods[ALZ_P_USERINFO], "GET", "GET"),
	WIRE("method_logout", K_METHOD, methods[ALZ_P_LOGOUT], "PUT", "POST"),
	WIRE("method_password", K_METHOD, methods[ALZ_P_PASSWORD], "PUT", "PUT"),
	WIRE("method_jwt", K_METHOD, methods[ALZ_P_JWT], "POST", "POST"),
	WIRE("method_refresh", K_METHOD, methods[ALZ_P_REFRESH], "POST", "POST"),
	WIRE("method_sso", K_METHOD, methods[ALZ_P_SSO], "GET", "GET"),
	WIRE("method_sso_exchange", K_METHOD, methods[ALZ_P_SSO_EXCHANGE], "POST", "POST"),
	WIRE("field_user_name", K_NAME, fields[ALZ_F_USER_NAME], "userName", "email"),
	WIRE("field_password", K_NAME, fields[ALZ_F_PASSWORD], "password", "password"),
	WIRE("field_new_password", K_NAME, fields[ALZ_F_NEW_PASSWORD], "newPassword", "newPassword"),
	WIRE("field_session_id", K_NAME, fields[ALZ_F_SESSION_ID], "sessionId", "sessionId"),
	WIRE("field_2fa_code", K_NAME, fields[ALZ_F_2FA_CODE], "token", "token"),
	WIRE("field_jwt", K_NAME, fields[ALZ_F_JWT], "token", "token"),
	WIRE("field_refresh_token", K_NAME, fields[ALZ_F_REFRESH_TOKEN], "refreshToken", "refreshToken"),
	WIRE("field_sso_code", K_NAME, fields[ALZ_F_SSO_CODE], "code", "code"),
	WIRE("field_sso_redirect_uri", K_NAME, fields[ALZ_F_SSO_REDIRECT_URI], "redirect_uri", "redirect_uri"),
	WIRE("field_sso_verifier", K_NAME, fields[ALZ_F_SSO_VERIFIER], "code_verifier", "code_verifier"),
	WIRE("reply_token", K_POINTERS, replies[ALZ_R_TOKEN], "/authToken", "/data/tokens/accessToken"),
	WIRE("reply_expires_in", K_POINTERS, replies[ALZ_R_EXPIRES_IN], "/expiresIn", "/data/tokens/expiresIn"),
	WIRE("reply_refresh_token", K_POINTERS, replies[ALZ_R_REFRESH_TOKEN], "", "/data/tokens/refreshToken"),
	WIRE("reply_user_name", K_POINTERS, replies[ALZ_R_USER_NAME], "/userName", "/data/user/email"),
	WIRE("reply_user_id", K_POINTERS, replies[ALZ_R_USER_ID], "/userId", "/data/user/id"),
	WIRE("reply_user_type", K_POINTERS, replies[ALZ_R_USER_TYPE], "/userType", "/data/user/role"),
	WIRE("reply_partition_id", K_POINTERS, replies[ALZ_R_PARTITION_ID], "/partitionId", "/data/user/company/id"),
	WIRE("reply_partition_name", K_POINTERS, replies[ALZ_R_PARTITION_NAME], "/partitionName",
	     "/data/user/company/name"),
	/* Alianza's replies have no flag: one that is there anyway must say true */
	WIRE("reply_success", K_POINTERS, replies[ALZ_R_SUCCESS], "/success", "/success"),
	WIRE("reply_success_required", K_BOOL, reply_success_required, "no", "yes"),
	/* docs/API.md 1: an Alianza host reads FoodXchange's error envelope too */
	WIRE("reply_error_code", K_POINTERS, replies[ALZ_R_ERROR_CODE], "/errorCode /error/code", "/error/code"),
	WIRE("reply_message", K_POINTERS, replies[ALZ_R_MESSAGE], "/message /error/message", "/error/message"),
	WIRE("reply_session_id", K_POINTERS, replies[ALZ_R_SESSION_ID], "/sessionId /error/data/sessionId",
	     "/error/data/sessionId"),
	WIRE("reply_refreshed_token", K_POINTERS, replies[ALZ_R_REFRESHED_TOKEN], "", "/data/accessToken"),
	WIRE("reply_refreshed_expires_in", K_POINTERS, replies[ALZ_R_REFRESHED_EXPIRES_IN], "", "/data/expiresIn"),
	WIRE("reply_sso_enabled", K_POINTERS, replies[ALZ_R_SSO_ENABLED], "/enabled", ""),
	WIRE("reply_sso_endpoint", K_POINTERS, replies[ALZ_R_SSO_ENDPOINT], "/authorizationEndpoint", ""),
	WIRE("reply_sso_client_id", K_POINTERS, replies[ALZ_R_SSO_CLIENT_ID], "/clientId", ""),
	WIRE("reply_sso_redirect_uri", K_POINTERS, replies[ALZ_R_SSO_REDIRECT_URI], "/redirectUri", ""),
	WIRE("reply_sso_scope", K_POINTERS, replies[ALZ_R_SSO_SCOPE], "/scope", ""),
	WIRE("reply_sso_pkce", K_POINTERS, replies[ALZ_R_SSO_PKCE], "/pkce", ""),
	WIRE("reply_user_required", K_BOOL, reply_user_required, "no", "yes"),
	WIRE("token_header", K_HEADER, token_header, "X-AUTH-TOKEN: %t", "Authorization: Bearer %t"),
#undef WIRE
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* The group map's keys before types were the API's strings: the same keys as groups.TYPE. */
static const struct {
	const char *key;
	const char *type;
} group_aliases[] = {
	{ "groups_management_user", "MANAGEMENT_USER" },
	{ "groups_account_user", "ACCOUNT_USER" },
	{ "groups_end_user", "END_USER" },
};

#define GROUPS_PREFIX "groups."

/* The first release's names: a file written for it still loads. */
static const struct alias aliases[] = {
	{ "header_auth_token", "token_header", "", ": %t" },
	{ "field_auth_token", "reply_token", "/", "" },
	{ "field_expires_in", "reply_expires_in", "/", "" },
	{ "field_user_id", "reply_user_id", "/", "" },
	{ "field_user_type", "reply_user_type", "/", "" },
	{ "field_partition_id", "reply_partition_id", "/", "" },
	{ "field_partition_name", "reply_partition_name", "/", "" },
	{ "field_error_code", "reply_error_code", "/", "" },
	{ "field_message", "reply_message", "/", "" },
};
#define NALIASES (sizeof(aliases) / sizeof(aliases[0]))

_Static_assert(NKEYS <= sizeof(((struct alz_config *)0)->seen) &&
	       NKEYS <= sizeof(((struct alz_config *)0)->explicit_set),
	       "seen[] too small for the key table");

static char **
str_slot(struct alz_config *cfg, const struct key *k)
{
	return (char **)((char *)cfg + k->off);
}

static const struct key *
find_key(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static bool
valid_template(const char *t)
{
	bool has_user = false;

	if (!alz_text_ok(t, ALZ_TEXT_LINE))
		return false;
	for (; *t != '\0'; t++) {
		if (*t != '%')
			continue;
		t++;
		if (*t == 'u')
			has_user = true;
		else if (*t != '%')
			return false;	/* also catches a trailing lone % */
	}
	return has_user;
}

/* https://HOST[:PORT][/PREFIX]: an authority is required, nothing after it but a path. */
static bool
valid_https_url(const char *v)
{
	/* stricter than an SSO endpoint: no '@' even in the path, so nothing reads as a user part */
	return alz_text_https_url(v, false) && strchr(v + 8, '@') == NULL;
}

static bool
parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    strcmp(v, "on") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
	    strcmp(v, "off") == 0) {
		*out = false;
		return true;
	}
	return false;
}

static bool
parse_ulong(const char *v, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end = NULL;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return false;	/* strtoul would take "-1" and " 1" */
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return false;
	*out = n;
	return true;
}

/* "LOW-HIGH" or one uid, both ends within [min, max] and LOW <= HIGH. */
static bool
parse_uid_range(const char *v, unsigned long min, unsigned long max, struct alz_uid_range *out)
{
	char lo[16], *dash;
	size_t len;

	dash = strchr(v, '-');
	len = dash != NULL ? (size_t)(dash - v) : strlen(v);
	if (len == 0 || len >= sizeof(lo))
		return false;
	memcpy(lo, v, len);
	lo[len] = '\0';
	if (!parse_ulong(lo, min, max, &out->lo))
		return false;
	out->hi = out->lo;
	if (dash != NULL && !parse_ulong(dash + 1, min, max, &out->hi))
		return false;
	if (out->hi < out->lo)
		return false;
	out->set = true;
	return true;
}

static void
bad_value(const struct alz_log *lg, const char *source, unsigned line,
	  const char *key, const char *why)
{
	if (line > 0)
		alz_log(lg, LOG_ERR, "%s:%u: key '%s': %s", source, line, key, why);
	else
		alz_log(lg, LOG_ERR, "%s: key '%s': %s", source, key, why);
}

static enum alz_rc
set_string(struct alz_config *cfg, const struct key *k, const char *value)
{
	char **slot = str_slot(cfg, k);
	char *copy = NULL;

	if (*value != '\0') {
		copy = strdup(value);
		if (copy == NULL)
			return ALZ_ERR_NOMEM;
	}
	free(*slot);
	*slot = copy;
	return ALZ_OK;
}

bool
alz_list_next(const char **p, char *buf, size_t cap)
{
	const char *s = *p;
	size_t len;

	while (*s == ' ' || *s == ',' || *s == '\t')
		s++;
	if (*s == '\0') {
		*p = s;
		return false;
	}
	len = strcspn(s, " ,\t");
	if (len >= cap) {
		*p = s;	/* stay on it: a caller's end check must not pass it by */
		return false;
	}
	*p = s + len;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

bool
alz_list_has(const char *list, const char *item)
{
	char buf[ALZ_MAX_LIST_ITEM];
	const char *p = list;

	while (list != NULL && alz_list_next(&p, buf, sizeof(buf)))
		if (strcmp(buf, item) == 0)
			return true;
	return false;
}

/*
 * Group names as shadow-utils takes them; partition ids: any visible ASCII.
 * Every item is measured here, so alz_list_next() never meets one too long.
 */
static bool
valid_list(const char *v, bool groups)
{
	const char *p = v, *c;
	size_t len;
	unsigned n = 0;

	if (!alz_text_ok(v, ALZ_TEXT_ASCII_LINE))
		return false;
	for (;;) {
		p += strspn(p, " ,\t");
		if (*p == '\0')
			break;
		len = strcspn(p, " ,\t");
		if (len >= ALZ_MAX_LIST_ITEM || (groups && (len > 32 || p[0] == '-')))
			return false;
		for (c = p; groups && c < p + len; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-'))
				return false;
		p += len;
		n++;
	}
	return n > 0 && n <= 32;
}

static bool
valid_env_prefix(const char *v)
{
	size_t i, n = strlen(v);

	if (n == 0 || n > 32 || (v[0] >= '0' && v[0] <= '9'))
		return false;
	for (i = 0; i < n; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '_'))
			return false;
	return true;
}

/*
 * "a, b" of user type names, each passing alz_user_type_ok, at most 32;
 * "all" and "none" ("" too) stand alone: inside a list they would read as
 * types of those names.
 */
static bool
valid_types(const char *v, bool *all)
{
	char name[ALZ_MAX_LIST_ITEM];
	const char *p = v;
	unsigned n = 0;

	*all = strcmp(v, "all") == 0;
	if (*all || strcmp(v, "none") == 0 || *v == '\0')
		return true;
	if (!alz_text_ok(v, ALZ_TEXT_ASCII_LINE))
		return false;
	while (alz_list_next(&p, name, sizeof(name))) {
		if (!alz_user_type_ok(name) || strcmp(name, "all") == 0 || strcmp(name, "none") == 0)
			return false;
		n++;
	}
	/* an item too long for the buffer stops the walk short of the end */
	return *p == '\0' && n > 0 && n <= 32;
}

static enum alz_rc
set_types(struct alz_config *cfg, const struct key *k, const char *value)
{
	struct alz_type_list *slot = (struct alz_type_list *)((char *)cfg + k->off);
	char *copy = NULL;
	bool all;

	if (!valid_types(value, &all))
		return ALZ_ERR_CONFIG;
	if (!all && strcmp(value, "none") != 0 && *value != '\0') {
		copy = strdup(value);
		if (copy == NULL)
			return ALZ_ERR_NOMEM;
	}
	free(slot->names);
	slot->names = copy;
	slot->all = all;
	return ALZ_OK;
}

/* The type a group-map key names: an old alias's, or what follows "groups."; else NULL. */
static const char *
group_key_type(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(group_aliases) / sizeof(group_aliases[0]); i++)
		if (strcmp(key, group_aliases[i].key) == 0)
			return group_aliases[i].type;
	if (strncmp(key, GROUPS_PREFIX, strlen(GROUPS_PREFIX)) == 0)
		return key + strlen(GROUPS_PREFIX);
	return NULL;
}

static struct alz_type_groups *
find_groups(struct alz_config *cfg, const char *type)
{
	size_t i;

	for (i = 0; i < cfg->ntype_groups; i++)
		if (strcmp(cfg->type_groups[i].type, type) == 0)
			return &cfg->type_groups[i];
	return NULL;
}

/* groups.TYPE = sudo, adm (or an old alias): TYPE's entry of the group map, made if new. */
static enum alz_rc
set_groups(struct alz_config *cfg, const char *key, const char *type, const char *value,
	   const char *source, unsigned line, const struct alz_log *lg)
{
	struct alz_type_groups *g;
	char *copy = NULL;

	if (!alz_user_type_ok(type)) {
		bad_value(lg, source, line, key, "the user type after 'groups.' must be 1 to 64 "
			  "characters of [A-Za-z0-9_.:@-]");
		return ALZ_ERR_CONFIG;
	}
	if (*value != '\0' && !valid_list(value, true)) {
		bad_value(lg, source, line, key, "must be a comma-separated list of group names "
			  "([A-Za-z0-9_.-], up to 32 characters each, at most 32 names)");
		return ALZ_ERR_CONFIG;
	}
	g = find_groups(cfg, type);
	if (g == NULL && cfg->ntype_groups >= ALZ_MAX_TYPE_GROUPS) {
		bad_value(lg, source, line, key, "at most 32 groups.<TYPE> keys");
		return ALZ_ERR_CONFIG;
	}
	if (*value != '\0') {
		copy = strdup(value);
		if (copy == NULL)
			return ALZ_ERR_NOMEM;
	}
	if (g == NULL) {
		g = &cfg->type_groups[cfg->ntype_groups++];
		memset(g, 0, sizeof(*g));
		memcpy(g->type, type, strlen(type) + 1);	/* the rule capped it */
	}
	free(g->groups);
	g->groups = copy;	/* empty: none (NULL) */
	return ALZ_OK;
}

const char *
alz_config_groups(const struct alz_config *cfg, const char *type)
{
	size_t i;

	for (i = 0; type != NULL && i < cfg->ntype_groups; i++)
		if (strcmp(cfg->type_groups[i].type, type) == 0)
			return cfg->type_groups[i].groups;
	return NULL;	/* a type nobody mapped (or unknown): no group */
}

static const char *const dialect_names[ALZ_DIALECT_COUNT + 1] = { "alianza", "foodxchange", NULL };
static const char *const method_names[ALZ_LOGIN_COUNT + 1] = { "password", "sso", "both", NULL };

/* The words of each K_CHOICE key, in the order of its enum. */
static const struct {
	const char *key;
	const char *const *words;
	const char *why;
} choices[] = {
	{ "api_dialect", dialect_names, "must be alianza or foodxchange" },
	{ "login_method", method_names, "must be password, sso or both" },
};

/* KEY's word V -> its index; false (and *WHY) when V is none of them. */
static bool
parse_choice(const char *key, const char *v, unsigned long *out, const char **why)
{
	size_t c, i;

	*why = "is not a choice key";
	for (c = 0; c < sizeof(choices) / sizeof(choices[0]); c++) {
		if (strcmp(choices[c].key, key) != 0)
			continue;
		*why = choices[c].why;
		for (i = 0; choices[c].words[i] != NULL; i++)
			if (strcmp(v, choices[c].words[i]) == 0) {
				*out = i;
				return true;
			}
	}
	return false;
}

/* What a token may travel in: "Name: text%ttext", exactly one %t, nothing libcurl could split. */
static bool
valid_header(const char *v)
{
	const char *colon = strchr(v, ':'), *t, *c;

	/* no tab either: legal in a field value, but no template needs one (found by fuzz_config) */
	if (colon == NULL || colon == v || strlen(v) > 128 || !alz_text_ok(v, ALZ_TEXT_ASCII_LINE) ||
	    strchr(v, '\t') != NULL)
		return false;
	for (c = v; c < colon; c++)	/* an RFC 9110 token */
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      strchr("!#$&'*+-.^_`|~", *c) != NULL))
			return false;
	t = strstr(colon, "%t");
	if (t == NULL || strstr(t + 2, "%t") != NULL)
		return false;
	for (c = colon; *c != '\0'; c++)	/* no other escape: the value is taken as it is */
		if (*c == '%' && c != t)
			return false;
	return true;
}

/* Space-separated JSON Pointers, each one alz_jptr_valid; "" is none. */
static bool
valid_pointers(const char *v)
{
	char buf[ALZ_JPTR_MAX_LEN + 1];
	const char *p = v;
	unsigned n = 0;

	if (!alz_text_ok(v, ALZ_TEXT_ASCII_LINE))
		return false;
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		if (strcspn(p, " \t") > ALZ_JPTR_MAX_LEN || ++n > ALZ_MAX_REPLY_AT)
			return false;
		memcpy(buf, p, strcspn(p, " \t"));
		buf[strcspn(p, " \t")] = '\0';
		/* alz_list_next() splits on commas too: no pointer may hold one */
		if (buf[0] != '/' || strchr(buf, ',') != NULL || !alz_jptr_valid(buf))
			return false;
		p += strlen(buf);
	}
	return true;
}

/*
 * A valid_pointers() list kept with one space between its pointers: a tab
 * the file separated them with is no part of the value (nor of what
 * pam_alianza-admin shows of it).
 */
static enum alz_rc
set_pointers(struct alz_config *cfg, const struct key *k, const char *value)
{
	char buf[(ALZ_JPTR_MAX_LEN + 1) * ALZ_MAX_REPLY_AT + 1];
	const char *p = value;
	size_t len = 0, n;

	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t");	/* each <= ALZ_JPTR_MAX_LEN, at most ALZ_MAX_REPLY_AT */
		if (len > 0)
			buf[len++] = ' ';
		memcpy(buf + len, p, n);
		len += n;
		p += n;
	}
	buf[len] = '\0';
	return set_string(cfg, k, buf);
}

/* Printable text; surrounding double quotes keep leading/trailing spaces. */
static enum alz_rc
set_text(struct alz_config *cfg, const struct key *k, const char *value,
	 const char *source, unsigned line, const struct alz_log *lg)
{
	char buf[256];
	size_t len = strlen(value);

	if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
		value++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf)) {
		bad_value(lg, source, line, k->name, "must be 1 to 255 characters of text");
		return ALZ_ERR_CONFIG;
	}
	memcpy(buf, value, len);
	buf[len] = '\0';
	if (!alz_text_ok(buf, ALZ_TEXT_LINE) || strchr(buf, '"') != NULL) {
		bad_value(lg, source, line, k->name,
			  "must not contain control characters or inner quotes");
		return ALZ_ERR_CONFIG;
	}
	return set_string(cfg, k, buf);
}

static void
urls_free(struct alz_url_list *l)
{
	unsigned i;

	for (i = 0; i < l->n; i++) {
		free(l->url[i]);
		l->url[i] = NULL;
	}
	l->n = 0;
}

/*
 * base_url: one to ALZ_MAX_BASE_URLS https:// URLs, tried in order when one
 * cannot answer (http.c); each as strict as one alone, no repeats. A bad item
 * rejects the whole value: the previous list stays.
 */
static enum alz_rc
set_urls(struct alz_config *cfg, const struct key *k, const char *value,
	 const char *source, unsigned line, const struct alz_log *lg)
{
	struct alz_url_list *slot = (struct alz_url_list *)((char *)cfg + k->off), l = { { NULL }, 0 };
	char buf[ALZ_MAX_BASE_URL_LEN + 1];
	const char *p = value;
	size_t len;
	unsigned i;

	while (alz_list_next(&p, buf, sizeof(buf))) {
		/* a base URL or prefix ends without '/': paths bring their own */
		len = strlen(buf);
		while (len > 8 && buf[len - 1] == '/')
			buf[--len] = '\0';
		if (!valid_https_url(buf)) {
			bad_value(lg, source, line, k->name, "must be one to 4 https:// URLs, each with a "
				  "host and no user, query or fragment, separated by commas");
			goto bad;
		}
		for (i = 0; i < l.n; i++)
			if (strcmp(l.url[i], buf) == 0) {
				bad_value(lg, source, line, k->name, "names the same URL twice");
				goto bad;
			}
		if (l.n == ALZ_MAX_BASE_URLS) {
			bad_value(lg, source, line, k->name, "has more than 4 URLs");
			goto bad;
		}
		l.url[l.n] = strdup(buf);
		if (l.url[l.n] == NULL) {
			urls_free(&l);
			return ALZ_ERR_NOMEM;
		}
		l.n++;
	}
	if (*p != '\0') {
		bad_value(lg, source, line, k->name, "has a URL longer than 512 characters");
		goto bad;
	}
	urls_free(slot);
	*slot = l;	/* empty: unset, the module does nothing */
	return ALZ_OK;
bad:
	urls_free(&l);
	return ALZ_ERR_CONFIG;
}

/*
 * pinned_public_key: 1-8 pins "sha256//" + the base64 of a SHA-256 of the
 * server's SubjectPublicKeyInfo (44 characters, '=' last), ';' between
 * them, as libcurl's CURLOPT_PINNEDPUBLICKEY takes them. No file form: the
 * hash is what pam_alianza-admin status prints.
 */
static bool
valid_pins(const char *v)
{
	const char *p = v;
	unsigned n = 0;
	size_t i;

	for (;;) {
		if (strncmp(p, "sha256//", 8) != 0)
			return false;
		p += 8;
		for (i = 0; i < 43; i++)
			if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
			      (p[i] >= '0' && p[i] <= '9') || p[i] == '+' || p[i] == '/'))
				return false;
		if (p[43] != '=')
			return false;
		p += 44;
		if (++n > 8)
			return false;
		if (*p == '\0')
			return true;
		if (*p != ';')
			return false;
		p++;
	}
}

static enum alz_rc
set_value(struct alz_config *cfg, const struct key *k, const char *value,
	  const char *source, unsigned line, const struct alz_log *lg)
{
	const char *key = k->name;
	unsigned long n = 0;
	bool b = false;
	char why[160];

	switch (k->type) {
	case K_URLS:
		return set_urls(cfg, k, value, source, line, lg);
	case K_PINS:
		if (*value != '\0' && !valid_pins(value)) {
			bad_value(lg, source, line, key, "must be one to 8 sha256//BASE64 public key pins "
				  "(44 base64 characters each, as pam_alianza-admin status prints them), "
				  "separated by ';', or empty");
			return ALZ_ERR_CONFIG;
		}
		return set_string(cfg, k, value);
	case K_FILE:
		if (value[0] != '/' || !alz_text_ok(value, ALZ_TEXT_VISIBLE)) {
			bad_value(lg, source, line, key, "must be an absolute path");
			return ALZ_ERR_CONFIG;
		}
		return set_string(cfg, k, value);
	case K_PROXY:
		if (*value != '\0' && (!alz_text_ok(value, ALZ_TEXT_VISIBLE) ||
		    (strncasecmp(value, "http://", 7) != 0 &&
		     strncasecmp(value, "https://", 8) != 0 &&
		     strncasecmp(value, "socks5h://", 10) != 0))) {
			bad_value(lg, source, line, key,
				  "must be an http://, https:// or socks5h:// proxy URL, or empty");
			return ALZ_ERR_CONFIG;
		}
		return set_string(cfg, k, value);
	case K_SECONDS:
	case K_DURATION:
	case K_UINT:
		if (!parse_ulong(value, k->min, k->max, &n)) {
			snprintf(why, sizeof(why), "must be %s from %lu to %lu",
				 k->type == K_UINT ? "a whole number" : "whole seconds", k->min, k->max);
			bad_value(lg, source, line, key, why);
			return ALZ_ERR_CONFIG;
		}
		if (k->type == K_SECONDS)
			*(long *)((char *)cfg + k->off) = (long)n * 1000;
		else if (k->type == K_DURATION)
			*(long *)((char *)cfg + k->off) = (long)n;
		else
			*(unsigned long *)((char *)cfg + k->off) = n;
		return ALZ_OK;
	case K_BOOL:
		if (!parse_bool(value, &b)) {
			bad_value(lg, source, line, key, "must be yes or no");
			return ALZ_ERR_CONFIG;
		}
		*(bool *)((char *)cfg + k->off) = b;
		return ALZ_OK;
	case K_TEMPLATE:
		if (!valid_template(value) || strlen(value) > 256) {
			bad_value(lg, source, line, key,
				  "must contain %u, no other % escape than %%, no control characters");
			return ALZ_ERR_CONFIG;
		}
		return set_string(cfg, k, value);
	case K_APIPATH:
		if (*value == '\0')
			return set_string(cfg, k, value);	/* the dialect does not offer it */
		if (value[0] != '/' || !alz_text_ok(value, ALZ_TEXT_VISIBLE) || strpbrk(value, "?#") != NULL) {
			bad_value(lg, source, line, key,
				  "must be an absolute URL path such as /v2/authorize");
			return ALZ_ERR_CONFIG;
		}
		return set_string(cfg, k, value);
	case K_TEXT:
		return set_text(cfg, k, value, source, line, lg);
	case K_TYPES: {
		enum alz_rc rc = set_types(cfg, k, value);

		if (rc == ALZ_ERR_CONFIG)
			bad_value(lg, source, line, key,
				  "must be all, none, or a comma-separated list of up to 32 user type "
				  "names (1 to 64 characters of [A-Za-z0-9_.:@-] each, such as "
				  "MANAGEMENT_USER or supplier)");
		return rc;
	}
	case K_GROUPS:
	case K_PARTITIONS:
		if (*value == '\0')
			return set_string(cfg, k, value);	/* empty: none (NULL) */
		if (!valid_list(value, k->type == K_GROUPS)) {
			bad_value(lg, source, line, key, k->type == K_GROUPS ?
				  "must be a comma-separated list of group names ([A-Za-z0-9_.-], "
				  "up to 32 characters each, at most 32 names)" :
				  "must be a comma-separated list of partition ids, or *");
			return ALZ_ERR_CONFIG;
		}
		return set_string(cfg, k, value);
	case K_UIDRANGE: {
		struct alz_uid_range range = { false, 0, 0 };

		if (*value != '\0' && !parse_uid_range(value, k->min, k->max, &range)) {
			snprintf(why, sizeof(why), "must be a uid range LOW-HIGH (LOW <= HIGH, from %lu "
				 "to %lu) or one uid, such as 2000-2999", k->min, k->max);
			bad_value(lg, source, line, key, why);
			return ALZ_ERR_CONFIG;
		}
		*(struct alz_uid_range *)((char *)cfg + k->off) = range;	/* empty: unset */
		return ALZ_OK;
	}
	case K_ENVNAME:
		if (!valid_env_prefix(value)) {
			bad_value(lg, source, line, key,
				  "must be 1 to 32 of [A-Z0-9_], not starting with a digit");
			return ALZ_ERR_CONFIG;
		}
		return set_string(cfg, k, value);
	case K_NAME:
		if (*value == '\0' || !alz_text_ok(value, ALZ_TEXT_VISIBLE) || strlen(value) > 128 ||
		    strpbrk(value, "\"\\:") != NULL) {
			bad_value(lg, source, line, key,
				  "must be a non-empty printable name without quotes, backslash or colon");
			return ALZ_ERR_CONFIG;
		}
		return set_string(cfg, k, value);
	case K_CHOICE: {
		const char *why_not;

		if (!parse_choice(key, value, &n, &why_not)) {
			bad_value(lg, source, line, key, why_not);
			return ALZ_ERR_CONFIG;
		}
		*(unsigned long *)((char *)cfg + k->off) = n;
		return ALZ_OK;
	}
	case K_METHOD:
		if (strcmp(value, "GET") != 0 && strcmp(value, "POST") != 0 && strcmp(value, "PUT") != 0 &&
		    strcmp(value, "PATCH") != 0 && strcmp(value, "DELETE") != 0) {
			bad_value(lg, source, line, key, "must be GET, POST, PUT, PATCH or DELETE");
			return ALZ_ERR_CONFIG;
		}
		return set_string(cfg, k, value);
	case K_POINTERS:
		if (!valid_pointers(value)) {
			snprintf(why, sizeof(why), "must be up to %d JSON Pointers (RFC 6901) such as "
				 "/data/tokens/accessToken, separated by spaces, or empty", ALZ_MAX_REPLY_AT);
			bad_value(lg, source, line, key, why);
			return ALZ_ERR_CONFIG;
		}
		return set_pointers(cfg, k, value);
	case K_HEADER:
		if (!valid_header(value)) {
			bad_value(lg, source, line, key,
				  "must be 'Name: value' with exactly one %t for the token, such as "
				  "'Authorization: Bearer %t', printable ASCII, no other %");
			return ALZ_ERR_CONFIG;
		}
		return set_string(cfg, k, value);
	}
	return ALZ_ERR_CONFIG;
}

static bool
is_alias(const char *key)
{
	size_t i;

	for (i = 0; i < NALIASES; i++)
		if (strcmp(aliases[i].name, key) == 0)
			return true;
	return false;
}

/* KEY's entry, or an alias's (its value rewritten into BUF). NULL: unknown, or a bad alias value. */
static const struct key *
resolve(const char *key, const char **value, char *buf, size_t cap)
{
	size_t i;

	for (i = 0; i < NALIASES; i++) {
		if (strcmp(aliases[i].name, key) != 0)
			continue;
		/* an old name was a plain member or header name: nothing a pointer or template would read */
		if (**value == '\0' || strpbrk(*value, "/~%:\"\\ \t") != NULL ||
		    strlen(*value) > 128)
			return NULL;
		snprintf(buf, cap, "%s%s%s", aliases[i].prefix, *value, aliases[i].suffix);
		*value = buf;
		return find_key(aliases[i].key);
	}
	return find_key(key);
}

enum alz_rc
alz_config_set(struct alz_config *cfg, const char *key, const char *value,
	       const char *source, unsigned line, const struct alz_log *lg)
{
	const struct key *k;
	const char *type;
	char buf[160];
	enum alz_rc rc;

	/* groups.TYPE (and its old aliases): a key per type, not a row of the table */
	type = group_key_type(key);
	if (type != NULL)
		return set_groups(cfg, key, type, value, source, line, lg);
	k = resolve(key, &value, buf, sizeof(buf));
	if (k == NULL) {
		bad_value(lg, source, line, key, is_alias(key) ?
			  "an older name: its value must be a plain member or header name "
			  "(the reply_* keys and token_header take pointers and templates)" :
			  "unknown key");
		return ALZ_ERR_CONFIG;
	}
	rc = set_value(cfg, k, value, source, line, lg);
	if (rc == ALZ_OK)
		cfg->explicit_set[k - keys] = 1;	/* api_dialect's preset no longer applies */
	return rc;
}

enum alz_rc
alz_config_init(struct alz_config *cfg)
{
	size_t i;
	enum alz_rc rc;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++) {
		const char *def = keys[i].def != NULL ? keys[i].def : keys[i].preset[ALZ_DIALECT_ALIANZA];

		if (def == NULL)
			continue;
		rc = set_value(cfg, &keys[i], def, "defaults", 0, NULL);
		if (rc != ALZ_OK) {
			alz_config_free(cfg);
			return rc;
		}
	}
	return ALZ_OK;
}

void
alz_config_free(struct alz_config *cfg)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		enum key_type t = keys[i].type;

		if (t == K_TYPES) {
			struct alz_type_list *l = (struct alz_type_list *)((char *)cfg + keys[i].off);

			free(l->names);
			l->names = NULL;
			continue;
		}
		if (t == K_URLS) {
			urls_free((struct alz_url_list *)((char *)cfg + keys[i].off));
			continue;
		}
		if (t == K_SECONDS || t == K_DURATION || t == K_UINT || t == K_BOOL ||
		    t == K_UIDRANGE || t == K_CHOICE)
			continue;
		free(*str_slot(cfg, &keys[i]));
		*str_slot(cfg, &keys[i]) = NULL;
	}
	for (i = 0; i < cfg->ntype_groups; i++) {
		free(cfg->type_groups[i].groups);
		cfg->type_groups[i].groups = NULL;
	}
	cfg->ntype_groups = 0;
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
			   end[-1] == '\n'))
		*--end = '\0';
	return s;
}

/* One "key = value" line; LINE is modified in place. */
static enum alz_rc
parse_line(struct alz_config *cfg, char *line, const char *path, unsigned lineno,
	   const struct alz_log *lg)
{
	char *key, *value, *eq;
	const char *type;
	const struct key *k;
	struct alz_type_groups *g;
	enum alz_rc rc;
	size_t idx;

	key = trim(line);
	if (*key == '\0' || *key == '#')
		return ALZ_OK;
	eq = strchr(key, '=');
	if (eq == NULL) {
		alz_log(lg, LOG_ERR, "%s:%u: expected 'key = value'", path, lineno);
		return ALZ_ERR_CONFIG;
	}
	*eq = '\0';
	key = trim(key);
	value = trim(eq + 1);
	if (*key == '\0') {
		alz_log(lg, LOG_ERR, "%s:%u: missing key before '='", path, lineno);
		return ALZ_ERR_CONFIG;
	}
	if (!alz_text_ok(key, ALZ_TEXT_VISIBLE)) {
		alz_log(lg, LOG_ERR, "%s:%u: key contains spaces or non-ASCII characters",
			path, lineno);
		return ALZ_ERR_CONFIG;
	}
	type = group_key_type(key);
	if (type != NULL) {
		/* an old alias and its groups.TYPE are one key: both in a file is twice */
		g = find_groups(cfg, type);
		if (g != NULL && g->seen) {
			bad_value(lg, path, lineno, key, "set twice in the file (groups_management_user, "
				  "groups_account_user and groups_end_user are groups.MANAGEMENT_USER, "
				  "groups.ACCOUNT_USER and groups.END_USER)");
			return ALZ_ERR_CONFIG;
		}
		rc = alz_config_set(cfg, key, value, path, lineno, lg);
		g = rc == ALZ_OK ? find_groups(cfg, type) : NULL;
		if (g != NULL)
			g->seen = true;
		return rc;
	}
	{
		const char *v = value;
		char buf[160];

		k = resolve(key, &v, buf, sizeof(buf));
	}
	if (k != NULL) {
		idx = (size_t)(k - keys);
		if (cfg->seen[idx]) {
			bad_value(lg, path, lineno, key, "set twice in the file");
			return ALZ_ERR_CONFIG;
		}
		cfg->seen[idx] = 1;
	}
	return alz_config_set(cfg, key, value, path, lineno, lg);
}

enum alz_rc
alz_config_load_file(struct alz_config *cfg, const char *path, uid_t owner,
		     const struct alz_log *lg)
{
	struct alz_trust trust;
	char *buf = NULL, *line, *next, why[ALZ_TRUST_WHY];
	size_t len = 0;
	unsigned lineno = 0;
	enum alz_rc rc;

	trust = ALZ_TRUST_CONFIG(owner);
	rc = alz_trust_read(path, &trust, ALZ_MAX_CONF_SIZE, true, &buf, &len, why);
	if (rc != ALZ_OK) {
		if (rc == ALZ_ERR_NOT_FOUND)
			snprintf(why, sizeof(why), "cannot open: %s", strerror(ENOENT));
		alz_log(lg, LOG_ERR, "%s: %s; refusing to run", path, why);
		rc = rc == ALZ_ERR_NOMEM ? rc : ALZ_ERR_CONFIG;
		goto out;
	}
	rc = ALZ_ERR_CONFIG;
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strlen(line) > ALZ_MAX_CONF_LINE) {
			alz_log(lg, LOG_ERR, "%s:%u: line longer than %d bytes",
				path, lineno, ALZ_MAX_CONF_LINE);
			goto out;
		}
		rc = parse_line(cfg, line, path, lineno, lg);
		if (rc != ALZ_OK)
			goto out;
	}
	rc = ALZ_OK;
out:
	alz_trust_buf_free(buf, len);
	return rc;
}

/* api_dialect's preset for every wire key nobody set on purpose, in the file or an argument. */
static enum alz_rc
apply_dialect(struct alz_config *cfg, const char *source, const struct alz_log *lg)
{
	size_t i;
	enum alz_rc rc;

	for (i = 0; i < NKEYS; i++) {
		if (keys[i].def != NULL || keys[i].preset[cfg->dialect] == NULL || cfg->explicit_set[i])
			continue;
		rc = set_value(cfg, &keys[i], keys[i].preset[cfg->dialect], source, 0, lg);
		if (rc != ALZ_OK)
			return rc;
	}
	return ALZ_OK;
}

/*
 * Alianza's replies are flat and name the user in the member the log-in
 * request used: a file of the first release that renamed field_user_name
 * keeps its identity check (reply_user_name follows, unless set too).
 */
static enum alz_rc
follow_user_field(struct alz_config *cfg, const char *source, const struct alz_log *lg)
{
	const struct key *f = find_key("field_user_name"), *r = find_key("reply_user_name");
	const char *name = cfg->fields[ALZ_F_USER_NAME];
	char ptr[ALZ_JPTR_MAX_LEN + 1], *p = ptr;

	if (cfg->dialect != ALZ_DIALECT_ALIANZA || !cfg->explicit_set[f - keys] ||
	    cfg->explicit_set[r - keys])
		return ALZ_OK;
	*p++ = '/';
	for (; *name != '\0' && p < ptr + sizeof(ptr) - 3; name++) {
		if (*name == '~' || *name == '/') {	/* RFC 6901's two escapes */
			*p++ = '~';
			*p++ = *name == '~' ? '0' : '1';
		} else {
			*p++ = *name;
		}
	}
	*p = '\0';
	if (set_value(cfg, r, ptr, source, 0, NULL) == ALZ_OK)
		return ALZ_OK;
	alz_log(lg, LOG_ERR, "%s: key 'field_user_name' names a member reply_user_name cannot point "
		"at (a comma, or over 64 bytes): set reply_user_name too", source);
	return ALZ_ERR_CONFIG;
}

enum alz_rc
alz_config_finish(struct alz_config *cfg, const char *source, const struct alz_log *lg)
{
	enum alz_rc rc;

	rc = apply_dialect(cfg, source, lg);
	if (rc != ALZ_OK)
		return rc;
	rc = follow_user_field(cfg, source, lg);
	if (rc != ALZ_OK)
		return rc;
	if (cfg->paths[ALZ_P_AUTHORIZE] == NULL || cfg->replies[ALZ_R_TOKEN] == NULL) {
		alz_log(lg, LOG_ERR, "%s: keys 'path_authorize' and 'reply_token' must not be empty", source);
		return ALZ_ERR_CONFIG;
	}
	if (cfg->jwt_login && cfg->paths[ALZ_P_JWT] == NULL) {
		alz_log(lg, LOG_ERR, "%s: key 'jwt_login' is yes but 'path_jwt' is empty (api_dialect %s "
			"has no JWT log-in)", source, dialect_names[cfg->dialect]);
		return ALZ_ERR_CONFIG;
	}
	if (cfg->login_method != ALZ_LOGIN_PASSWORD &&
	    (cfg->paths[ALZ_P_SSO] == NULL || cfg->paths[ALZ_P_SSO_EXCHANGE] == NULL)) {
		alz_log(lg, LOG_ERR, "%s: key 'login_method' is %s but 'path_sso' or 'path_sso_exchange' "
			"is empty (api_dialect %s has no single sign-on)", source,
			method_names[cfg->login_method], dialect_names[cfg->dialect]);
		return ALZ_ERR_CONFIG;
	}
	if (cfg->connect_timeout_ms > cfg->timeout_ms) {
		alz_log(lg, LOG_ERR, "%s: key 'connect_timeout' is longer than 'timeout'", source);
		return ALZ_ERR_CONFIG;
	}
	/* the shipped file leaves it unset: nothing may go anywhere until an admin sets it */
	if (cfg->base_urls.n == 0)
		return ALZ_NOT_CONFIGURED;
	return ALZ_OK;
}

const char *
alz_config_dialect_name(const struct alz_config *cfg)
{
	return cfg->dialect < ALZ_DIALECT_COUNT ? dialect_names[cfg->dialect] : "?";
}

bool
alz_config_scope_set(const struct alz_config *cfg)
{
	return cfg->alianza_group != NULL || cfg->alianza_uids.set;
}

enum alz_rc
alz_config_api_user(const struct alz_config *cfg, const char *local_user, char **out)
{
	const char *t;
	size_t ulen = strlen(local_user), need = 1;
	char *buf, *p;

	for (t = cfg->user_template; *t != '\0'; t++) {
		if (t[0] == '%' && t[1] == 'u') {
			need += ulen;
			t++;
		} else if (t[0] == '%' && t[1] == '%') {
			need += 1;
			t++;
		} else {
			need += 1;
		}
	}
	buf = malloc(need);
	if (buf == NULL)
		return ALZ_ERR_NOMEM;
	p = buf;
	for (t = cfg->user_template; *t != '\0'; t++) {
		if (t[0] == '%' && t[1] == 'u') {
			memcpy(p, local_user, ulen);
			p += ulen;
			t++;
		} else if (t[0] == '%' && t[1] == '%') {
			*p++ = '%';
			t++;
		} else {
			*p++ = *t;
		}
	}
	*p = '\0';
	*out = buf;
	return ALZ_OK;
}
