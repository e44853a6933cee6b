/* alz_scope.h - whom pam_alianza handles: never root, min_uid, ignore_users, alianza_group, alianza_uids. */
#ifndef ALZ_SCOPE_H
#define ALZ_SCOPE_H

#include <pwd.h>
#include <stddef.h>

#include "alz_config.h"

/*
 * Is the local account PW an Alianza user under CFG? ALZ_OK: handle it.
 * ALZ_SKIP: root, a uid below min_uid, or in ignore_users. ALZ_SCOPE_UNSET:
 * neither alianza_group nor alianza_uids is set (nobody is). ALZ_OUT_OF_SCOPE:
 * not a member of alianza_group (primary or supplementary, getgrouplist), or
 * a uid outside alianza_uids; with both set a user must match both.
 * ALZ_ERR_SYSTEM: a group lookup failed (logged). WHY, when not NULL, gets
 * the rule that decided, for a log line or the admin tool (never a secret).
 */
enum alz_rc alz_scope_user(const struct alz_config *cfg, const struct alz_log *lg,
			   const struct passwd *pw, char *why, size_t why_cap);

/* One line saying who the Alianza users are under CFG ("members of alianza, uids 2000-2999"). */
void alz_scope_describe(const struct alz_config *cfg, char *out, size_t cap);

#endif
