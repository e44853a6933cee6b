/* pam_alianza.c - the PAM glue: arguments, conversation, PAM return codes. */
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

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#define PAM_SM_SESSION
#define PAM_SM_PASSWORD
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "alz_config.h"
#include "alz_login.h"
#include "alz_password.h"
#include "alz_policy.h"
#include "alz_request.h"
#include "alz_secret.h"
#include "alz_session.h"

#define DATA_FACTS "pam_alianza_facts"	/* pam_set_data: auth -> account, same process */
#define DATA_SESSION "pam_alianza_session"	/* pam_set_data: open -> close session */

/* Per-call state of one entry point. */
struct ctx {
	pam_handle_t *pamh;
	int flags;
	struct alz_config cfg;
	struct alz_log lg;
	const char *service;
	const char *user;
	char rhost[64];		/* sanitised PAM_RHOST, for the log */
};

/* What a later phase needs to know about the user: from this process's auth, or the record. */
struct facts {
	char user[ALZ_MAX_USER + 1];	/* whom they are about: PAM_USER may change on a handle */
	time_t at;			/* when the API vouched */
	enum alz_user_type user_type;
	char partition_id[ALZ_MAX_FACT + 1];
	char partition_name[ALZ_MAX_FACT + 1];
	char user_id[ALZ_MAX_FACT + 1];
};

static void pam_sink(void *ctx, int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
pam_sink(void *ctx, int prio, const char *fmt, va_list ap)
{
	pam_vsyslog((pam_handle_t *)ctx, prio, fmt, ap);
}

/* The one place where an outcome becomes a PAM return code. */
static int
pam_code_for(enum alz_rc rc, bool chauthtok)
{
	/* pam_sm_chauthtok has its own vocabulary (pam_sm_chauthtok(3)) */
	if (chauthtok) {
		switch (rc) {
		case ALZ_OK:
			return PAM_SUCCESS;
		case ALZ_SKIP:
			return PAM_IGNORE;
		case ALZ_ERR_NO_USER:
			return PAM_USER_UNKNOWN;
		case ALZ_ERR_DENIED:
			return PAM_AUTHTOK_RECOVERY_ERR;	/* the current password is wrong */
		case ALZ_ERR_FORBIDDEN:
		case ALZ_ERR_LOCKED:
			return PAM_PERM_DENIED;
		case ALZ_ERR_CONV:
			return PAM_CONV_ERR;
		case ALZ_ERR_CONFIG:
		case ALZ_ERR_SYSTEM:
			return PAM_SERVICE_ERR;
		default:
			return PAM_AUTHTOK_ERR;
		}
	}
	switch (rc) {
	case ALZ_OK:
		return PAM_SUCCESS;
	case ALZ_SKIP:
		return PAM_IGNORE;
	case ALZ_ERR_NO_USER:
		return PAM_USER_UNKNOWN;
	case ALZ_ERR_NOMEM:
		return PAM_BUF_ERR;
	case ALZ_ERR_CONV:
		return PAM_CONV_ERR;
	case ALZ_ERR_CONFIG:
	case ALZ_ERR_SYSTEM:
		return PAM_SERVICE_ERR;
	case ALZ_ERR_FORBIDDEN:
	case ALZ_ERR_LOCKED:
		return PAM_PERM_DENIED;
	case ALZ_ERR_POLICY:
		return PAM_AUTHTOK_ERR;
	case ALZ_ERR_UNAVAILABLE:
	case ALZ_ERR_TIMEOUT:
	case ALZ_ERR_TLS:
	case ALZ_ERR_BAD_REPLY:
		/* deliberate: an admin can stack [authinfo_unavail=...] */
		return PAM_AUTHINFO_UNAVAIL;
	case ALZ_ERR_INPUT:
	case ALZ_ERR_WRONG_CLIENT:
	case ALZ_ERR_DENIED:
	case ALZ_ERR_2FA_REQUIRED:
	case ALZ_ERR_2FA_INVALID:
	case ALZ_ERR_2FA_EXPIRED:
	case ALZ_ERR_RATE_LIMITED:
	case ALZ_ERR_BAD_REQUEST:
	case ALZ_RC_COUNT:
		break;
	}
	return PAM_AUTH_ERR;	/* anything unforeseen fails closed */
}

static int
pam_code(enum alz_rc rc)
{
	return pam_code_for(rc, false);
}

/* Printable ASCII copy of a possibly hostile string, for log lines. */
static void
log_safe(char *dst, size_t cap, const char *src)
{
	size_t i;

	if (src == NULL)
		src = "";
	for (i = 0; i + 1 < cap && src[i] != '\0'; i++)
		dst[i] = ((unsigned char)src[i] > 0x20 && (unsigned char)src[i] < 0x7f) ?
			src[i] : '?';
	dst[i] = '\0';
}

static bool
flag_arg(const char *arg)
{
	/* read by pam_get_authtok() itself, or by this file */
	return strcmp(arg, "debug") == 0 || strcmp(arg, "use_first_pass") == 0 ||
	       strcmp(arg, "try_first_pass") == 0 || strcmp(arg, "use_authtok") == 0;
}

/* Defaults, then the file, then "key=value" arguments: one setter for all. */
static int
ctx_init(struct ctx *c, pam_handle_t *pamh, int flags, int argc, const char **argv)
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
		return pam_code(rc);
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
	log_safe(c->rhost, sizeof(c->rhost), item);
	return PAM_SUCCESS;
}

