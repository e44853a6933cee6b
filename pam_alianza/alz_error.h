/* alz_error.h - the one error enum every PAM-free part of pam_alianza returns. */
#ifndef ALZ_ERROR_H
#define ALZ_ERROR_H

/*
 * One table gives the enum, its name and its description (liboath's
 * errors.c pattern). The PAM glue maps these to PAM codes in one place.
 */
#define ALZ_ERRORS(X) \
	X(ALZ_OK,             "success") \
	X(ALZ_SKIP,           "not a user this module handles") \
	X(ALZ_ERR_NO_USER,    "no such local user") \
	X(ALZ_ERR_NOMEM,      "out of memory") \
	X(ALZ_ERR_CONFIG,     "configuration error") \
	X(ALZ_ERR_INPUT,      "invalid input") \
	X(ALZ_ERR_CONV,       "the conversation with the user failed") \
	X(ALZ_ERR_WRONG_CLIENT, "the client answered the code prompt with the password") \
	X(ALZ_ERR_SYSTEM,     "system error") \
	X(ALZ_ERR_UNSAFE_ENV, "the environment asks libcurl for what root must not do") \
	X(ALZ_ERR_DENIED,     "credentials refused by the API") \
	X(ALZ_ERR_2FA_REQUIRED, "a second factor is required") \
	X(ALZ_ERR_2FA_INVALID, "second factor code refused") \
	X(ALZ_ERR_2FA_EXPIRED, "second factor challenge expired") \
	X(ALZ_ERR_FORBIDDEN,  "access forbidden by the API") \
	X(ALZ_ERR_LOCKED,     "account locked") \
	X(ALZ_ERR_RATE_LIMITED, "rate limited by the API") \
	X(ALZ_ERR_BAD_REQUEST, "the API refused the request as malformed") \
	X(ALZ_ERR_POLICY,     "password refused by the API's policy") \
	X(ALZ_ERR_UNAVAILABLE, "API unreachable or failing") \
	X(ALZ_ERR_TIMEOUT,    "API deadline exceeded") \
	X(ALZ_ERR_TLS,        "TLS verification failed") \
	X(ALZ_ERR_BAD_REPLY,  "malformed or unexpected reply from the API")

#define ALZ_ENUM_ENTRY(name, desc) name,
enum alz_rc { ALZ_ERRORS(ALZ_ENUM_ENTRY) ALZ_RC_COUNT };
#undef ALZ_ENUM_ENTRY

/* "ALZ_ERR_DENIED" */
const char *alz_rc_name(enum alz_rc rc);
/* "credentials refused by the API" */
const char *alz_strerror(enum alz_rc rc);

#endif
