/* request.c - the JSON bodies pam_alianza sends, built with cJSON. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alz_json.h"
#include "alz_request.h"
#include "alz_secret.h"
#include "alz_text.h"

/* {"names[0]": values[0], ...}, all strings. */
static enum alz_rc
build(const char *const *names, const char *const *values, size_t n, char **json)
{
	cJSON *obj;
	char *out;
	size_t i;

	*json = NULL;
	obj = cJSON_CreateObject();
	if (obj == NULL)
		return ALZ_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (cJSON_AddStringToObject(obj, names[i], values[i]) == NULL) {
			alz_json_free(obj);
			return ALZ_ERR_NOMEM;
		}
	}
	out = alz_json_print_secret(obj);
	alz_json_free(obj);
	if (out == NULL)
		return ALZ_ERR_NOMEM;
	*json = out;
	return ALZ_OK;
}

static bool
ok_text(const char *s, size_t cap)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= cap && alz_text_ok(s, ALZ_TEXT_UTF8);
}

enum alz_rc
alz_request_login(const struct alz_config *cfg, const char *user, const char *password,
		  char **json)
{
	const char *names[] = { cfg->fields[ALZ_F_USER_NAME], cfg->fields[ALZ_F_PASSWORD] };
	const char *values[] = { user, password };

	if (!ok_text(user, ALZ_MAX_USER) || !ok_text(password, ALZ_MAX_PASSWORD))
		return ALZ_ERR_INPUT;
	return build(names, values, 2, json);
}

enum alz_rc
alz_request_2fa(const struct alz_config *cfg, const char *session_id, const char *code,
		char **json)
{
	const char *names[] = { cfg->fields[ALZ_F_SESSION_ID], cfg->fields[ALZ_F_2FA_CODE] };
	const char *values[] = { session_id, code };

	if (!ok_text(session_id, 512) || !ok_text(code, 16))
		return ALZ_ERR_INPUT;
	return build(names, values, 2, json);
}

enum alz_rc
alz_request_password(const struct alz_config *cfg, const char *user,
		     const char *old_password, const char *new_password, char **json)
{
	const char *names[] = { cfg->fields[ALZ_F_USER_NAME], cfg->fields[ALZ_F_PASSWORD],
				cfg->fields[ALZ_F_NEW_PASSWORD] };
	const char *values[] = { user, old_password, new_password };

	if (!ok_text(user, ALZ_MAX_USER) || !ok_text(old_password, ALZ_MAX_PASSWORD) ||
	    !ok_text(new_password, ALZ_MAX_PASSWORD))
		return ALZ_ERR_INPUT;
	return build(names, values, 3, json);
}

enum alz_rc
alz_request_jwt(const struct alz_config *cfg, const char *jwt, char **json)
{
	const char *names[] = { cfg->fields[ALZ_F_JWT] };
	const char *values[] = { jwt };

	if (!ok_text(jwt, 8192))
		return ALZ_ERR_INPUT;
	return build(names, values, 1, json);
}

enum alz_rc
alz_request_refresh(const struct alz_config *cfg, const char *refresh_token, char **json)
{
	const char *names[] = { cfg->fields[ALZ_F_REFRESH_TOKEN] };
	const char *values[] = { refresh_token };

	if (!ok_text(refresh_token, 8192))
		return ALZ_ERR_INPUT;
	return build(names, values, 1, json);
}
