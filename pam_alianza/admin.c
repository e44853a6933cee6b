/*
 * admin.c - pam_alianza-admin: check the setup, try a login, look into the cache
 * (status: admin_status.c).
 * Built from the same PAM-free library as the module (as Linux-PAM's faillock
 * command is built beside pam_faillock), so it reads the config exactly as
 * the module does. Its prompts are in admin_tty.c, the totp command in
 * admin_totp.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "alz_admin.h"
#include "alz_cache.h"
#include "alz_login.h"
#include "alz_policy.h"
#include "alz_request.h"
#include "alz_scope.h"
#include "alz_secret.h"
#include "alz_text.h"
#include "alz_totp.h"

#define PW_BUF 4096	/* bytes for getpwnam_r, as the module's gate */

static int problems;

static void stderr_sink(void *ctx, int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
stderr_sink(void *ctx, int prio, const char *fmt, va_list ap)
{
	(void)ctx;
	fprintf(stderr, "%s: ", prio <= LOG_ERR ? "error" : prio == LOG_WARNING ? "warning" : "note");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (prio <= LOG_WARNING)
		problems++;
}

static struct alz_log lg = { stderr_sink, NULL, 0 };

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: pam_alianza-admin [--conf PATH] [--set KEY=VALUE]... COMMAND\n"
		"  check               read the config as the module does, check files and\n"
		"                      permissions, reach the API; print every problem\n"
		"  login USER          run a whole login (password, codes) without a PAM service;\n"
		"                      print the verdict, user type, partition, groups, environment\n"
		"  cache list          users with a cache record\n"
		"  cache show USER     one record (never the token)\n"
		"  cache purge [USER]  delete one record, or all, and log out every token it held\n"
		"  totp enroll [--force] [--no-confirm] [--issuer NAME] USER\n"
		"                      make USER a secret for the host's own TOTP (local_totp_file),\n"
		"                      show it as a QR code, keep it once a code from it is typed\n"
		"  totp list           users with a local TOTP secret (never the secret)\n"
		"  totp remove USER    delete USER's local TOTP secret\n"
		"--set applies a setting as a module argument would (e.g. allowed_user_types=...,\n"
		"groups.supplier=sudo,adm).\n"
		"--conf, --set, login, cache, status and totp need a real uid of root (not a setuid one);\n"
		"check needs root too (or the tool installed setuid root): it reads what the\n"
		"module reads as root.\n"
		"Exit: 0 ok, 1 problems found (check, status), login or command refused, 2 usage, 3 unusable\n"
		"config, 4 not root.\n");
}

/*
 * Who asks is the real uid, not the effective one: installed setuid root,
 * the tool must not read a file of the caller's choosing as root (its
 * lines come back in error messages), take the caller's settings for
 * root's, or open the cache to them. ROOT_CMD: the command, if it needs root.
 */
static int
caller_allowed(const char *path, int nsets, const char *root_cmd)
{
	unsigned ruid = (unsigned)getuid();

	if (ruid != 0 && (strcmp(path, ALZ_DEFAULT_CONF) != 0 || nsets > 0)) {
		fprintf(stderr, "error: --conf and --set need root (the real uid is %u); "
			"without them the tool reads %s\n", ruid, ALZ_DEFAULT_CONF);
		return EX_NOTROOT;
	}
	/* the config is root's 0600 and the cache root's 0700: only root sees what the module sees */
	if (root_cmd == NULL && geteuid() != 0) {
		fprintf(stderr, "error: check needs root (the uid is %u): it reads %s and the cache "
			"as the module does, as root; run it as root (sudo pam_alianza-admin check)\n",
			ruid, path);
		return EX_NOTROOT;
	}
	if (root_cmd != NULL && (ruid != 0 || geteuid() != 0)) {
		fprintf(stderr, "error: %s needs root (the real uid is %u): it reads and writes "
			"%s\n", root_cmd, ruid, strcmp(root_cmd, "totp") == 0 ?
			"the local TOTP file" : "the cache");
		return EX_NOTROOT;
	}
	return EX_OK;
}

