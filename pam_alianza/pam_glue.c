/* pam_glue.c - what the PAM glue files share: config and arguments, codes, conversation, facts. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "alz_cache.h"
#include "alz_pam.h"
#include "alz_policy.h"
#include "alz_request.h"
#include "alz_scope.h"
#include "alz_secret.h"
#include "alz_text.h"

static void pam_sink(void *ctx, int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
pam_sink(void *ctx, int prio, const char *fmt, va_list ap)
{
	pam_vsyslog((pam_handle_t *)ctx, prio, fmt, ap);
}

static int auth_code(enum alz_rc rc);

#define ANY_RC ALZ_RC_COUNT	/* a row for every outcome */
#define ANY_FAILURE (-1)	/* a row for every failing PAM code of the auth vocabulary */

/*
 * Where a phase's manual page has its own word for an outcome
 * (pam_sm_chauthtok(3), pam_sm_setcred(3), pam_sm_open_session(3),
 * pam_sm_acct_mgmt(3)): rows, first match wins. Anything no row names
 * keeps its authentication code.
 */
static const struct {
	enum alz_pam_phase phase;
	enum alz_rc rc;		/* ANY_RC, or this outcome only */
	int from;		/* ANY_FAILURE, or this auth code only */
	int to;
} phase_words[] = {
	{ ALZ_PHASE_CHAUTHTOK, ALZ_ERR_DENIED, ANY_FAILURE, PAM_AUTHTOK_RECOVERY_ERR },
	{ ALZ_PHASE_CHAUTHTOK, ALZ_ERR_UNSUPPORTED, ANY_FAILURE, PAM_AUTHTOK_ERR },
	{ ALZ_PHASE_CHAUTHTOK, ANY_RC, PAM_AUTH_ERR, PAM_AUTHTOK_ERR },
	{ ALZ_PHASE_CHAUTHTOK, ANY_RC, PAM_AUTHINFO_UNAVAIL, PAM_AUTHTOK_ERR },
	{ ALZ_PHASE_ACCOUNT, ANY_RC, PAM_AUTH_ERR, PAM_PERM_DENIED },
	{ ALZ_PHASE_ACCOUNT, ANY_RC, PAM_AUTHINFO_UNAVAIL, PAM_PERM_DENIED },
	{ ALZ_PHASE_SETCRED, ANY_RC, ANY_FAILURE, PAM_CRED_ERR },
	{ ALZ_PHASE_SESSION, ANY_RC, ANY_FAILURE, PAM_SESSION_ERR },
};

static bool
failing(int code)
{
	return code != PAM_SUCCESS && code != PAM_IGNORE && code != PAM_BUF_ERR &&
	       code != PAM_CONV_ERR;
}

/* The one place where an outcome becomes a PAM return code, for every phase. */
int
alz_pam_code_for(enum alz_rc rc, enum alz_pam_phase phase)
{
	int code = auth_code(rc);
	size_t i;

	for (i = 0; i < sizeof(phase_words) / sizeof(phase_words[0]); i++) {
		if (phase_words[i].phase != phase ||
		    (phase_words[i].rc != ANY_RC && phase_words[i].rc != rc) || !failing(code) ||
		    (phase_words[i].from != ANY_FAILURE && phase_words[i].from != code))
			continue;
		return phase_words[i].to;
	}
	return code;
}

int
alz_pam_code(enum alz_rc rc)
{
	return alz_pam_code_for(rc, ALZ_PHASE_AUTH);
}

