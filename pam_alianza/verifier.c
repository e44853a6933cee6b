/* verifier.c - password verifiers: a slow salted libcrypt hash, compared in constant time. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <crypt.h>

#include "alz_lazylib.h"
#include "alz_verifier.h"

#ifndef ALZ_CRYPT_SONAME
#define ALZ_CRYPT_SONAME "libcrypt.so.1"
#endif

/*
 * libcrypt (libxcrypt), opened the first time a verifier is made or checked:
 * a PAM call that never needs one (root, an ignored user, an online login
 * without cached_auth_timeout or offline_window) does not load it.
 */
ALZ_NOTE_DLOPEN(crypt_note, "verifier", "password verifiers of cached and offline logins "
		"(yescrypt)", "required", ALZ_CRYPT_SONAME);

static struct {
	char *(*gensalt_rn)(const char *prefix, unsigned long count, const char *rbytes,
			    int nrbytes, char *output, int output_size);
	char *(*rn)(const char *phrase, const char *setting, void *data, int size);
} cr;

static const struct alz_lazysym crypt_syms[] = {
	ALZ_LAZYSYM(__typeof__(cr), gensalt_rn, "crypt_gensalt_rn"),
	ALZ_LAZYSYM(__typeof__(cr), rn, "crypt_rn"),
};
static struct alz_lazylib crypt_lib = ALZ_LAZYLIB_INIT(ALZ_CRYPT_SONAME, crypt_syms, &cr, NULL);

enum alz_rc
alz_verifier_make(const char *password, char **verifier, const struct alz_log *lg)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	enum alz_rc rc = ALZ_ERR_SYSTEM;

	*verifier = NULL;
	if (alz_lazylib_load(&crypt_lib, "no password verifier can be made", lg) == NULL)
		return ALZ_ERR_SYSTEM;
	cd = calloc(1, sizeof(*cd));	/* ~32 KiB: not for the stack of someone else's process */
	if (cd == NULL)
		return ALZ_ERR_NOMEM;
	/* NULL prefix: libcrypt's strongest default; 0 rounds: its default cost */
	if (cr.gensalt_rn(NULL, 0, NULL, 0, salt, sizeof(salt)) == NULL)
		goto out;
	if (cr.rn(password, salt, cd, sizeof(*cd)) == NULL || cd->output[0] == '*')
		goto out;
	if (strlen(cd->output) >= ALZ_MAX_VERIFIER)
		goto out;
	*verifier = strdup(cd->output);
	rc = *verifier != NULL ? ALZ_OK : ALZ_ERR_NOMEM;
out:
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

enum alz_rc
alz_verifier_check(const char *password, const char *verifier, const struct alz_log *lg)
{
	struct crypt_data *cd;
	size_t n, i;
	unsigned char diff = 0;
	bool ok = false;

	if (verifier == NULL || verifier[0] != '$' || strlen(verifier) >= ALZ_MAX_VERIFIER)
		return ALZ_ERR_DENIED;
	/* not a wrong password: nothing is counted against the user */
	if (alz_lazylib_load(&crypt_lib, "no cached or offline login can be checked", lg) == NULL)
		return ALZ_ERR_SYSTEM;
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return ALZ_ERR_NOMEM;
	if (cr.rn(password, verifier, cd, sizeof(*cd)) == NULL || cd->output[0] == '*')
		goto out;
	n = strlen(verifier);
	if (strlen(cd->output) != n)
		goto out;
	/* no early exit: the time taken says nothing about where they differ */
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(cd->output[i] ^ verifier[i]);
	ok = diff == 0;
out:
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok ? ALZ_OK : ALZ_ERR_DENIED;
}