/* EX_OK also when base_url is unset: *CONFIGURED then says so (the module does nothing). */
static int
load_config(struct alz_config *cfg, const char *path, char **sets, int nsets, bool *configured)
{
	enum alz_rc rc;
	int i;

	*configured = false;
	if (alz_config_init(cfg) != ALZ_OK)
		return EX_CONFIG;
	if (alz_config_load_file(cfg, path, 0, &lg) != ALZ_OK)
		return EX_CONFIG;
	for (i = 0; i < nsets; i++) {
		char *eq = strchr(sets[i], '=');

		if (eq == NULL) {
			fprintf(stderr, "error: --set %s: expected KEY=VALUE\n", sets[i]);
			return EX_USAGE;
		}
		*eq = '\0';
		if (alz_config_set(cfg, sets[i], eq + 1, "--set", 0, &lg) != ALZ_OK)
			return EX_CONFIG;
	}
	rc = alz_config_finish(cfg, path, &lg);
	if (rc != ALZ_OK && rc != ALZ_NOT_CONFIGURED)
		return EX_CONFIG;
	*configured = rc == ALZ_OK;
	lg.debug = cfg->debug;
	return EX_OK;
}

/*
 * The group map, one line per groups.TYPE key, each group looked up as
 * setcred will: a missing one is a problem. A mapped type the policy does
 * not allow is said, not counted: another service's arguments may allow it.
 */
static void
check_mapped_groups(const struct alz_config *cfg)
{
	char name[ALZ_MAX_LIST_ITEM];
	const struct alz_type_groups *g;
	const char *p;
	gid_t gid;
	size_t i;
	int err;

	if (cfg->ntype_groups == 0)
		printf("groups: no groups.<TYPE> key; no user type gets a local group\n");
	for (i = 0; i < cfg->ntype_groups; i++) {
		g = &cfg->type_groups[i];
		printf("groups.%s: %s%s\n", g->type, g->groups != NULL ? g->groups : "(none)",
		       alz_type_list_has(&cfg->allowed_types, g->type) ? "" :
		       " (not in allowed_user_types: nobody of this type logs in here)");
		p = g->groups;
		while (p != NULL && alz_list_next(&p, name, sizeof(name))) {
			err = alz_policy_group_gid(name, &gid);
			if (err == 0)
				continue;
			if (err == ENOENT)
				printf("problem: group %s (groups.%s) does not exist locally: %s sessions "
				       "do not get it%s\n", name, g->type, g->type,
				       cfg->missing_group_fatal ? " (missing_group_fatal: their "
				       "setcred fails)" : "");
			else
				printf("problem: group %s (groups.%s) cannot be looked up: %s\n", name,
				       g->type, strerror(err));
			problems++;
		}
	}
}

/* Who the module handles: the scope, and each alianza_group named really exists. */
static void
check_scope(const struct alz_config *cfg)
{
	char name[ALZ_MAX_LIST_ITEM], who[200];
	const char *p = cfg->alianza_group;
	gid_t gid;
	int err;

	alz_scope_describe(cfg, who, sizeof(who));
	if (!alz_config_scope_set(cfg)) {
		printf("problem: neither alianza_group nor alianza_uids is set: nobody is an Alianza "
		       "user, the module does nothing (PAM_IGNORE for every user, no request sent)\n");
		problems++;
		return;
	}
	printf("Alianza users: %s (never root, uids below min_uid %lu, ignore_users)\n", who,
	       cfg->min_uid);
	while (p != NULL && alz_list_next(&p, name, sizeof(name))) {
		err = alz_policy_group_gid(name, &gid);
		if (err == 0)
			continue;
		if (err == ENOENT)
			printf("problem: alianza_group %s does not exist locally: nobody is an Alianza "
			       "user by it\n", name);
		else
			printf("problem: alianza_group %s cannot be looked up: %s\n", name,
			       strerror(err));
		problems++;
	}
}

