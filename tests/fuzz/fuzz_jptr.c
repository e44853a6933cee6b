/* fuzz_jptr.c - libFuzzer target: JSON Pointers of both dialects, and fuzzed ones, over a reply. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alz_jptr.h"
#include "alz_json.h"
#include "fuzz.h"

/*
 * Input: "POINTER\nJSON" (the pointer is everything before the first newline, which no
 * valid pointer holds), or JSON alone when there is no newline. The JSON is parsed as
 * the module parses a reply; every pointer below, and the input's own, is walked over
 * it and the answer compared with ref_get(), RFC 6901 read literally and written apart.
 */
static const char *const fixed[] = {
	"",
	/* Alianza (API.md §1-2): flat */
	"/authToken", "/tokenType", "/expiresIn", "/userId", "/partitionId", "/partitionName",
	"/userType", "/userName", "/errorCode", "/message", "/sessionId",
	/* FoodXchange (API.md §8): nested */
	"/success", "/data/tokens/accessToken", "/data/tokens/refreshToken", "/data/tokens/expiresIn",
	"/data/user/id", "/data/user/email", "/data/user/name", "/data/user/role",
	"/data/user/company/id", "/data/user/company/name", "/data/session/id",
	"/data/accessToken", "/data/expiresIn", "/error/code", "/error/message", "/error/data/sessionId",
	/* arrays and escapes */
	"/0", "/-", "/data/0", "/data/-/x", "/a~1b/~0~01", "/~10/01",
	"/a/a/a/a/a/a/a/a",
};
#define NFIXED (sizeof(fixed) / sizeof(fixed[0]))

/* RFC 6901 §3-4 as written: split at '/', then replace every ~1 by '/', then every ~0 by '~'. */
static bool
ref_token(const char *enc, size_t len, char *out)
{
	char tmp[ALZ_JPTR_MAX_LEN + 1];
	size_t i, n = 0, m = 0;

	for (i = 0; i < len; i++)
		if (enc[i] == '~' && (i + 1 == len || (enc[i + 1] != '0' && enc[i + 1] != '1')))
			return false;
	for (i = 0; i < len; i++) {
		if (enc[i] == '~' && enc[i + 1] == '1') {
			tmp[n++] = '/';
			i++;
		} else {
			tmp[n++] = enc[i];
		}
	}
	for (i = 0; i < n; i++) {
		if (tmp[i] == '~' && i + 1 < n && tmp[i + 1] == '0') {
			out[m++] = '~';
			i++;
		} else {
			out[m++] = tmp[i];
		}
	}
	out[m] = '\0';
	return m >= 1 && m <= ALZ_JPTR_MAX_TOKEN;
}

/* Split PTR into decoded tokens; the number of them, or -1 when PTR is no valid setting. */
static int
ref_split(const char *ptr, char toks[][ALZ_JPTR_MAX_LEN + 1])
{
	const char *p, *end;
	int n = 0;

	if (strlen(ptr) > ALZ_JPTR_MAX_LEN)
		return -1;
	for (p = ptr; *p != '\0'; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return -1;
	if (ptr[0] != '\0' && ptr[0] != '/')
		return -1;
	for (p = ptr; *p == '/'; p = end) {
		end = strchr(p + 1, '/');
		if (end == NULL)
			end = p + strlen(p);
		if (n == ALZ_JPTR_MAX_DEPTH || !ref_token(p + 1, (size_t)(end - p - 1), toks[n]))
			return -1;
		n++;
	}
	return n;
}

static enum alz_rc
ref_get(const cJSON *root, const char *ptr, const cJSON **out)
{
	char toks[ALZ_JPTR_MAX_DEPTH][ALZ_JPTR_MAX_LEN + 1];
	const cJSON *cur = root, *c, *hit;
	unsigned long long idx;
	int n = ref_split(ptr, toks), i, seen;
	char *end;

	*out = NULL;
	if (n < 0)
		return ALZ_ERR_CONFIG;
	if (root == NULL)
		return ALZ_ERR_BAD_REPLY;
	for (i = 0; i < n && cur != NULL; i++) {
		if (cJSON_IsNull(cur))
			return ALZ_OK;
		if (cJSON_IsObject(cur)) {
			hit = NULL;
			seen = 0;
			cJSON_ArrayForEach(c, cur)
				if (strcmp(c->string, toks[i]) == 0) {
					hit = c;
					seen++;
				}
			if (seen > 1)
				return ALZ_ERR_BAD_REPLY;
			cur = hit;
		} else if (cJSON_IsArray(cur)) {
			if (strcmp(toks[i], "-") == 0)
				return ALZ_OK;
			if (toks[i][strspn(toks[i], "0123456789")] != '\0' ||
			    (toks[i][0] == '0' && toks[i][1] != '\0'))
				return ALZ_ERR_BAD_REPLY;
			errno = 0;
			idx = strtoull(toks[i], &end, 10);
			if (errno == ERANGE || idx >= (unsigned long long)cJSON_GetArraySize(cur))
				return ALZ_OK;
			cur = cJSON_GetArrayItem(cur, (int)idx);
		} else {
			return ALZ_ERR_BAD_REPLY;
		}
	}
	*out = cur;
	return ALZ_OK;
}

static void
walk(const cJSON *root, const char *ptr)
{
	static const cJSON sentinel;
	const cJSON *got = &sentinel, *want;
	enum alz_rc rc = alz_jptr_get(root, ptr, &got), wrc = ref_get(root, ptr, &want);

	FUZZ_CHECK(rc == ALZ_OK || rc == ALZ_ERR_BAD_REPLY || rc == ALZ_ERR_CONFIG);
	FUZZ_CHECK((rc == ALZ_ERR_CONFIG) == !alz_jptr_valid(ptr));
	FUZZ_CHECK(rc == ALZ_OK || got == NULL);
	FUZZ_CHECK(rc == wrc);
	FUZZ_CHECK(got == want);	/* the very node, never a copy */
	/* a setting the walker takes fits in a header line and is capped */
	FUZZ_CHECK(rc == ALZ_ERR_CONFIG || (strlen(ptr) <= ALZ_JPTR_MAX_LEN && fuzz_visible(ptr)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size), *json = buf, *nl;
	cJSON *root;
	size_t i;

	nl = memchr(buf, '\n', size);
	if (nl != NULL) {
		*nl = '\0';
		json = nl + 1;
	}
	root = alz_json_parse(json, size - (size_t)(json - buf));
	for (i = 0; i < NFIXED; i++) {
		FUZZ_CHECK(alz_jptr_valid(fixed[i]));
		walk(root, fixed[i]);
	}
	if (nl != NULL)
		walk(root, buf);	/* a NUL in the pointer part ends it early: still a C string */
	alz_json_free(root);
	free(buf);
	return 0;
}
