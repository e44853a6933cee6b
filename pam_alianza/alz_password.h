/* alz_password.h - password changes: the documented policy, then PUT path_password. */
#ifndef ALZ_PASSWORD_H
#define ALZ_PASSWORD_H

#include <stddef.h>

#include "alz_api.h"

/*
 * The API's documented policy, checked before any request: at least 8
 * characters, upper and lower case letters, a digit, a special character.
 * ALZ_OK, or ALZ_ERR_POLICY with MSG saying everything that is missing.
 * ("Not a recent password" only the API can tell.)
 */
enum alz_rc alz_password_policy(const char *password, char *msg, size_t cap);

/*
 * Change LOCAL_USER's API password from OLD to NEW (PUT path_password). No
 * retry, ever: each try counts toward the API's lockout. On success the
 * cache record's verifier follows NEW and the cached window restarts; on
 * failure nothing cached changes. O gets the call's outcome.
 */
enum alz_rc alz_password_change(const struct alz_config *cfg, const struct alz_log *lg,
				const char *local_user, const char *old_password,
				const char *new_password, uid_t owner, struct alz_outcome *o);

#endif
