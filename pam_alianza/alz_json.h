/* alz_json.h - freeing cJSON trees that may hold secrets. */
#ifndef ALZ_JSON_H
#define ALZ_JSON_H

#include <cjson/cJSON.h>

/* Wipe every string in ROOT (cJSON keeps its own copies) and delete it. */
void alz_json_free(cJSON *root);

#endif
