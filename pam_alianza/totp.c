/* totp.c - second-factor codes this host checks itself, with liboath's usersfile. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <liboath/oath.h>

#include "alz_lazylib.h"
#include "alz_totp.h"
#include "alz_trust.h"

#ifndef ALZ_OATH_SONAME
#define ALZ_OATH_SONAME "liboath.so.0"
#endif

/* liboath, opened the first time a host-local code is checked (alz_lazylib.h) */
ALZ_NOTE_DLOPEN(oath_note, "local-totp", "codes this host checks itself (local_totp_file)",
		"required", ALZ_OATH_SONAME);

static struct {
	int (*init)(void);
	int (*done)(void);
	const char *(*strerror)(int err);
	int (*authenticate_usersfile)(const char *usersfile, const char *username, const char *otp,
				      size_t window, const char *passwd, time_t *last_otp);
} oa;

static const struct alz_lazysym oath_syms[] = {
	ALZ_LAZYSYM(__typeof__(oa), init, "oath_init"),
	ALZ_LAZYSYM(__typeof__(oa), done, "oath_done"),
	ALZ_LAZYSYM(__typeof__(oa), strerror, "oath_strerror"),
	ALZ_LAZYSYM(__typeof__(oa), authenticate_usersfile, "oath_authenticate_usersfile"),
};
static struct alz_lazylib oath_lib = ALZ_LAZYLIB_INIT(ALZ_OATH_SONAME, oath_syms, &oa, NULL);

bool
alz_code_well_formed(const char *code)
{
	size_t n = strlen(code), i;

	if (n < 6 || n > 8)
		return false;
	for (i = 0; i < n; i++)
		if (code[i] < '0' || code[i] > '9')
			return false;
	return true;
}

bool
alz_totp_dir_safe(const char *file, uid_t owner, const struct alz_log *lg)
{
	struct alz_trust trust = ALZ_TRUST_DIR(owner, false);
	char *copy = strdup(file), why[ALZ_TRUST_WHY];
	struct stat st;
	bool ok = false;

	if (copy == NULL)
		return false;
	if (lstat(dirname(copy), &st) != 0)
		alz_log(lg, LOG_ERR, "%s: cannot stat its directory: %s", file, strerror(errno));
	else if (!alz_trust_stat(&st, &trust, why))
		alz_log(lg, LOG_ERR, "%s: its directory is %s; refusing to use it", file, why);
	else
		ok = true;
	free(copy);
	return ok;
}

/* It holds the secrets: OWNER's, private (stricter than the config file), no symlink. */
static bool
safe_file(const char *file, uid_t owner, const struct alz_log *lg)
{
	struct alz_trust trust = ALZ_TRUST_SECRET(owner, false);
	char why[ALZ_TRUST_WHY];
	struct stat st;
	bool ok = false;
	int fd;

	fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		alz_log(lg, LOG_ERR, "%s: cannot open: %s", file, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0)
		alz_log(lg, LOG_ERR, "%s: cannot stat: %s", file, strerror(errno));
	else if (!alz_trust_stat(&st, &trust, why))
		alz_log(lg, LOG_ERR, "%s: %s; refusing to use it", file, why);
	else
		ok = true;
	close(fd);
	return ok;
}

enum alz_rc
alz_totp_verify_local(const struct alz_config *cfg, const char *user, const char *code,
		      uid_t owner, const struct alz_log *lg)
{
	const char *file = cfg->local_totp_file;
	time_t last = 0;
	int rc;

	if (!alz_code_well_formed(code))
		return ALZ_ERR_2FA_INVALID;
	if (file == NULL || !alz_totp_dir_safe(file, owner, lg) || !safe_file(file, owner, lg))
		return ALZ_ERR_CONFIG;
	if (alz_lazylib_load(&oath_lib, "no local TOTP code can be checked", lg) == NULL)
		return ALZ_ERR_SYSTEM;
	/* as pam_oath does: init and done around each use, nothing kept */
	rc = oa.init();
	if (rc != OATH_OK) {
		alz_log(lg, LOG_ERR, "oath_init: %s", oa.strerror(rc));
		return ALZ_ERR_SYSTEM;
	}
	/* NULL password: the file's password column is not used */
	rc = oa.authenticate_usersfile(file, user, code, cfg->local_totp_window, NULL, &last);
	oa.done();
	if (rc >= 0)
		return ALZ_OK;
	switch (rc) {
	case OATH_UNKNOWN_USER:
		alz_log(lg, LOG_NOTICE, "%s: no local TOTP secret for this user", file);
		return ALZ_ERR_NOT_FOUND;
	case OATH_REPLAYED_OTP:
		alz_log(lg, LOG_NOTICE, "local TOTP: code already used (replay refused)");
		return ALZ_ERR_2FA_INVALID;
	case OATH_INVALID_OTP:
		return ALZ_ERR_2FA_INVALID;
	case OATH_NO_SUCH_FILE:
	case OATH_FILE_SEEK_ERROR:
	case OATH_FILE_FLUSH_ERROR:
	case OATH_FILE_CREATE_ERROR:
	case OATH_FILE_LOCK_ERROR:
	case OATH_FILE_RENAME_ERROR:
	case OATH_FILE_UNLINK_ERROR:
	case OATH_FILE_SYNC_ERROR:
	case OATH_FILE_CLOSE_ERROR:
	case OATH_FILE_CHOWN_ERROR:
	case OATH_FILE_STAT_ERROR:
		alz_log(lg, LOG_ERR, "%s: %s", file, oa.strerror(rc));
		return ALZ_ERR_CONFIG;
	default:
		alz_log(lg, LOG_ERR, "local TOTP: %s", oa.strerror(rc));
		return ALZ_ERR_2FA_INVALID;
	}
}
