/* policy.c - what the host allows: user types, partitions, local groups. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alz_policy.h"

#define MAX_GROUPS 65536	/* NGROUPS_MAX on Linux */
#define GR_BUF_START (16 * 1024)	/* bytes; doubled on ERANGE (a long member list) */
#define GR_BUF_MAX (1024 * 1024)	/* bytes; a group entry larger than this is not looked up */

/* allowed_user_types as the log shows it: the admin sees why a type is not in it */
static const char *
types_text(const struct alz_type_list *l)
{
	return l->all ? "all" : l->names != NULL ? l->names : "none";
}

enum alz_rc
alz_policy_allow(const struct alz_config *cfg, const char *type, const char *partition_id,
		 char *reason, size_t reason_cap, char *msg, size_t msg_cap)
{
	reason[0] = '\0';
	msg[0] = '\0';
	if (type == NULL || !alz_user_type_ok(type)) {
		snprintf(reason, reason_cap, "unknown or missing user type");
		snprintf(msg, msg_cap, "Access denied: your account type is not recognised.");
		return ALZ_ERR_FORBIDDEN;
	}
	/* a type the config names nowhere is just a type: not listed, no login */
	if (!alz_type_list_has(&cfg->allowed_types, type)) {
		snprintf(reason, reason_cap, "user type %s not in allowed_user_types (%s)",
			 type, types_text(&cfg->allowed_types));
		snprintf(msg, msg_cap, "Access denied: %s accounts may not log in here.", type);
		return ALZ_ERR_FORBIDDEN;
	}
	if (cfg->allowed_partitions == NULL) {
		/* any tenant of the API could log in: refuse until the admin decides */
		snprintf(reason, reason_cap, "allowed_partitions is not set (set it to this host's "
			 "partition id, or to * to allow every tenant)");
		snprintf(msg, msg_cap, "Access denied: this host is not configured for Alianza logins.");
		return ALZ_ERR_FORBIDDEN;
	}
	if (alz_list_has(cfg->allowed_partitions, "*"))
		return ALZ_OK;
	if (partition_id == NULL || !alz_list_has(cfg->allowed_partitions, partition_id)) {
		snprintf(reason, reason_cap, "partition %s not in allowed_partitions",
			 partition_id != NULL ? partition_id : "(none)");
		snprintf(msg, msg_cap, "Access denied: your organisation may not log in here.");
		return ALZ_ERR_FORBIDDEN;
	}
	return ALZ_OK;
}

static bool
have(const gid_t *list, int n, gid_t g)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] == g)
			return true;
	return false;
}

/*
 * getgrnam_r wants the whole entry, member list included, in BUF: grow it
 * on ERANGE up to GR_BUF_MAX rather than call a big group missing.
 */
int
alz_policy_group_gid(const char *name, gid_t *gid)
{
	struct group grbuf, *gr = NULL;
	char *buf = NULL, *bigger;
	size_t len;
	int err = ERANGE;

	for (len = GR_BUF_START; err == ERANGE && len <= GR_BUF_MAX; len *= 2) {
		bigger = realloc(buf, len);
		if (bigger == NULL) {
			err = ENOMEM;
			break;
		}
		buf = bigger;
		gr = NULL;
		err = getgrnam_r(name, &grbuf, buf, len, &gr);
	}
	if (gr != NULL)
		*gid = gr->gr_gid;
	else if (err == 0 || err == ESRCH)
		err = ENOENT;	/* glibc: 0 and no entry; some sources: ESRCH */
	free(buf);	/* member names only: nothing secret */
	return gr != NULL ? 0 : err;
}

enum alz_rc
alz_policy_add_groups(const struct alz_config *cfg, const char *type,
		      const struct alz_log *lg, int *added)
{
	char name[ALZ_MAX_LIST_ITEM];
	const char *p, *mapped = alz_config_groups(cfg, type);
	gid_t *list = NULL, gid;
	int n, err, cap;
	enum alz_rc rc = ALZ_OK;

	*added = 0;
	if (mapped == NULL)
		return ALZ_OK;	/* a type nobody mapped gets no group */
	n = getgroups(0, NULL);
	if (n < 0)
		return ALZ_ERR_SYSTEM;
	cap = n + 33;	/* a mapping holds at most 32 names */
	list = calloc((size_t)cap, sizeof(*list));
	if (list == NULL)
		return ALZ_ERR_NOMEM;
	n = getgroups(n, list);
	if (n < 0) {
		rc = ALZ_ERR_SYSTEM;
		goto out;
	}
	p = mapped;
	while (alz_list_next(&p, name, sizeof(name))) {
		err = alz_policy_group_gid(name, &gid);
		if (err != 0) {
			if (err == ENOENT)
				alz_log(lg, LOG_WARNING, "group %s mapped to %s does not exist locally%s",
					name, type,
					cfg->missing_group_fatal ? "" : "; skipped");
			else
				alz_log(lg, LOG_ERR, "group %s mapped to %s cannot be looked up "
					"(getgrnam_r: %s%s)%s", name, type,
					strerror(err), err == ERANGE ? ", entry over 1 MiB" : "",
					cfg->missing_group_fatal ? "" : "; skipped");
			if (cfg->missing_group_fatal) {
				rc = ALZ_ERR_CONFIG;
				goto out;
			}
			continue;
		}
		if (have(list, n, gid) || n >= cap || n >= MAX_GROUPS)
			continue;
		list[n++] = gid;
		(*added)++;
	}
	if (*added > 0 && setgroups((size_t)n, list) != 0) {
		alz_log(lg, LOG_ERR, "setgroups: %s", strerror(errno));
		rc = ALZ_ERR_SYSTEM;
	}
out:
	free(list);
	return rc;
}
