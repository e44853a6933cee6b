/* test_config.c - unit tests of the config parser: good files, every kind of bad line, permissions. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alz_config.h"
#include "tap.h"

static char logbuf[8192];

static void sink(void *ctx, int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
sink(void *ctx, int prio, const char *fmt, va_list ap)
{
	size_t n = strlen(logbuf);

	(void)ctx;
	(void)prio;
	vsnprintf(logbuf + n, sizeof(logbuf) - n, fmt, ap);
	n = strlen(logbuf);
	if (n + 1 < sizeof(logbuf))
		strcat(logbuf, "\n");
}

static const struct alz_log lg = { sink, NULL, 1 };
static char dir[] = "/tmp/alz-test-config-XXXXXX";
static char path[256];

static void
write_file(const char *text, size_t len, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(99);
	}
	fwrite(text, 1, len, f);
	fclose(f);
	chmod(path, mode);
}

/* Load TEXT as a config file; returns the rc and leaves the log in logbuf. */
static enum alz_rc
load_text(struct alz_config *cfg, const char *text, mode_t mode)
{
	enum alz_rc rc;

	logbuf[0] = '\0';
	write_file(text, strlen(text), mode);
	if (alz_config_init(cfg) != ALZ_OK)
		return ALZ_ERR_NOMEM;
	rc = alz_config_load_file(cfg, path, geteuid(), &lg);
	if (rc == ALZ_OK)
		rc = alz_config_finish(cfg, path, &lg);
	return rc;
}

static void
expect_ok(const char *name, const char *text)
{
	struct alz_config cfg;
	enum alz_rc rc = load_text(&cfg, text, 0600);

	if (!ok_rc(rc, ALZ_OK, "accepted: %s", name))
		printf("# log: %s", logbuf);
	alz_config_free(&cfg);
}

/* A bad file must fail, and the log must name the file, the line and the key. */
static void
expect_bad(const char *name, const char *text, unsigned line, const char *key)
{
	struct alz_config cfg;
	enum alz_rc rc = load_text(&cfg, text, 0600);
	char where[300];

	if (!ok_rc(rc, ALZ_ERR_CONFIG, "refused: %s", name))
		printf("# log: %s", logbuf);
	snprintf(where, sizeof(where), "%s:%u:", path, line);
	if (line > 0)
		ok_has(logbuf, where, "%s: log names %s", name, where);
	if (key != NULL) {
		char k[100];

		snprintf(k, sizeof(k), "'%s'", key);
		ok_has(logbuf, k, "%s: log names key %s", name, key);
	}
	alz_config_free(&cfg);
}

#define BASE "base_url = https://127.0.0.1:8443\n"

static void
test_defaults(void)
{
	struct alz_config cfg;

	ok_rc(load_text(&cfg, BASE, 0600), ALZ_OK, "minimal file with base_url only");
	ok_str(cfg.paths[ALZ_P_AUTHORIZE], "/v2/authorize", "default path_authorize");
	ok_str(cfg.paths[ALZ_P_2FA], "/v2/authorize/2fa", "default path_2fa");
	ok_str(cfg.paths[ALZ_P_USERINFO], "/v2/authorize/userinfo",
	       "default path_userinfo");
	ok_str(cfg.paths[ALZ_P_LOGOUT], "/v2/authorize/logout", "default path_logout");
	ok_str(cfg.paths[ALZ_P_PASSWORD], "/v2/authorize", "default path_password");
	ok_str(cfg.paths[ALZ_P_JWT], "/v2/authorize/jwt", "default path_jwt");
	ok_str(cfg.replies[ALZ_R_TOKEN], "/authToken", "default reply_token");
	ok_str(cfg.token_header, "X-AUTH-TOKEN: %t", "default token_header");
	ok_str(cfg.replies[ALZ_R_SUCCESS], "/success", "alianza: a success flag, if there, is read");
	tap_ok(!cfg.reply_success_required, "alianza: the flag is not required");
	ok_str(cfg.replies[ALZ_R_ERROR_CODE], "/errorCode /error/code",
	       "alianza reads both error envelopes");
	ok_str(cfg.paths[ALZ_P_REFRESH], NULL, "alianza: no refresh call");
	ok_int(cfg.dialect, ALZ_DIALECT_ALIANZA, "default api_dialect alianza");
	ok_int(cfg.connect_timeout_ms, 5000, "default connect_timeout 5 s");
	ok_int(cfg.timeout_ms, 10000, "default timeout 10 s");
	ok_int(cfg.min_uid, 1000, "default min_uid 1000");
	ok_str(cfg.ca_file, NULL, "no CA file by default");
	ok_str(cfg.proxy, NULL, "no proxy by default");
	alz_config_free(&cfg);
}

