/*
 * admin_totp.c - pam_alianza-admin totp: enrol a user in the host's own TOTP
 * (local_totp_file), list who is enrolled, remove one, as google-authenticator
 * enrols users of its module. The file is edited as liboath edits it
 * (usersfile.c); the QR code is drawn by admin_qr.c.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <liboath/oath.h>

#include "alz_admin.h"
#include "alz_qr.h"
#include "alz_scope.h"
#include "alz_secret.h"
#include "alz_text.h"
#include "alz_totp.h"
#include "alz_usersfile.h"

#define SECRET_BYTES 20		/* 160 bits: the length RFC 4226 (section 4, R6) recommends */
#define STEP 30			/* seconds a code lives: the entry is HOTP/T30 */
#define DIGITS 6
#define CONFIRM_TRIES 3
#define ISSUER_MAX 64		/* bytes of the issuer the app shows */
#define URI_MAX 1024		/* bytes of the otpauth:// URI; ~110 with a short host name */
#define LINE_MAX_BYTES (ALZ_MAX_USER + 128)	/* one usersfile line */
#define PW_BUF 4096		/* bytes for getpwnam_r, as the module's gate */
#define STAMP_FORMAT "%Y-%m-%dT%H:%M:%SL"	/* liboath's TIME_FORMAT_STRING */

struct enroll {
	bool force;		/* replace an existing entry */
	bool confirm;		/* ask for a code before the entry is kept */
	const char *issuer;	/* NULL: the host name */
};

static void
totp_usage(void)
{
	fputs("usage: pam_alianza-admin totp enroll [--force] [--no-confirm] [--issuer NAME] USER\n"
	      "       pam_alianza-admin totp list\n"
	      "       pam_alianza-admin totp remove USER\n", stderr);
}

