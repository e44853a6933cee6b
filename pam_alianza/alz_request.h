/* alz_request.h - the JSON bodies pam_alianza sends, built with cJSON. */
#ifndef ALZ_REQUEST_H
#define ALZ_REQUEST_H

#include <stdbool.h>

#include "alz_config.h"
#include "alz_text.h"	/* ALZ_MAX_USER */

#define ALZ_MAX_PASSWORD 512	/* bytes; PAM_MAX_RESP_SIZE */

/*
 * Each builder checks its inputs (alz_text_ok ALZ_TEXT_UTF8, caps) and returns
 * ALZ_ERR_INPUT before anything is built. *JSON holds secrets: the
 * caller frees it with alz_secret_free().
 */
enum alz_rc alz_request_login(const struct alz_config *cfg, const char *user,
			      const char *password, char **json);
enum alz_rc alz_request_2fa(const struct alz_config *cfg, const char *session_id,
			    const char *code, char **json);
enum alz_rc alz_request_password(const struct alz_config *cfg, const char *user,
				 const char *old_password, const char *new_password,
				 char **json);
enum alz_rc alz_request_jwt(const struct alz_config *cfg, const char *jwt, char **json);

/* {refreshToken}: the FoodXchange refresh call. */
enum alz_rc alz_request_refresh(const struct alz_config *cfg, const char *refresh_token,
				char **json);

#endif
