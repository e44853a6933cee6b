/* jptr.c - JSON Pointers (RFC 6901) into a parsed reply (Debian's cJSON has no cJSON_Utils). */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "alz_jptr.h"
#include "alz_text.h"

/*
 * Decode the token after the '/' at *P into TOK (ALZ_JPTR_MAX_TOKEN + 1 bytes), move *P to
 * the next '/' or the end. Left to right, one escape at a time, is the RFC's "~1 first,
 * then ~0": "~01" is "~1". False when empty, too long, or a '~' is no escape.
 */
static bool
next_token(const char **p, char *tok)
{
	const char *s = *p + 1;
	size_t n = 0;
	char c;

	for (; *s != '\0' && *s != '/'; s++) {
		c = *s;
		if (c == '~') {
			s++;
			if (*s != '0' && *s != '1')
				return false;	/* "~2", or '~' at the end */
			c = *s == '0' ? '~' : '/';
		}
		if (n == ALZ_JPTR_MAX_TOKEN)
			return false;
		tok[n++] = c;
	}
	tok[n] = '\0';
	*p = s;
	return n > 0;
}

bool
alz_jptr_valid(const char *ptr)
{
	char tok[ALZ_JPTR_MAX_TOKEN + 1];
	const char *p = ptr;
	int depth;

	/* strnlen first: a setting is capped before anything reads it whole */
	if (ptr == NULL || strnlen(ptr, ALZ_JPTR_MAX_LEN + 1) > ALZ_JPTR_MAX_LEN ||
	    !alz_text_ok(ptr, ALZ_TEXT_VISIBLE))
		return false;
	for (depth = 1; *p == '/'; depth++)
		if (depth > ALZ_JPTR_MAX_DEPTH || !next_token(&p, tok))
			return false;
	return *p == '\0';	/* anything else does not start with '/' */
}

/* An RFC 6901 array index: "0" or digits with no leading zero; huge ones saturate (past any end). */
static bool
array_index(const char *tok, size_t *idx)
{
	size_t v = 0;

	if (tok[0] == '0' && tok[1] != '\0')
		return false;
	for (; *tok != '\0'; tok++) {
		if (*tok < '0' || *tok > '9')
			return false;
		v = v > (SIZE_MAX - 9) / 10 ? SIZE_MAX : v * 10 + (size_t)(*tok - '0');
	}
	*idx = v;
	return true;
}

/* One step from CUR by TOK; *NEXT NULL when absent. */
static enum alz_rc
step(const cJSON *cur, const char *tok, const cJSON **next)
{
	const cJSON *c;
	size_t idx;
	enum alz_rc rc = ALZ_ERR_BAD_REPLY;

	*next = NULL;
	if (cJSON_IsObject(cur)) {
		for (c = cur->child; c != NULL; c = c->next) {
			if (c->string == NULL || strcmp(c->string, tok) != 0)
				continue;
			if (*next != NULL) {
				*next = NULL;	/* two of one name: which is real is not ours to pick */
				goto out;
			}
			*next = c;
		}
	} else if (cJSON_IsArray(cur) && strcmp(tok, "-") != 0) {
		if (!array_index(tok, &idx))
			goto out;	/* a name where the reply has an array: not the shape set */
		for (c = cur->child; c != NULL && idx > 0; c = c->next)
			idx--;
		*next = c;
	} else if (!cJSON_IsArray(cur) && !cJSON_IsNull(cur)) {
		goto out;	/* a string, number or boolean has nothing inside to step to */
	}
	/* absent: "-" (the element after the last), or a JSON null on the way ("data": null) */
	rc = ALZ_OK;
out:
	return rc;
}

enum alz_rc
alz_jptr_get(const cJSON *root, const char *ptr, const cJSON **out)
{
	char tok[ALZ_JPTR_MAX_TOKEN + 1];
	const cJSON *cur = root;
	const char *p = ptr;
	enum alz_rc rc = ALZ_ERR_CONFIG;

	*out = NULL;
	if (!alz_jptr_valid(ptr))
		goto out;
	rc = root == NULL ? ALZ_ERR_BAD_REPLY : ALZ_OK;	/* no document is no reply */
	/* at most ALZ_JPTR_MAX_DEPTH steps however deep the document: the pointer is capped */
	while (rc == ALZ_OK && cur != NULL && *p == '/') {
		(void)next_token(&p, tok);	/* cannot fail: alz_jptr_valid read these tokens */
		rc = step(cur, tok, &cur);
	}
	*out = cur;	/* step() left it NULL on a failure */
out:
	return rc;
}
