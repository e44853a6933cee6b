/* error.c - names and descriptions of enum alz_rc. */
#include "config.h"

#include "alz_error.h"

#define ALZ_NAME_ENTRY(name, desc) #name,
#define ALZ_DESC_ENTRY(name, desc) desc,
static const char *const names[] = { ALZ_ERRORS(ALZ_NAME_ENTRY) };
static const char *const descs[] = { ALZ_ERRORS(ALZ_DESC_ENTRY) };

const char *
alz_rc_name(enum alz_rc rc)
{
	if ((unsigned)rc >= ALZ_RC_COUNT)
		return "ALZ_UNKNOWN";
	return names[rc];
}

const char *
alz_strerror(enum alz_rc rc)
{
	if ((unsigned)rc >= ALZ_RC_COUNT)
		return "unknown error";
	return descs[rc];
}