/* api_dialect presets every wire key; a key set on purpose, before or after it, stays. */
static void
test_dialect(void)
{
	struct alz_config cfg;

	ok_rc(load_text(&cfg, BASE "api_dialect = foodxchange\n", 0600), ALZ_OK,
	      "api_dialect = foodxchange");
	ok_int(cfg.dialect, ALZ_DIALECT_FOODXCHANGE, "foodxchange: dialect read");
	ok_str(cfg.paths[ALZ_P_AUTHORIZE], "/api/v1/auth/login", "foodxchange: path_authorize");
	ok_str(cfg.paths[ALZ_P_2FA], "/api/v1/auth/2fa/authenticate", "foodxchange: path_2fa");
	ok_str(cfg.paths[ALZ_P_USERINFO], "/api/v1/auth/session", "foodxchange: path_userinfo");
	ok_str(cfg.paths[ALZ_P_LOGOUT], "/api/v1/auth/logout", "foodxchange: path_logout");
	ok_str(cfg.methods[ALZ_P_LOGOUT], "POST", "foodxchange: method_logout POST");
	ok_str(cfg.paths[ALZ_P_REFRESH], "/api/v1/auth/refresh", "foodxchange: path_refresh");
	ok_str(cfg.paths[ALZ_P_PASSWORD], NULL, "foodxchange: no password change");
	ok_str(cfg.paths[ALZ_P_JWT], NULL, "foodxchange: no JWT log-in");
	ok_str(cfg.fields[ALZ_F_USER_NAME], "email", "foodxchange: field_user_name email");
	ok_str(cfg.replies[ALZ_R_TOKEN], "/data/tokens/accessToken", "foodxchange: reply_token");
	ok_str(cfg.replies[ALZ_R_REFRESH_TOKEN], "/data/tokens/refreshToken",
	       "foodxchange: reply_refresh_token");
	ok_str(cfg.replies[ALZ_R_USER_NAME], "/data/user/email", "foodxchange: reply_user_name");
	ok_str(cfg.replies[ALZ_R_USER_TYPE], "/data/user/role", "foodxchange: reply_user_type");
	ok_str(cfg.replies[ALZ_R_PARTITION_ID], "/data/user/company/id",
	       "foodxchange: reply_partition_id");
	ok_str(cfg.replies[ALZ_R_SUCCESS], "/success", "foodxchange: reply_success");
	tap_ok(cfg.reply_success_required, "foodxchange: the flag is required");
	ok_str(cfg.replies[ALZ_R_ERROR_CODE], "/error/code", "foodxchange: reply_error_code");
	ok_str(cfg.replies[ALZ_R_SESSION_ID], "/error/data/sessionId", "foodxchange: reply_session_id");
	ok_str(cfg.token_header, "Authorization: Bearer %t", "foodxchange: token_header");
	tap_ok(cfg.reply_user_required, "foodxchange: a success must name its user");
	alz_config_free(&cfg);

	ok_rc(load_text(&cfg, BASE "path_logout = /out\nreply_user_required = no\n"
			"api_dialect = foodxchange\ntoken_header = X-Token: %t\n", 0600), ALZ_OK,
	      "foodxchange with keys set before and after api_dialect");
	ok_str(cfg.paths[ALZ_P_LOGOUT], "/out", "a key set before api_dialect stays");
	ok_str(cfg.token_header, "X-Token: %t", "a key set after api_dialect stays");
	tap_ok(!cfg.reply_user_required, "a boolean set on purpose stays");
	ok_str(cfg.paths[ALZ_P_AUTHORIZE], "/api/v1/auth/login", "the others take the preset");
	alz_config_free(&cfg);

	ok_rc(load_text(&cfg, BASE "api_dialect = foodxchange\npath_password = /api/v1/auth/password\n"
			"reply_refresh_token =\n", 0600), ALZ_OK, "foodxchange, a password path added");
	ok_str(cfg.paths[ALZ_P_PASSWORD], "/api/v1/auth/password", "an empty preset can be filled");
	ok_str(cfg.replies[ALZ_R_REFRESH_TOKEN], NULL, "a preset can be emptied on purpose");
	alz_config_free(&cfg);

	/* a module argument counts as set on purpose too */
	if (ok_rc(alz_config_init(&cfg), ALZ_OK, "init") &&
	    ok_rc(alz_config_set(&cfg, "base_url", "https://h", "module argument", 0, &lg), ALZ_OK,
		  "argument base_url") &&
	    ok_rc(alz_config_set(&cfg, "api_dialect", "foodxchange", "module argument", 0, &lg), ALZ_OK,
		  "argument api_dialect") &&
	    ok_rc(alz_config_set(&cfg, "field_user_name", "login", "module argument", 0, &lg), ALZ_OK,
		  "argument field_user_name")) {
		ok_rc(alz_config_finish(&cfg, "args", &lg), ALZ_OK, "finish");
		ok_str(cfg.fields[ALZ_F_USER_NAME], "login", "an argument stays over the preset");
		ok_str(cfg.fields[ALZ_F_PASSWORD], "password", "foodxchange: field_password");
	}
	alz_config_free(&cfg);

	logbuf[0] = '\0';
	ok_rc(load_text(&cfg, BASE "api_dialect = foodxchange\njwt_login = yes\n", 0600), ALZ_ERR_CONFIG,
	      "jwt_login = yes in a dialect without JWT log-in is refused");
	ok_has(logbuf, "'jwt_login'", "the log names jwt_login");
	alz_config_free(&cfg);
	ok_rc(load_text(&cfg, BASE "reply_token =\n", 0600), ALZ_ERR_CONFIG, "an empty reply_token is refused");
	alz_config_free(&cfg);
	expect_ok("three error pointers", BASE "reply_error_code = /errorCode /error/code /err/c\n");
	/* found by fuzz_config (crash-config-pointers-tab-separated.bin): a tab was kept */
	ok_rc(load_text(&cfg, BASE "reply_error_code = /error/cod\t /errorCode\n", 0600), ALZ_OK,
	      "pointers separated by a tab");
	ok_str(cfg.replies[ALZ_R_ERROR_CODE], "/error/cod /errorCode", "... kept with one space between");
	alz_config_free(&cfg);
	/* found by fuzz_config too (crash-config-header-tab.bin) */
	ok_rc(load_text(&cfg, BASE "token_header = Authorization: Bearer\t%t\n", 0600), ALZ_ERR_CONFIG,
	      "a tab in token_header is refused");
	alz_config_free(&cfg);
	expect_ok("header template with text around %t", BASE "token_header = Authorization: Token t=%t;\n");
	expect_ok("an escaped pointer", BASE "reply_token = /a~1b/c~0d\n");
}

