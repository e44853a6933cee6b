/* test_totp.c - TOTP through liboath: RFC 6238 vectors, code shape, local usersfile window and replay. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <liboath/oath.h>

#include "alz_config.h"
#include "alz_totp.h"
#include "tap.h"

/* RFC 6238 appendix B, HMAC-SHA1, 8 digits, secret "12345678901234567890" */
static const struct {
	time_t t;
	const char *otp;
} vectors[] = {
	{ 59, "94287082" },
	{ 1111111109, "07081804" },
	{ 1111111111, "14050471" },
	{ 1234567890, "89005924" },
	{ 2000000000, "69279037" },
	{ 20000000000LL, "65353130" },
};

static const struct {
	const char *code;
	bool ok;
} shapes[] = {
	{ "123456", true }, { "1234567", true }, { "12345678", true },
	{ "12345", false }, { "123456789", false }, { "", false },
	{ "12345a", false }, { "abcdef", false }, { " 123456", false },
	{ "123456\n", false }, { "１２３４５６", false },
};

static char logbuf[4096];

static void sink(void *ctx, int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
sink(void *ctx, int prio, const char *fmt, va_list ap)
{
	(void)ctx;
	(void)prio;
	vsnprintf(logbuf, sizeof(logbuf), fmt, ap);
}

static const struct alz_log lg = { sink, NULL, 1 };
#define SECRET_HEX "3132333435363738393031323334353637383930"
#define SECRET "12345678901234567890"

static void
code_at(time_t when, char out[7])
{
	oath_totp_generate(SECRET, 20, when, 30, 0, 6, out);
}

static void
write_users(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		exit(99);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

int
main(void)
{
	char dir[] = "/tmp/alz-test-totp-XXXXXX", path[256], otp[16], now_code[7];
	struct alz_config cfg;
	time_t now = time(NULL);
	size_t i;

	oath_init();
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		oath_totp_generate(SECRET, 20, vectors[i].t, 30, 0, 8, otp);
		ok_str(otp, vectors[i].otp, "RFC 6238 SHA1 vector at T=%lld",
		       (long long)vectors[i].t);
	}
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		ok_int(alz_code_well_formed(shapes[i].code), shapes[i].ok, "code shape #%zu (%zu bytes) %s",
		       i, strlen(shapes[i].code), shapes[i].ok ? "accepted" : "refused");

	if (mkdtemp(dir) == NULL)
		return 99;
	chmod(dir, 0755);
	snprintf(path, sizeof(path), "%s/totp", dir);
	alz_config_init(&cfg);
	alz_config_set(&cfg, "local_totp_file", path, "test", 0, NULL);

	write_users(path, "HOTP/T30 alice - " SECRET_HEX "\n", 0600);
	code_at(now, now_code);
	ok_rc(alz_totp_verify_local(&cfg, "alice", now_code, geteuid(), &lg), ALZ_OK,
	       "current code accepted");
	ok_rc(alz_totp_verify_local(&cfg, "alice", now_code, geteuid(), &lg), ALZ_ERR_2FA_INVALID,
	       "the same code again is refused (replay)");
	code_at(now - 30, otp);
	ok_rc(alz_totp_verify_local(&cfg, "alice", otp, geteuid(), &lg), ALZ_ERR_2FA_INVALID,
	       "an older code after a newer one is refused (replay)");

	/* window: fresh file each time, so replay state does not interfere */
	write_users(path, "HOTP/T30 alice - " SECRET_HEX "\n", 0600);
	code_at(now + 30, otp);
	ok_rc(alz_totp_verify_local(&cfg, "alice", otp, geteuid(), &lg), ALZ_OK,
	       "next step's code accepted with window 1");
	write_users(path, "HOTP/T30 alice - " SECRET_HEX "\n", 0600);
	code_at(now + 90, otp);
	ok_rc(alz_totp_verify_local(&cfg, "alice", otp, geteuid(), &lg), ALZ_ERR_2FA_INVALID,
	       "a code three steps ahead refused with window 1");
	write_users(path, "HOTP/T30 alice - " SECRET_HEX "\n", 0600);
	alz_config_set(&cfg, "local_totp_window", "0", "test", 0, NULL);
	{
		/*
		 * The next step of the clock as it is now (a slow run, valgrind, may be
		 * steps past the test's start): checked again if the step turned during
		 * the check, when that code became the current one.
		 */
		enum alz_rc got = ALZ_OK;
		time_t t0, t1;
		int tries;

		for (tries = 0; tries < 3; tries++) {
			t0 = time(NULL);
			code_at(t0 + 30, otp);
			got = alz_totp_verify_local(&cfg, "alice", otp, geteuid(), &lg);
			t1 = time(NULL);
			if (t0 / 30 == t1 / 30)
				break;
			write_users(path, "HOTP/T30 alice - " SECRET_HEX "\n", 0600);
		}
		ok_rc(got, ALZ_ERR_2FA_INVALID, "next step's code refused with window 0");
	}
	alz_config_set(&cfg, "local_totp_window", "1", "test", 0, NULL);

	write_users(path, "HOTP/T30 alice - " SECRET_HEX "\n", 0600);
	ok_rc(alz_totp_verify_local(&cfg, "bob", now_code, geteuid(), &lg), ALZ_ERR_NOT_FOUND,
	       "user without a secret: ALZ_ERR_NOT_FOUND");
	ok_rc(alz_totp_verify_local(&cfg, "alice", "12345", geteuid(), &lg), ALZ_ERR_2FA_INVALID,
	       "malformed code refused before liboath");
	write_users(path, "HOTP/T30 alice - " SECRET_HEX "\n", 0640);
	if (ok_rc(alz_totp_verify_local(&cfg, "alice", now_code, geteuid(), &lg), ALZ_ERR_CONFIG,
		  "secrets file readable by group refused"))
		ok_has(logbuf, "group or others", "secrets file readable by group: the log says why");
	write_users(path, "HOTP/T30 alice - " SECRET_HEX "\n", 0600);
	chmod(dir, 0777);
	ok_rc(alz_totp_verify_local(&cfg, "alice", now_code, geteuid(), &lg), ALZ_ERR_CONFIG,
	       "secrets file in a world-writable directory refused");
	chmod(dir, 0755);
	unlink(path);
	ok_rc(alz_totp_verify_local(&cfg, "alice", now_code, geteuid(), &lg), ALZ_ERR_CONFIG,
	       "missing secrets file refused");

	alz_config_free(&cfg);
	oath_done();
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		return 99;
	return tap_done();
}