/* ---- check */
static int
cmd_check(const struct alz_config *cfg, const char *path, bool configured)
{
	struct alz_cache cache;
	struct alz_http http;
	struct alz_http_reply r;
	enum alz_rc rc;

	printf("config %s: read, every key understood\n", path);
	if (!configured) {
		printf("problem: base_url is not set: pam_alianza is not configured and does nothing "
		       "(PAM_IGNORE for every user, no request sent)\n");
		problems++;
	}
	check_scope(cfg);
	check_mapped_groups(cfg);
	if (cfg->allowed_partitions == NULL) {
		printf("problem: allowed_partitions is not set: nobody can log in\n");
		problems++;
	} else if (alz_list_has(cfg->allowed_partitions, "*")) {
		printf("warning: allowed_partitions = *: every tenant of the API may log in\n");
	}
	/* AT_EACCESS: readable as the module (root) reads it, also when run setuid */
	if (cfg->ca_file != NULL && faccessat(AT_FDCWD, cfg->ca_file, R_OK, AT_EACCESS) != 0) {
		printf("problem: ca_file %s: %s\n", cfg->ca_file, strerror(errno));
		problems++;
	}
	alz_cache_open(&cache, cfg, 0, &lg);
	printf("cache %s: %s\n", cfg->cache_dir, cache.usable ? "usable" : "NOT usable (see above)");
	if (!cache.usable)
		problems++;
	if ((cfg->local_totp_types.all || cfg->local_totp_types.names != NULL) &&
	    faccessat(AT_FDCWD, cfg->local_totp_file, R_OK, AT_EACCESS) != 0) {
		printf("problem: local TOTP is required but %s: %s\n", cfg->local_totp_file,
		       strerror(errno));
		problems++;
	}
	rc = configured ? alz_http_init(&http, cfg, &lg) : ALZ_NOT_CONFIGURED;
	if (rc == ALZ_OK) {
		/* a GET without a token: any HTTP answer proves DNS, TCP, TLS and the CA */
		rc = alz_http_call(&http, ALZ_P_USERINFO, NULL, NULL, &r);
		if (rc == ALZ_OK) {
			printf("API %s: reached in %ld ms, certificate verified, GET %s answered %ld%s\n",
			       alz_http_answered(&http), r.elapsed_ms, cfg->paths[ALZ_P_USERINFO], r.status,
			       r.status == 401 ? " (as expected without a token)" : "");
			if (r.status >= 300 && r.status < 400) {
				printf("problem: the API redirects; the module never follows redirects\n");
				problems++;
			}
		} else {
			printf("problem: API %s%s not usable: %s (%s)\n", cfg->base_urls.url[0],
			       cfg->base_urls.n > 1 ? " and every other base_url" : "", alz_strerror(rc),
			       http.errbuf);
			problems++;
		}
		alz_http_reply_free(&r);
		alz_http_cleanup(&http);
	}
	printf("%s\n", problems ? "problems found" : "all good");
	return problems ? EX_PROBLEM : EX_OK;
}

/* ---- login */
/*
 * The module's gate, in its order: the name as it takes one, the local
 * account (getpwnam_r), then whom it handles (root, min_uid, ignore_users,
 * the scope). EX_OK with *PW set; else the verdict is printed here.
 */
static int
login_gate(const struct alz_config *cfg, const char *user, struct passwd *pwbuf, char *buf,
	   size_t cap, struct passwd **pw)
{
	char name[80], why[120];
	enum alz_rc rc;
	int err;

	*pw = NULL;
	alz_text_copy_safe(name, sizeof(name), user, ALZ_TEXT_VISIBLE);
	if (!alz_text_user(user)) {
		printf("verdict: refused (%s is not a user name pam_alianza takes: the module "
		       "refuses it; no request sent)\n", name);
		return EX_PROBLEM;
	}
	err = getpwnam_r(user, pwbuf, buf, cap, pw);
	if (err != 0 && err != ENOENT && err != ESRCH) {
		printf("verdict: refused (getpwnam_r: %s: the module fails too)\n", strerror(err));
		return EX_PROBLEM;
	}
	if (*pw == NULL) {
		printf("verdict: refused (no local user %s: the module refuses a user the passwd "
		       "database does not know; add the account, or an NSS source, first; no request "
		       "sent)\n", name);
		return EX_PROBLEM;
	}
	rc = alz_scope_user(cfg, &lg, *pw, why, sizeof(why));
	if (rc == ALZ_ERR_SYSTEM) {
		printf("verdict: refused (%s: %s; the module fails too)\n", name, why);
		return EX_PROBLEM;
	}
	if (rc != ALZ_OK) {
		printf("verdict: not an Alianza user (%s: %s): the module leaves this user to the "
		       "other modules (PAM_IGNORE) without a prompt; no request sent\n", name, why);
		return EX_PROBLEM;
	}
	if (!alz_text_user((*pw)->pw_name)) {
		printf("verdict: refused (NSS names the account something pam_alianza cannot take)\n");
		return EX_PROBLEM;
	}
	return EX_OK;
}