/* A first-release file that renamed field_user_name keeps its identity check. */
static void
test_user_field(void)
{
	struct alz_config cfg;

	ok_rc(load_text(&cfg, BASE "field_user_name = login\n", 0600), ALZ_OK, "field_user_name renamed");
	ok_str(cfg.replies[ALZ_R_USER_NAME], "/login", "alianza: reply_user_name follows field_user_name");
	alz_config_free(&cfg);
	ok_rc(load_text(&cfg, BASE "field_user_name = a/b~c\n", 0600), ALZ_OK, "field_user_name with / and ~");
	ok_str(cfg.replies[ALZ_R_USER_NAME], "/a~1b~0c", "followed with RFC 6901 escapes");
	alz_config_free(&cfg);
	ok_rc(load_text(&cfg, BASE "field_user_name = login\nreply_user_name = /who\n", 0600), ALZ_OK,
	      "both set");
	ok_str(cfg.replies[ALZ_R_USER_NAME], "/who", "reply_user_name set on purpose stays");
	alz_config_free(&cfg);
	ok_rc(load_text(&cfg, BASE "api_dialect = foodxchange\nfield_user_name = mail\n", 0600), ALZ_OK,
	      "foodxchange, field_user_name renamed");
	ok_str(cfg.replies[ALZ_R_USER_NAME], "/data/user/email", "foodxchange: the nested place stays");
	alz_config_free(&cfg);
}

static void
test_good(void)
{
	struct alz_config cfg;
	char *u = NULL;

	ok_rc(load_text(&cfg,
			 "# comment\n\n"
			 "base_url = https://api.example.com/prefix/\n"
			 "ca_file=/etc/ssl/alz.pem\n"
			 "   connect_timeout =  2  \n"
			 "timeout = 7\n"
			 "user_template = %u@example.com\n"
			 "min_uid = 500\n"
			 "debug = yes\n"
			 "proxy = http://proxy.example:3128\n"
			 "path_authorize = /v3/login\n"
			 "field_auth_token = accessToken\n",
			 0600), ALZ_OK, "a file using many keys");
	ok_str(cfg.base_urls.url[0], "https://api.example.com/prefix",
	       "trailing slash of base_url dropped");
	ok_int(cfg.connect_timeout_ms, 2000, "connect_timeout read");
	ok_int(cfg.timeout_ms, 7000, "timeout read");
	ok_int(cfg.min_uid, 500, "min_uid read");
	tap_ok(cfg.debug, "debug read");
	ok_str(cfg.paths[ALZ_P_AUTHORIZE], "/v3/login", "path override");
	ok_str(cfg.replies[ALZ_R_TOKEN], "/accessToken",
	       "the older field_auth_token = NAME is reply_token = /NAME");
	if (ok_rc(alz_config_api_user(&cfg, "alice", &u), ALZ_OK,
		  "user template %%u@example.com: expanded"))
		ok_str(u, "alice@example.com", "user template %%u@example.com");
	free(u);
	alz_config_free(&cfg);

	ok_rc(load_text(&cfg, BASE "user_template = 100%%-%u-%u\n", 0600), ALZ_OK,
	      "template with %%%% and two %%u");
	if (ok_rc(alz_config_api_user(&cfg, "bo", &u), ALZ_OK, "template expansion escapes: expanded"))
		ok_str(u, "100%-bo-bo", "template expansion escapes");
	free(u);
	alz_config_free(&cfg);

	expect_ok("CRLF line endings", "base_url = https://h\r\ntimeout = 9\r\n");
	expect_ok("no final newline", "timeout = 9\nbase_url = https://h");
	expect_ok("comment and blank lines only around", "\n\n# x\n" BASE "\n# y\n");
}

