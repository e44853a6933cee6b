/* scope.c - whom pam_alianza handles: never root, min_uid, ignore_users, alianza_group, alianza_uids. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alz_policy.h"
#include "alz_scope.h"

#define GROUPLIST_START 64	/* gids; grown to what getgrouplist asks for */
#define GROUPLIST_MAX 65536	/* NGROUPS_MAX on Linux: a longer answer is no answer */

static void say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
say(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

/*
 * Every group of PW, its primary one included, as NSS answers initgroups
 * (files, SSSD, LDAP): *LIST is malloc'd with *N gids.
 */
static enum alz_rc
user_groups(const struct passwd *pw, gid_t **list, int *n)
{
	gid_t *buf = NULL, *bigger;
	int want = GROUPLIST_START, got, tries;

	for (tries = 0; tries < 4; tries++) {
		bigger = realloc(buf, (size_t)want * sizeof(*buf));
		if (bigger == NULL) {
			free(buf);
			return ALZ_ERR_NOMEM;
		}
		buf = bigger;
		got = want;
		if (getgrouplist(pw->pw_name, pw->pw_gid, buf, &got) >= 0) {
			*list = buf;
			*n = got;
			return ALZ_OK;
		}
		/* -1: BUF was too small and GOT is the count it needs */
		if (got <= want || got > GROUPLIST_MAX)
			break;
		want = got;
	}
	free(buf);
	return ALZ_ERR_SYSTEM;
}

/* Is PW a member of one of alianza_group's groups? */
static enum alz_rc
in_group(const struct alz_config *cfg, const struct alz_log *lg, const struct passwd *pw,
	 bool *member)
{
	char name[ALZ_MAX_LIST_ITEM];
	const char *p = cfg->alianza_group;
	gid_t *list = NULL, gid;
	int n = 0, i, err;
	enum alz_rc rc;

	*member = false;
	rc = user_groups(pw, &list, &n);
	if (rc != ALZ_OK) {
		alz_log(lg, LOG_ERR, "alianza_group: the account's groups cannot be listed "
			"(getgrouplist: %s)", alz_strerror(rc));
		return rc;
	}
	while (!*member && alz_list_next(&p, name, sizeof(name))) {
		err = alz_policy_group_gid(name, &gid);
		if (err == ENOENT) {
			alz_log(lg, LOG_WARNING, "alianza_group %s does not exist locally: nobody is "
				"an Alianza user by it", name);
			continue;
		}
		if (err != 0) {
			alz_log(lg, LOG_ERR, "alianza_group %s cannot be looked up (getgrnam_r: %s)",
				name, strerror(err));
			rc = ALZ_ERR_SYSTEM;
			goto out;
		}
		for (i = 0; i < n; i++)
			if (list[i] == gid)
				*member = true;
	}
out:
	free(list);	/* gids: nothing secret */
	return rc;
}

enum alz_rc
alz_scope_user(const struct alz_config *cfg, const struct alz_log *lg, const struct passwd *pw,
	       char *why, size_t why_cap)
{
	unsigned long uid = (unsigned long)pw->pw_uid;
	bool member = false;
	enum alz_rc rc;

	say(why, why_cap, "an Alianza user");
	if (uid == 0) {
		say(why, why_cap, "root is never an Alianza user");
		return ALZ_SKIP;
	}
	if (uid < cfg->min_uid) {
		say(why, why_cap, "uid %lu is below min_uid %lu", uid, cfg->min_uid);
		return ALZ_SKIP;
	}
	if (alz_list_has(cfg->ignore_users, pw->pw_name)) {
		say(why, why_cap, "listed in ignore_users");
		return ALZ_SKIP;
	}
	if (!alz_config_scope_set(cfg)) {
		say(why, why_cap, "neither alianza_group nor alianza_uids is set");
		return ALZ_SCOPE_UNSET;
	}
	/* both set: both must hold, so one slip (a uid, a membership) is not enough */
	if (cfg->alianza_uids.set && (uid < cfg->alianza_uids.lo || uid > cfg->alianza_uids.hi)) {
		say(why, why_cap, "uid %lu is outside alianza_uids %lu-%lu", uid,
		    cfg->alianza_uids.lo, cfg->alianza_uids.hi);
		return ALZ_OUT_OF_SCOPE;
	}
	if (cfg->alianza_group != NULL) {
		rc = in_group(cfg, lg, pw, &member);
		if (rc != ALZ_OK) {
			say(why, why_cap, "alianza_group could not be checked");
			return ALZ_ERR_SYSTEM;
		}
		if (!member) {
			say(why, why_cap, "not a member of alianza_group (%s)", cfg->alianza_group);
			return ALZ_OUT_OF_SCOPE;
		}
	}
	return ALZ_OK;
}

void
alz_scope_describe(const struct alz_config *cfg, char *out, size_t cap)
{
	char uids[64];

	snprintf(uids, sizeof(uids), "%lu-%lu", cfg->alianza_uids.lo, cfg->alianza_uids.hi);
	if (cfg->alianza_group != NULL && cfg->alianza_uids.set)
		snprintf(out, cap, "members of %s with a uid in %s", cfg->alianza_group, uids);
	else if (cfg->alianza_group != NULL)
		snprintf(out, cap, "members of %s", cfg->alianza_group);
	else if (cfg->alianza_uids.set)
		snprintf(out, cap, "uids %s", uids);
	else
		snprintf(out, cap, "nobody (neither alianza_group nor alianza_uids is set)");
}