/* The authentication vocabulary, which the other phases adapt above. */
static int
auth_code(enum alz_rc rc)
{
	switch (rc) {
	case ALZ_OK:
		return PAM_SUCCESS;
	case ALZ_SKIP:
	case ALZ_NOT_CONFIGURED:
	case ALZ_SCOPE_UNSET:
	case ALZ_OUT_OF_SCOPE:
		/* not ours, or not yet: other modules decide */
		return PAM_IGNORE;
	case ALZ_ERR_NO_USER:
		return PAM_USER_UNKNOWN;
	case ALZ_ERR_NOMEM:
		return PAM_BUF_ERR;
	case ALZ_ERR_CONV:
		return PAM_CONV_ERR;
	case ALZ_ERR_CONFIG:
	case ALZ_ERR_SYSTEM:
	case ALZ_ERR_UNTRUSTED:
	case ALZ_ERR_UNSUPPORTED:
		return PAM_SERVICE_ERR;
	case ALZ_ERR_FORBIDDEN:
	case ALZ_ERR_LOCKED:
		return PAM_PERM_DENIED;
	case ALZ_ERR_POLICY:
		return PAM_AUTHTOK_ERR;
	case ALZ_ERR_CONNECT:
	case ALZ_ERR_RESOLVE:
	case ALZ_ERR_LOCAL_NET:
	case ALZ_ERR_SERVER:
	case ALZ_ERR_CUT:
	case ALZ_ERR_NETWORK:
	case ALZ_ERR_TIMEOUT:
	case ALZ_ERR_TLS:
	case ALZ_ERR_TLS_HANDSHAKE:
	case ALZ_ERR_BAD_REPLY:
	case ALZ_ERR_UNSAFE_ENV:
	case ALZ_ERR_TOKEN_EXPIRED:
	case ALZ_ERR_SSO_DISABLED:
		/* deliberate: an admin can stack [authinfo_unavail=...] */
		return PAM_AUTHINFO_UNAVAIL;
	case ALZ_ERR_NOT_FOUND:
	case ALZ_ERR_EXISTS:
	case ALZ_ERR_NO_CACHE:
	case ALZ_ERR_BAD_RECORD:
	case ALZ_ERR_NO_WINDOW:
	case ALZ_ERR_NO_TOKEN:
	case ALZ_ERR_INPUT:
	case ALZ_ERR_WRONG_CLIENT:
	case ALZ_ERR_DENIED:
	case ALZ_ERR_2FA_REQUIRED:
	case ALZ_ERR_2FA_INVALID:
	case ALZ_ERR_2FA_EXPIRED:
	case ALZ_ERR_SSO_CODE:
	case ALZ_ERR_SSO_STATE:
	case ALZ_ERR_SSO_OTHER_USER:
	case ALZ_ERR_RATE_LIMITED:
	case ALZ_ERR_BAD_REQUEST:
	case ALZ_RC_COUNT:
		break;
	}
	return PAM_AUTH_ERR;	/* anything unforeseen fails closed */
}

/* Printable ASCII copy of a possibly hostile string, for log lines. */
void
alz_pam_log_safe(char *dst, size_t cap, const char *src)
{
	alz_text_copy_safe(dst, cap, src, ALZ_TEXT_VISIBLE);
}

static bool
flag_arg(const char *arg)
{
	/* read by pam_get_authtok() itself, or by this file */
	return strcmp(arg, "debug") == 0 || strcmp(arg, "use_first_pass") == 0 ||
	       strcmp(arg, "try_first_pass") == 0 || strcmp(arg, "use_authtok") == 0;
}

/* Defaults, then the file, then "key=value" arguments: one setter for all. */
int
alz_pam_ctx_init(struct alz_pam_ctx *c, pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *conf = ALZ_DEFAULT_CONF, *item = NULL, *eq;
	enum alz_rc rc;
	char key[64];
	int i;

	memset(c, 0, sizeof(*c));
	c->pamh = pamh;
	c->flags = flags;
	c->lg.fn = pam_sink;
	c->lg.ctx = pamh;
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "conf=", 5) == 0)
			conf = argv[i] + 5;
		else if (strcmp(argv[i], "debug") == 0)
			c->lg.debug = 1;
	}
	rc = alz_config_init(&c->cfg);
	if (rc != ALZ_OK)
		return alz_pam_code(rc);
	rc = alz_config_load_file(&c->cfg, conf, 0, &c->lg);
	for (i = 0; rc == ALZ_OK && i < argc; i++) {
		if (flag_arg(argv[i]) || strncmp(argv[i], "conf=", 5) == 0)
			continue;
		eq = strchr(argv[i], '=');
		if (eq == NULL || (size_t)(eq - argv[i]) >= sizeof(key)) {
			pam_syslog(pamh, LOG_ERR, "module argument '%s' is not known; refusing to run",
				   argv[i]);
			rc = ALZ_ERR_CONFIG;
			break;
		}
		memcpy(key, argv[i], (size_t)(eq - argv[i]));
		key[eq - argv[i]] = '\0';
		rc = alz_config_set(&c->cfg, key, eq + 1, "module argument", 0, &c->lg);
	}
	if (rc == ALZ_OK)
		rc = alz_config_finish(&c->cfg, conf, &c->lg);
	if (rc == ALZ_OK && !alz_config_scope_set(&c->cfg))
		rc = ALZ_SCOPE_UNSET;
	if (rc == ALZ_NOT_CONFIGURED || rc == ALZ_SCOPE_UNSET) {
		/* as shipped: nothing is asked, sent or decided until the admin says so */
		pam_syslog(pamh, LOG_NOTICE, rc == ALZ_NOT_CONFIGURED ?
			   "not configured: base_url unset in %s; doing nothing" :
			   "scope unset: neither alianza_group nor alianza_uids is set in %s, so "
			   "nobody is an Alianza user; doing nothing", conf);
		alz_config_free(&c->cfg);
		return alz_pam_code(rc);
	}
	if (rc != ALZ_OK) {
		pam_syslog(pamh, LOG_ERR, "configuration %s unusable; refusing to run", conf);
		alz_config_free(&c->cfg);
		return PAM_SERVICE_ERR;
	}
	if (c->cfg.debug)
		c->lg.debug = 1;

	if (pam_get_item(pamh, PAM_SERVICE, (const void **)&item) != PAM_SUCCESS || item == NULL)
		item = "?";
	c->service = item;
	item = NULL;
	if (pam_get_item(pamh, PAM_RHOST, (const void **)&item) != PAM_SUCCESS || item == NULL)
		item = "";
	alz_pam_log_safe(c->rhost, sizeof(c->rhost), item);
	return PAM_SUCCESS;
}

