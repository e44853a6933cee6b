/* alz_usertype.h - the API's user types: the one rule for a type name, and lists of them. */
#ifndef ALZ_USERTYPE_H
#define ALZ_USERTYPE_H

#include <stdbool.h>

/*
 * bytes of a type name: the API's own words (MANAGEMENT_USER, a
 * FoodXchange role such as supplier), matched exactly, never interpreted
 */
#define ALZ_MAX_TYPE 64

/*
 * The one rule for a type name, wherever one comes from (a reply, a
 * record, the config): 1 to ALZ_MAX_TYPE bytes of [A-Za-z0-9_.:@-]. No
 * space, comma or quote, so a name is one item of a list setting, one
 * word of a log line and one value of an environment variable.
 */
bool alz_user_type_ok(const char *s);

/*
 * Copy S into DST (ALZ_MAX_TYPE + 1 bytes) when it passes the rule;
 * otherwise DST is "" (unknown: never a privilege) and the result false.
 */
bool alz_user_type_copy(char *dst, const char *s);

/* For log lines and the admin tool: T, or "-" when unknown (""). */
const char *alz_user_type_show(const char *t);

/*
 * A list of type names as a setting holds it (allowed_user_types,
 * local_totp_user_types): "all", "none", or names matched exactly.
 */
struct alz_type_list {
	bool all;	/* any type the API names; the unknown type "" never */
	char *names;	/* "MANAGEMENT_USER, ACCOUNT_USER"; NULL: none (or all) */
};

/* True when LIST names TYPE (an empty, unknown TYPE is in no list, not even "all"). */
bool alz_type_list_has(const struct alz_type_list *list, const char *type);

#endif
