/* alz_policy.h - what the host allows: user types, partitions, local groups. */
#ifndef ALZ_POLICY_H
#define ALZ_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "alz_config.h"

/*
 * May a user of TYPE in PARTITION_ID log in under CFG? ALZ_OK, or
 * ALZ_ERR_FORBIDDEN with REASON (full, for the log) and MSG (short, for
 * the user) filled. An unknown type (""), one allowed_user_types does not
 * name, a missing partition, or an unset allowed_partitions is never allowed.
 */
enum alz_rc alz_policy_allow(const struct alz_config *cfg, const char *type,
			     const char *partition_id, char *reason, size_t reason_cap,
			     char *msg, size_t msg_cap);

/*
 * Add the local groups groups.TYPE maps (none when no key names TYPE) to
 * this process's supplementary groups (getgroups + setgroups, as
 * pam_group does). A group missing
 * locally is logged and skipped, or fails (ALZ_ERR_CONFIG) when
 * cfg->missing_group_fatal. *ADDED counts the groups that were new.
 */
enum alz_rc alz_policy_add_groups(const struct alz_config *cfg, const char *type,
				  const struct alz_log *lg, int *added);

/*
 * The gid of local group NAME: 0, ENOENT when it does not exist, or the
 * lookup's error (ERANGE: an entry over 1 MiB). The one group lookup of the
 * module: mapped groups, alianza_group, the admin tool's check.
 */
int alz_policy_group_gid(const char *name, gid_t *gid);

#endif