static int
cmd_login(const struct alz_config *cfg, bool configured, const char *user)
{
	struct alz_auth_io io = { alz_admin_ask, alz_admin_tell, NULL, NULL };
	/* the module's rule: run setuid, the tool trusts no failure its caller could cause */
	struct alz_login_opts opts = { 0, getauxval(AT_SECURE) != 0 };
	struct alz_login_result res;
	struct alz_config run;
	struct passwd pwbuf, *pw = NULL;
	char *password = NULL, name[ALZ_MAX_LIST_ITEM], pwstore[PW_BUF];
	const char *p;
	enum alz_rc rc;
	int ret, warned;

	memset(&res, 0, sizeof(res));
	if (!configured) {
		printf("verdict: not configured (base_url is unset: the module does nothing, "
		       "PAM_IGNORE for every user; no request sent)\n");
		return EX_PROBLEM;
	}
	ret = login_gate(cfg, user, &pwbuf, pwstore, sizeof(pwstore), &pw);
	if (ret != EX_OK)
		goto out;
	ret = EX_PROBLEM;
	if (alz_admin_ask(NULL, "Password: ", &password) != ALZ_OK)
		goto out;
	/* the tool opens no session that could log the token out later: it goes at once */
	run = *cfg;	/* shallow: cfg keeps ownership of every string */
	run.logout_after_auth = true;
	warned = problems;
	rc = alz_login_run(&run, &lg, &io, pw->pw_name, password, &opts, &res);
	alz_secret_free(password);
	printf("verdict: %s (%s)\n", rc == ALZ_OK ? "accepted" : "refused",
	       rc == ALZ_OK ? alz_via_name(res.via) : alz_strerror(rc));
	if (res.deny_reason[0] != '\0')
		printf("reason: %s\n", res.deny_reason);
	if (res.o.status != 0)
		printf("last API status: %ld %s\n", res.o.status, res.o.err.code);
	if (rc == ALZ_OK) {
		printf("user type: %s\npartition: %s (%s)\nuser id: %s\n",
		       alz_user_type_show(res.user_type), res.partition_id, res.partition_name,
		       res.user_id);
		printf("groups:");
		p = alz_config_groups(cfg, res.user_type);
		while (p != NULL && alz_list_next(&p, name, sizeof(name)))
			printf(" %s", name);
		printf("\nenvironment:\n");
		printf("  %sUSER_TYPE=%s\n", cfg->env_prefix, res.user_type);
		printf("  %sPARTITION_ID=%s\n", cfg->env_prefix, res.partition_id);
		printf("  %sPARTITION_NAME=%s\n", cfg->env_prefix, res.partition_name);
		printf("  %sUSER_ID=%s\n", cfg->env_prefix, res.user_id);
		if (res.via == ALZ_VIA_ONLINE)
			printf("token: %s\n", problems == warned ? "logged out at once (the tool "
			       "opens no session)" : "logged out at once, unless a warning above "
			       "says the logout failed");
	}
	ret = rc == ALZ_OK ? EX_OK : EX_PROBLEM;
out:
	alz_login_result_free(&res);
	explicit_bzero(pwstore, sizeof(pwstore));
	return ret;
}

/* ---- cache */
void
alz_admin_fmt_time(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL)
		snprintf(buf, cap, "never");
	else
		strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

static void
list_one(void *ctx, const char *user)
{
	const struct alz_cache *c = ctx;
	struct alz_record r;
	char when[32];

	if (alz_cache_load(c, user, &r) != ALZ_OK) {
		printf("%-20s (unreadable record: ignored by the module)\n", user);
		return;
	}
	alz_admin_fmt_time(r.online_at, when, sizeof(when));
	printf("%-20s %-16s %-16s online %s, %zu token(s)%s%s\n", user,
	       alz_user_type_show(r.user_type), r.partition_id != NULL ? r.partition_id : "-", when,
	       r.ntokens, r.verifier != NULL ? ", verifier" : "",
	       r.refused_at != 0 ? ", refused by the API" : "");
	alz_record_free(&r);
}

