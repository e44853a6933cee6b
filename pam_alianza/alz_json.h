/* alz_json.h - freeing cJSON trees that may hold secrets. */
#ifndef ALZ_JSON_H
#define ALZ_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* Wipe every string in ROOT (cJSON keeps its own copies) and delete it. */
void alz_json_free(cJSON *root);

/*
 * Parse exactly one JSON document of LEN bytes at TEXT (TEXT[LEN] must be
 * the terminating NUL): no trailing data, no NUL byte, and no "\u0000"
 * escape, which cJSON would turn into a NUL that silently cuts a string
 * ("alice\u0000mallory" read as "alice"). NULL when any of that fails.
 */
cJSON *alz_json_parse(const char *text, size_t len);

/*
 * Print ROOT unformatted into one buffer sized up front (cJSON_PrintPreallocated),
 * so no reallocation leaves a copy of a secret behind in freed memory. The
 * caller wipes and frees it (alz_secret_free). NULL on failure.
 */
char *alz_json_print_secret(cJSON *root);

/* True when no two members of object OBJ share a name. */
bool alz_json_unique_keys(const cJSON *obj);

#endif
