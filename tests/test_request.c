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

	if (!ok_rc(alz_request_login(cfg, user, pw, &json), ALZ_OK, "login body built: %s", name))
		return;
	root = cJSON_Parse(json);
	u = cJSON_GetObjectItemCaseSensitive(root, "userName");
	p = cJSON_GetObjectItemCaseSensitive(root, "password");
	ok_str(cJSON_IsString(u) ? u->valuestring : NULL, user, "login body round-trips: %s: userName",
	       name);
	ok_str(cJSON_IsString(p) ? p->valuestring : NULL, pw, "login body round-trips: %s: password",
	       name);
	ok_int(cJSON_GetArraySize(root), 2, "login body round-trips: %s: nothing else", name);
	cJSON_Delete(root);
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

	ok_rc(alz_request_login(&cfg, "alice", "tab\there", &json), ALZ_ERR_INPUT,
	       "control character in password refused before any request");
	ok_rc(alz_request_login(&cfg, "ali\nce", "pw", &json), ALZ_ERR_INPUT,
	       "newline in user name refused");
	ok_rc(alz_request_login(&cfg, "alice", "\xff\xfe", &json), ALZ_ERR_INPUT,
	       "invalid UTF-8 refused");
	ok_rc(alz_request_login(&cfg, "alice", "\xc0\xaf", &json), ALZ_ERR_INPUT,
	       "overlong UTF-8 refused");
	ok_rc(alz_request_login(&cfg, "alice", "\xed\xa0\x80", &json), ALZ_ERR_INPUT,
	       "UTF-8 surrogate refused");
	ok_rc(alz_request_login(&cfg, "alice", "", &json), ALZ_ERR_INPUT, "empty password refused");
	long_pw = malloc(4097);
	memset(long_pw, 'a', 4096);
	long_pw[4096] = '\0';
	ok_rc(alz_request_login(&cfg, "alice", long_pw, &json), ALZ_ERR_INPUT,
	       "4 KiB password refused");
	ok_rc(alz_request_login(&cfg, long_pw, "pw", &json), ALZ_ERR_INPUT, "4 KiB user name refused");
	free(long_pw);

	if (ok_rc(alz_request_2fa(&cfg, "4f1c", "123456", &json), ALZ_OK, "2FA body: built"))
		ok_str(json, "{\"sessionId\":\"4f1c\",\"token\":\"123456\"}", "2FA body");
	alz_secret_free(json);
	if (ok_rc(alz_request_password(&cfg, "alice", "old", "New-pass1!", &json), ALZ_OK,
		  "password change body: built"))
		ok_str(json, "{\"userName\":\"alice\",\"password\":\"old\",\"newPassword\":\"New-pass1!\"}",
		       "password change body");
	alz_secret_free(json);
	if (ok_rc(alz_request_jwt(&cfg, "a.b.c", &json), ALZ_OK, "JWT body: built"))
		ok_str(json, "{\"token\":\"a.b.c\"}", "JWT body");
	alz_secret_free(json);

	alz_config_set(&cfg, "field_user_name", "login", "test", 0, NULL);
	if (ok_rc(alz_request_login(&cfg, "alice", "pw", &json), ALZ_OK,
		  "field_user_name setting is honoured: built"))
		ok_str(json, "{\"login\":\"alice\",\"password\":\"pw\"}", "field_user_name setting is honoured");
	alz_secret_free(json);

	alz_config_free(&cfg);
	return tap_done();
}