/* The output that holds the secret goes straight to the terminal: no stdio buffer keeps it. */
static void
emit(const char *s, size_t n)
{
	ssize_t got;

	fflush(stdout);
	while (n > 0) {
		got = write(STDOUT_FILENO, s, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return;
		s += got;
		n -= (size_t)got;
	}
}

/* What snprintf put in LINE (CAP bytes): K bytes, or what fit of them. */
static void
emit_line(const char *line, size_t cap, int k)
{
	if (k > 0)
		emit(line, (size_t)k < cap ? (size_t)k : cap - 1);
}

/*
 * A name the usersfile and the app's label can hold, beyond the module's
 * rule: liboath splits a line's fields at blanks, and the Key Uri Format's
 * label ("issuer:user") allows no colon.
 */
static bool
file_name_ok(const char *s)
{
	return alz_text_user(s) && s[0] != '\0' && strpbrk(s, " :") == NULL;
}

static void
note_scope(const struct alz_config *cfg, const struct alz_log *lg, const struct passwd *pw,
	   const char *shown)
{
	char why[120];
	enum alz_rc rc;

	if (!cfg->local_totp_types.all && cfg->local_totp_types.names == NULL)
		printf("note: local_totp_user_types is none in this config: nobody is asked for this "
		       "code until it (or a service's module argument) names %s's user type\n", shown);
	rc = alz_scope_user(cfg, lg, pw, why, sizeof(why));
	if (rc != ALZ_OK)
		printf("note: %s is not an Alianza user under this config (%s): the module does "
		       "not ask them for any code\n", shown, why);
}

/*
 * USER as enroll takes it: the module's rule and file_name_ok, then the
 * local account (the module asks only accounts NSS knows for a code, under
 * the name NSS answers: alz_pam_user_key); NAME gets that name.
 */
static int
enroll_user(const struct alz_config *cfg, const struct alz_log *lg, const char *user,
	    char name[ALZ_MAX_USER + 1])
{
	struct passwd pwbuf, *pw = NULL;
	char shown[80], buf[PW_BUF];
	int err, ret = EX_PROBLEM;

	alz_text_copy_safe(shown, sizeof(shown), user, ALZ_TEXT_VISIBLE);
	if (!alz_text_user(user) || user[0] == '\0') {
		fprintf(stderr, "error: %s is not a user name pam_alianza takes; nothing done\n",
			shown);
		goto out;
	}
	if (!file_name_ok(user)) {
		fprintf(stderr, "error: %s: a space or ':' cannot be in the TOTP file or the app's "
			"label; nothing done\n", shown);
		goto out;
	}
	err = getpwnam_r(user, &pwbuf, buf, sizeof(buf), &pw);
	if (err != 0 && err != ENOENT && err != ESRCH) {
		fprintf(stderr, "error: getpwnam_r: %s; nothing done\n", strerror(err));
		goto out;
	}
	if (pw == NULL) {
		fprintf(stderr, "error: no local user %s: the module asks only an account the passwd "
			"database knows for a code; add the account (or its NSS source) first; "
			"nothing done\n", shown);
		goto out;
	}
	if (!file_name_ok(pw->pw_name)) {
		fprintf(stderr, "error: NSS names the account something the TOTP file cannot hold; "
			"nothing done\n");
		goto out;
	}
	if (strcmp(pw->pw_name, user) != 0) {
		alz_text_copy_safe(shown, sizeof(shown), pw->pw_name, ALZ_TEXT_VISIBLE);
		printf("note: NSS knows this account as %s: enrolled under that name, the one the "
		       "module asks liboath with\n", shown);
	}
	note_scope(cfg, lg, pw, shown);
	memcpy(name, pw->pw_name, strlen(pw->pw_name) + 1);
	ret = EX_OK;
out:
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

/* ISSUER, or the host name: text the app shows above the code. */
static int
pick_issuer(const char *issuer, char out[ISSUER_MAX + 1])
{
	char host[HOST_NAME_MAX + 1], shown[80];

	if (issuer == NULL) {
		if (gethostname(host, sizeof(host)) != 0) {
			fprintf(stderr, "error: gethostname: %s; give --issuer\n", strerror(errno));
			return EX_PROBLEM;
		}
		host[sizeof(host) - 1] = '\0';
		issuer = host;
	}
	alz_text_copy_safe(shown, sizeof(shown), issuer, ALZ_TEXT_ASCII_LINE);
	if (issuer[0] == '\0' || strlen(issuer) > ISSUER_MAX || !alz_text_ok(issuer, ALZ_TEXT_UTF8) ||
	    strchr(issuer, ':') != NULL) {
		fprintf(stderr, "error: issuer \"%s\": 1 to %d bytes of text without ':' (the "
			"label's separator)%s\n", shown, ISSUER_MAX, issuer == host ? "; give --issuer" : "");
		return EX_PROBLEM;
	}
	memcpy(out, issuer, strlen(issuer) + 1);
	return EX_OK;
}

static bool
append(char *buf, size_t cap, size_t *n, const char *s)
{
	size_t k = strlen(s);

	if (*n + k >= cap)
		return false;
	memcpy(buf + *n, s, k + 1);
	*n += k;
	return true;
}

/* S percent-encoded (RFC 3986): all but the unreserved characters, UTF-8 bytes too. */
static bool
append_encoded(char *buf, size_t cap, size_t *n, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char enc[4];

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			enc[0] = (char)*p;
			enc[1] = '\0';
		} else {
			enc[0] = '%';
			enc[1] = hex[*p >> 4];
			enc[2] = hex[*p & 15];
			enc[3] = '\0';
		}
		if (!append(buf, cap, n, enc))
			return false;
	}
	return true;
}

/* Google's Key Uri Format: otpauth://totp/ISSUER:USER?secret=...&issuer=ISSUER&... */
static bool
make_uri(char *uri, size_t cap, const char *issuer, const char *user, const char *b32)
{
	size_t n = 0;

	uri[0] = '\0';
	return append(uri, cap, &n, "otpauth://totp/") && append_encoded(uri, cap, &n, issuer) &&
	       append(uri, cap, &n, ":") && append_encoded(uri, cap, &n, user) &&
	       append(uri, cap, &n, "?secret=") && append(uri, cap, &n, b32) &&
	       append(uri, cap, &n, "&issuer=") && append_encoded(uri, cap, &n, issuer) &&
	       append(uri, cap, &n, "&algorithm=SHA1&digits=6&period=30");
}