static void
test_bad(void)
{
	char *big;
	struct alz_config cfg;
	enum alz_rc rc;

	expect_bad("unknown key", BASE "bsae_url = x\n", 2, "bsae_url");
	expect_bad("http base_url", "base_url = http://api.example.com\n", 1, "base_url");
	expect_bad("base_url with '@' in its path", "base_url = https://127.0.0.1:8443/p@refix\n", 1, "base_url");
	expect_bad("base_url with a backslash in its host", "base_url = https://evil\\.example\n", 1, "base_url");
	expect_bad("base_url without host", "base_url = https://\n", 1, "base_url");
	expect_bad("base_url with credentials", "base_url = https://u:p@h\n", 1, "base_url");
	expect_bad("missing =", BASE "timeout 5\n", 2, NULL);
	expect_bad("missing key", BASE "= 5\n", 2, NULL);
	expect_bad("timeout not a number", BASE "timeout = five\n", 2, "timeout");
	expect_bad("timeout negative", BASE "timeout = -1\n", 2, "timeout");
	expect_bad("timeout zero", BASE "timeout = 0\n", 2, "timeout");
	expect_bad("timeout too big", BASE "timeout = 301\n", 2, "timeout");
	expect_bad("timeout trailing junk", BASE "timeout = 5s\n", 2, "timeout");
	expect_bad("timeout overflow", BASE "timeout = 99999999999999999999999\n", 2, "timeout");
	expect_bad("min_uid out of range", BASE "min_uid = 4294967295\n", 2, "min_uid");
	expect_bad("bad bool", BASE "debug = maybe\n", 2, "debug");
	expect_bad("template without %u", BASE "user_template = alice\n", 2, "user_template");
	expect_bad("template with %s", BASE "user_template = %u%s\n", 2, "user_template");
	expect_bad("template lone %", BASE "user_template = %u%\n", 2, "user_template");
	expect_bad("relative path", BASE "path_2fa = v2/authorize/2fa\n", 2, "path_2fa");
	expect_bad("path with query", BASE "path_2fa = /x?y=1\n", 2, "path_2fa");
	expect_bad("empty field name", BASE "field_auth_token =\n", 2, "field_auth_token");
	expect_bad("field with quote", BASE "field_auth_token = a\"b\n", 2, "field_auth_token");
	expect_bad("older name with a pointer's slash", BASE "field_auth_token = data/token\n", 2,
		   "field_auth_token");
	expect_bad("empty request field", BASE "field_user_name =\n", 2, "field_user_name");
	expect_bad("unknown dialect", BASE "api_dialect = fx\n", 2, "api_dialect");
	expect_bad("api_dialect twice", BASE "api_dialect = alianza\napi_dialect = foodxchange\n", 3,
		   "api_dialect");
	expect_bad("reply_token and its older name both", BASE "reply_token = /a\nfield_auth_token = b\n",
		   3, "field_auth_token");
	expect_bad("pointer without /", BASE "reply_token = data/token\n", 2, "reply_token");
	expect_bad("pointer with ~2", BASE "reply_token = /data/~2\n", 2, "reply_token");
	expect_bad("pointer with a comma", BASE "reply_token = /a,b\n", 2, "reply_token");
	expect_bad("five pointers", BASE "reply_error_code = /a /b /c /d /e\n", 2, "reply_error_code");
	expect_bad("pointer too deep", BASE "reply_token = /a/b/c/d/e/f/g/h/i\n", 2, "reply_token");
	expect_bad("header without %t", BASE "token_header = Authorization: Bearer\n", 2, "token_header");
	expect_bad("header with two %t", BASE "token_header = X: %t %t\n", 2, "token_header");
	expect_bad("header with another %", BASE "token_header = X: %s %t\n", 2, "token_header");
	expect_bad("header name with a space", BASE "token_header = X Y: %t\n", 2, "token_header");
	expect_bad("header without a name", BASE "token_header = : %t\n", 2, "token_header");
	expect_bad("method not HTTP's", BASE "method_logout = put\n", 2, "method_logout");
	expect_bad("relative ca_file", BASE "ca_file = ca.pem\n", 2, "ca_file");
	expect_bad("bad proxy scheme", BASE "proxy = ftp://p\n", 2, "proxy");
	expect_bad("over-long last group name", BASE "groups_management_user = sudo, "
		   "gggggggggggggggggggggggggggggggggggggggggg\n", 2, "groups_management_user");
	expect_bad("over-long last partition id", BASE "allowed_partitions = a, "
		   "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
		   "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
		   "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
		   "pppppppppppppppppppppp\n", 2, "allowed_partitions");
	expect_bad("duplicate key", BASE "timeout = 5\ntimeout = 6\n", 3, "timeout");
	expect_bad("non-ASCII key", BASE "t\xc3\xa9meout = 5\n", 2, NULL);
	expect_bad("connect longer than total", BASE "connect_timeout = 9\ntimeout = 3\n", 0,
		   "connect_timeout");

	/* a line longer than the cap */
	big = malloc(ALZ_MAX_CONF_LINE + 100);
	memset(big, 'a', ALZ_MAX_CONF_LINE + 50);
	memcpy(big, "# ", 2);
	big[ALZ_MAX_CONF_LINE + 50] = '\0';
	expect_bad("over-long line", big, 1, NULL);
	free(big);

	/* a NUL byte inside */
	logbuf[0] = '\0';
	write_file(BASE "timeout = 5\0\n", sizeof(BASE "timeout = 5\0\n") - 1, 0600);
	alz_config_init(&cfg);
	rc = alz_config_load_file(&cfg, path, geteuid(), &lg);
	if (ok_rc(rc, ALZ_ERR_CONFIG, "refused: NUL byte"))
		ok_has(logbuf, "NUL", "NUL byte: the log says why");
	alz_config_free(&cfg);

	/* 1 MiB of comments */
	big = malloc(1024 * 1024 + 1);
	memset(big, '#', 1024 * 1024);
	for (size_t i = 100; i < 1024 * 1024; i += 100)
		big[i] = '\n';
	big[1024 * 1024] = '\0';
	expect_bad("1 MiB file", big, 0, NULL);
	ok_has(logbuf, "larger than", "1 MiB file: log says it is too large");
	free(big);
}

