/* test_jptr.c - unit tests of the JSON Pointer walker: both dialects, escapes, caps, hostile shapes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alz_error.h"
#include "alz_jptr.h"
#include "alz_json.h"
#include "tap.h"

/* API.md §1: an Alianza log-in success, flat */
#define AL_MEMBERS \
	"\"authToken\":\"eyJhbGciOi.a.b\",\"tokenType\":\"Bearer\",\"expiresIn\":3600," \
	"\"userId\":\"user123\",\"partitionId\":\"partition123\",\"partitionName\":\"Your Company\"," \
	"\"userType\":\"MANAGEMENT_USER\",\"userName\":\"alice\""
#define AL_OK "{" AL_MEMBERS "}"
/* API.md §1: the Alianza second-factor challenge */
#define AL_2FA \
	"{\"errorCode\":\"2FA_REQUIRED\",\"message\":\"Two-factor authentication is required\"," \
	"\"sessionId\":\"4f1c\",\"timestamp\":\"2025-12-18T15:30:00Z\",\"path\":\"/v2/authorize\"}"
/* API.md §8: a FoodXchange log-in success, nested */
#define FX_USER \
	"{\"id\":\"u-7\",\"email\":\"alice@example.com\",\"name\":\"Alice\",\"role\":\"buyer\"," \
	"\"company\":{\"id\":\"c-42\",\"name\":\"Acme Foods\"}}"
#define FX_TOKENS "{\"accessToken\":\"fx.acc.tok\",\"refreshToken\":\"fx.ref.tok\",\"expiresIn\":900}"
#define FX_OK \
	"{\"success\":true,\"data\":{\"user\":" FX_USER ",\"tokens\":" FX_TOKENS "}," \
	"\"message\":\"Login successful\"}"
/* API.md §1 and §8: the FoodXchange challenge envelope */
#define FX_2FA \
	"{\"success\":false,\"error\":{\"code\":\"2FA_REQUIRED\",\"message\":\"2FA required\"," \
	"\"data\":{\"sessionId\":\"s-9\"}}}"
#define FX_SESSION \
	"{\"success\":true,\"data\":{\"user\":" FX_USER ",\"session\":{\"id\":\"ss-1\"," \
	"\"expiresAt\":\"2026-01-01T00:00:00Z\"}}}"
#define FX_REFRESH "{\"success\":true,\"data\":{\"accessToken\":\"fx.new\",\"expiresIn\":3600}}"

#define ABSENT NULL
static const char bad_marker[] = "(error)";
#define BAD bad_marker	/* want: the call fails; *out must be NULL */

struct walk_case {
	const char *name, *body, *ptr;
	enum alz_rc want_rc;
	const char *want;	/* the value printed unformatted; ABSENT: *out NULL with ALZ_OK */
};

