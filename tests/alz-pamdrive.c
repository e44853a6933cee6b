/*
 * alz-pamdrive.c - a pamtester-like driver over a real libpam, for tests, demo and benchmark.
 *
 * alz-pamdrive [-d CONFDIR] [-r RHOST] [-s] [-e] [-g] [-R] [-c|-C [-K]] [-M] [-E VAR]... SERVICE USER OP...
 *   OP: authenticate acct_mgmt setcred delcred open_session close_session chauthtok
 *       wait (print "WAITING", then read one line of standard input: a test
 *       holds a session open between two OPs this way)
 *   -d  read the service file from CONFDIR (pam_start_confdir), not /etc/pam.d
 *   -s  pass PAM_SILENT     -e  print the PAM environment after open_session and setcred/delcred
 *   -g  print getgroups() after setcred
 *   -R  print "ROUND: N" (N messages) at the start of each call of the conversation, so a
 *       test sees which messages came in one round (sshd's keyboard-interactive shows an
 *       info message only with a prompt of the same round)
 *   -E  after pam_end, print the process's own VAR ("GETENV: VAR=value" or
 *       "GETENV: VAR unset"): the host's environment is not the module's to edit
 *   -c  be a host that uses libcurl too: load it before pam_start, and after
 *       pam_end (libpam has dlclose()d the module) make and free an easy handle
 *       ("CURL-AFTER: ok")   -C  the same, and curl_global_init() before pam_start
 *   -K  with -C: then unset SSLKEYLOGFILE, as a host that logs its own TLS keys
 *       would (libcurl keeps the file it opened at init)
 *   -M  after pam_end, print "MAPPED: PATH" once for each file the process has
 *       mapped (/proc/self/maps): what the module loaded and kept (it is
 *       linked -z nodelete, so what it dlopen()ed stays after libpam's dlclose)
 * Each prompt is answered with one line of standard input. Prints what the
 * module says ("PROMPT-OFF: ...", "ERROR: ...", "INFO: ...") and "OP: PAM_NAME".
 * Exits 0 when every OP returned PAM_SUCCESS.
 */
#include "config.h"

#include <dlfcn.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

static const struct {
	int code;
	const char *name;
} names[] = {
#define N(x) { x, #x }
	N(PAM_SUCCESS), N(PAM_OPEN_ERR), N(PAM_SYMBOL_ERR), N(PAM_SERVICE_ERR),
	N(PAM_SYSTEM_ERR), N(PAM_BUF_ERR), N(PAM_PERM_DENIED), N(PAM_AUTH_ERR),
	N(PAM_CRED_INSUFFICIENT), N(PAM_AUTHINFO_UNAVAIL), N(PAM_USER_UNKNOWN),
	N(PAM_MAXTRIES), N(PAM_NEW_AUTHTOK_REQD), N(PAM_ACCT_EXPIRED), N(PAM_SESSION_ERR),
	N(PAM_CRED_UNAVAIL), N(PAM_CRED_EXPIRED), N(PAM_CRED_ERR), N(PAM_NO_MODULE_DATA),
	N(PAM_CONV_ERR), N(PAM_AUTHTOK_ERR), N(PAM_AUTHTOK_RECOVERY_ERR),
	N(PAM_AUTHTOK_LOCK_BUSY), N(PAM_AUTHTOK_DISABLE_AGING), N(PAM_TRY_AGAIN),
	N(PAM_IGNORE), N(PAM_ABORT), N(PAM_AUTHTOK_EXPIRED), N(PAM_MODULE_UNKNOWN),
	N(PAM_BAD_ITEM), N(PAM_CONV_AGAIN), N(PAM_INCOMPLETE),
#undef N
};

/* -M: each file-backed mapping of this process, once (maps lists a file per segment) */
static void
print_mapped(void)
{
	char line[4096], last[4096] = "";
	FILE *f = fopen("/proc/self/maps", "re");

	if (f == NULL) {
		printf("MAPPED: (cannot read /proc/self/maps)\n");
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *path = strchr(line, '/');

		if (path == NULL)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(path, last) == 0)
			continue;
		snprintf(last, sizeof(last), "%s", path);
		printf("MAPPED: %s\n", path);
	}
	fclose(f);
}

static const char *
code_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code)
			return names[i].name;
	return "PAM_?";
}

static int print_rounds;	/* -R */

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n_read;
	int i;

	(void)data;
	if (print_rounds)
		printf("ROUND: %d\n", n);
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			printf("PROMPT-%s: %s\n", msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ? "OFF" : "ON",
			       msg[i]->msg);
			fflush(stdout);
			/* getline: a 4 KiB answer reaches PAM whole, not cut at a buffer */
			n_read = getline(&line, &cap, stdin);
			if (n_read < 0)
				goto fail;
			line[strcspn(line, "\n")] = '\0';
			r[i].resp = strdup(line);
			explicit_bzero(line, cap);	/* as sshd and sudo wipe theirs */
			if (r[i].resp == NULL)
				goto fail;
			break;
		case PAM_ERROR_MSG:
			printf("ERROR: %s\n", msg[i]->msg);
			break;
		case PAM_TEXT_INFO:
			printf("INFO: %s\n", msg[i]->msg);
			break;
		default:
			goto fail;
		}
	}
	free(line);
	*resp = r;
	return PAM_SUCCESS;
fail:
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	for (i = 0; i < n; i++)
		free(r[i].resp);
	free(r);
	return PAM_CONV_ERR;
}