static void
test_permissions(void)
{
	struct alz_config cfg;

	ok_rc(load_text(&cfg, BASE, 0644), ALZ_OK, "mode 0644 accepted");
	alz_config_free(&cfg);
	if (ok_rc(load_text(&cfg, BASE, 0664), ALZ_ERR_CONFIG, "group-writable refused"))
		ok_has(logbuf, "writable", "group-writable refused with a reason");
	alz_config_free(&cfg);
	if (ok_rc(load_text(&cfg, BASE, 0602), ALZ_ERR_CONFIG, "world-writable refused"))
		ok_has(logbuf, "writable", "world-writable refused with a reason");
	alz_config_free(&cfg);

	if (geteuid() == 0) {
		write_file(BASE, strlen(BASE), 0600);
		ok_int(chown(path, 1, 1), 0, "chown test file to uid 1");
		logbuf[0] = '\0';
		alz_config_init(&cfg);
		if (ok_rc(alz_config_load_file(&cfg, path, 0, &lg), ALZ_ERR_CONFIG,
			  "file not owned by root refused"))
			ok_has(logbuf, "owned by uid 1", "file not owned by root: the log says why");
		alz_config_free(&cfg);
	} else {
		printf("ok %d - # SKIP ownership test needs root\n", ++tap_n);
	}

	logbuf[0] = '\0';
	alz_config_init(&cfg);
	ok_rc(alz_config_load_file(&cfg, dir, geteuid(), &lg), ALZ_ERR_CONFIG,
	      "a directory is refused");
	alz_config_free(&cfg);
	logbuf[0] = '\0';
	alz_config_init(&cfg);
	if (ok_rc(alz_config_load_file(&cfg, "/nonexistent/pam_alianza.conf", geteuid(), &lg),
		  ALZ_ERR_CONFIG, "a missing file is refused"))
		ok_has(logbuf, "/nonexistent/pam_alianza.conf", "a missing file is refused and named");
	alz_config_free(&cfg);
}

/* Who the Alianza users are, and a config that does nothing until base_url is set. */
static void
test_scope(void)
{
	struct alz_config cfg;
	enum alz_rc rc;

	rc = load_text(&cfg, "timeout = 5\nalianza_group = alianza\n", 0600);
	tap_ok(rc == ALZ_NOT_CONFIGURED && cfg.timeout_ms == 5000 && logbuf[0] == '\0',
	       "no base_url: ALZ_NOT_CONFIGURED (the module does nothing), the rest read, no error "
	       "logged (rc %s)", alz_rc_name(rc));
	alz_config_free(&cfg);
	rc = load_text(&cfg, "#base_url = https://api.alianza.com\nconnect_timeout = 9\ntimeout = 3\n",
		       0600);
	tap_ok(rc == ALZ_ERR_CONFIG, "no base_url and a bad pair of deadlines: still refused (rc %s)",
	       alz_rc_name(rc));
	alz_config_free(&cfg);

	tap_ok(load_text(&cfg, BASE, 0600) == ALZ_OK && !alz_config_scope_set(&cfg) &&
	       cfg.alianza_group == NULL && !cfg.alianza_uids.set, "scope unset by default");
	alz_config_free(&cfg);
	tap_ok(load_text(&cfg, BASE "alianza_group = alianza, alz-ops\n", 0600) == ALZ_OK &&
	       alz_config_scope_set(&cfg) && alz_list_has(cfg.alianza_group, "alz-ops") &&
	       !cfg.alianza_uids.set, "alianza_group: a list of groups");
	alz_config_free(&cfg);
	tap_ok(load_text(&cfg, BASE "alianza_uids = 2000-2999\n", 0600) == ALZ_OK &&
	       alz_config_scope_set(&cfg) && cfg.alianza_uids.set && cfg.alianza_uids.lo == 2000 &&
	       cfg.alianza_uids.hi == 2999, "alianza_uids = 2000-2999");
	alz_config_free(&cfg);
	tap_ok(load_text(&cfg, BASE "alianza_uids = 2001\n", 0600) == ALZ_OK &&
	       cfg.alianza_uids.set && cfg.alianza_uids.lo == 2001 && cfg.alianza_uids.hi == 2001,
	       "alianza_uids = 2001: one uid");
	alz_config_free(&cfg);
	tap_ok(load_text(&cfg, BASE "alianza_uids = 0-4294967294\n", 0600) == ALZ_OK &&
	       cfg.alianza_uids.hi == 4294967294UL, "alianza_uids: the whole uid space");
	alz_config_free(&cfg);
	tap_ok(load_text(&cfg, BASE "alianza_uids =\n", 0600) == ALZ_OK && !cfg.alianza_uids.set,
	       "alianza_uids empty: unset");
	alz_config_free(&cfg);
	expect_bad("alianza_uids reversed", BASE "alianza_uids = 2999-2000\n", 2, "alianza_uids");
	expect_bad("alianza_uids open end", BASE "alianza_uids = 2000-\n", 2, "alianza_uids");
	expect_bad("alianza_uids open start", BASE "alianza_uids = -2999\n", 2, "alianza_uids");
	expect_bad("alianza_uids spaces", BASE "alianza_uids = 2000 - 2999\n", 2, "alianza_uids");
	expect_bad("alianza_uids two ranges", BASE "alianza_uids = 1-2-3\n", 2, "alianza_uids");
	expect_bad("alianza_uids past the uid space", BASE "alianza_uids = 1-4294967295\n", 2,
		   "alianza_uids");
	expect_bad("alianza_uids not a number", BASE "alianza_uids = staff\n", 2, "alianza_uids");
	expect_bad("alianza_group not a group name", BASE "alianza_group = a:b\n", 2, "alianza_group");
	expect_bad("alianza_group twice", BASE "alianza_group = a\nalianza_group = b\n", 3,
		   "alianza_group");

	alz_config_init(&cfg);
	logbuf[0] = '\0';
	tap_ok(alz_config_set(&cfg, "alianza_uids", "2000-2999", "module argument", 0, &lg) == ALZ_OK &&
	       alz_config_set(&cfg, "alianza_uids", "", "module argument", 0, &lg) == ALZ_OK &&
	       !cfg.alianza_uids.set, "a module argument alianza_uids= unsets the range");
	alz_config_free(&cfg);
}