static const struct walk_case cases[] = {
	/* Alianza, flat */
	{ "Alianza: /authToken", AL_OK, "/authToken", ALZ_OK, "\"eyJhbGciOi.a.b\"" },
	{ "Alianza: /expiresIn", AL_OK, "/expiresIn", ALZ_OK, "3600" },
	{ "Alianza: /userType", AL_OK, "/userType", ALZ_OK, "\"MANAGEMENT_USER\"" },
	{ "Alianza: /partitionId", AL_OK, "/partitionId", ALZ_OK, "\"partition123\"" },
	{ "Alianza: /userName", AL_OK, "/userName", ALZ_OK, "\"alice\"" },
	{ "Alianza 2FA: /errorCode", AL_2FA, "/errorCode", ALZ_OK, "\"2FA_REQUIRED\"" },
	{ "Alianza 2FA: /sessionId", AL_2FA, "/sessionId", ALZ_OK, "\"4f1c\"" },
	{ "Alianza 2FA: the FoodXchange /error/data/sessionId is absent", AL_2FA, "/error/data/sessionId",
	  ALZ_OK, ABSENT },
	{ "Alianza: the FoodXchange /data/tokens/accessToken is absent", AL_OK, "/data/tokens/accessToken",
	  ALZ_OK, ABSENT },
	{ "Alianza: a name compares with case: /authtoken absent", AL_OK, "/authtoken", ALZ_OK, ABSENT },
	{ "names differing in case are two names, not a duplicate",
	  "{\"AuthToken\":\"a\",\"authToken\":\"b\",\"AUTHTOKEN\":\"c\"}", "/authToken", ALZ_OK, "\"b\"" },
	{ "a prefix of a name is not the name", "{\"authTokenX\":\"a\",\"auth\":\"b\"}", "/authToken",
	  ALZ_OK, ABSENT },
	/* FoodXchange, nested */
	{ "FoodXchange: /success", FX_OK, "/success", ALZ_OK, "true" },
	{ "FoodXchange: /data/tokens/accessToken", FX_OK, "/data/tokens/accessToken", ALZ_OK,
	  "\"fx.acc.tok\"" },
	{ "FoodXchange: /data/tokens/refreshToken", FX_OK, "/data/tokens/refreshToken", ALZ_OK,
	  "\"fx.ref.tok\"" },
	{ "FoodXchange: /data/tokens/expiresIn", FX_OK, "/data/tokens/expiresIn", ALZ_OK, "900" },
	{ "FoodXchange: /data/user/email", FX_OK, "/data/user/email", ALZ_OK, "\"alice@example.com\"" },
	{ "FoodXchange: /data/user/role", FX_OK, "/data/user/role", ALZ_OK, "\"buyer\"" },
	{ "FoodXchange: /data/user/company/id", FX_OK, "/data/user/company/id", ALZ_OK, "\"c-42\"" },
	{ "FoodXchange: /data/user/company/name", FX_OK, "/data/user/company/name", ALZ_OK,
	  "\"Acme Foods\"" },
	{ "FoodXchange: /data/user/company (an object)", FX_OK, "/data/user/company", ALZ_OK,
	  "{\"id\":\"c-42\",\"name\":\"Acme Foods\"}" },
	{ "FoodXchange: the Alianza /authToken is absent", FX_OK, "/authToken", ALZ_OK, ABSENT },
	{ "FoodXchange: a missing middle step (/data/nope/x) is absent", FX_OK, "/data/nope/x", ALZ_OK,
	  ABSENT },
	{ "FoodXchange 2FA: /error/code", FX_2FA, "/error/code", ALZ_OK, "\"2FA_REQUIRED\"" },
	{ "FoodXchange 2FA: /error/data/sessionId", FX_2FA, "/error/data/sessionId", ALZ_OK, "\"s-9\"" },
	{ "FoodXchange 2FA: /success is false", FX_2FA, "/success", ALZ_OK, "false" },
	{ "FoodXchange 2FA: no /data/tokens/accessToken", FX_2FA, "/data/tokens/accessToken", ALZ_OK, ABSENT },
	{ "FoodXchange session: /data/session/id", FX_SESSION, "/data/session/id", ALZ_OK, "\"ss-1\"" },
	{ "FoodXchange session: /data/user/email", FX_SESSION, "/data/user/email", ALZ_OK,
	  "\"alice@example.com\"" },
	{ "FoodXchange refresh: /data/accessToken", FX_REFRESH, "/data/accessToken", ALZ_OK, "\"fx.new\"" },
	/* "" is the whole document */
	{ "\"\" is the whole document", "{\"a\":1}", "", ALZ_OK, "{\"a\":1}" },
	{ "\"\" on a bare string document", "\"x\"", "", ALZ_OK, "\"x\"" },
	{ "\"\" on a document with duplicates: nothing is looked up", "{\"a\":1,\"a\":2}", "", ALZ_OK,
	  "{\"a\":1,\"a\":2}" },
	/* escapes: ~1 is '/', ~0 is '~', decoded once, left to right */
	{ "~1 decodes to /", "{\"a/b\":1,\"a~1b\":2}", "/a~1b", ALZ_OK, "1" },
	{ "~0 decodes to ~", "{\"m~n\":3,\"m~0n\":4}", "/m~0n", ALZ_OK, "3" },
	{ "~01 is ~1, not /", "{\"/\":5,\"~1\":6}", "/~01", ALZ_OK, "6" },
	{ "~10 is /0, not ~", "{\"/0\":7,\"~\":8}", "/~10", ALZ_OK, "7" },
	{ "~0~1 is ~/", "{\"~/\":9}", "/~0~1", ALZ_OK, "9" },
	{ "an escaped / is inside one token, not a step", "{\"a\":{\"b\":1},\"a/b\":2}", "/a~1b", ALZ_OK, "2" },
	{ "a raw / is a step", "{\"a\":{\"b\":1},\"a/b\":2}", "/a/b", ALZ_OK, "1" },
	{ "a member named with a literal ~1 is not /'s", "{\"a~1b\":1}", "/a~1b", ALZ_OK, ABSENT },
	/* two members of the sought name: bad at every step, whatever their values */
	{ "duplicate at the first step (/data)",
	  "{\"success\":true,\"data\":{\"tokens\":{\"accessToken\":\"a\"}},"
	  "\"data\":{\"tokens\":{\"accessToken\":\"b\"}}}", "/data/tokens/accessToken",
	  ALZ_ERR_BAD_REPLY, BAD },
	{ "duplicate at the middle step (/data/tokens)",
	  "{\"data\":{\"tokens\":{\"accessToken\":\"a\"},\"tokens\":{\"accessToken\":\"b\"}}}",
	  "/data/tokens/accessToken", ALZ_ERR_BAD_REPLY, BAD },
	{ "duplicate at the last step (/data/tokens/accessToken)",
	  "{\"data\":{\"tokens\":{\"accessToken\":\"a\",\"accessToken\":\"b\"}}}",
	  "/data/tokens/accessToken", ALZ_ERR_BAD_REPLY, BAD },
	{ "duplicate of equal values is still bad", "{\"authToken\":\"a\",\"authToken\":\"a\"}", "/authToken",
	  ALZ_ERR_BAD_REPLY, BAD },
	{ "duplicate where the second is null", "{\"data\":{\"x\":1},\"data\":null}", "/data/x",
	  ALZ_ERR_BAD_REPLY, BAD },
	{ "duplicate in the FoodXchange 2FA envelope",
	  "{\"success\":false,\"error\":{\"code\":\"2FA_REQUIRED\",\"data\":{\"sessionId\":\"a\","
	  "\"sessionId\":\"b\"}}}", "/error/data/sessionId", ALZ_ERR_BAD_REPLY, BAD },
	{ "Alianza: a second authToken before the real one", "{\"authToken\":\"evil\"," AL_MEMBERS "}",
	  "/authToken", ALZ_ERR_BAD_REPLY, BAD },
	{ "Alianza: a second authToken after the real one", "{" AL_MEMBERS ",\"authToken\":\"evil\"}",
	  "/authToken", ALZ_ERR_BAD_REPLY, BAD },
	{ "a duplicate off the path is not looked at",
	  "{\"message\":\"a\",\"message\":\"b\",\"data\":{\"x\":1,\"x\":2,\"tokens\":{\"accessToken\":\"t\"}}}",
	  "/data/tokens/accessToken", ALZ_OK, "\"t\"" },
	/* a step through a value with nothing inside */
	{ "data is a string", "{\"success\":true,\"data\":\"x\"}", "/data/tokens/accessToken",
	  ALZ_ERR_BAD_REPLY, BAD },
	{ "data is a number", "{\"data\":1}", "/data/tokens", ALZ_ERR_BAD_REPLY, BAD },
	{ "tokens is true", "{\"data\":{\"tokens\":true}}", "/data/tokens/accessToken", ALZ_ERR_BAD_REPLY,
	  BAD },
	{ "tokens is false", "{\"data\":{\"tokens\":false}}", "/data/tokens/accessToken", ALZ_ERR_BAD_REPLY,
	  BAD },
	{ "a step into an empty string", "{\"data\":\"\"}", "/data/x", ALZ_ERR_BAD_REPLY, BAD },
	{ "a step into the document when it is a number", "42", "/a", ALZ_ERR_BAD_REPLY, BAD },
	{ "a string at the end is the value", "{\"data\":\"x\"}", "/data", ALZ_OK, "\"x\"" },
	/* null on the way is absent; null at the end is the value */
	{ "data is null", "{\"success\":true,\"data\":null}", "/data/tokens/accessToken", ALZ_OK, ABSENT },
	{ "tokens is null", "{\"data\":{\"tokens\":null}}", "/data/tokens/accessToken", ALZ_OK, ABSENT },
	{ "the document is null", "null", "/a", ALZ_OK, ABSENT },
	{ "null at the end is returned", "{\"data\":{\"tokens\":{\"accessToken\":null}}}",
	  "/data/tokens/accessToken", ALZ_OK, "null" },
	/* arrays: RFC 6901 indexes */
	{ "array index 0", "{\"a\":[10,20,30]}", "/a/0", ALZ_OK, "10" },
	{ "array index 2 (the last)", "{\"a\":[10,20,30]}", "/a/2", ALZ_OK, "30" },
	{ "array index past the end", "{\"a\":[10,20,30]}", "/a/3", ALZ_OK, ABSENT },
	{ "array index 0 of an empty array", "{\"a\":[]}", "/a/0", ALZ_OK, ABSENT },
	{ "array index - (after the last)", "{\"a\":[10,20,30]}", "/a/-", ALZ_OK, ABSENT },
	{ "array index 01 (leading zero)", "{\"a\":[10,20,30]}", "/a/01", ALZ_ERR_BAD_REPLY, BAD },
	{ "array index 00", "{\"a\":[10]}", "/a/00", ALZ_ERR_BAD_REPLY, BAD },
	{ "array index -1", "{\"a\":[10]}", "/a/-1", ALZ_ERR_BAD_REPLY, BAD },
	{ "array index +1", "{\"a\":[10,20]}", "/a/+1", ALZ_ERR_BAD_REPLY, BAD },
	{ "array index 1e0", "{\"a\":[10,20]}", "/a/1e0", ALZ_ERR_BAD_REPLY, BAD },
	{ "array index huge: past any end, no overflow back to 0", "{\"a\":[10]}",
	  "/a/18446744073709551616", ALZ_OK, ABSENT },
	{ "array index 2^64+1 does not wrap to 1", "{\"a\":[10,20]}", "/a/18446744073709551617", ALZ_OK,
	  ABSENT },
	{ "a name where the reply has an array (FoodXchange data as array)",
	  "{\"success\":true,\"data\":[{\"tokens\":{\"accessToken\":\"t\"}}]}", "/data/tokens/accessToken",
	  ALZ_ERR_BAD_REPLY, BAD },
	{ "through an array into an object", "[{\"id\":\"c1\"},{\"id\":\"c2\"}]", "/1/id", ALZ_OK, "\"c2\"" },
	{ "through an array element that is a number", "{\"a\":[10]}", "/a/0/x", ALZ_ERR_BAD_REPLY, BAD },
	{ "through an array element that is null", "{\"a\":[null]}", "/a/0/x", ALZ_OK, ABSENT },
	{ "a member named 0 of an object", "{\"0\":\"zero\",\"-\":\"dash\"}", "/0", ALZ_OK, "\"zero\"" },
	{ "a member named - of an object", "{\"0\":\"zero\",\"-\":\"dash\"}", "/-", ALZ_OK, "\"dash\"" },
	{ "a member named 01 of an object", "{\"01\":1,\"1\":2}", "/01", ALZ_OK, "1" },
	/* invalid pointers: refused before the document is read */
	{ "no leading /", "{\"authToken\":\"t\"}", "authToken", ALZ_ERR_CONFIG, BAD },
	{ "URI fragment form", "{\"a\":1}", "#/a", ALZ_ERR_CONFIG, BAD },
	{ "a lone /", "{\"\":1}", "/", ALZ_ERR_CONFIG, BAD },
	{ "empty token //", "{\"a\":{\"\":{\"b\":1}}}", "/a//b", ALZ_ERR_CONFIG, BAD },
	{ "empty last token (trailing /)", "{\"a\":{\"\":1}}", "/a/", ALZ_ERR_CONFIG, BAD },
	{ "~2", "{\"~2\":1}", "/~2", ALZ_ERR_CONFIG, BAD },
	{ "~ at the end", "{\"a~\":1}", "/a~", ALZ_ERR_CONFIG, BAD },
	{ "a lone ~", "{\"~\":1}", "/~", ALZ_ERR_CONFIG, BAD },
	{ "~ before /", "{\"a~\":{\"b\":1}}", "/a~/b", ALZ_ERR_CONFIG, BAD },
	{ "a space", "{\"a b\":1}", "/a b", ALZ_ERR_CONFIG, BAD },
	{ "a tab", "{\"a\\tb\":1}", "/a\tb", ALZ_ERR_CONFIG, BAD },
	{ "a newline", "{\"a\\nb\":1}", "/a\nb", ALZ_ERR_CONFIG, BAD },
	{ "ESC", "{\"a\":1}", "/a\x1b", ALZ_ERR_CONFIG, BAD },
	{ "DEL", "{\"a\":1}", "/a\x7f", ALZ_ERR_CONFIG, BAD },
	{ "UTF-8", "{\"caf\xc3\xa9\":1}", "/caf\xc3\xa9", ALZ_ERR_CONFIG, BAD },
};