void
alz_pam_ctx_free(struct alz_pam_ctx *c)
{
	alz_config_free(&c->cfg);
}

/* Tell the user something, unless the application asked for silence. */
void
alz_pam_say(struct alz_pam_ctx *c, int style, const char *fmt, ...)
{
	va_list ap;

	if (c->flags & PAM_SILENT)
		return;
	va_start(ap, fmt);
	pam_vprompt(c->pamh, style, NULL, fmt, ap);
	va_end(ap);
}

long
alz_pam_ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The user-visible side of a refusal; the log line is written by the caller. */
void
alz_pam_explain(struct alz_pam_ctx *c, const struct alz_outcome *o)
{
	switch (o->rc) {
	case ALZ_ERR_LOCKED:
		alz_pam_say(c, PAM_ERROR_MSG, "Your account is locked. Contact an administrator.");
		break;
	case ALZ_ERR_FORBIDDEN:
		if (o->err.message[0] != '\0')
			alz_pam_say(c, PAM_ERROR_MSG, "Access denied: %s", o->err.message);
		else
			alz_pam_say(c, PAM_ERROR_MSG, "Access denied by the Alianza service.");
		break;
	case ALZ_ERR_RATE_LIMITED:
		if (o->retry_after >= 0)
			alz_pam_say(c, PAM_ERROR_MSG, "Too many attempts. Try again in %ld seconds.",
			    o->retry_after);
		else
			alz_pam_say(c, PAM_ERROR_MSG, "Too many attempts. Try again later.");
		break;
	case ALZ_ERR_SSO_DISABLED:
		/* the dialogue said so: no outage, so no "try again later" after it */
		break;
	default:
		/* a wrong password gets the application's own message */
		if (auth_code(o->rc) == PAM_AUTHINFO_UNAVAIL)
			alz_pam_say(c, PAM_ERROR_MSG,
				    "The authentication service is unavailable. Try again later.");
		break;
	}
}

