/* usertype.c - the API's user types: the one rule for a type name, and lists of them. */
#include "config.h"

#include <string.h>

#include "alz_config.h"
#include "alz_usertype.h"

bool
alz_user_type_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= ALZ_MAX_TYPE)
			return false;
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("_.:@-", s[i]) != NULL))
			return false;
	}
	return i > 0;
}

bool
alz_user_type_copy(char *dst, const char *s)
{
	if (s == NULL || !alz_user_type_ok(s)) {
		dst[0] = '\0';
		return false;
	}
	memcpy(dst, s, strlen(s) + 1);	/* at most ALZ_MAX_TYPE + 1: the rule measured it */
	return true;
}

const char *
alz_user_type_show(const char *t)
{
	return t != NULL && t[0] != '\0' ? t : "-";
}

bool
alz_type_list_has(const struct alz_type_list *list, const char *type)
{
	/* exact match only: "management_user" is not MANAGEMENT_USER's privilege */
	if (type == NULL || !alz_user_type_ok(type))
		return false;
	return list->all || alz_list_has(list->names, type);
}