/* Parse BODY as the module does, walk it along PTR, check rc, *out and the value. */
static void
check_walk(const char *name, const char *body, const char *ptr, enum alz_rc want_rc, const char *want)
{
	static const cJSON sentinel;
	const cJSON *out = &sentinel;	/* every path must write *out */
	cJSON *root = alz_json_parse(body, strlen(body));
	char *got = NULL;
	enum alz_rc rc;

	if (!tap_ok(root != NULL, "%s: the body parses", name))
		return;
	rc = alz_jptr_get(root, ptr, &out);
	ok_rc(rc, want_rc, "%s: %s", name, alz_rc_name(want_rc));
	if (want == BAD || want == ABSENT)
		tap_ok(out == NULL, "%s: *out is NULL", name);
	else if (tap_ok(out != NULL && out != &sentinel, "%s: a value", name)) {
		got = cJSON_PrintUnformatted(out);
		ok_str(got, want, "%s: the value is %s", name, want);
	}
	cJSON_free(got);
	alz_json_free(root);
}

static char *
repeat(char *dst, const char *unit, int n)
{
	while (n-- > 0)
		dst = stpcpy(dst, unit);
	return dst;
}

/* The length, token and depth caps, each at its limit and one past it. */
static void
test_caps(void)
{
	char ptr[2 * ALZ_JPTR_MAX_LEN], name1[ALZ_JPTR_MAX_TOKEN + 2], name2[ALZ_JPTR_MAX_TOKEN + 2];
	char body[4096], *p;
	const cJSON *out;
	cJSON *root;
	int i;

	/* 256 bytes: "/" + 64 x "~0" (a 64-byte token of '~') + "/" + 63 x "~0" */
	p = repeat(ptr, "/", 1);
	p = repeat(p, "~0", ALZ_JPTR_MAX_TOKEN);
	p = repeat(p, "/", 1);
	repeat(p, "~0", ALZ_JPTR_MAX_TOKEN - 1);
	ok_int(strlen(ptr), ALZ_JPTR_MAX_LEN, "the 256-byte pointer is 256 bytes");
	tap_ok(alz_jptr_valid(ptr), "a 256-byte pointer of two escaped tokens is valid");
	memset(name1, '~', ALZ_JPTR_MAX_TOKEN);
	name1[ALZ_JPTR_MAX_TOKEN] = '\0';
	memset(name2, '~', ALZ_JPTR_MAX_TOKEN - 1);
	name2[ALZ_JPTR_MAX_TOKEN - 1] = '\0';
	snprintf(body, sizeof(body), "{\"%s\":{\"%s\":\"deep\"}}", name1, name2);
	check_walk("the 256-byte pointer walks", body, ptr, ALZ_OK, "\"deep\"");
	strcat(ptr, "0");	/* 257 bytes: the second token decodes to 64 bytes, within its own cap */
	tap_ok(!alz_jptr_valid(ptr), "a 257-byte pointer is invalid (its tokens are within their cap)");
	check_walk("the 257-byte pointer", "{}", ptr, ALZ_ERR_CONFIG, BAD);

	/* one token: 64 bytes decoded, raw or escaped, then 65 */
	p = repeat(ptr, "/", 1);
	repeat(p, "a", ALZ_JPTR_MAX_TOKEN);
	tap_ok(alz_jptr_valid(ptr), "a 64-byte token is valid");
	strcat(ptr, "a");
	tap_ok(!alz_jptr_valid(ptr), "a 65-byte token is invalid");
	p = repeat(ptr, "/", 1);
	repeat(p, "~1", ALZ_JPTR_MAX_TOKEN);
	tap_ok(alz_jptr_valid(ptr), "64 x ~1 (128 bytes, 64 decoded) is valid");
	strcat(ptr, "a");
	tap_ok(!alz_jptr_valid(ptr), "64 x ~1 + a (129 bytes, 65 decoded) is invalid");
	check_walk("a 65-byte decoded token", "{}", ptr, ALZ_ERR_CONFIG, BAD);

	/* depth: 8 tokens walk a document 20 deep, 9 are refused although the document has them */
	p = body;
	for (i = 0; i < 20; i++)
		p = stpcpy(p, "{\"a\":");
	p = stpcpy(p, "\"leaf\"");
	for (i = 0; i < 20; i++)
		p = stpcpy(p, "}");
	repeat(ptr, "/a", ALZ_JPTR_MAX_DEPTH);
	root = alz_json_parse(body, strlen(body));
	if (ok_rc(alz_jptr_get(root, ptr, &out), ALZ_OK, "8 tokens into a 20-deep document"))
		tap_ok(cJSON_IsObject(out) && out->child != NULL && strcmp(out->child->string, "a") == 0,
		       "8 tokens reach the 8th level's object");
	repeat(ptr, "/a", ALZ_JPTR_MAX_DEPTH + 1);
	tap_ok(!alz_jptr_valid(ptr), "9 tokens are invalid");
	ok_rc(alz_jptr_get(root, ptr, &out), ALZ_ERR_CONFIG, "9 tokens are refused on a 20-deep document");
	tap_ok(out == NULL, "9 tokens: *out is NULL");
	alz_json_free(root);
	body[0] = '\0';
	for (i = 0; i < ALZ_JPTR_MAX_DEPTH; i++)
		strcat(body, "{\"a\":");
	strcat(body, "\"leaf\"");
	for (i = 0; i < ALZ_JPTR_MAX_DEPTH; i++)
		strcat(body, "}");
	repeat(ptr, "/a", ALZ_JPTR_MAX_DEPTH);
	check_walk("8 tokens to a leaf 8 deep", body, ptr, ALZ_OK, "\"leaf\"");
}

