/* test_reply.c - unit tests of the reply parser: each shape of API.md and hostile bodies. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alz_config.h"
#include "alz_reply.h"
#include "tap.h"

#define OK_BODY(extra) \
	"{\"authToken\":\"eyJ.abc.def\",\"tokenType\":\"Bearer\",\"expiresIn\":3600," \
	"\"userId\":\"u1\",\"partitionId\":\"p1\",\"partitionName\":\"Your Company\"," \
	"\"userType\":\"MANAGEMENT_USER\",\"userName\":\"alice\"" extra "}"

/* a user type of 64 bytes, the rule's most */
#define T64 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@."

struct reply_case {
	const char *name;
	long status;
	const char *body;
	enum alz_rc want;
};

/* One line per case: adding a hostile reply is adding a row. */
static const struct reply_case cases[] = {
	{ "200 full login body", 200, OK_BODY(""), ALZ_OK },
	{ "200 with unknown extra fields", 200, OK_BODY(",\"x\":[1,{\"y\":null}]"), ALZ_OK },
	{ "200 without authToken", 200,
	  "{\"expiresIn\":3600,\"userType\":\"MANAGEMENT_USER\",\"userName\":\"alice\"}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 authToken empty", 200, "{\"authToken\":\"\",\"userType\":\"END_USER\"}", ALZ_ERR_BAD_REPLY },
	{ "200 authToken null", 200, "{\"authToken\":null,\"userType\":\"END_USER\"}", ALZ_ERR_BAD_REPLY },
	{ "200 authToken number", 200, "{\"authToken\":12345,\"userType\":\"END_USER\"}", ALZ_ERR_BAD_REPLY },
	{ "200 authToken object", 200, "{\"authToken\":{},\"userType\":\"END_USER\"}", ALZ_ERR_BAD_REPLY },
	{ "200 authToken with CRLF", 200, "{\"authToken\":\"a\\r\\nX-Evil: 1\",\"userType\":\"END_USER\"}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 authToken with space", 200, "{\"authToken\":\"a b\",\"userType\":\"END_USER\"}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 duplicate authToken", 200,
	  "{\"authToken\":\"a\",\"authToken\":\"b\",\"userType\":\"END_USER\"}", ALZ_ERR_BAD_REPLY },
	{ "200 expiresIn absent", 200, "{\"authToken\":\"t\",\"userType\":\"END_USER\"}", ALZ_OK },
	{ "200 expiresIn negative", 200, "{\"authToken\":\"t\",\"expiresIn\":-5,\"userType\":\"END_USER\"}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 expiresIn zero", 200, "{\"authToken\":\"t\",\"expiresIn\":0,\"userType\":\"END_USER\"}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 expiresIn huge", 200,
	  "{\"authToken\":\"t\",\"expiresIn\":1e300,\"userType\":\"END_USER\"}", ALZ_ERR_BAD_REPLY },
	{ "200 expiresIn fractional", 200,
	  "{\"authToken\":\"t\",\"expiresIn\":1.5,\"userType\":\"END_USER\"}", ALZ_ERR_BAD_REPLY },
	{ "200 expiresIn string", 200,
	  "{\"authToken\":\"t\",\"expiresIn\":\"3600\",\"userType\":\"END_USER\"}", ALZ_ERR_BAD_REPLY },
	/* a type is the API's string: any name of the rule is read, the policy judges it */
	{ "200 a type the module never heard of", 200, "{\"authToken\":\"t\",\"userType\":\"SUPER_USER\"}",
	  ALZ_OK },
	{ "200 a free-form role (FoodXchange)", 200, "{\"authToken\":\"t\",\"userType\":\"supplier\"}",
	  ALZ_OK },
	{ "200 lower-case userType is another type", 200,
	  "{\"authToken\":\"t\",\"userType\":\"management_user\"}", ALZ_OK },
	{ "200 userType of every allowed character", 200,
	  "{\"authToken\":\"t\",\"userType\":\"a-Z_0.9:x@y\"}", ALZ_OK },
	{ "200 userType of 64 bytes", 200, "{\"authToken\":\"t\",\"userType\":\"" T64 "\"}", ALZ_OK },
	{ "200 userType of 65 bytes", 200, "{\"authToken\":\"t\",\"userType\":\"" T64 "x\"}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 userType with a space", 200, "{\"authToken\":\"t\",\"userType\":\"MANAGEMENT USER\"}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 userType with a comma", 200, "{\"authToken\":\"t\",\"userType\":\"MANAGEMENT_USER,x\"}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 userType with a newline", 200, "{\"authToken\":\"t\",\"userType\":\"END_USER\\n\"}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 userType with '='", 200, "{\"authToken\":\"t\",\"userType\":\"a=b\"}", ALZ_ERR_BAD_REPLY },
	{ "200 userType non-ASCII", 200, "{\"authToken\":\"t\",\"userType\":\"caf\xc3\xa9\"}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 userType with an escaped NUL", 200,
	  "{\"authToken\":\"t\",\"userType\":\"END_USER\\u0000x\"}", ALZ_ERR_BAD_REPLY },
	{ "200 userType empty", 200, "{\"authToken\":\"t\",\"userType\":\"\"}", ALZ_ERR_BAD_REPLY },
	{ "200 userType null", 200, "{\"authToken\":\"t\",\"userType\":null}", ALZ_ERR_BAD_REPLY },
	{ "200 userType a number", 200, "{\"authToken\":\"t\",\"userType\":1}", ALZ_ERR_BAD_REPLY },
	{ "200 userType an array", 200, "{\"authToken\":\"t\",\"userType\":[\"END_USER\"]}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 duplicate userType", 200,
	  "{\"authToken\":\"t\",\"userType\":\"END_USER\",\"userType\":\"MANAGEMENT_USER\"}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 missing userType", 200, "{\"authToken\":\"t\"}", ALZ_ERR_BAD_REPLY },
	{ "200 for another userName", 200,
	  "{\"authToken\":\"t\",\"userType\":\"END_USER\",\"userName\":\"mallory\"}", ALZ_ERR_BAD_REPLY },
	{ "200 userName with an escaped NUL", 200,
	  "{\"authToken\":\"t\",\"userType\":\"END_USER\",\"userName\":\"alice\\u0000mallory\"}",
	  ALZ_ERR_BAD_REPLY },
	{ "200 authToken with an escaped NUL", 200,
	  "{\"authToken\":\"t\\u0000x\",\"userType\":\"END_USER\"}", ALZ_ERR_BAD_REPLY },
	{ "200 escaped backslash before u0000 is text", 200,
	  "{\"authToken\":\"t\",\"userType\":\"END_USER\",\"userId\":\"a\\\\u0000\"}", ALZ_OK },
	{ "200 userName not a string", 200,
	  "{\"authToken\":\"t\",\"userType\":\"END_USER\",\"userName\":7}", ALZ_ERR_BAD_REPLY },
	{ "200 partitionId with newline", 200,
	  "{\"authToken\":\"t\",\"userType\":\"END_USER\",\"partitionId\":\"a\\nb\"}", ALZ_ERR_BAD_REPLY },
	{ "200 malformed JSON", 200, "{\"authToken\": \"abc\",", ALZ_ERR_BAD_REPLY },
	{ "200 trailing second document", 200, OK_BODY("") "{}", ALZ_ERR_BAD_REPLY },
	{ "200 trailing garbage", 200, OK_BODY("") "x", ALZ_ERR_BAD_REPLY },
	{ "200 array", 200, "[" OK_BODY("") "]", ALZ_ERR_BAD_REPLY },
	{ "200 empty body", 200, "", ALZ_ERR_BAD_REPLY },
	{ "200 string body", 200, "\"authToken\"", ALZ_ERR_BAD_REPLY },
	{ "401 INVALID_CREDENTIALS", 401,
	  "{\"errorCode\":\"INVALID_CREDENTIALS\",\"message\":\"Invalid credentials\"}", ALZ_ERR_DENIED },
	{ "401 UNAUTHORIZED", 401, "{\"errorCode\":\"UNAUTHORIZED\"}", ALZ_ERR_DENIED },
	{ "401 with garbage body", 401, "<html>nope</html>", ALZ_ERR_DENIED },
	{ "401 with a token in it", 401, OK_BODY(""), ALZ_ERR_DENIED },
	{ "401 2FA_REQUIRED (Alianza)", 401,
	  "{\"errorCode\":\"2FA_REQUIRED\",\"message\":\"m\",\"sessionId\":\"4f1c\"}", ALZ_ERR_2FA_REQUIRED },
	{ "401 2FA_REQUIRED (FoodXchange)", 401,
	  "{\"success\":false,\"error\":{\"code\":\"2FA_REQUIRED\",\"message\":\"m\","
	  "\"data\":{\"sessionId\":\"4f1c\"}}}", ALZ_ERR_2FA_REQUIRED },
	{ "401 2FA_REQUIRED without sessionId", 401, "{\"errorCode\":\"2FA_REQUIRED\"}", ALZ_ERR_BAD_REPLY },
	{ "401 2FA_REQUIRED FoodXchange without data", 401,
	  "{\"success\":false,\"error\":{\"code\":\"2FA_REQUIRED\"}}", ALZ_ERR_BAD_REPLY },
	{ "401 INVALID_2FA_TOKEN", 401, "{\"errorCode\":\"INVALID_2FA_TOKEN\"}", ALZ_ERR_2FA_INVALID },
	{ "401 2FA_SESSION_EXPIRED", 401, "{\"errorCode\":\"2FA_SESSION_EXPIRED\"}", ALZ_ERR_2FA_EXPIRED },
	{ "404 USER_NOT_FOUND", 404, "{\"errorCode\":\"USER_NOT_FOUND\"}", ALZ_ERR_DENIED },
	{ "403 ACCOUNT_LOCKED", 403, "{\"errorCode\":\"ACCOUNT_LOCKED\"}", ALZ_ERR_LOCKED },
	{ "403 FORBIDDEN", 403, "{\"errorCode\":\"FORBIDDEN\",\"message\":\"no\"}", ALZ_ERR_FORBIDDEN },
	{ "429", 429, "{\"errorCode\":\"TOO_MANY_REQUESTS\"}", ALZ_ERR_RATE_LIMITED },
	{ "400 INVALID_REQUEST", 400, "{\"errorCode\":\"INVALID_REQUEST\"}", ALZ_ERR_BAD_REQUEST },
	{ "400 PASSWORD_POLICY", 400, "{\"errorCode\":\"PASSWORD_POLICY\"}", ALZ_ERR_POLICY },
	{ "500", 500, "{\"errorCode\":\"INTERNAL_ERROR\"}", ALZ_ERR_SERVER },
	{ "503 no body", 503, "", ALZ_ERR_SERVER },
	{ "302 redirect", 302, "", ALZ_ERR_BAD_REPLY },
	{ "301 with a login body", 301, OK_BODY(""), ALZ_ERR_BAD_REPLY },
	{ "201 with a login body", 201, OK_BODY(""), ALZ_ERR_BAD_REPLY },
	{ "204", 204, "", ALZ_ERR_BAD_REPLY },
	{ "418", 418, "{}", ALZ_ERR_BAD_REPLY },
};

