/* session.c - which login's token a PAM session owns, from open to close. */
#include "config.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "alz_secret.h"
#include "alz_session.h"

static enum alz_rc
random_id(char id[ALZ_SESSION_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[ALZ_SESSION_ID_LEN / 2];
	size_t i;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return ALZ_ERR_SYSTEM;
	for (i = 0; i < sizeof(raw); i++) {
		id[2 * i] = hex[raw[i] >> 4];
		id[2 * i + 1] = hex[raw[i] & 15];
	}
	id[ALZ_SESSION_ID_LEN] = '\0';
	return ALZ_OK;
}

static enum alz_rc
claim_edit(struct alz_record *r, bool existed, void *ctx)
{
	char *id = ctx;
	size_t i;

	(void)existed;
	/* no connection here: an expired token whose refresh token lives stays for one that has */
	alz_record_prune(r, time(NULL), NULL);
	/*
	 * Newest first: the login that just authenticated this session. An
	 * expired one whose refresh token lives may be claimed too: its close
	 * then ends it (refresh, log out).
	 */
	for (i = r->ntokens; i > 0; i--) {
		if (r->tokens[i - 1].session[0] != '\0')
			continue;
		if (random_id(id) != ALZ_OK)
			return ALZ_ERR_SYSTEM;
		memcpy(r->tokens[i - 1].session, id, ALZ_SESSION_ID_LEN + 1);
		return ALZ_OK;
	}
	return ALZ_SKIP;	/* nothing to claim; the record still serves the session */
}

enum alz_rc
alz_session_claim(const struct alz_cache *c, const char *user, char id[ALZ_SESSION_ID_LEN + 1],
		  struct alz_record *facts)
{
	enum alz_rc rc;

	id[0] = '\0';
	rc = alz_cache_update(c, user, false, claim_edit, id, facts);
	if (rc != ALZ_OK)
		id[0] = '\0';
	return rc;
}

struct release_ctx {
	const char *id;
	struct alz_token token;
};

static enum alz_rc
release_edit(struct alz_record *r, bool existed, void *ctx)
{
	struct release_ctx *rel = ctx;
	size_t i;

	(void)existed;
	for (i = 0; i < r->ntokens; i++) {
		if (strcmp(r->tokens[i].session, rel->id) != 0)
			continue;
		rel->token = r->tokens[i];	/* transferred, its refresh token with it */
		memmove(&r->tokens[i], &r->tokens[i + 1], (r->ntokens - i - 1) * sizeof(r->tokens[0]));
		r->ntokens--;
		memset(&r->tokens[r->ntokens], 0, sizeof(r->tokens[0]));
		/* dropped from the record whether or not the logout then succeeds */
		return ALZ_OK;
	}
	return ALZ_ERR_NOT_FOUND;	/* no such session: closed already, or never ours */
}

enum alz_rc
alz_session_release(const struct alz_cache *c, const char *user, const char *id,
		    struct alz_token *token)
{
	struct release_ctx rel;
	enum alz_rc rc;

	memset(token, 0, sizeof(*token));
	memset(&rel, 0, sizeof(rel));
	rel.id = id;
	if (id == NULL || strlen(id) != ALZ_SESSION_ID_LEN)
		return ALZ_ERR_INPUT;
	rc = alz_cache_update(c, user, false, release_edit, &rel, NULL);
	if (rc != ALZ_OK) {
		alz_token_clear(&rel.token);	/* taken, but the record could not be stored */
		return rc;
	}
	*token = rel.token;	/* transferred */
	return ALZ_OK;
}

static enum alz_rc
keep_edit(struct alz_record *r, bool existed, void *ctx)
{
	(void)existed;
	return alz_record_keep(r, ctx, time(NULL));	/* ALZ_SKIP: the record stays as it was */
}

enum alz_rc
alz_session_keep(const struct alz_cache *c, const char *user, struct alz_token *t)
{
	enum alz_rc rc;

	rc = alz_cache_update(c, user, false, keep_edit, t, NULL);
	if (rc == ALZ_OK && t->token != NULL)
		rc = ALZ_SKIP;	/* no room, or nothing left alive */
	return rc;
}