static void
ctx_free(struct ctx *c)
{
	alz_config_free(&c->cfg);
}

static void
say(struct ctx *c, int style, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Tell the user something, unless the application asked for silence. */
static void
say(struct ctx *c, int style, const char *fmt, ...)
{
	va_list ap;

	if (c->flags & PAM_SILENT)
		return;
	va_start(ap, fmt);
	pam_vprompt(c->pamh, style, NULL, fmt, ap);
	va_end(ap);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The user-visible side of a refusal; the log line is written by the caller. */
static void
explain(struct ctx *c, const struct alz_outcome *o)
{
	switch (o->rc) {
	case ALZ_ERR_LOCKED:
		say(c, PAM_ERROR_MSG, "Your account is locked. Contact an administrator.");
		break;
	case ALZ_ERR_FORBIDDEN:
		if (o->err.message[0] != '\0')
			say(c, PAM_ERROR_MSG, "Access denied: %s", o->err.message);
		else
			say(c, PAM_ERROR_MSG, "Access denied by the Alianza service.");
		break;
	case ALZ_ERR_RATE_LIMITED:
		if (o->retry_after >= 0)
			say(c, PAM_ERROR_MSG, "Too many attempts. Try again in %ld seconds.",
			    o->retry_after);
		else
			say(c, PAM_ERROR_MSG, "Too many attempts. Try again later.");
		break;
	case ALZ_ERR_UNAVAILABLE:
	case ALZ_ERR_TIMEOUT:
	case ALZ_ERR_TLS:
	case ALZ_ERR_BAD_REPLY:
		say(c, PAM_ERROR_MSG, "The authentication service is unavailable. Try again later.");
		break;
	default:
		break;	/* a wrong password gets the application's own message */
	}
}

/* The dialogue's way to the user: the PAM conversation. */
static enum alz_rc
io_ask(void *ctx, const char *prompt, char **answer)
{
	struct ctx *c = ctx;
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

static void
io_tell(void *ctx, bool error, const char *msg)
{
	say(ctx, error ? PAM_ERROR_MSG : PAM_TEXT_INFO, "%s", msg);
}

static void
facts_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	free(data);
}

/* Local-user gate: PAM_USER_UNKNOWN / PAM_IGNORE / OK with *PW set. */
static enum alz_rc
local_user(struct ctx *c, struct passwd *pwbuf, char *buf, size_t buflen)
{
	struct passwd *pw = NULL;
	int err;

	if (strlen(c->user) > ALZ_MAX_USER || !alz_text_valid(c->user))
		return ALZ_ERR_NO_USER;
	err = getpwnam_r(c->user, pwbuf, buf, buflen, &pw);
	if (err != 0 && err != ENOENT && err != ESRCH) {
		alz_log(&c->lg, LOG_ERR, "getpwnam_r: %s", strerror(err));
		return ALZ_ERR_SYSTEM;
	}
	if (pw == NULL)
		return ALZ_ERR_NO_USER;
	if (pw->pw_uid == 0 || pw->pw_uid < c->cfg.min_uid ||
	    alz_list_has(c->cfg.ignore_users, pw->pw_name))
		return ALZ_SKIP;
	return ALZ_OK;
}


/*
 * The configuration cannot be used: Alianza users fail closed, but root and
 * system accounts (uid below the default min_uid) must not be locked out by
 * a broken pam_alianza.conf: they are not ours, whatever that file says.
 */
static int
config_failed(pam_handle_t *pamh, int ret)
{
	const char *user = NULL;
	struct passwd pwbuf, *pw = NULL;
	char buf[4096];

	if (pam_get_user(pamh, &user, NULL) == PAM_SUCCESS && user != NULL &&
	    getpwnam_r(user, &pwbuf, buf, sizeof(buf), &pw) == 0 && pw != NULL &&
	    (pw->pw_uid == 0 || pw->pw_uid < ALZ_DEFAULT_MIN_UID))
		ret = PAM_IGNORE;
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

/* What every phase but authentication does first: config, user, local gate. */
static int
phase_init(struct ctx *c, pam_handle_t *pamh, int flags, int argc, const char **argv,
	   char *user_log, size_t user_log_cap)
{
	struct passwd pwbuf;
	char pwstore[4096];
	enum alz_rc gate;
	int ret;

	ret = ctx_init(c, pamh, flags, argc, argv);
	if (ret != PAM_SUCCESS)
		return config_failed(pamh, ret);
	ret = pam_get_user(pamh, &c->user, NULL);
	if (ret != PAM_SUCCESS || c->user == NULL || c->user[0] == '\0') {
		ctx_free(c);
		return PAM_USER_UNKNOWN;
	}
	log_safe(user_log, user_log_cap, c->user);
	gate = local_user(c, &pwbuf, pwstore, sizeof(pwstore));
	explicit_bzero(pwstore, sizeof(pwstore));
	if (gate != ALZ_OK) {
		/* not ours (root, system account) or not local: leave it to other modules */
		ctx_free(c);
		return gate == ALZ_ERR_SYSTEM ? PAM_SERVICE_ERR : PAM_IGNORE;
	}
	return PAM_SUCCESS;
}

/* Policy check with the user's short reason and the full one in the log. */
static int
allow(struct ctx *c, const char *user_log, const char *phase, enum alz_user_type type,
      const char *partition_id)
{
	char reason[200], msg[120], part_log[80];
	enum alz_rc rc;

	rc = alz_policy_allow(&c->cfg, type, partition_id != NULL && partition_id[0] != '\0' ?
			      partition_id : NULL, reason, sizeof(reason), msg, sizeof(msg));
	log_safe(part_log, sizeof(part_log), partition_id);
	if (rc == ALZ_OK) {
		if (alz_list_has(c->cfg.allowed_partitions, "*"))
			alz_log(&c->lg, LOG_WARNING, "allowed_partitions = *: users of every tenant "
				"of the API may log in here");
		return PAM_SUCCESS;
	}
	say(c, PAM_ERROR_MSG, "%s", msg);
	alz_log(&c->lg, LOG_NOTICE, "%s service=%s user=%s type=%s partition=%s result=denied "
		"reason=%s", phase, c->service, user_log, alz_user_type_name(type),
		part_log[0] != '\0' ? part_log : "-", reason);
	return PAM_PERM_DENIED;
}

/*
 * The user's facts: this process's own authentication first, else the
 * record if the API vouched for it within account_max_age. False: none.
 */
static bool
get_facts(struct ctx *c, struct facts *out, const char **source)
{
	const struct facts *f = NULL;
	struct alz_cache cache;
	struct alz_record r;
	time_t now = time(NULL);
	bool fresh;

	memset(out, 0, sizeof(*out));
	if (pam_get_data(c->pamh, DATA_FACTS, (const void **)&f) == PAM_SUCCESS && f != NULL &&
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
	fresh = r.online_at > 0 && r.online_at <= now && now - r.online_at <= c->cfg.account_max_age;
	if (fresh) {
		out->user_type = r.user_type;
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

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c;
	struct timespec t0;
	struct alz_login_result res;
	struct alz_auth_io io;
	struct passwd pwbuf;
	char pwstore[4096], user_log[80], part_log[80];
	const char *password = NULL;
	struct facts *facts = NULL;
	enum alz_rc rc, gate;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&res, 0, sizeof(res));
	/* a new attempt on the same handle must not inherit an earlier success's facts */
	pam_set_data(pamh, DATA_FACTS, NULL, NULL);
	ret = ctx_init(&c, pamh, flags, argc, argv);
	if (ret != PAM_SUCCESS)
		return config_failed(pamh, ret);

	ret = pam_get_user(pamh, &c.user, NULL);
	if (ret != PAM_SUCCESS || c.user == NULL || c.user[0] == '\0') {
		ret = PAM_USER_UNKNOWN;
		goto out;
	}
	log_safe(user_log, sizeof(user_log), c.user);

	gate = local_user(&c, &pwbuf, pwstore, sizeof(pwstore));
	if (gate == ALZ_SKIP || gate == ALZ_ERR_SYSTEM) {
		alz_log(&c.lg, LOG_DEBUG, "user %s: %s", user_log, alz_strerror(gate));
		ret = pam_code(gate);
		goto out;
	}
	/*
	 * Ask for the password even for an unknown user, so the prompt does
	 * not reveal which names exist; the answer then goes nowhere.
	 */
	ret = pam_get_authtok(pamh, PAM_AUTHTOK, &password, NULL);
	if (ret != PAM_SUCCESS) {
		alz_log(&c.lg, LOG_NOTICE, "user %s: no password obtained: %s", user_log,
			pam_strerror(pamh, ret));
		goto out;
	}
	if (gate == ALZ_ERR_NO_USER) {
		alz_log(&c.lg, LOG_NOTICE,
			"auth service=%s user=%s rhost=%s result=unknown-local-user (no request sent)",
			c.service, user_log, c.rhost);
		ret = pam_code(gate);
		goto out;
	}
	if (password == NULL || password[0] == '\0') {
		alz_log(&c.lg, LOG_NOTICE,
			"auth service=%s user=%s rhost=%s result=empty-password (no request sent)",
			c.service, user_log, c.rhost);
		ret = PAM_AUTH_ERR;
		goto out;
	}

	io.ask = io_ask;
	io.tell = io_tell;
	io.ctx = &c;
	/*
	 * In a setuid host (su) the invoking user can stall the call past its
	 * deadline (SIGSTOP) and so pick an offline login: allow that only for
	 * their own account, never for someone else's old password.
	 */
	if (c.cfg.offline_window > 0 && getauxval(AT_SECURE) != 0 && getuid() != pwbuf.pw_uid) {
		alz_log(&c.lg, LOG_DEBUG, "setuid caller uid %u for another user: no offline window",
			(unsigned)getuid());
		c.cfg.offline_window = 0;
	}
	rc = alz_login_run(&c.cfg, &c.lg, &io, c.user, password, 0, &res);
	if (rc == ALZ_ERR_INPUT)
		alz_log(&c.lg, LOG_NOTICE,
			"user %s: user name or password is not valid UTF-8 text or too long (no request sent)",
			user_log);
	if (rc == ALZ_ERR_BAD_REQUEST)
		alz_log(&c.lg, LOG_ERR, "the API refused our request as malformed (400 %s): "
			"a pam_alianza bug or a user name it cannot take", res.o.err.code);

	log_safe(part_log, sizeof(part_log), res.partition_id);
	alz_log(&c.lg, rc == ALZ_OK ? LOG_INFO : LOG_NOTICE,
		"auth service=%s user=%s rhost=%s result=%s via=%s status=%ld code=%s type=%s "
		"partition=%s logins=%d codes=%d 2fa=%s%s%s%s%s ms=%ld",
		c.service, user_log, c.rhost,
		rc == ALZ_OK ? "success" : res.deny_reason[0] != '\0' ? "denied" : alz_rc_name(rc),
		alz_via_name(res.via), res.o.status,
		res.o.err.code[0] != '\0' ? res.o.err.code : "-",
		res.user_type != ALZ_UT_UNKNOWN ? alz_user_type_name(res.user_type) : "-",
		part_log[0] != '\0' ? part_log : "-",
		res.trace.login_calls, res.trace.code_calls,
		res.trace.local_totp ? (res.trace.remote_2fa ? "api+local" : "local") :
		(res.trace.remote_2fa ? "api" : "none"),
		res.offline_reason[0] != '\0' ? " offline-because=" : "", res.offline_reason,
		res.deny_reason[0] != '\0' ? " reason=" : "", res.deny_reason, ms_since(&t0));
	if (rc != ALZ_OK) {
		if (res.deny_msg[0] != '\0')
			say(&c, PAM_ERROR_MSG, "%s", res.deny_msg);
		else
			explain(&c, &res.o);
		ret = pam_code(rc);
		goto out;
	}

	facts = calloc(1, sizeof(*facts));
	if (facts == NULL) {
		ret = PAM_BUF_ERR;
		goto out;
	}
	facts->user_type = res.user_type;
	snprintf(facts->user, sizeof(facts->user), "%s", c.user);
	facts->at = time(NULL);
	memcpy(facts->partition_id, res.partition_id, sizeof(facts->partition_id));
	memcpy(facts->partition_name, res.partition_name, sizeof(facts->partition_name));
	memcpy(facts->user_id, res.user_id, sizeof(facts->user_id));
	ret = pam_set_data(pamh, DATA_FACTS, facts, facts_cleanup);
	if (ret != PAM_SUCCESS) {
		free(facts);
		goto out;
	}
	ret = PAM_SUCCESS;
out:
	alz_login_result_free(&res);
	explicit_bzero(pwstore, sizeof(pwstore));
	ctx_free(&c);
	return ret;
}

PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct facts f;
	struct ctx c;
	const char *source = NULL;
	char user_log[80];
	enum alz_rc rc;
	int ret, added = 0;

	ret = phase_init(&c, pamh, flags, argc, argv, user_log, sizeof(user_log));
	if (ret != PAM_SUCCESS)
		return ret;
	/* PAM_DELETE_CRED, PAM_REFRESH_CRED: the groups go with the process */
	if ((flags & (PAM_ESTABLISH_CRED | PAM_REINITIALIZE_CRED)) == 0)
		goto out;
	if (!get_facts(&c, &f, &source)) {
		alz_log(&c.lg, LOG_DEBUG, "setcred user=%s: no fresh facts (%s); no groups added",
			user_log, source);
		goto out;
	}
	/* a user the policy refuses gets nothing, whatever the stack does next */
	if (alz_policy_allow(&c.cfg, f.user_type, f.partition_id[0] != '\0' ? f.partition_id : NULL,
			     (char[200]){ 0 }, 200, (char[120]){ 0 }, 120) != ALZ_OK)
		goto out;
	rc = alz_policy_add_groups(&c.cfg, f.user_type, &c.lg, &added);
	alz_log(&c.lg, rc == ALZ_OK ? LOG_INFO : LOG_ERR,
		"setcred service=%s user=%s type=%s groups_added=%d result=%s", c.service, user_log,
		alz_user_type_name(f.user_type), added, rc == ALZ_OK ? "ok" : alz_rc_name(rc));
	if (rc != ALZ_OK)
		ret = PAM_CRED_ERR;
out:
	ctx_free(&c);
	return ret;
}

PAM_EXTERN int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct facts f;
	struct ctx c;
	const char *source = NULL;
	char user_log[80];
	int ret;

	ret = phase_init(&c, pamh, flags, argc, argv, user_log, sizeof(user_log));
	if (ret != PAM_SUCCESS)
		return ret;
	if (!get_facts(&c, &f, &source)) {
		/* authenticated by another module (a key, say) and nothing fresh to go by */
		ret = c.cfg.account_deny_without_facts ? PAM_PERM_DENIED : PAM_IGNORE;
		alz_log(&c.lg, LOG_INFO, "account service=%s user=%s facts=%s result=%s", c.service,
			user_log, source, ret == PAM_IGNORE ? "ignore" : "denied");
		if (ret == PAM_PERM_DENIED)
			say(&c, PAM_ERROR_MSG, "Access denied: log in with your Alianza password first.");
		goto out;
	}
	ret = allow(&c, user_log, "account", f.user_type, f.partition_id);
	if (ret == PAM_SUCCESS)
		alz_log(&c.lg, LOG_INFO, "account service=%s user=%s type=%s facts=%s result=allowed",
			c.service, user_log, alz_user_type_name(f.user_type), source);
out:
	ctx_free(&c);
	return ret;
}

/* The session's environment: who the API says the user is. Never the token. */
static int
export_env(struct ctx *c, const struct alz_record *r)
{
	const struct {
		const char *name;
		const char *value;
	} vars[] = {
		{ "USER_TYPE", alz_user_type_name(r->user_type) },
		{ "PARTITION_ID", r->partition_id },
		{ "PARTITION_NAME", r->partition_name },
		{ "USER_ID", r->user_id },
		{ "USER_NAME", r->api_user },
	};
	char buf[512];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if (vars[i].value == NULL)
			continue;
		snprintf(buf, sizeof(buf), "%s%s=%s", c->cfg.env_prefix, vars[i].name, vars[i].value);
		ret = pam_putenv(c->pamh, buf);
		if (ret != PAM_SUCCESS)
			return ret;
	}
	return PAM_SUCCESS;
}

static void
session_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	free(data);
}