static void
test_table(const struct alz_config *cfg)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct alz_login login;
		struct alz_api_error err;
		enum alz_rc rc;

		rc = alz_reply_login(cfg, cases[i].status, cases[i].body, strlen(cases[i].body),
				     "alice", &login, &err);
		ok_rc(rc, cases[i].want, "%s -> %s", cases[i].name, alz_rc_name(cases[i].want));
		tap_ok(rc == ALZ_OK ? login.token != NULL : login.token == NULL,
		       "%s: a token only with success", cases[i].name);
		alz_login_free(&login);
		alz_api_error_free(&err);
	}
}

static void
test_details(const struct alz_config *cfg)
{
	struct alz_login login;
	struct alz_api_error err;
	const char *b;
	char *deep;
	size_t i;

	b = OK_BODY("");
	if (ok_rc(alz_reply_login(cfg, 200, b, strlen(b), "alice", &login, &err), ALZ_OK,
		  "login facts read: accepted")) {
		ok_str(login.token, "eyJ.abc.def", "login facts read: authToken");
		ok_int(login.expires_in, 3600, "login facts read: expiresIn");
		ok_str(login.user_type, "MANAGEMENT_USER", "login facts read: userType");
		ok_str(login.user_id, "u1", "login facts read: userId");
		ok_str(login.partition_id, "p1", "login facts read: partitionId");
		ok_str(login.partition_name, "Your Company", "login facts read: partitionName");
		ok_str(login.user_name, "alice", "login facts read: userName");
		ok_int(login.name_from_reply, 1, "login facts read: the reply named the user");
	}
	alz_login_free(&login);

	b = "{\"authToken\":\"t\",\"userType\":\"ACCOUNT_USER\"}";
	if (ok_rc(alz_reply_login(cfg, 200, b, strlen(b), "bob", &login, &err), ALZ_OK,
		  "absent expiresIn and userName: accepted")) {
		ok_int(login.expires_in, 3600, "absent expiresIn defaults to 3600");
		ok_str(login.user_name, "bob", "absent userName defaults to ours");
		ok_int(login.name_from_reply, 0, "absent userName: marked as not from the reply");
		ok_str(login.user_type, "ACCOUNT_USER", "userType read");
	}
	alz_login_free(&login);

	b = "{\"authToken\":\"t\",\"userType\":\"supplier\"}";
	if (ok_rc(alz_reply_login(cfg, 200, b, strlen(b), "bob", &login, &err), ALZ_OK,
		  "a free-form role: accepted"))
		ok_str(login.user_type, "supplier", "a free-form role: read as the API spells it");
	alz_login_free(&login);
	b = "{\"authToken\":\"t\",\"userType\":\"" T64 "\"}";
	if (ok_rc(alz_reply_login(cfg, 200, b, strlen(b), "bob", &login, &err), ALZ_OK,
		  "a type of 64 bytes: accepted"))
		ok_str(login.user_type, T64, "a type of 64 bytes: read whole");
	alz_login_free(&login);

	b = "{\"errorCode\":\"2FA_REQUIRED\",\"sessionId\":\"4f1c\"}";
	if (ok_rc(alz_reply_login(cfg, 401, b, strlen(b), "alice", &login, &err), ALZ_ERR_2FA_REQUIRED,
		  "2FA challenge (Alianza)"))
		ok_str(err.session_id, "4f1c", "2FA sessionId read (Alianza)");
	alz_api_error_free(&err);
	b = "{\"success\":false,\"error\":{\"code\":\"2FA_REQUIRED\",\"data\":{\"sessionId\":\"s-9\"}}}";
	if (ok_rc(alz_reply_login(cfg, 401, b, strlen(b), "alice", &login, &err), ALZ_ERR_2FA_REQUIRED,
		  "2FA challenge (FoodXchange)"))
		ok_str(err.session_id, "s-9", "2FA sessionId read (FoodXchange)");
	alz_api_error_free(&err);

	b = "{\"errorCode\":\"FORBIDDEN\",\"message\":\"no\\u001b[31m entry\\n\"}";
	if (ok_rc(alz_reply_login(cfg, 403, b, strlen(b), "alice", &login, &err), ALZ_ERR_FORBIDDEN,
		  "403 FORBIDDEN"))
		ok_str(err.message, "no?[31m entry?", "server message sanitised for display");
	alz_api_error_free(&err);

	/* an embedded NUL would hide what follows from a C-string parser */
	ok_rc(alz_reply_login(cfg, 200, OK_BODY("") "\0{}", sizeof(OK_BODY("") "\0{}") - 1, "alice",
			      &login, &err), ALZ_ERR_BAD_REPLY, "body with an embedded NUL refused");

	/* nesting far beyond cJSON's limit must fail, not recurse forever */
	deep = malloc(200002);
	for (i = 0; i < 100000; i++) {
		deep[i] = '[';
		deep[200000 - 1 - i] = ']';
	}
	deep[200000] = '\0';
	ok_rc(alz_reply_login(cfg, 200, deep, 200000, "alice", &login, &err), ALZ_ERR_BAD_REPLY,
	      "100000-deep nested JSON refused");
	free(deep);

	b = "";
	ok_rc(alz_reply_status(cfg, 200, b, 0, &err), ALZ_OK, "logout 200 empty body is success");
	b = "{\"errorCode\":\"UNAUTHORIZED\"}";
	ok_rc(alz_reply_status(cfg, 401, b, strlen(b), &err), ALZ_ERR_DENIED, "logout 401 refused");
	b = "{\"errorCode\":\"2FA_REQUIRED\",\"sessionId\":\"x\"}";
	ok_rc(alz_reply_status(cfg, 401, b, strlen(b), &err), ALZ_ERR_DENIED,
	      "status-only call never yields a 2FA state");
	alz_api_error_free(&err);
	ok_rc(alz_reply_status(cfg, 302, "", 0, &err), ALZ_ERR_BAD_REPLY, "status-only 302 refused");
}

