/* verifier.c - password verifiers: a slow salted libcrypt hash, compared in constant time. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <crypt.h>

#include "alz_verifier.h"

enum alz_rc
alz_verifier_make(const char *password, char **verifier)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	enum alz_rc rc = ALZ_ERR_SYSTEM;

	*verifier = NULL;
	cd = calloc(1, sizeof(*cd));	/* ~32 KiB: not for the stack of someone else's process */
	if (cd == NULL)
		return ALZ_ERR_NOMEM;
	/* NULL prefix: libcrypt's strongest default; 0 rounds: its default cost */
	if (crypt_gensalt_rn(NULL, 0, NULL, 0, salt, sizeof(salt)) == NULL)
		goto out;
	if (crypt_rn(password, salt, cd, sizeof(*cd)) == NULL || cd->output[0] == '*')
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

bool
alz_verifier_check(const char *password, const char *verifier)
{
	struct crypt_data *cd;
	size_t n, i;
	unsigned char diff = 0;
	bool ok = false;

	if (verifier == NULL || verifier[0] != '$' || strlen(verifier) >= ALZ_MAX_VERIFIER)
		return false;
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return false;
	if (crypt_rn(password, verifier, cd, sizeof(*cd)) == NULL || cd->output[0] == '*')
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
	return ok;
}
