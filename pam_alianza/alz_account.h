/* alz_account.h - the account phase's online check: who the API says a user is now. */
#ifndef ALZ_ACCOUNT_H
#define ALZ_ACCOUNT_H

#include <stdbool.h>

#include "alz_api.h"
#include "alz_cache.h"

/* What the check found, for the account phase to act on. */
enum alz_account_verdict {
	ALZ_ACCOUNT_VOUCHED,	/* a 200: the reply's facts are the API's word now, and the record's */
	ALZ_ACCOUNT_REFUSED,	/* a 401 or 403 (denied, forbidden, locked): deny; the record keeps it */
	ALZ_ACCOUNT_FALLBACK,	/* the API could not be asked, or said nothing of the user */
	ALZ_ACCOUNT_FAILED,	/* an odd reply, or a failure of ours: deny */
};

struct alz_account_check {
	enum alz_account_verdict verdict;
	/*
	 * Why: the call's outcome (o.rc), or what kept it from being made
	 * (ALZ_ERR_NO_TOKEN, the record's load error); for FAILED after a 200,
	 * the record's write error.
	 */
	enum alz_rc why;
	struct alz_outcome o;	/* the who-am-I: status, facts on a 200 (o.login), a refusal's words */
	char was_type[ALZ_MAX_TYPE + 1];	/* the record's, before the check ("" unknown) */
	char was_partition[ALZ_MAX_FACT + 1];
	bool changed;		/* the API's type or partition differ from the record's */
};

/*
 * Ask the API (path_userinfo) who LOCAL_USER is, with the newest token of
 * their record in CACHE that has a minute left, and keep the answer: a
 * 200's facts go into the record (checked_at: setcred and session go by
 * them), a 401/403 is kept as a refusal (refused_at, as a log-in's 403 is;
 * a 401's token is dropped).
 * The one home of the decision "what does this answer mean for a login
 * another module authenticated": OUT's verdict. Free OUT with
 * alz_account_check_free().
 */
void alz_account_check(const struct alz_cache *cache, const char *local_user,
		       struct alz_account_check *out);

void alz_account_check_free(struct alz_account_check *out);

#endif