/* a type name of 64 bytes, the rule's most */
#define T64 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@."

/* The one rule for a type name. */
static void
test_type_rule(void)
{
	static const struct {
		const char *name;
		bool ok;
	} names[] = {
		{ "MANAGEMENT_USER", true }, { "supplier", true }, { "a-Z_0.9:x@y", true },
		{ "x", true }, { T64, true }, { "", false }, { T64 "x", false },
		{ "MANAGEMENT USER", false }, { "a,b", false }, { "a=b", false }, { "a/b", false },
		{ "a\"b", false }, { "a\tb", false }, { "caf\xc3\xa9", false }, { "a\nb", false },
		{ "a%b", false }, { "a*", false },
	};
	char buf[ALZ_MAX_TYPE + 1];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		tap_ok(alz_user_type_ok(names[i].name) == names[i].ok, "type rule: \"%s\" %s",
		       names[i].name, names[i].ok ? "passes" : "fails");
		memset(buf, 'z', sizeof(buf));
		tap_ok(alz_user_type_copy(buf, names[i].name) == names[i].ok &&
		       strcmp(buf, names[i].ok ? names[i].name : "") == 0,
		       "type copy: \"%s\" %s", names[i].name, names[i].ok ? "copied" : "is \"\"");
	}
	ok_str(alz_user_type_show(""), "-", "an unknown type shows as -");
}

