/* alz_verifier.h - password verifiers: a slow salted libcrypt hash, compared in constant time. */
#ifndef ALZ_VERIFIER_H
#define ALZ_VERIFIER_H

#include <stdbool.h>

#include "alz_error.h"
#include "alz_log.h"

#define ALZ_MAX_VERIFIER 256	/* bytes of a crypt(5) hash string */

/*
 * Hash PASSWORD with libcrypt's default method (yescrypt on Debian 12); caller
 * frees. libcrypt is opened on first use (alz_lazylib.h): ALZ_ERR_SYSTEM, and
 * a line to LG, when it cannot be.
 */
enum alz_rc alz_verifier_make(const char *password, char **verifier, const struct alz_log *lg);

/*
 * ALZ_OK only when PASSWORD hashes to VERIFIER (constant-time comparison);
 * ALZ_ERR_DENIED when it does not or VERIFIER is no hash; ALZ_ERR_SYSTEM or
 * ALZ_ERR_NOMEM when it could not be checked (not the user's fault).
 */
enum alz_rc alz_verifier_check(const char *password, const char *verifier,
			       const struct alz_log *lg);

#endif
