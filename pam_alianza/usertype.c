/* usertype.c - the API's user types: their names, and parsing a reply's or a record's. */
#include "config.h"

#include <string.h>

#include "alz_usertype.h"

static const char *const type_names[] = {
	[ALZ_UT_UNKNOWN] = "UNKNOWN",
	[ALZ_UT_MANAGEMENT] = "MANAGEMENT_USER",
	[ALZ_UT_ACCOUNT] = "ACCOUNT_USER",
	[ALZ_UT_END] = "END_USER",
};

const char *
alz_user_type_name(enum alz_user_type t)
{
	if ((unsigned)t >= sizeof(type_names) / sizeof(type_names[0]))
		return type_names[ALZ_UT_UNKNOWN];
	return type_names[t];
}

enum alz_user_type
alz_user_type_parse(const char *s)
{
	unsigned i;

	/* exact match only: "management_user" is not a privilege */
	for (i = ALZ_UT_MANAGEMENT; i <= ALZ_UT_END; i++)
		if (strcmp(s, type_names[i]) == 0)
			return (enum alz_user_type)i;
	return ALZ_UT_UNKNOWN;
}
