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
	X(ALZ_NOT_CONFIGURED, "not configured: base_url unset (the module does nothing)") \
	X(ALZ_SCOPE_UNSET,    "neither alianza_group nor alianza_uids is set: nobody is an Alianza user") \
	X(ALZ_OUT_OF_SCOPE,   "not an Alianza user (outside alianza_group / alianza_uids)") \
	X(ALZ_ERR_NO_USER,    "no such local user, or a name no account can have") \
	X(ALZ_ERR_NOMEM,      "out of memory") \
	X(ALZ_ERR_CONFIG,     "configuration error") \
	X(ALZ_ERR_INPUT,      "invalid input") \
	X(ALZ_ERR_CONV,       "the conversation with the user failed") \
	X(ALZ_ERR_WRONG_CLIENT, "the client answered the code prompt with the password") \
	X(ALZ_ERR_SYSTEM,     "system error") \
	X(ALZ_ERR_NOT_FOUND,  "no such file or entry") \
	X(ALZ_ERR_EXISTS,     "the entry exists already") \
	X(ALZ_ERR_UNTRUSTED,  "a file or directory failed its owner, mode or type check") \
	X(ALZ_ERR_NO_CACHE,   "the cache directory is missing or unsafe: no record is used") \
	X(ALZ_ERR_BAD_RECORD, "a stored record is corrupt, another user's or of another format") \
	X(ALZ_ERR_NO_WINDOW,  "no cached decision: outside the window, or nothing to check against") \
	X(ALZ_ERR_NO_TOKEN,   "the record holds no live token to ask the API with") \
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
	X(ALZ_ERR_TOKEN_EXPIRED, "the API says the token expired (refresh, or log in again; not a refusal)") \
	X(ALZ_ERR_SSO_DISABLED, "the API offers no single sign-on (enabled false, or no SSO configuration)") \
	X(ALZ_ERR_SSO_CODE,   "the API refused the SSO code (unknown, used, expired, or another redirect or verifier)") \
	X(ALZ_ERR_SSO_OTHER_USER, "the SSO sign-in was another user's (its token logged out)") \
	X(ALZ_ERR_SSO_STATE,  "the pasted address carries a state this login did not make") \
	X(ALZ_ERR_UNSUPPORTED, "the API's dialect does not offer this call (its path is unset)") \
	X(ALZ_ERR_CONNECT,    "the API's address refused the connection or has no route") \
	X(ALZ_ERR_RESOLVE,    "the API's host name did not resolve") \
	X(ALZ_ERR_LOCAL_NET,  "this process could not make the connection (no socket, thread or local address)") \
	X(ALZ_ERR_SERVER,     "the API answered with a server error (5xx)") \
	X(ALZ_ERR_CUT,        "the connection was cut in mid-exchange") \
	X(ALZ_ERR_NETWORK,    "another transport failure (libcurl's reason is in the debug log)") \
	X(ALZ_ERR_TIMEOUT,    "API deadline exceeded (connect or total)") \
	X(ALZ_ERR_TLS,        "TLS verification failed (certificate, host name, CA)") \
	X(ALZ_ERR_TLS_HANDSHAKE, "the TLS handshake failed or was cut") \
	X(ALZ_ERR_BAD_REPLY,  "malformed or unexpected reply from the API")

#define ALZ_ENUM_ENTRY(name, desc) name,
enum alz_rc { ALZ_ERRORS(ALZ_ENUM_ENTRY) ALZ_RC_COUNT };
#undef ALZ_ENUM_ENTRY

/* "ALZ_ERR_DENIED" */
const char *alz_rc_name(enum alz_rc rc);
/* "credentials refused by the API" */
const char *alz_strerror(enum alz_rc rc);

#endif