PAM_EXTERN int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct alz_cache cache;
	struct alz_record r;
	struct ctx c;
	char user_log[80], *id = NULL;
	enum alz_rc rc;
	int ret;

	ret = phase_init(&c, pamh, flags, argc, argv, user_log, sizeof(user_log));
	if (ret != PAM_SUCCESS)
		return ret;
	alz_cache_open(&cache, &c.cfg, 0, &c.lg);
	if (alz_cache_load(&cache, c.user, &r) != ALZ_OK) {
		alz_log(&c.lg, LOG_DEBUG, "session user=%s: no cached record", user_log);
		ret = PAM_IGNORE;
		goto out;
	}
	if (r.user_type == ALZ_UT_UNKNOWN || r.online_at == 0) {
		/* a record that only counts failures: nobody the API vouched for */
		ret = PAM_IGNORE;
		goto out_record;
	}
	id = calloc(1, ALZ_SESSION_ID_LEN + 1);
	if (id == NULL) {
		ret = PAM_BUF_ERR;
		goto out_record;
	}
	rc = alz_session_claim(&cache, c.user, id);
	if (rc == ALZ_OK) {
		ret = pam_set_data(pamh, DATA_SESSION, id, session_cleanup);
		if (ret != PAM_SUCCESS)
			goto out_record;
		id = NULL;	/* transferred */
	}
	ret = export_env(&c, &r);
	if (ret != PAM_SUCCESS)
		goto out_record;
	alz_log(&c.lg, LOG_INFO, "session open service=%s user=%s type=%s partition=%s token=%s",
		c.service, user_log, alz_user_type_name(r.user_type),
		r.partition_id != NULL ? r.partition_id : "-",
		rc == ALZ_OK ? "claimed" : "none");
	ret = PAM_SUCCESS;