static int
cmd_cache_show(const struct alz_cache *c, const char *user)
{
	struct alz_record r;
	char when[32];
	enum alz_rc why;
	time_t refused;
	size_t i;

	refused = alz_cache_refused(c, user, &why);
	if (alz_cache_load(c, user, &r) != ALZ_OK) {
		printf("no usable record for %s\n", user);
		return EX_PROBLEM;
	}
	printf("user: %s\napi user: %s\nuser type: %s\nuser id: %s\npartition: %s (%s)\n",
	       r.local_user, r.api_user, alz_user_type_show(r.user_type),
	       r.user_id ? r.user_id : "-", r.partition_id ? r.partition_id : "-",
	       r.partition_name ? r.partition_name : "-");
	printf("api asked for a code: %s\n", r.api_2fa ? "yes" : "no");
	alz_admin_fmt_time(r.online_at, when, sizeof(when));
	printf("last online login: %s\n", when);
	alz_admin_fmt_time(r.auth_at, when, sizeof(when));
	printf("last login of any kind: %s\n", when);
	alz_admin_fmt_time(r.checked_at, when, sizeof(when));
	printf("last who-am-I (account_online_check): %s\n", when);
	printf("password verifier: %s\n", r.verifier != NULL ? "kept (a window is on)" : "none");
	printf("offline failures: %ld\nrecent wrong passwords (throttle): %zu\n", r.offline_failures,
	       r.nfail);
	alz_admin_fmt_time(refused, when, sizeof(when));
	/* a log-in's 403, or a who-am-I's 401/403 (account_online_check) */
	if (refused != 0)
		printf("refused by the API: %s (%s)\n", when, alz_record_refusal_name(why));
	else
		printf("refused by the API: %s\n", when);
	for (i = 0; i < r.ntokens; i++) {
		char until[32];

		/* never the token itself, nor its refresh token */
		alz_admin_fmt_time(r.tokens[i].expires_at, when, sizeof(when));
		alz_admin_fmt_time(r.tokens[i].refresh != NULL ?
				   r.tokens[i].issued_at + ALZ_REFRESH_LIFETIME : 0, until, sizeof(until));
		printf("token %zu: expires %s, %s%s%s\n", i + 1, when,
		       r.tokens[i].session[0] != '\0' ? "held by an open session" : "unclaimed",
		       r.tokens[i].refresh != NULL ? ", refresh token until " : "",
		       r.tokens[i].refresh != NULL ? until : "");
	}
	alz_record_free(&r);
	return EX_OK;
}

/* What a purge did with the tokens it dropped. */
struct purge {
	const struct alz_cache *cache;
	struct alz_http *http;	/* NULL: the API cannot be reached (base_url unset) */
	size_t users, dropped, ended, dead, failed;
	bool bad;		/* a record that could not be removed */
};

/* Every token a purge drops is ended at the API first (refreshed if it expired). */
static void
end_dropped(struct purge *p, const char *user, struct alz_evicted *ev)
{
	struct alz_end e;
	char what[96], name[80];
	time_t now = time(NULL);
	size_t i;

	alz_text_copy_safe(name, sizeof(name), user, ALZ_TEXT_VISIBLE);
	for (i = 0; i < ev->n; i++) {
		const struct alz_token *t = &ev->tokens[i];

		p->dropped++;
		if (p->http == NULL) {
			p->failed++;
			continue;
		}
		alz_api_end_token(p->http, t->token, alz_token_refresh_alive(t, now) ? t->refresh : NULL,
				  alz_token_expired(t, now), &e);
		alz_end_describe(&e, what, sizeof(what));
		if (e.rc == ALZ_OK) {
			p->ended++;
		} else if (!alz_end_may_live(&e)) {
			/* the API refused it (or its refresh token): nothing of it is usable there */
			p->dead++;
			printf("note: %s token %zu was dead at the API already: %s\n", name, i + 1, what);
		} else {
			p->failed++;
			printf("warning: %s token %zu not ended at the API: %s\n", name, i + 1, what);
		}
	}
	alz_evicted_free(ev);
}

static void
purge_one(void *ctx, const char *user)
{
	struct purge *p = ctx;
	struct alz_evicted ev;
	char name[80];

	alz_text_copy_safe(name, sizeof(name), user, ALZ_TEXT_VISIBLE);
	if (alz_cache_remove(p->cache, user, &ev) != ALZ_OK) {
		printf("no record for %s (or it could not be removed)\n", name);
		p->bad = true;
		return;
	}
	printf("purged %s (%zu token(s))\n", name, ev.n);
	p->users++;
	end_dropped(p, user, &ev);
}

