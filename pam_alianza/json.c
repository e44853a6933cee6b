/* json.c - freeing cJSON trees that may hold secrets. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "alz_json.h"

static void
wipe_tree(cJSON *n)
{
	for (; n != NULL; n = n->next) {
		if (n->valuestring != NULL)
			explicit_bzero(n->valuestring, strlen(n->valuestring));
		if (n->string != NULL)
			explicit_bzero(n->string, strlen(n->string));
		wipe_tree(n->child);
	}
}

void
alz_json_free(cJSON *root)
{
	if (root == NULL)
		return;
	wipe_tree(root);
	cJSON_Delete(root);
}

/* A backslash escape of U+0000 anywhere: outside strings a backslash is invalid JSON anyway. */
static bool
has_nul_escape(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < len && s[i + 2] == '0' && s[i + 3] == '0' &&
		    s[i + 4] == '0' && s[i + 5] == '0')
			return true;
		i++;	/* skip the escaped character: an escaped backslash then "u0000" is text */
	}
	return false;
}

cJSON *
alz_json_parse(const char *text, size_t len)
{
	/* the NUL search first: a caller's LEN that already counts the NUL stops here */
	if (text == NULL || len == 0 || memchr(text, '\0', len) != NULL || text[len] != '\0' ||
	    has_nul_escape(text, len))
		return NULL;
	/* len + 1: cJSON must see the NUL to refuse a trailing second document */
	return cJSON_ParseWithLengthOpts(text, len + 1, NULL, 1);
}

bool
alz_json_unique_keys(const cJSON *obj)
{
	const cJSON *a, *b;

	for (a = obj != NULL ? obj->child : NULL; a != NULL; a = a->next)
		for (b = a->next; b != NULL; b = b->next)
			if (a->string != NULL && b->string != NULL && strcmp(a->string, b->string) == 0)
				return false;
	return true;
}

/* An upper bound of the printed size: every byte of a string may become \uXXXX. */
static size_t
print_bound(const cJSON *n)
{
	size_t total = 0;

	for (; n != NULL; n = n->next) {
		total += 8;	/* quotes, colon, comma, brackets */
		if (n->string != NULL)
			total += 6 * strlen(n->string);
		if (n->valuestring != NULL)
			total += 6 * strlen(n->valuestring);
		if (cJSON_IsNumber(n))
			total += 64;
		total += print_bound(n->child);
	}
	return total;
}

char *
alz_json_print_secret(cJSON *root)
{
	size_t cap = print_bound(root) + 64;	/* cJSON asks for a few bytes of slack */
	char *buf;

	buf = calloc(1, cap);
	if (buf == NULL)
		return NULL;
	if (!cJSON_PrintPreallocated(root, buf, (int)cap, 0)) {
		explicit_bzero(buf, cap);
		free(buf);
		return NULL;
	}
	return buf;
}
