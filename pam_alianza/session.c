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

enum alz_rc
alz_session_claim(const struct alz_cache *c, const char *user, char id[ALZ_SESSION_ID_LEN + 1])
{
	struct alz_record r;
	enum alz_rc rc;
	size_t i;
	int lock = -1;

	id[0] = '\0';
	rc = alz_cache_lock(c, user, &lock);
	if (rc != ALZ_OK)
		return rc;
	rc = alz_cache_load(c, user, &r);
	if (rc != ALZ_OK)
		goto out_unlock;
	alz_record_prune(&r, time(NULL));
	rc = ALZ_ERR_NO_USER;
	/* newest first: the login that just authenticated this session */
	for (i = r.ntokens; i > 0; i--) {
		if (r.tokens[i - 1].session[0] != '\0')
			continue;
		rc = random_id(id);
		if (rc != ALZ_OK)
			break;
		memcpy(r.tokens[i - 1].session, id, ALZ_SESSION_ID_LEN + 1);
		rc = alz_cache_store(c, user, &r);
		break;
	}
	if (rc != ALZ_OK)
		id[0] = '\0';
	alz_record_free(&r);
out_unlock:
	alz_cache_unlock(lock);
	return rc;
}

enum alz_rc
alz_session_release(const struct alz_cache *c, const char *user, const char *id, char **token)
{
	struct alz_record r;
	enum alz_rc rc;
	size_t i;
	int lock = -1;

	*token = NULL;
	if (id == NULL || strlen(id) != ALZ_SESSION_ID_LEN)
		return ALZ_ERR_NO_USER;
	rc = alz_cache_lock(c, user, &lock);
	if (rc != ALZ_OK)
		return rc;
	rc = alz_cache_load(c, user, &r);
	if (rc != ALZ_OK)
		goto out_unlock;
	rc = ALZ_ERR_NO_USER;
	for (i = 0; i < r.ntokens; i++) {
		if (strcmp(r.tokens[i].session, id) != 0)
			continue;
		*token = r.tokens[i].token;
		r.tokens[i].token = NULL;	/* transferred */
		memmove(&r.tokens[i], &r.tokens[i + 1], (r.ntokens - i - 1) * sizeof(r.tokens[0]));
		r.ntokens--;
		memset(&r.tokens[r.ntokens], 0, sizeof(r.tokens[0]));
		/* dropped from the record whether or not the logout then succeeds */
		rc = alz_cache_store(c, user, &r);
		break;
	}
	alz_record_free(&r);
out_unlock:
	alz_cache_unlock(lock);
	return rc;
}