/* UTF-8 half blocks where the terminal's locale is UTF-8, ASCII elsewhere. */
static void
show_secret(const char *uri, const char *b32, const char *user)
{
	enum alz_qr_style style = ALZ_QR_ASCII;
	const char *codeset, *term = getenv("TERM");
	char line[URI_MAX + 128];
	bool colour;
	char *qr;
	size_t len, i, n;
	int k;

	setlocale(LC_CTYPE, "");
	codeset = nl_langinfo(CODESET);
	if (codeset != NULL && strcmp(codeset, "UTF-8") == 0)
		style = ALZ_QR_UTF8;
	colour = isatty(STDOUT_FILENO) && (term == NULL || strcmp(term, "dumb") != 0);
	k = snprintf(line, sizeof(line), "Scan this with the authenticator app on %s's phone "
		     "(the code holds the new secret):\n\n", user);
	emit_line(line, sizeof(line), k);
	qr = alz_qr_draw(uri, style, colour, &len);
	if (qr != NULL) {
		emit(qr, len);
	} else {
		k = snprintf(line, sizeof(line), "(no QR code: %s)\n", strerror(errno));
		emit_line(line, sizeof(line), k);
	}
	alz_secret_free_len(qr, len);
	k = snprintf(line, sizeof(line), "\n%s\n\nor type this key into the app (time-based, "
		     "SHA1, 6 digits, 30 s):\n  ", uri);
	emit_line(line, sizeof(line), k);
	/* groups of four letters, as the apps show a key */
	for (i = 0, n = 0; b32[i] != '\0' && n + 3 < sizeof(line); i++) {
		if (i > 0 && i % 4 == 0)
			line[n++] = ' ';
		line[n++] = b32[i];
	}
	line[n++] = '\n';
	line[n++] = '\n';
	emit(line, n);
	explicit_bzero(line, sizeof(line));
}

/* One code of the new secret, asked up to CONFIRM_TRIES times; CODE gets it. */
static int
confirm(const struct alz_config *cfg, const char *secret, char code[DIGITS + 1])
{
	char *answer = NULL;
	int i, rc;

	for (i = 0; i < CONFIRM_TRIES; i++) {
		if (alz_admin_ask(NULL, "Code shown by the app (to confirm): ", &answer) != ALZ_OK) {
			fprintf(stderr, "error: no code read; nothing kept\n");
			return EX_PROBLEM;
		}
		rc = strlen(answer) == DIGITS && alz_code_well_formed(answer) ?
		     oath_totp_validate(secret, SECRET_BYTES, time(NULL), STEP, 0,
					cfg->local_totp_window, answer) : OATH_INVALID_OTP;
		if (rc >= 0) {
			memcpy(code, answer, DIGITS + 1);
			alz_secret_free(answer);
			return EX_OK;
		}
		alz_secret_free(answer);
		answer = NULL;
		if (i + 1 < CONFIRM_TRIES)
			fprintf(stderr, "wrong code; try again (%d left)\n", CONFIRM_TRIES - i - 1);
	}
	fprintf(stderr, "error: %d wrong codes (is the phone's clock right?); nothing kept\n",
		CONFIRM_TRIES);
	return EX_PROBLEM;
}

/*
 * The entry, in the format liboath writes: type, user, "-" (no password),
 * the secret in hex; after a confirmation also a moving factor, the code
 * typed and its time, so liboath refuses that code as a replay.
 */
static bool
make_line(char *line, size_t cap, const char *user, const char *hex, const char *code)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	if (code == NULL) {
		n = snprintf(line, cap, "HOTP/T30 %s - %s\n", user, hex);
	} else {
		if (localtime_r(&now, &tm) == NULL || strftime(stamp, sizeof(stamp), STAMP_FORMAT,
							      &tm) == 0)
			return false;
		n = snprintf(line, cap, "HOTP/T30 %s - %s 0 %s %s\n", user, hex, code, stamp);
	}
	return n > 0 && (size_t)n < cap;
}

struct count {
	const char *user;
	long n;
};

static void
count_user(void *ctx, const struct alz_usersfile_entry *e)
{
	struct count *c = ctx;

	if (!e->user_too_long && strcmp(e->user, c->user) == 0)
		c->n++;
}

