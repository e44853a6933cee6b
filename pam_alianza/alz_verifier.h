/* alz_verifier.h - password verifiers: a slow salted libcrypt hash, compared in constant time. */
#ifndef ALZ_VERIFIER_H
#define ALZ_VERIFIER_H

#include <stdbool.h>

#include "alz_error.h"

#define ALZ_MAX_VERIFIER 256	/* bytes of a crypt(5) hash string */

/* Hash PASSWORD with libcrypt's default method (yescrypt on Debian 12); caller frees. */
enum alz_rc alz_verifier_make(const char *password, char **verifier);

/* True only when PASSWORD hashes to VERIFIER; the comparison takes constant time. */
bool alz_verifier_check(const char *password, const char *verifier);

#endif