static void
test_renamed_fields(void)
{
	struct alz_config cfg;
	struct alz_login login;
	struct alz_api_error err;
	const char *b = "{\"accessToken\":\"t\",\"userType\":\"END_USER\"}";

	alz_config_init(&cfg);
	alz_config_set(&cfg, "field_auth_token", "accessToken", "test", 0, NULL);
	ok_rc(alz_reply_login(&cfg, 200, b, strlen(b), "x", &login, &err), ALZ_OK,
	      "field_auth_token setting is honoured");
	alz_login_free(&login);
	alz_config_free(&cfg);
}

#define FX_USER "{\"id\":\"u1\",\"email\":\"alice@example.com\",\"name\":\"A\"," \
	"\"role\":\"MANAGEMENT_USER\",\"company\":{\"id\":\"c1\",\"name\":\"Co\"}}"
#define FX_TOKENS "{\"accessToken\":\"at1\",\"refreshToken\":\"rt1\",\"expiresIn\":900}"

/* One FoodXchange log-in reply; the rc and, on success, the facts. */
static enum alz_rc
fx_login(const struct alz_config *cfg, const char *body, struct alz_login *login)
{
	struct alz_api_error err;
	enum alz_rc rc;

	rc = alz_reply_login(cfg, 200, body, strlen(body), "alice@example.com", login, &err);
	alz_api_error_free(&err);
	return rc;
}