out_record:
	alz_record_free(&r);
out:
	free(id);
	ctx_free(&c);
	return ret;
}

PAM_EXTERN int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct alz_cache cache;
	struct alz_http http;
	struct alz_outcome o;
	struct ctx c;
	const char *id = NULL;
	char user_log[80], *token = NULL;
	enum alz_rc rc;
	int ret;

	ret = phase_init(&c, pamh, flags, argc, argv, user_log, sizeof(user_log));
	if (ret != PAM_SUCCESS)
		return ret;
	memset(&http, 0, sizeof(http));
	memset(&o, 0, sizeof(o));
	if (pam_get_data(pamh, DATA_SESSION, (const void **)&id) != PAM_SUCCESS || id == NULL) {
		alz_log(&c.lg, LOG_DEBUG, "session close user=%s: no token claimed by this session",
			user_log);
		goto out;
	}
	alz_cache_open(&cache, &c.cfg, 0, &c.lg);
	rc = alz_session_release(&cache, c.user, id, &token);
	if (rc != ALZ_OK || token == NULL)
		goto out;
	if (!c.cfg.logout) {
		alz_log(&c.lg, LOG_INFO, "session close user=%s: token dropped (logout = no)", user_log);
		goto out;
	}
	rc = alz_http_init(&http, &c.cfg, &c.lg);
	if (rc == ALZ_OK)
		rc = alz_api_logout(&http, token, &o);
	/* a failed logout is logged; it never holds up the session's end */
	alz_log(&c.lg, rc == ALZ_OK ? LOG_INFO : LOG_WARNING,
		"session close service=%s user=%s logout=%s status=%ld", c.service, user_log,
		rc == ALZ_OK ? "done" : alz_rc_name(rc), o.status);
