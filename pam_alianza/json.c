/* json.c - freeing cJSON trees that may hold secrets. */
#include "config.h"

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
