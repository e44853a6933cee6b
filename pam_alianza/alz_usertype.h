/* alz_usertype.h - the API's user types: their names, and parsing a reply's or a record's. */
#ifndef ALZ_USERTYPE_H
#define ALZ_USERTYPE_H

enum alz_user_type {
	ALZ_UT_UNKNOWN = 0,
	ALZ_UT_MANAGEMENT,	/* MANAGEMENT_USER */
	ALZ_UT_ACCOUNT,		/* ACCOUNT_USER */
	ALZ_UT_END,		/* END_USER */
};

/* "MANAGEMENT_USER", ..., "UNKNOWN" */
const char *alz_user_type_name(enum alz_user_type t);
/* Exact names only; anything else is ALZ_UT_UNKNOWN, never a privilege. */
enum alz_user_type alz_user_type_parse(const char *s);

#endif