static void
test_valid(void)
{
	static const char *const good[] = {
		"", "/a", "/~0", "/~1", "/0", "/-", "/a~01", "/data/tokens/accessToken",
		"/!\"#$%&'()*+,-.:;<=>?@[\\]^_`{|}",	/* every visible byte but '/' and '~' */
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		tap_ok(alz_jptr_valid(good[i]), "valid: \"%s\"", good[i]);
	tap_ok(!alz_jptr_valid(NULL), "NULL is not a pointer");
}

static void
test_misc(void)
{
	const cJSON *out = (const cJSON *)&out;
	cJSON *root;

	ok_rc(alz_jptr_get(NULL, "/a", &out), ALZ_ERR_BAD_REPLY, "no document is a bad reply");
	tap_ok(out == NULL, "no document: *out is NULL");
	ok_rc(alz_jptr_get(NULL, "", &out), ALZ_ERR_BAD_REPLY, "no document, \"\": a bad reply");
	ok_rc(alz_jptr_get(NULL, "a", &out), ALZ_ERR_CONFIG, "no document, bad pointer: the pointer first");

	/* the value is the tree's own node, not a copy */
	root = alz_json_parse(FX_OK, strlen(FX_OK));
	if (ok_rc(alz_jptr_get(root, "/data/user/company/id", &out), ALZ_OK, "FoodXchange company id"))
		tap_ok(out == cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(
					      cJSON_GetObjectItemCaseSensitive(
						      cJSON_GetObjectItemCaseSensitive(root, "data"), "user"),
					      "company"), "id"),
		       "the value is the tree's own node");
	alz_json_free(root);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_walk(cases[i].name, cases[i].body, cases[i].ptr,
			   cases[i].want_rc, cases[i].want);
	test_valid();
	test_caps();
	test_misc();
	return tap_done();
}
