/* pam_session.c - PAM glue, session management group: environment, token claim and logout. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#define PAM_SM_SESSION
#include "alz_pam.h"
#include "alz_cache.h"
#include "alz_secret.h"
#include "alz_session.h"

/* The session's environment: who the API says the user is. Never the token. */
static int
export_env(struct alz_pam_ctx *c, const struct alz_record *r)
{
	const struct {
		const char *name;
		const char *value;
	} vars[] = {
		{ "USER_TYPE", r->user_type[0] != '\0' ? r->user_type : NULL },
		{ "PARTITION_ID", r->partition_id },
		{ "PARTITION_NAME", r->partition_name },
		{ "USER_ID", r->user_id },
		{ "USER_NAME", r->api_user },
	};
	char buf[512];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if (vars[i].value == NULL)
			continue;
		snprintf(buf, sizeof(buf), "%s%s=%s", c->cfg.env_prefix, vars[i].name, vars[i].value);
		ret = pam_putenv(c->pamh, buf);
		if (ret != PAM_SUCCESS)
			return ret;
	}
	return PAM_SUCCESS;
}

PAM_EXTERN int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct alz_cache cache;
	struct alz_record r;
	struct alz_pam_facts f;
	struct alz_pam_ctx c;
	const char *source = NULL;
	char user_log[80], *id = NULL;
	enum alz_rc rc;
	bool claimed;
	int ret;

	ret = alz_pam_phase_init(&c, pamh, flags, argc, argv, user_log, sizeof(user_log));
	if (ret != PAM_SUCCESS)
		return ret;
	/*
	 * As account and setcred do: only facts the API gave within
	 * account_max_age, and only a user the host's policy (this service's
	 * arguments included) still allows, get the variables and a token.
	 */
	if (!alz_pam_get_facts(&c, &f, &source)) {
		alz_log(&c.lg, LOG_INFO, "session open service=%s user=%s facts=%s: no %s* variables, "
			"no token claimed", c.service, user_log, source, c.cfg.env_prefix);
		ret = PAM_IGNORE;
		goto out;
	}
	rc = alz_pam_allow(&c, user_log, "session open", f.user_type, f.partition_id);
	if (rc != ALZ_OK) {
		/* fail closed: the stack's account phase may not be ours */
		ret = alz_pam_code_for(rc, ALZ_PHASE_SESSION);
		goto out;
	}
	id = calloc(1, ALZ_SESSION_ID_LEN + 1);
	if (id == NULL) {
		ret = alz_pam_code_for(ALZ_ERR_NOMEM, ALZ_PHASE_SESSION);
		goto out;
	}
	alz_cache_open(&cache, &c.cfg, 0, &c.lg);
	if (alz_session_claim(&cache, c.user, id, &r) != ALZ_OK) {
		alz_log(&c.lg, LOG_DEBUG, "session user=%s: no cached record", user_log);
		ret = PAM_IGNORE;
		goto out;
	}
	if (r.user_type[0] == '\0' || alz_record_vouched_at(&r) == 0) {
		/* a record that only counts failures: nobody the API vouched for */
		ret = PAM_IGNORE;
		goto out_record;
	}
	claimed = id[0] != '\0';
	if (claimed) {
		ret = pam_set_data(pamh, ALZ_PAM_DATA_SESSION, id, alz_pam_free_data);
		if (ret != PAM_SUCCESS)
			goto out_record;
		id = NULL;	/* transferred */
	}
	ret = export_env(&c, &r);
	if (ret != PAM_SUCCESS)
		goto out_record;
	alz_log(&c.lg, LOG_INFO, "session open service=%s user=%s type=%s partition=%s token=%s",
		c.service, user_log, alz_user_type_show(r.user_type),
		r.partition_id != NULL ? r.partition_id : "-", claimed ? "claimed" : "none");
	ret = PAM_SUCCESS;
out_record:
	alz_record_free(&r);
out:
	free(id);
	alz_pam_ctx_free(&c);
	return ret;
}

PAM_EXTERN int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct alz_cache cache;
	struct alz_http http;
	struct alz_token tok;
	struct alz_end e;
	struct alz_pam_ctx c;
	const char *id = NULL;
	char user_log[80], what[96];
	time_t now;
	enum alz_rc rc;
	int ret;

	ret = alz_pam_phase_init(&c, pamh, flags, argc, argv, user_log, sizeof(user_log));
	if (ret != PAM_SUCCESS)
		return ret;
	memset(&http, 0, sizeof(http));
	memset(&tok, 0, sizeof(tok));
	if (pam_get_data(pamh, ALZ_PAM_DATA_SESSION, (const void **)&id) != PAM_SUCCESS || id == NULL) {
		alz_log(&c.lg, LOG_DEBUG, "session close user=%s: no token claimed by this session",
			user_log);
		goto out;
	}
	alz_cache_open(&cache, &c.cfg, 0, &c.lg);
	rc = alz_session_release(&cache, c.user, id, &tok);
	if (rc != ALZ_OK || tok.token == NULL)
		goto out;
	if (!c.cfg.logout) {
		alz_log(&c.lg, LOG_INFO, "session close user=%s: token dropped (logout = no)%s",
			user_log, tok.refresh != NULL ? "; its refresh token lives on at the API "
			"until it expires" : "");
		goto out;
	}
	now = time(NULL);
	rc = alz_http_init(&http, &c.cfg, &c.lg);
	if (rc == ALZ_OK) {
		/* expired during the session: refreshed once, then logged out */
		alz_api_end_token(&http, tok.token, alz_token_refresh_alive(&tok, now) ? tok.refresh : NULL,
				  alz_token_expired(&tok, now), &e);
	} else {
		memset(&e, 0, sizeof(e));
		e.rc = e.logout = rc;
		e.refresh = ALZ_SKIP;
	}
	alz_end_describe(&e, what, sizeof(what));
	/* a failed logout or refresh is logged; it never holds up the session's end */
	alz_log(&c.lg, e.rc == ALZ_OK ? LOG_INFO : LOG_WARNING,
		"session close service=%s user=%s %s", c.service, user_log, what);
	/* its refresh token may outlive the session at the API: the record keeps it for a later try */
	if (alz_end_may_live(&e) && alz_token_refresh_alive(&tok, now)) {
		rc = alz_session_keep(&cache, c.user, &tok);
		alz_log(&c.lg, rc == ALZ_OK ? LOG_NOTICE : LOG_WARNING, "session close user=%s: %s",
			user_log, rc == ALZ_OK ? "token kept in the record, unclaimed, for the next "
			"online login (or cache purge) to end" : "the token could not be kept in the "
			"record: its refresh token may stay valid at the API until it expires");
	}
out:
	alz_http_cleanup(&http);
	alz_token_clear(&tok);
	alz_pam_ctx_free(&c);
	return PAM_SUCCESS;
}