static void
test_foodxchange(void)
{
	static const struct { const char *name, *body; } bad[] = {
		{ "success:false with a token",
		  "{\"success\":false,\"data\":{\"user\":" FX_USER ",\"tokens\":" FX_TOKENS "}}" },
		{ "no success member",
		  "{\"data\":{\"user\":" FX_USER ",\"tokens\":" FX_TOKENS "}}" },
		{ "success as the string \"true\"",
		  "{\"success\":\"true\",\"data\":{\"user\":" FX_USER ",\"tokens\":" FX_TOKENS "}}" },
		{ "two success members",
		  "{\"success\":true,\"success\":true,\"data\":{\"user\":" FX_USER ",\"tokens\":" FX_TOKENS "}}" },
		{ "the token at Alianza's place",
		  "{\"success\":true,\"authToken\":\"t\",\"data\":{\"user\":" FX_USER "}}" },
		{ "data is a string", "{\"success\":true,\"data\":\"x\"}" },
		{ "data is an array", "{\"success\":true,\"data\":[1]}" },
		{ "two data members",
		  "{\"success\":true,\"data\":{\"user\":" FX_USER ",\"tokens\":" FX_TOKENS "},"
		  "\"data\":{\"user\":" FX_USER ",\"tokens\":" FX_TOKENS "}}" },
		{ "two tokens objects",
		  "{\"success\":true,\"data\":{\"user\":" FX_USER ",\"tokens\":" FX_TOKENS ",\"tokens\":" FX_TOKENS "}}" },
		{ "two accessTokens",
		  "{\"success\":true,\"data\":{\"user\":" FX_USER ",\"tokens\":{\"accessToken\":\"a\","
		  "\"accessToken\":\"b\"}}}" },
		{ "two user objects (the second another user's)",
		  "{\"success\":true,\"data\":{\"user\":" FX_USER ",\"user\":{\"email\":\"m@example.com\","
		  "\"role\":\"MANAGEMENT_USER\"},\"tokens\":" FX_TOKENS "}}" },
		{ "another user's e-mail",
		  "{\"success\":true,\"data\":{\"user\":{\"email\":\"mallory@example.com\",\"role\":"
		  "\"MANAGEMENT_USER\"},\"tokens\":" FX_TOKENS "}}" },
		{ "no e-mail (the success must name its user)",
		  "{\"success\":true,\"data\":{\"user\":{\"role\":\"MANAGEMENT_USER\"},\"tokens\":" FX_TOKENS "}}" },
		{ "company is a string",
		  "{\"success\":true,\"data\":{\"user\":{\"email\":\"alice@example.com\",\"role\":"
		  "\"MANAGEMENT_USER\",\"company\":\"c1\"},\"tokens\":" FX_TOKENS "}}" },
		{ "a refresh token with a newline",
		  "{\"success\":true,\"data\":{\"user\":" FX_USER ",\"tokens\":{\"accessToken\":\"a\","
		  "\"refreshToken\":\"r\\nX: y\"}}}" },
		{ "a fractional company id",
		  "{\"success\":true,\"data\":{\"user\":{\"email\":\"alice@example.com\",\"role\":"
		  "\"MANAGEMENT_USER\",\"company\":{\"id\":1.5}},\"tokens\":" FX_TOKENS "}}" },
	};
	struct alz_config cfg;
	struct alz_login login;
	struct alz_api_error err;
	char *tok = NULL;
	long exp = 0;
	const char *b;
	size_t i;

	alz_config_init(&cfg);
	alz_config_set(&cfg, "base_url", "https://h", "test", 0, NULL);
	alz_config_set(&cfg, "api_dialect", "foodxchange", "test", 0, NULL);
	if (!ok_rc(alz_config_finish(&cfg, "test", NULL), ALZ_OK, "foodxchange config"))
		return;

	b = "{\"success\":true,\"data\":{\"user\":" FX_USER ",\"tokens\":" FX_TOKENS "},\"message\":\"ok\"}";
	if (ok_rc(fx_login(&cfg, b, &login), ALZ_OK, "foodxchange: a log-in success is read")) {
		ok_str(login.token, "at1", "foodxchange: /data/tokens/accessToken");
		ok_str(login.refresh_token, "rt1", "foodxchange: /data/tokens/refreshToken");
		ok_int(login.expires_in, 900, "foodxchange: /data/tokens/expiresIn");
		ok_str(login.user_name, "alice@example.com", "foodxchange: /data/user/email");
		ok_str(login.user_id, "u1", "foodxchange: /data/user/id");
		ok_str(login.partition_id, "c1", "foodxchange: /data/user/company/id");
		ok_str(login.partition_name, "Co", "foodxchange: /data/user/company/name");
	}
	alz_login_free(&login);
	b = "{\"success\":true,\"data\":{\"user\":{\"email\":\"alice@example.com\",\"role\":"
	    "\"MANAGEMENT_USER\",\"company\":{\"id\":42}},\"tokens\":{\"accessToken\":\"a\"}}}";
	if (ok_rc(fx_login(&cfg, b, &login), ALZ_OK, "foodxchange: a numeric company id is read"))
		ok_str(login.partition_id, "42", "foodxchange: company id 42 as text");
	alz_login_free(&login);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok_rc(fx_login(&cfg, bad[i].body, &login), ALZ_ERR_BAD_REPLY, "foodxchange refused: %s",
		      bad[i].name);
		alz_login_free(&login);
	}

	b = "{\"success\":false,\"error\":{\"code\":\"2FA_REQUIRED\",\"message\":\"m\","
	    "\"data\":{\"sessionId\":\"s1\"}}}";
	if (ok_rc(alz_reply_login(&cfg, 401, b, strlen(b), "alice@example.com", &login, &err),
		  ALZ_ERR_2FA_REQUIRED, "foodxchange: 2FA_REQUIRED"))
		ok_str(err.session_id, "s1", "foodxchange: /error/data/sessionId");
	alz_api_error_free(&err);
	b = "{\"success\":false,\"error\":{\"code\":\"2FA_REQUIRED\",\"data\":{\"sessionId\":\"s1\","
	    "\"sessionId\":\"s2\"}}}";
	ok_rc(alz_reply_login(&cfg, 401, b, strlen(b), "alice@example.com", &login, &err),
	      ALZ_ERR_DENIED, "foodxchange: two session ids are no challenge (details dropped)");
	alz_api_error_free(&err);
	b = "{\"success\":false,\"error\":{\"code\":\"TOKEN_EXPIRED\",\"message\":\"m\"}}";
	ok_rc(alz_reply_status(&cfg, 401, b, strlen(b), &err), ALZ_ERR_TOKEN_EXPIRED,
	      "foodxchange: TOKEN_EXPIRED on a call with a token is not a refusal");
	alz_api_error_free(&err);
	ok_rc(alz_reply_login(&cfg, 401, b, strlen(b), "alice@example.com", &login, &err),
	      ALZ_ERR_BAD_REPLY, "foodxchange: TOKEN_EXPIRED answering a log-in is an odd reply");
	alz_api_error_free(&err);
	b = "{\"success\":true,\"message\":\"bye\"}";
	ok_rc(alz_reply_status(&cfg, 200, b, strlen(b), &err), ALZ_OK, "foodxchange: logout success");
	b = "{\"success\":false,\"message\":\"no\"}";
	ok_rc(alz_reply_status(&cfg, 200, b, strlen(b), &err), ALZ_ERR_BAD_REPLY,
	      "foodxchange: a 200 logout with success:false is a failure");
	ok_rc(alz_reply_status(&cfg, 200, "", 0, &err), ALZ_ERR_BAD_REPLY,
	      "foodxchange: a 200 logout without its success flag is a failure");

	b = "{\"success\":true,\"data\":{\"user\":" FX_USER ",\"session\":{\"id\":\"x\"}}}";
	if (ok_rc(alz_reply_userinfo(&cfg, 200, b, strlen(b), "alice@example.com", &login, &err), ALZ_OK,
		  "foodxchange: the session reply is read"))
		ok_str(login.partition_id, "c1", "foodxchange: session: company id");
	ok_str(login.token, NULL, "a who-am-I reply gives no token");
	alz_login_free(&login);
	b = "{\"success\":false,\"error\":{\"code\":\"TOKEN_EXPIRED\"}}";
	ok_rc(alz_reply_userinfo(&cfg, 401, b, strlen(b), "alice@example.com", &login, &err),
	      ALZ_ERR_TOKEN_EXPIRED, "foodxchange: session with an expired token");
	b = "{\"success\":false,\"error\":{\"code\":\"UNAUTHORIZED\"}}";
	ok_rc(alz_reply_userinfo(&cfg, 401, b, strlen(b), "alice@example.com", &login, &err),
	      ALZ_ERR_DENIED, "foodxchange: session with a dead token");

	b = "{\"success\":true,\"data\":{\"accessToken\":\"at2\",\"expiresIn\":60}}";
	if (ok_rc(alz_reply_refresh(&cfg, 200, b, strlen(b), &tok, &exp, &err), ALZ_OK,
		  "foodxchange: a refresh reply is read")) {
		ok_str(tok, "at2", "refresh: /data/accessToken");
		ok_int(exp, 60, "refresh: /data/expiresIn");
	}
	free(tok);
	b = "{\"success\":false,\"data\":{\"accessToken\":\"at2\"}}";
	ok_rc(alz_reply_refresh(&cfg, 200, b, strlen(b), &tok, &exp, &err), ALZ_ERR_BAD_REPLY,
	      "refresh: success:false with a token is a failure");
	ok_str(tok, NULL, "refresh: no token kept from a failure");
	b = "{\"success\":true,\"data\":{}}";
	ok_rc(alz_reply_refresh(&cfg, 200, b, strlen(b), &tok, &exp, &err), ALZ_ERR_BAD_REPLY,
	      "refresh: a 200 without a token is a failure");
	alz_config_free(&cfg);
}