/* How many entries USER has now (0 when the file is missing); -1: the file is unusable. */
static long
enrolled(const char *file, const char *user, const struct alz_log *lg)
{
	struct count c = { user, 0 };
	enum alz_rc rc;

	rc = alz_usersfile_each(file, count_user, &c, lg);
	if (rc == ALZ_ERR_NOT_FOUND)
		return 0;
	if (rc != ALZ_OK)
		return -1;
	return c.n;
}

/* Write LINE for NAME with the signals that would stop it half-way (or holding the lock) held. */
static enum alz_rc
store(const char *file, const char *name, const char *line, bool replace, size_t *dropped,
      const struct alz_log *lg)
{
	sigset_t old;
	enum alz_rc rc;

	alz_admin_block_signals(&old);
	rc = alz_usersfile_set(file, name, line, replace, dropped, lg);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int
enroll_keep(const struct alz_config *cfg, const struct alz_log *lg, const struct enroll *o,
	    const char *name, const char *line, bool confirmed)
{
	const char *file = cfg->local_totp_file;
	char shown[80];
	size_t dropped = 0;
	enum alz_rc rc;

	alz_text_copy_safe(shown, sizeof(shown), name, ALZ_TEXT_VISIBLE);
	rc = store(file, name, line, o->force, &dropped, lg);
	if (rc == ALZ_ERR_EXISTS) {
		fprintf(stderr, "error: %s was enrolled meanwhile; nothing kept (--force replaces "
			"the secret)\n", shown);
		return EX_PROBLEM;
	}
	if (rc != ALZ_OK) {
		fprintf(stderr, "error: %s not changed (%s); nothing kept\n", file, alz_strerror(rc));
		return EX_PROBLEM;
	}
	printf("enrolled %s in %s%s%s\n", shown, file,
	       dropped > 0 ? " (the old secret replaced)" : "",
	       confirmed ? "; the code just typed counts as used" : "");
	return EX_OK;
}

static int
cmd_enroll(const struct alz_config *cfg, const struct alz_log *lg, const struct enroll *o,
	   const char *user)
{
	const char *file = cfg->local_totp_file;
	char name[ALZ_MAX_USER + 1], issuer[ISSUER_MAX + 1], shown[80], code[DIGITS + 1];
	char secret[SECRET_BYTES], hex[2 * SECRET_BYTES + 1], uri[URI_MAX], line[LINE_MAX_BYTES];
	char *b32 = NULL;
	size_t b32_len = 0;
	long had;
	int ret, orc;

	memset(code, 0, sizeof(code));
	ret = enroll_user(cfg, lg, user, name);
	if (ret != EX_OK)
		return ret;
	ret = pick_issuer(o->issuer, issuer);
	if (ret != EX_OK)
		return ret;
	alz_text_copy_safe(shown, sizeof(shown), name, ALZ_TEXT_VISIBLE);
	/* refused before a secret is shown; the write checks again under the lock */
	had = enrolled(file, name, lg);	/* the file and its directory checked as the module does */
	if (had < 0) {
		fprintf(stderr, "error: %s cannot be used (see above); nothing done\n", file);
		return EX_PROBLEM;
	}
	if (had > 0 && !o->force) {
		fprintf(stderr, "error: %s is enrolled already (%s); --force replaces the secret; "
			"nothing done\n", shown, file);
		return EX_PROBLEM;
	}
	ret = EX_PROBLEM;
	orc = oath_init();
	if (orc != OATH_OK) {
		fprintf(stderr, "error: oath_init: %s\n", oath_strerror(orc));
		return EX_PROBLEM;
	}
	if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret)) {
		fprintf(stderr, "error: getrandom: %s; nothing done\n", strerror(errno));
		goto out;
	}
	oath_bin2hex(secret, sizeof(secret), hex);
	orc = oath_base32_encode(secret, sizeof(secret), &b32, &b32_len);
	if (orc != OATH_OK || !make_uri(uri, sizeof(uri), issuer, name, b32)) {
		fprintf(stderr, "error: the secret cannot be encoded (%s); nothing done\n",
			orc != OATH_OK ? oath_strerror(orc) : "the URI is too long");
		goto out;
	}
	show_secret(uri, b32, shown);
	if (o->confirm) {
		ret = confirm(cfg, secret, code);
		if (ret != EX_OK)
			goto out;
		ret = EX_PROBLEM;
	}
	if (!make_line(line, sizeof(line), name, hex, o->confirm ? code : NULL)) {
		fprintf(stderr, "error: the entry cannot be written; nothing kept\n");
		goto out;
	}
	ret = enroll_keep(cfg, lg, o, name, line, o->confirm);
