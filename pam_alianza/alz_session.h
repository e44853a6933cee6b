/* alz_session.h - which login's token a PAM session owns, from open to close. */
#ifndef ALZ_SESSION_H
#define ALZ_SESSION_H

#include "alz_cache.h"

/*
 * At session open: mark the newest unclaimed live token of USER's record
 * as this session's, under a fresh random id written to ID ("" when there
 * was none to claim). Only the id (not a secret) stays in the session
 * process; the token stays in the root-only record. FACTS receives the
 * record (one read serves the claim and the session's environment; the
 * caller frees it). ALZ_ERR_NO_USER: no record.
 */
enum alz_rc alz_session_claim(const struct alz_cache *c, const char *user,
			      char id[ALZ_SESSION_ID_LEN + 1], struct alz_record *facts);

/*
 * At session close: take the entry claimed under ID out of USER's record:
 * TOKEN gets its access token, refresh token (secrets) and times, for the
 * caller to end (alz_api_end_token) and clear (alz_token_clear).
 * ALZ_ERR_NOT_FOUND: nothing claimed under ID (already pruned or purged).
 */
enum alz_rc alz_session_release(const struct alz_cache *c, const char *user, const char *id,
				struct alz_token *token);

/*
 * After a failed end at the API (alz_end_may_live): put T back into USER's
 * record, unclaimed (alz_record_keep), so that no refresh token the API may
 * still honour is forgotten. A record that is gone (purged) is not made
 * again. ALZ_OK: kept, T zeroed; otherwise T is the caller's to clear.
 */
enum alz_rc alz_session_keep(const struct alz_cache *c, const char *user, struct alz_token *t);

#endif