/* Alianza's flat replies read the other envelope's error too (docs/API.md 1). */
static void
test_alianza_reads_fx_errors(void)
{
	struct alz_config cfg;
	struct alz_login login;
	struct alz_api_error err;
	const char *b = "{\"success\":false,\"error\":{\"code\":\"2FA_REQUIRED\","
			"\"data\":{\"sessionId\":\"s9\"}}}";

	alz_config_init(&cfg);
	if (ok_rc(alz_reply_login(&cfg, 401, b, strlen(b), "alice", &login, &err), ALZ_ERR_2FA_REQUIRED,
		  "alianza: a FoodXchange 2FA_REQUIRED envelope is understood"))
		ok_str(err.session_id, "s9", "alianza: its session id");
	alz_api_error_free(&err);
	b = "{\"authToken\":\"t\",\"userType\":\"END_USER\",\"success\":false}";
	ok_rc(alz_reply_login(&cfg, 200, b, strlen(b), "alice", &login, &err), ALZ_ERR_BAD_REPLY,
	      "alianza has no success flag, but one saying false makes a 200 no success");
	alz_login_free(&login);
	b = "{\"authToken\":\"t\",\"userType\":\"END_USER\",\"success\":true}";
	ok_rc(alz_reply_login(&cfg, 200, b, strlen(b), "alice", &login, &err), ALZ_OK,
	      "alianza: a stray success:true is no obstacle");
	alz_login_free(&login);
	b = "{\"success\":false}";
	ok_rc(alz_reply_status(&cfg, 200, b, strlen(b), &err), ALZ_ERR_BAD_REPLY,
	      "alianza: a 200 logout saying success:false is a failure");
	ok_rc(alz_reply_status(&cfg, 200, "", 0, &err), ALZ_OK, "alianza: a 200 logout with no body");
	alz_config_free(&cfg);
}

int
main(void)
{
	struct alz_config cfg;

	if (alz_config_init(&cfg) != ALZ_OK)
		return 99;
	test_table(&cfg);
	test_details(&cfg);
	test_renamed_fields();
	test_foodxchange();
	test_alianza_reads_fx_errors();
	alz_config_free(&cfg);
	return tap_done();
}