static int
cmd_purge(const struct alz_cache *cache, bool configured, const char *user)
{
	struct alz_http http;
	struct purge p;
	enum alz_rc rc;

	memset(&p, 0, sizeof(p));
	memset(&http, 0, sizeof(http));
	p.cache = cache;
	rc = configured ? alz_http_init(&http, cache->cfg, &lg) : ALZ_NOT_CONFIGURED;
	if (rc == ALZ_OK)
		p.http = &http;
	else
		printf("warning: the API cannot be asked (%s): tokens are dropped without a logout\n",
		       alz_strerror(rc));
	if (user != NULL)
		purge_one(&p, user);
	else if (alz_cache_each(cache, purge_one, &p) != ALZ_OK)
		p.bad = true;
	/* a token dropped but alive at the API could still be used: say how many */
	printf("tokens: %zu dropped, %zu logged out at the API, %zu dead there already, %zu failed%s\n",
	       p.dropped, p.ended, p.dead, p.failed,
	       p.failed > 0 ? " (those may stay valid at the API until they expire)" : "");
	alz_http_cleanup(&http);
	return p.bad || p.failed > 0 ? EX_PROBLEM : EX_OK;
}

static int
cmd_cache(const struct alz_config *cfg, bool configured, int argc, char **argv)
{
	struct alz_cache cache;

	alz_cache_open(&cache, cfg, 0, &lg);
	if (!cache.usable) {
		fprintf(stderr, "error: the cache %s is not usable\n", cfg->cache_dir);
		return EX_PROBLEM;
	}
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return alz_cache_each(&cache, list_one, &cache) == ALZ_OK ? EX_OK : EX_PROBLEM;
	if (argc == 2 && strcmp(argv[0], "show") == 0)
		return cmd_cache_show(&cache, argv[1]);
	if (argc == 2 && strcmp(argv[0], "purge") == 0)
		return cmd_purge(&cache, configured, argv[1]);
	if (argc == 1 && strcmp(argv[0], "purge") == 0)
		return cmd_purge(&cache, configured, NULL);
	usage(stderr);
	return EX_USAGE;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conf", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = ALZ_DEFAULT_CONF;
	char *sets[64];
	struct alz_config cfg;
	bool check, status, root_cmd, configured = false;
	int nsets = 0, opt, ret;

	/* setuid: the caller wrote this environment (SSLKEYLOGFILE, proxies, TZ) */
	if (getauxval(AT_SECURE) != 0 && clearenv() != 0) {
		fputs("error: setuid, and the environment cannot be cleared\n", stderr);
		return EX_NOTROOT;
	}
	while ((opt = getopt_long(argc, argv, "+c:s:dh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 's':
			if (nsets == 64)
				return EX_USAGE;
			sets[nsets++] = optarg;
			break;
		case 'd':
			lg.debug = 1;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	check = argc == 1 && strcmp(argv[0], "check") == 0;
	status = argc >= 1 && strcmp(argv[0], "status") == 0;
	if (status && (argc > 2 || (argc == 2 && strcmp(argv[1], "--json") != 0))) {
		usage(stderr);
		return EX_USAGE;
	}
	root_cmd = (argc == 2 && strcmp(argv[0], "login") == 0) ||
		   (argc >= 1 && strcmp(argv[0], "cache") == 0) || status ||
		   (argc >= 2 && strcmp(argv[0], "totp") == 0);
	if (!check && !root_cmd) {
		usage(stderr);
		return EX_USAGE;
	}
	/* settled before any file is read */
	ret = caller_allowed(path, nsets, root_cmd ? argv[0] : NULL);
	if (ret != EX_OK)
		return ret;
	ret = load_config(&cfg, path, sets, nsets, &configured);
	if (ret != EX_OK) {
		fprintf(stderr, "error: %s cannot be used (see above); the module refuses it too\n", path);
		alz_config_free(&cfg);
		return ret;
	}
	if (check)
		ret = cmd_check(&cfg, path, configured);
	else if (status)
		ret = alz_admin_status(&cfg, path, configured, argc == 2, &lg);
	else if (strcmp(argv[0], "login") == 0)
		ret = cmd_login(&cfg, configured, argv[1]);
	else if (strcmp(argv[0], "totp") == 0)
		ret = alz_admin_totp(&cfg, &lg, argc - 1, argv + 1);
	else
		ret = cmd_cache(&cfg, configured, argc - 1, argv + 1);
	alz_config_free(&cfg);
	return ret;
}
