/* password.c - password changes: the documented policy, then PUT path_password. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alz_cache.h"
#include "alz_password.h"
#include "alz_verifier.h"

enum alz_rc
alz_password_policy(const char *pw, char *msg, size_t cap)
{
	bool upper = false, lower = false, digit = false, special = false;
	size_t n = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)pw; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80)
			n++;	/* characters, not bytes */
		if (*p >= 'A' && *p <= 'Z')
			upper = true;
		else if (*p >= 'a' && *p <= 'z')
			lower = true;
		else if (*p >= '0' && *p <= '9')
			digit = true;
		else
			special = true;
	}
	if (n >= 8 && upper && lower && digit && special)
		return ALZ_OK;
	snprintf(msg, cap, "The new password needs%s%s%s%s%s.",
		 n < 8 ? " at least 8 characters," : "",
		 upper ? "" : " an upper-case letter,", lower ? "" : " a lower-case letter,",
		 digit ? "" : " a digit,", special ? "" : " a special character,");
	/* the list ends in a comma: turn the last one into the full stop */
	n = strlen(msg);
	if (n >= 2 && msg[n - 2] == ',') {
		msg[n - 2] = '.';
		msg[n - 1] = '\0';
	}
	return ALZ_ERR_POLICY;
}

/* The verifier follows the new password (NULL when no window is on); the cached window restarts. */
static enum alz_rc
follow_edit(struct alz_record *r, bool existed, void *ctx)
{
	char **verifier = ctx;

	(void)existed;
	free(r->verifier);
	r->verifier = *verifier;
	*verifier = NULL;	/* transferred */
	r->online_at = time(NULL);
	r->offline_failures = 0;
	return ALZ_OK;
}

static void
follow(const struct alz_config *cfg, const struct alz_log *lg, const char *user,
       const char *new_password, uid_t owner)
{
	struct alz_cache cache;
	char *verifier = NULL;

	alz_cache_open(&cache, cfg, owner, lg);
	if (!cache.usable)
		return;
	if ((cfg->cached_auth_timeout > 0 || cfg->offline_window > 0) &&
	    alz_verifier_make(new_password, &verifier, lg) != ALZ_OK)
		verifier = NULL;
	alz_cache_update(&cache, user, false, follow_edit, &verifier, NULL);
	free(verifier);
}

enum alz_rc
alz_password_change(const struct alz_config *cfg, const struct alz_log *lg,
		    const char *local_user, const char *old_password, const char *new_password,
		    uid_t owner, struct alz_outcome *o)
{
	struct alz_http http;
	char *api_user = NULL;
	enum alz_rc rc;

	memset(o, 0, sizeof(*o));
	o->retry_after = -1;
	memset(&http, 0, sizeof(http));
	rc = alz_config_api_user(cfg, local_user, &api_user);
	if (rc == ALZ_OK)
		rc = alz_http_init(&http, cfg, lg);
	if (rc == ALZ_OK)
		rc = alz_api_password(&http, api_user, old_password, new_password, o);
	if (rc == ALZ_OK)
		follow(cfg, lg, local_user, new_password, owner);
	alz_http_cleanup(&http);
	free(api_user);
	o->rc = rc;
	return rc;
}