/* allowed_user_types and local_totp_user_types: any names, all, none; matched exactly. */
static void
test_type_lists(void)
{
	struct alz_config cfg;
	char many[40 * 8 + 100];
	int i, n;

	ok_rc(load_text(&cfg, BASE, 0600), ALZ_OK, "types: defaults");
	tap_ok(alz_type_list_has(&cfg.allowed_types, "MANAGEMENT_USER") &&
	       alz_type_list_has(&cfg.allowed_types, "ACCOUNT_USER") &&
	       !alz_type_list_has(&cfg.allowed_types, "END_USER") &&
	       !alz_type_list_has(&cfg.allowed_types, "management_user") &&
	       !alz_type_list_has(&cfg.allowed_types, "MANAGEMENT_USE") &&
	       !alz_type_list_has(&cfg.allowed_types, ""),
	       "default allowed_user_types: MANAGEMENT_USER and ACCOUNT_USER, exactly");
	tap_ok(!cfg.local_totp_types.all && cfg.local_totp_types.names == NULL &&
	       !alz_type_list_has(&cfg.local_totp_types, "MANAGEMENT_USER"),
	       "default local_totp_user_types: none");
	alz_config_free(&cfg);

	ok_rc(load_text(&cfg, BASE "allowed_user_types = supplier, buyer:eu@x\n"
			"local_totp_user_types = admin\n", 0600), ALZ_OK, "types: free-form names");
	tap_ok(alz_type_list_has(&cfg.allowed_types, "supplier") &&
	       alz_type_list_has(&cfg.allowed_types, "buyer:eu@x") &&
	       !alz_type_list_has(&cfg.allowed_types, "Supplier") &&
	       !alz_type_list_has(&cfg.allowed_types, "buyer") &&
	       !alz_type_list_has(&cfg.allowed_types, "MANAGEMENT_USER"),
	       "allowed_user_types = supplier, buyer:eu@x: those two, exactly");
	tap_ok(alz_type_list_has(&cfg.local_totp_types, "admin") &&
	       !alz_type_list_has(&cfg.local_totp_types, "supplier"),
	       "local_totp_user_types = admin: admin only");
	alz_config_free(&cfg);

	ok_rc(load_text(&cfg, BASE "allowed_user_types = all\nlocal_totp_user_types = all\n", 0600),
	      ALZ_OK, "types: all");
	tap_ok(alz_type_list_has(&cfg.allowed_types, "anything.at:all") &&
	       alz_type_list_has(&cfg.local_totp_types, "END_USER") &&
	       !alz_type_list_has(&cfg.allowed_types, "") &&
	       !alz_type_list_has(&cfg.allowed_types, "MANAGEMENT USER"),
	       "all: every type the rule passes, never the unknown one");
	alz_config_free(&cfg);

	ok_rc(load_text(&cfg, BASE "allowed_user_types = none\n", 0600), ALZ_OK, "types: none");
	tap_ok(!alz_type_list_has(&cfg.allowed_types, "MANAGEMENT_USER") &&
	       !alz_type_list_has(&cfg.allowed_types, "none") &&
	       !alz_type_list_has(&cfg.allowed_types, "all"),
	       "none: no type at all, not one named none");
	alz_config_free(&cfg);
	ok_rc(load_text(&cfg, BASE "allowed_user_types =\n", 0600), ALZ_OK, "types: empty");
	tap_ok(!alz_type_list_has(&cfg.allowed_types, "MANAGEMENT_USER"), "empty: none");
	alz_config_free(&cfg);

	expect_bad("type with a bad character", BASE "allowed_user_types = supplier, a!b\n", 2,
		   "allowed_user_types");
	expect_bad("type of 65 bytes", BASE "allowed_user_types = " T64 "x\n", 2, "allowed_user_types");
	expect_bad("type with non-ASCII", BASE "local_totp_user_types = caf\xc3\xa9\n", 2,
		   "local_totp_user_types");
	expect_bad("all inside a list", BASE "allowed_user_types = all, supplier\n", 2,
		   "allowed_user_types");
	expect_bad("none inside a list", BASE "allowed_user_types = supplier none\n", 2,
		   "allowed_user_types");
	expect_bad("allowed_user_types twice", BASE "allowed_user_types = a\nallowed_user_types = b\n",
		   3, "allowed_user_types");
	expect_ok("type of 64 bytes", BASE "allowed_user_types = " T64 "\n");
	for (n = 32; n <= 33; n++) {
		snprintf(many, sizeof(many), BASE "allowed_user_types = ");
		for (i = 0; i < n; i++)
			snprintf(many + strlen(many), sizeof(many) - strlen(many), "%st%d", i ? "," : "", i);
		strcat(many, "\n");
		if (n == 32)
			expect_ok("32 types", many);
		else
			expect_bad("33 types", many, 2, "allowed_user_types");
	}

	alz_config_init(&cfg);
	logbuf[0] = '\0';
	tap_ok(alz_config_set(&cfg, "allowed_user_types", "supplier", "module argument", 0, &lg) ==
	       ALZ_OK && alz_type_list_has(&cfg.allowed_types, "supplier") &&
	       !alz_type_list_has(&cfg.allowed_types, "MANAGEMENT_USER"),
	       "allowed_user_types=supplier as a module argument replaces the default");
	alz_config_free(&cfg);
}

