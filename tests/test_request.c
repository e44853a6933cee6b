/* test_request.c - unit tests of the JSON bodies and the text checks before a request. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alz_config.h"
#include "alz_request.h"
#include "alz_secret.h"
#include "tap.h"

/* Build a login body and check it parses back to exactly USER and PASSWORD. */
static void
roundtrip(const struct alz_config *cfg, const char *name, const char *user, const char *pw)
{
	char *json = NULL;
	cJSON *root;
	const cJSON *u, *p;
	int ok = 0;

	if (alz_request_login(cfg, user, pw, &json) == ALZ_OK) {
		root = cJSON_Parse(json);
		u = cJSON_GetObjectItemCaseSensitive(root, "userName");
		p = cJSON_GetObjectItemCaseSensitive(root, "password");
		ok = cJSON_IsString(u) && cJSON_IsString(p) && strcmp(u->valuestring, user) == 0 &&
		     strcmp(p->valuestring, pw) == 0 && cJSON_GetArraySize(root) == 2;
		cJSON_Delete(root);
	}
	tap_ok(ok, "login body round-trips: %s", name);
	alz_secret_free(json);
}

int
main(void)
{
	struct alz_config cfg;
	char *json = NULL, *long_pw;

	if (alz_config_init(&cfg) != ALZ_OK)
		return 99;

	roundtrip(&cfg, "plain", "alice", "s3cret!");
	roundtrip(&cfg, "quotes", "a\"b", "p\"w\"");
	roundtrip(&cfg, "backslashes", "a\\b", "\\\\x\\");
	roundtrip(&cfg, "JSON-looking password", "alice", "\",\"userName\":\"root");
	roundtrip(&cfg, "UTF-8", "j\xc3\xa9r\xc3\xb4me", "p\xc3\xa4ss \xe2\x82\xac \xf0\x9f\x94\x91");

	tap_ok(alz_request_login(&cfg, "alice", "tab\there", &json) == ALZ_ERR_INPUT,
	       "control character in password refused before any request");
	tap_ok(alz_request_login(&cfg, "ali\nce", "pw", &json) == ALZ_ERR_INPUT,
	       "newline in user name refused");
	tap_ok(alz_request_login(&cfg, "alice", "\xff\xfe", &json) == ALZ_ERR_INPUT,
	       "invalid UTF-8 refused");
	tap_ok(alz_request_login(&cfg, "alice", "\xc0\xaf", &json) == ALZ_ERR_INPUT,
	       "overlong UTF-8 refused");
	tap_ok(alz_request_login(&cfg, "alice", "\xed\xa0\x80", &json) == ALZ_ERR_INPUT,
	       "UTF-8 surrogate refused");
	tap_ok(alz_request_login(&cfg, "alice", "", &json) == ALZ_ERR_INPUT, "empty password refused");
	long_pw = malloc(4097);
	memset(long_pw, 'a', 4096);
	long_pw[4096] = '\0';
	tap_ok(alz_request_login(&cfg, "alice", long_pw, &json) == ALZ_ERR_INPUT,
	       "4 KiB password refused");
	tap_ok(alz_request_login(&cfg, long_pw, "pw", &json) == ALZ_ERR_INPUT, "4 KiB user name refused");
	free(long_pw);

	tap_ok(alz_request_2fa(&cfg, "4f1c", "123456", &json) == ALZ_OK &&
	       strcmp(json, "{\"sessionId\":\"4f1c\",\"token\":\"123456\"}") == 0, "2FA body");
	alz_secret_free(json);
	tap_ok(alz_request_password(&cfg, "alice", "old", "New-pass1!", &json) == ALZ_OK &&
	       strcmp(json, "{\"userName\":\"alice\",\"password\":\"old\",\"newPassword\":\"New-pass1!\"}") == 0,
	       "password change body");
	alz_secret_free(json);
	tap_ok(alz_request_jwt(&cfg, "a.b.c", &json) == ALZ_OK && strcmp(json, "{\"token\":\"a.b.c\"}") == 0,
	       "JWT body");
	alz_secret_free(json);

	alz_config_set(&cfg, "field_user_name", "login", "test", 0, NULL);
	tap_ok(alz_request_login(&cfg, "alice", "pw", &json) == ALZ_OK &&
	       strcmp(json, "{\"login\":\"alice\",\"password\":\"pw\"}") == 0,
	       "field_user_name setting is honoured");
	alz_secret_free(json);

	alz_config_free(&cfg);
	return tap_done();
}
