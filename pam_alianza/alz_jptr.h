/* alz_jptr.h - JSON Pointers (RFC 6901): where in a reply a dialect keeps each fact. */
#ifndef ALZ_JPTR_H
#define ALZ_JPTR_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "alz_error.h"

#define ALZ_JPTR_MAX_LEN 256	/* bytes of a pointer setting */
#define ALZ_JPTR_MAX_DEPTH 8	/* reference tokens: the walk never takes more steps */
#define ALZ_JPTR_MAX_TOKEN 64	/* bytes of one decoded reference token */

/*
 * True when PTR is a pointer a setting may hold: "" (the whole document) or
 * "/tok/tok..." of visible ASCII, at most ALZ_JPTR_MAX_LEN bytes and
 * ALZ_JPTR_MAX_DEPTH tokens, each token 1..ALZ_JPTR_MAX_TOKEN bytes once
 * decoded, '~' only as ~0 ('~') or ~1 ('/').
 */
bool alz_jptr_valid(const char *ptr);

/*
 * Walk ROOT along PTR; never allocates. Member names compare byte for byte.
 *   ALZ_OK: *OUT is the value (a JSON null at the end is returned as one), or
 *           NULL when a step is absent: a member missing, a JSON null on the
 *           way, an array index past the end or "-".
 *   ALZ_ERR_BAD_REPLY: a step meets two members of the name it looks for, a
 *           step has to go through a string, number or boolean, an array is
 *           met with a token that is no RFC 6901 index ("01", "x"), or ROOT
 *           is NULL (no document). *OUT is NULL.
 *   ALZ_ERR_CONFIG: PTR is not alz_jptr_valid. *OUT is NULL.
 */
enum alz_rc alz_jptr_get(const cJSON *root, const char *ptr, const cJSON **out);

#endif