/* libcurl by dlopen: the driver itself links only libpam */
static void *
host_curl(int init, int drop_keylog)
{
	long (*global_init)(long);
	void *h = dlopen("libcurl.so.4", RTLD_NOW);

	if (h == NULL) {
		printf("CURL-BEFORE: %s\n", dlerror());
		return NULL;
	}
	if (init) {
		*(void **)&global_init = dlsym(h, "curl_global_init");
		if (global_init == NULL || global_init(3L /* CURL_GLOBAL_DEFAULT */) != 0)
			printf("CURL-BEFORE: curl_global_init failed\n");
		if (drop_keylog)
			unsetenv("SSLKEYLOGFILE");
	}
	return h;
}

static void
host_curl_after(void *h)
{
	void *(*easy_init)(void);
	void (*easy_cleanup)(void *);
	void *e;

	*(void **)&easy_init = dlsym(h, "curl_easy_init");
	*(void **)&easy_cleanup = dlsym(h, "curl_easy_cleanup");
	if (easy_init == NULL || easy_cleanup == NULL) {
		printf("CURL-AFTER: no symbols\n");
		return;
	}
	/* the allocations go through whatever memory functions libcurl was given */
	e = easy_init();
	easy_cleanup(e);
	printf("CURL-AFTER: %s\n", e != NULL ? "ok" : "curl_easy_init failed");
}

int
main(int argc, char **argv)
{
	struct pam_conv pc = { conv, NULL };
	const char *confdir = NULL, *rhost = NULL, *getenv_names[16];
	pam_handle_t *pamh = NULL;
	void *curl = NULL;
	int opt, flags = 0, env = 0, groups = 0, all_ok = 1, ret, i, ngetenv = 0, use_curl = 0;
	int drop_keylog = 0, mapped = 0;

	/* "+": stop at the service name, so a user name may start with '-' */
	while ((opt = getopt(argc, argv, "+d:r:segRcCKME:")) != -1) {
		switch (opt) {
		case 'd': confdir = optarg; break;
		case 'r': rhost = optarg; break;
		case 's': flags |= PAM_SILENT; break;
		case 'e': env = 1; break;
		case 'g': groups = 1; break;
		case 'R': print_rounds = 1; break;
		case 'c': use_curl = 1; break;
		case 'C': use_curl = 2; break;
		case 'K': drop_keylog = 1; break;
		case 'M': mapped = 1; break;
		case 'E':
			if (ngetenv == (int)(sizeof(getenv_names) / sizeof(getenv_names[0])))
				return 2;
			getenv_names[ngetenv++] = optarg;
			break;
		default: return 2;
		}
	}
	if (argc - optind < 3) {
		fprintf(stderr, "usage: %s [-d CONFDIR] [-r RHOST] [-s] [-e] [-g] [-R] [-c|-C [-K]] [-M] [-E VAR]... SERVICE USER OP...\n",
			argv[0]);
		return 2;
	}
	if (use_curl)
		curl = host_curl(use_curl == 2, drop_keylog);
	ret = pam_start_confdir(argv[optind], argv[optind + 1], &pc, confdir, &pamh);
	if (ret != PAM_SUCCESS) {
		printf("pam_start: %s\n", code_name(ret));
		return 1;
	}
	if (rhost != NULL)
		pam_set_item(pamh, PAM_RHOST, rhost);
	for (i = optind + 2; i < argc; i++) {
		const char *op = argv[i];

		if (strcmp(op, "wait") == 0) {
			char *line = NULL;
			size_t cap = 0;

			printf("WAITING\n");
			fflush(stdout);
			if (getline(&line, &cap, stdin) < 0) {
				free(line);
				break;
			}
			free(line);
			continue;
		}
		if (strcmp(op, "authenticate") == 0)
			ret = pam_authenticate(pamh, flags);
		else if (strcmp(op, "acct_mgmt") == 0)
			ret = pam_acct_mgmt(pamh, flags);
		else if (strcmp(op, "setcred") == 0)
			ret = pam_setcred(pamh, flags | PAM_ESTABLISH_CRED);
		else if (strcmp(op, "delcred") == 0)
			ret = pam_setcred(pamh, flags | PAM_DELETE_CRED);
		else if (strcmp(op, "open_session") == 0)
			ret = pam_open_session(pamh, flags);
		else if (strcmp(op, "close_session") == 0)
			ret = pam_close_session(pamh, flags);
		else if (strcmp(op, "chauthtok") == 0)
			ret = pam_chauthtok(pamh, flags);
		else {
			fprintf(stderr, "unknown op %s\n", op);
			return 2;
		}
		printf("%s: %s\n", op, code_name(ret));
		if (ret != PAM_SUCCESS)
			all_ok = 0;
		/* setcred too: a later module's setcred (pam_env) shows whether it ran */
		if ((strcmp(op, "open_session") == 0 || strcmp(op, "setcred") == 0 ||
		     strcmp(op, "delcred") == 0) && env) {
			char **e = pam_getenvlist(pamh);

			for (int k = 0; e != NULL && e[k] != NULL; k++) {
				printf("ENV: %s\n", e[k]);
				free(e[k]);
			}
			free(e);
		}
		if ((strcmp(op, "setcred") == 0 || strcmp(op, "delcred") == 0) && groups) {
			gid_t g[256];
			int n = getgroups(256, g);

			printf("GROUPS:");
			for (int k = 0; k < n; k++)
				printf(" %u", (unsigned)g[k]);
			printf("\n");
		}
		fflush(stdout);
		if (ret != PAM_SUCCESS)
			break;
	}
	pam_end(pamh, ret);
	if (curl != NULL)
		host_curl_after(curl);
	if (mapped)
		print_mapped();
	for (i = 0; i < ngetenv; i++) {
		const char *v = getenv(getenv_names[i]);

		if (v != NULL)
			printf("GETENV: %s=%s\n", getenv_names[i], v);
		else
			printf("GETENV: %s unset\n", getenv_names[i]);
	}
	return all_ok ? 0 : 1;
}
