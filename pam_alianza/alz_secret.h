/* alz_secret.h - wiping and freeing strings that hold passwords, codes or tokens. */
#ifndef ALZ_SECRET_H
#define ALZ_SECRET_H

#include <stdlib.h>
#include <string.h>

/* Wipe a NUL-terminated secret and free it; NULL is fine. */
static inline void
alz_secret_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Wipe the LEN bytes of a buffer that held a secret and free it; NULL is fine. */
static inline void
alz_secret_free_len(void *p, size_t len)
{
	if (p != NULL) {
		explicit_bzero(p, len);
		free(p);
	}
}

#endif