/* The dialogue's way to the user: the PAM conversation. */
enum alz_rc
alz_pam_io_ask(void *ctx, const char *prompt, char **answer)
{
	struct alz_pam_ctx *c = ctx;
	char *resp = NULL;
	int ret;

	*answer = NULL;
	ret = pam_prompt(c->pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", prompt);
	if (ret != PAM_SUCCESS || resp == NULL) {
		alz_secret_free(resp);
		return ALZ_ERR_CONV;
	}
	*answer = resp;
	return ALZ_OK;
}

/*
 * INFO and PROMPT in one call of the application's conversation: sshd
 * (keyboard-interactive) then sends both in one packet, as the prompt's
 * text; a terminal prints them in order.
 */
enum alz_rc
alz_pam_io_ask_info(void *ctx, const char *info, const char *prompt, char **answer)
{
	struct alz_pam_ctx *c = ctx;
	const struct pam_conv *conv = NULL;
	struct pam_message m[2];
	const struct pam_message *mp[2] = { &m[0], &m[1] };
	struct pam_response *resp = NULL;
	enum alz_rc rc = ALZ_ERR_CONV;
	int ret, i;

	*answer = NULL;
	ret = pam_get_item(c->pamh, PAM_CONV, (const void **)&conv);
	if (ret != PAM_SUCCESS || conv == NULL || conv->conv == NULL)
		return ALZ_ERR_CONV;
	m[0].msg_style = PAM_TEXT_INFO;
	m[0].msg = info;
	m[1].msg_style = PAM_PROMPT_ECHO_OFF;
	m[1].msg = prompt;
	ret = conv->conv(2, mp, &resp, conv->appdata_ptr);
	if (ret == PAM_SUCCESS && resp != NULL && resp[1].resp != NULL) {
		*answer = resp[1].resp;
		resp[1].resp = NULL;	/* transferred */
		rc = ALZ_OK;
	}
	for (i = 0; resp != NULL && i < 2; i++)
		alz_secret_free(resp[i].resp);
	free(resp);
	return rc;
}

void
alz_pam_io_tell(void *ctx, bool error, const char *msg)
{
	alz_pam_say(ctx, error ? PAM_ERROR_MSG : PAM_TEXT_INFO, "%s", msg);
}

/* Local-user gate: the local account, then whom the module handles (alz_scope_user). */
enum alz_rc
alz_pam_local_user(struct alz_pam_ctx *c, struct passwd *pwbuf, char *buf, size_t buflen)
{
	struct passwd *pw = NULL;
	char why[120], name[80];
	enum alz_rc rc;
	int err;

	if (!alz_text_user(c->user))
		return ALZ_ERR_NO_USER;
	err = getpwnam_r(c->user, pwbuf, buf, buflen, &pw);
	if (err != 0 && err != ENOENT && err != ESRCH) {
		alz_log(&c->lg, LOG_ERR, "getpwnam_r: %s", strerror(err));
		return ALZ_ERR_SYSTEM;
	}
	if (pw == NULL)
		return ALZ_ERR_NO_USER;
	/* root, min_uid, ignore_users, then alianza_group / alianza_uids */
	rc = alz_scope_user(&c->cfg, &c->lg, pw, why, sizeof(why));
	if (rc != ALZ_OK) {
		alz_pam_log_safe(name, sizeof(name), pw->pw_name);
		alz_log(&c->lg, LOG_DEBUG, "user %s: %s: %s; left to other modules", name,
			alz_strerror(rc), why);
		return rc;
	}
	return alz_pam_user_key(c, pw->pw_name);
}

/*
 * From the gate on, the user is the name NSS answered: a source that
 * ignores case (LDAP, SSSD) maps "Alice" and "alice" to one account,
 * which is then one record, one throttle and offline counter, and one API
 * user (user_template is applied to this name too).
 */
enum alz_rc
alz_pam_user_key(struct alz_pam_ctx *c, const char *pw_name)
{
	char asked[80], name[80];

	if (!alz_text_user(pw_name)) {
		alz_pam_log_safe(name, sizeof(name), pw_name);
		alz_log(&c->lg, LOG_NOTICE, "NSS names the account %s: not a name pam_alianza "
			"can take", name);
		return ALZ_ERR_NO_USER;
	}
	if (strcmp(pw_name, c->user) != 0) {
		alz_pam_log_safe(asked, sizeof(asked), c->user);
		alz_pam_log_safe(name, sizeof(name), pw_name);
		alz_log(&c->lg, LOG_DEBUG, "user %s is %s for NSS: known by that name", asked, name);
	}
	memcpy(c->user_name, pw_name, strlen(pw_name) + 1);
	c->user = c->user_name;
	return ALZ_OK;
}


/*
 * The configuration cannot be used: Alianza users fail closed, but root and
 * system accounts (uid below the default min_uid) must not be locked out by
 * a broken pam_alianza.conf: they are not ours, whatever that file says.
 */
int
alz_pam_config_failed(pam_handle_t *pamh, int ret)
{
	const char *user = NULL;
	struct passwd pwbuf, *pw = NULL;
	char buf[4096];

	if (ret == PAM_IGNORE)
		return ret;	/* not configured: not even the user's name is asked */
	if (pam_get_user(pamh, &user, NULL) == PAM_SUCCESS && user != NULL &&
	    getpwnam_r(user, &pwbuf, buf, sizeof(buf), &pw) == 0 && pw != NULL &&
	    (pw->pw_uid == 0 || pw->pw_uid < ALZ_DEFAULT_MIN_UID))
		ret = PAM_IGNORE;
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

/* What every phase but authentication does first: config, user, local gate. */
int
alz_pam_phase_init(struct alz_pam_ctx *c, pam_handle_t *pamh, int flags, int argc, const char **argv,
	   char *user_log, size_t user_log_cap)
{
	struct passwd pwbuf;
	char pwstore[4096];
	enum alz_rc gate;
	int ret;

	ret = alz_pam_ctx_init(c, pamh, flags, argc, argv);
	if (ret != PAM_SUCCESS)
		return alz_pam_config_failed(pamh, ret);
	ret = pam_get_user(pamh, &c->user, NULL);
	if (ret != PAM_SUCCESS || c->user == NULL || c->user[0] == '\0') {
		alz_pam_ctx_free(c);
		return PAM_USER_UNKNOWN;
	}
	gate = alz_pam_local_user(c, &pwbuf, pwstore, sizeof(pwstore));
	explicit_bzero(pwstore, sizeof(pwstore));
	alz_pam_log_safe(user_log, user_log_cap, c->user);
	if (gate != ALZ_OK) {
		/* not ours (root, system account) or not local: leave it to other modules */
		alz_pam_ctx_free(c);
		return gate == ALZ_ERR_SYSTEM ? alz_pam_code(gate) : PAM_IGNORE;
	}
	return PAM_SUCCESS;
}

/* Policy check with the user's short reason and the full one in the log. */
enum alz_rc
alz_pam_allow(struct alz_pam_ctx *c, const char *user_log, const char *phase, const char *type,
      const char *partition_id)
{
	char reason[200], msg[120], part_log[80];
	enum alz_rc rc;

	rc = alz_policy_allow(&c->cfg, type, partition_id != NULL && partition_id[0] != '\0' ?
			      partition_id : NULL, reason, sizeof(reason), msg, sizeof(msg));
	alz_pam_log_safe(part_log, sizeof(part_log), partition_id);
	if (rc == ALZ_OK) {
		if (alz_list_has(c->cfg.allowed_partitions, "*"))
			alz_log(&c->lg, LOG_WARNING, "allowed_partitions = *: users of every tenant "
				"of the API may log in here");
		return ALZ_OK;
	}
	alz_pam_say(c, PAM_ERROR_MSG, "%s", msg);
	alz_log(&c->lg, LOG_NOTICE, "%s service=%s user=%s type=%s partition=%s result=denied "
		"reason=%s", phase, c->service, user_log, alz_user_type_show(type),
		part_log[0] != '\0' ? part_log : "-", reason);
	return rc;
}

/*
 * The user's facts: this process's own authentication first, else the
 * record if the API vouched for it within account_max_age. False: none.
 */
bool
alz_pam_get_facts(struct alz_pam_ctx *c, struct alz_pam_facts *out, const char **source)
{
	const struct alz_pam_facts *f = NULL;
	struct alz_cache cache;
	struct alz_record r;
	time_t now = time(NULL), at;
	bool fresh;

	memset(out, 0, sizeof(*out));
	if (pam_get_data(c->pamh, ALZ_PAM_DATA_FACTS, (const void **)&f) == PAM_SUCCESS && f != NULL &&
	    strcmp(f->user, c->user) == 0 && f->at <= now &&
	    now - f->at <= c->cfg.account_max_age) {
		*out = *f;
		*source = "this-auth";
		return true;
	}
	alz_cache_open(&cache, &c->cfg, 0, &c->lg);
	if (alz_cache_load(&cache, c->user, &r) != ALZ_OK) {
		*source = "none";
		return false;
	}
	/* a login's facts, or the account phase's who-am-I's (account_online_check) */
	at = alz_record_vouched_at(&r);
	fresh = at > 0 && at <= now && now - at <= c->cfg.account_max_age;
	if (fresh) {
		memcpy(out->user_type, r.user_type, sizeof(out->user_type));
		snprintf(out->partition_id, sizeof(out->partition_id), "%s",
			 r.partition_id != NULL ? r.partition_id : "");
		snprintf(out->partition_name, sizeof(out->partition_name), "%s",
			 r.partition_name != NULL ? r.partition_name : "");
		snprintf(out->user_id, sizeof(out->user_id), "%s", r.user_id != NULL ? r.user_id : "");
	}
	*source = fresh ? "record" : "stale-record";
	alz_record_free(&r);
	return fresh;
}

void
alz_pam_free_data(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	free(data);	/* facts and session ids: no secret in either */
}