out:
	alz_outcome_free(&o);
	alz_http_cleanup(&http);
	alz_secret_free(token);
	ctx_free(&c);
	return PAM_SUCCESS;
}

PAM_EXTERN int
pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct alz_outcome o;
	struct ctx c;
	const char *old_pw = NULL, *new_pw = NULL;
	char user_log[80], msg[160];
	enum alz_rc rc;
	int ret;

	memset(&o, 0, sizeof(o));
	ret = phase_init(&c, pamh, flags, argc, argv, user_log, sizeof(user_log));
	if (ret != PAM_SUCCESS)
		return ret;
	if (flags & PAM_PRELIM_CHECK) {
		/* collect the current password; the API judges it in the update, once */
		ret = pam_get_authtok(pamh, PAM_OLDAUTHTOK, &old_pw, NULL);
		if (ret == PAM_SUCCESS && (old_pw == NULL || old_pw[0] == '\0'))
			ret = PAM_AUTHTOK_RECOVERY_ERR;
		goto out;
	}
	if ((flags & PAM_UPDATE_AUTHTOK) == 0) {
		ret = PAM_SERVICE_ERR;
		goto out;
	}
	ret = pam_get_authtok(pamh, PAM_OLDAUTHTOK, &old_pw, NULL);
	if (ret != PAM_SUCCESS)
		goto out;
	if (old_pw == NULL || old_pw[0] == '\0') {
		ret = PAM_AUTHTOK_RECOVERY_ERR;
		goto out;
	}
	/* asks twice ("Retype new password"); use_authtok takes a stacked one */
	ret = pam_get_authtok(pamh, PAM_AUTHTOK, &new_pw, NULL);
	if (ret != PAM_SUCCESS)
		goto out;
	if (new_pw == NULL || new_pw[0] == '\0') {
		ret = PAM_AUTHTOK_ERR;
		goto out;
	}
	rc = alz_password_policy(new_pw, msg, sizeof(msg));
	if (rc == ALZ_OK && strcmp(new_pw, old_pw) == 0) {
		snprintf(msg, sizeof(msg), "The new password must differ from the current one.");
		rc = ALZ_ERR_POLICY;
	}
	if (rc != ALZ_OK) {
		say(&c, PAM_ERROR_MSG, "%s", msg);
		alz_log(&c.lg, LOG_NOTICE, "chauthtok service=%s user=%s result=local-policy "
			"(no request sent): %s", c.service, user_log, msg);
		ret = pam_code_for(rc, true);
		pam_set_item(pamh, PAM_AUTHTOK, NULL);	/* let the application ask again */
		goto out;
	}
	rc = alz_password_change(&c.cfg, &c.lg, c.user, old_pw, new_pw, 0, &o);
	alz_log(&c.lg, rc == ALZ_OK ? LOG_INFO : LOG_NOTICE,
		"chauthtok service=%s user=%s result=%s status=%ld code=%s", c.service, user_log,
		rc == ALZ_OK ? "changed" : alz_rc_name(rc), o.status,
		o.err.code[0] != '\0' ? o.err.code : "-");
	switch (rc) {
	case ALZ_OK:
		say(&c, PAM_TEXT_INFO, "Your Alianza password has been changed.");
		break;
	case ALZ_ERR_DENIED:
		say(&c, PAM_ERROR_MSG, "The current password is wrong.");
		break;
	case ALZ_ERR_POLICY:
		say(&c, PAM_ERROR_MSG, "The new password was refused: %s",
		    o.err.message[0] != '\0' ? o.err.message : "it does not meet the password policy.");
		break;
	default:
		explain(&c, &o);
		break;
	}
	ret = pam_code_for(rc, true);
out:
	alz_outcome_free(&o);
	ctx_free(&c);
	return ret;
}