out:
	oath_done();
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(hex, sizeof(hex));
	explicit_bzero(uri, sizeof(uri));
	explicit_bzero(line, sizeof(line));
	explicit_bzero(code, sizeof(code));
	alz_secret_free_len(b32, b32_len);
	return ret;
}

/* ---- list */
struct listing {
	size_t n;
};

static void
list_one(void *ctx, const struct alz_usersfile_entry *e)
{
	struct listing *l = ctx;
	char user[80], when[40];

	alz_text_copy_safe(user, sizeof(user), e->user, ALZ_TEXT_VISIBLE);
	alz_text_copy_safe(when, sizeof(when), e->when, ALZ_TEXT_VISIBLE);
	/* never the secret, nor the last code */
	printf("%-20s %-10s %s%s%s\n", user, e->type,
	       !e->used ? "no code used yet" : "a code used", e->used && when[0] != '\0' ? " at " :
	       "", e->used ? when : "");
	l->n++;
}

static int
cmd_list(const struct alz_config *cfg, const struct alz_log *lg)
{
	struct listing l = { 0 };
	enum alz_rc rc;

	rc = alz_usersfile_each(cfg->local_totp_file, list_one, &l, lg);
	if (rc == ALZ_ERR_NOT_FOUND) {
		printf("nobody is enrolled: %s does not exist\n", cfg->local_totp_file);
		return EX_OK;
	}
	if (rc != ALZ_OK) {
		fprintf(stderr, "error: %s cannot be used (see above)\n", cfg->local_totp_file);
		return EX_PROBLEM;
	}
	printf("%zu entr%s in %s\n", l.n, l.n == 1 ? "y" : "ies", cfg->local_totp_file);
	return EX_OK;
}

/* ---- remove: by the name the file holds, whether or not the account still exists */
static int
cmd_remove(const struct alz_config *cfg, const struct alz_log *lg, const char *user)
{
	const char *file = cfg->local_totp_file;
	size_t dropped = 0;
	char shown[80];
	enum alz_rc rc;

	alz_text_copy_safe(shown, sizeof(shown), user, ALZ_TEXT_VISIBLE);
	if (!file_name_ok(user)) {
		fprintf(stderr, "error: %s is not a name the TOTP file can hold; nothing done\n",
			shown);
		return EX_PROBLEM;
	}
	rc = store(file, user, NULL, true, &dropped, lg);
	if (rc == ALZ_ERR_NOT_FOUND) {
		fprintf(stderr, "error: %s is not enrolled in %s; nothing done\n", shown, file);
		return EX_PROBLEM;
	}
	if (rc != ALZ_OK) {
		fprintf(stderr, "error: %s not changed (%s)\n", file, alz_strerror(rc));
		return EX_PROBLEM;
	}
	printf("removed %s from %s (%zu entr%s)\n", shown, file, dropped, dropped == 1 ? "y" : "ies");
	return EX_OK;
}

int
alz_admin_totp(const struct alz_config *cfg, const struct alz_log *lg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "no-confirm", no_argument, NULL, 'n' },
		{ "issuer", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct enroll o = { false, true, NULL };
	int opt;

	if (cfg->local_totp_file == NULL) {
		fprintf(stderr, "error: local_totp_file is not set\n");
		return EX_CONFIG;
	}
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return cmd_list(cfg, lg);
	if (argc == 2 && strcmp(argv[0], "remove") == 0)
		return cmd_remove(cfg, lg, argv[1]);
	if (argc < 2 || strcmp(argv[0], "enroll") != 0) {
		totp_usage();
		return EX_USAGE;
	}
	optind = 0;	/* glibc: start over, at argv[1] */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			o.force = true;
			break;
		case 'n':
			o.confirm = false;
			break;
		case 'i':
			o.issuer = optarg;
			break;
		default:
			totp_usage();
			return EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		totp_usage();
		return EX_USAGE;
	}
	return cmd_enroll(cfg, lg, &o, argv[optind]);
}