/* groups.TYPE = ...: one key per type, the old keys as aliases. */
static void
test_group_map(void)
{
	struct alz_config cfg;
	char text[40 * 40 + 100];
	int i;

	ok_rc(load_text(&cfg, BASE "groups.supplier = alz-staff\n"
			"groups.admin:eu@x = sudo, adm\n"
			"groups_management_user = wheel\n"
			"groups.ACCOUNT_USER = staff\n"
			"groups_end_user = users\n"
			"groups.buyer =\n", 0600), ALZ_OK, "group map: several keys");
	ok_str(alz_config_groups(&cfg, "supplier"), "alz-staff", "groups.supplier");
	ok_str(alz_config_groups(&cfg, "admin:eu@x"), "sudo, adm", "groups.admin:eu@x");
	ok_str(alz_config_groups(&cfg, "MANAGEMENT_USER"), "wheel",
	       "groups_management_user is groups.MANAGEMENT_USER");
	ok_str(alz_config_groups(&cfg, "ACCOUNT_USER"), "staff", "groups.ACCOUNT_USER");
	ok_str(alz_config_groups(&cfg, "END_USER"), "users", "groups_end_user is groups.END_USER");
	ok_str(alz_config_groups(&cfg, "buyer"), NULL, "groups.buyer empty: no group");
	ok_str(alz_config_groups(&cfg, "Supplier"), NULL, "the map is matched exactly");
	ok_str(alz_config_groups(&cfg, "nobody-mapped"), NULL, "a type nobody mapped: no group");
	ok_str(alz_config_groups(&cfg, ""), NULL, "the unknown type: no group");
	alz_config_free(&cfg);

	expect_bad("groups.TYPE twice", BASE "groups.admin = a\ngroups.admin = b\n", 3, "groups.admin");
	expect_bad("an alias, then its groups.TYPE", BASE "groups_management_user = a\n"
		   "groups.MANAGEMENT_USER = b\n", 3, "groups.MANAGEMENT_USER");
	expect_bad("groups.TYPE, then its alias", BASE "groups.END_USER = a\ngroups_end_user = b\n", 3,
		   "groups_end_user");
	expect_bad("an alias twice", BASE "groups_account_user = a\ngroups_account_user = b\n", 3,
		   "groups_account_user");
	expect_bad("groups.TYPE twice, the first empty", BASE "groups.admin =\ngroups.admin = b\n", 3,
		   "groups.admin");
	expect_ok("groups.X and groups.x are two keys", BASE "groups.admin = a\ngroups.ADMIN = b\n");
	expect_bad("a bad type in the key", BASE "groups.a!b = sudo\n", 2, "groups.a!b");
	expect_bad("no type in the key", BASE "groups. = sudo\n", 2, "groups.");
	expect_bad("a type of 65 bytes in the key", BASE "groups." T64 "x = sudo\n", 2,
		   "groups." T64 "x");
	expect_ok("a type of 64 bytes in the key", BASE "groups." T64 " = sudo\n");
	expect_bad("a bad group name", BASE "groups.admin = sudo, -x\n", 2, "groups.admin");
	expect_bad("a group name of 33 characters", BASE "groups.admin = "
		   "ggggggggggggggggggggggggggggggggg\n", 2, "groups.admin");
	expect_bad("groups_ without a dot is no key", BASE "groups_admin = sudo\n", 2, "groups_admin");

	/* at most 32 groups.TYPE keys: the 33rd is refused where it stands */
	snprintf(text, sizeof(text), "%s", BASE);
	for (i = 0; i < 32; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "groups.t%d = sudo\n", i);
	expect_ok("32 groups.TYPE keys", text);
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "groups.t32 = sudo\n");
	expect_bad("33 groups.TYPE keys", text, 34, "groups.t32");
	/* an alias is one of them, too */
	text[strlen(text) - strlen("groups.t32 = sudo\n")] = '\0';
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "groups_end_user = sudo\n");
	expect_bad("32 groups.TYPE keys and an alias", text, 34, "groups_end_user");

	/* module arguments go through the same setter and override the file */
	ok_rc(load_text(&cfg, BASE "groups.admin = wheel\n", 0600), ALZ_OK, "group map: file");
	logbuf[0] = '\0';
	tap_ok(alz_config_set(&cfg, "groups.admin", "sudo,adm", "module argument", 0, &lg) == ALZ_OK &&
	       alz_config_set(&cfg, "groups.supplier", "alz-staff", "module argument", 0, &lg) == ALZ_OK &&
	       alz_config_set(&cfg, "groups_management_user", "ops", "module argument", 0, &lg) == ALZ_OK,
	       "groups.TYPE as module arguments: accepted");
	ok_str(alz_config_groups(&cfg, "admin"), "sudo,adm", "a module argument overrides the file's groups.admin");
	ok_str(alz_config_groups(&cfg, "supplier"), "alz-staff", "a module argument adds groups.supplier");
	ok_str(alz_config_groups(&cfg, "MANAGEMENT_USER"), "ops", "an alias as a module argument");
	tap_ok(alz_config_set(&cfg, "groups.admin", "", "module argument", 0, &lg) == ALZ_OK &&
	       alz_config_groups(&cfg, "admin") == NULL, "groups.admin= as a module argument: no group");
	if (ok_rc(alz_config_set(&cfg, "groups.a b", "sudo", "module argument", 0, &lg), ALZ_ERR_CONFIG,
		  "a bad type in a module argument's key: refused"))
		ok_has(logbuf, "module argument: key 'groups.a b'", "the log names the argument's key");
	alz_config_free(&cfg);
}

static void
test_setter(void)
{
	struct alz_config cfg;

	alz_config_init(&cfg);
	logbuf[0] = '\0';
	if (ok_rc(alz_config_set(&cfg, "timeout", "3", "module argument", 0, &lg), ALZ_OK,
		  "module argument accepted"))
		ok_int(cfg.timeout_ms, 3000, "module argument sets a key");
	if (ok_rc(alz_config_set(&cfg, "nope", "3", "module argument", 0, &lg), ALZ_ERR_CONFIG,
		  "unknown module argument key refused"))
		ok_has(logbuf, "'nope'", "unknown module argument key: the log names it");
	alz_config_free(&cfg);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 99;
	snprintf(path, sizeof(path), "%s/pam_alianza.conf", dir);
	test_defaults();
	test_good();
	test_dialect();
	test_user_field();
	test_bad();
	test_permissions();
	test_scope();
	test_setter();
	test_type_rule();
	test_type_lists();
	test_group_map();
	unlink(path);
	rmdir(dir);
	return tap_done();
}
