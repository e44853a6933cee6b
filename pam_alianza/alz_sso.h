/* alz_sso.h - single sign-on (docs/API.md 7): the configuration, the challenge, the pasted answer. */
#ifndef ALZ_SSO_H
#define ALZ_SSO_H

#include <stdbool.h>
#include <stddef.h>

#include "alz_config.h"
#include "alz_error.h"

#define ALZ_SSO_MAX_URL 2048	/* bytes of an endpoint or redirect URI the API may name */
#define ALZ_SSO_MAX_FIELD 256	/* bytes of a client id or scope */
#define ALZ_SSO_MAX_CODE 512	/* bytes of a pasted code */
#define ALZ_SSO_MAX_ANSWER 4096	/* bytes of a pasted address */
#define ALZ_SSO_STATE_LEN 43	/* base64url of 32 random bytes */
#define ALZ_SSO_VERIFIER_LEN 43	/* RFC 7636: 43..128 characters; 32 random bytes */

/* What GET path_sso said, each value checked (https, lengths, no control characters). */
struct alz_sso_config {
	char *endpoint;		/* authorizationEndpoint: https://... */
	char *client_id;
	char *redirect_uri;
	char *scope;		/* NULL: none given */
	bool pkce;
};

/* One SSO attempt: what the user is sent to, and what must come back. */
struct alz_sso_challenge {
	char state[ALZ_SSO_STATE_LEN + 1];		/* not a secret, but never reused */
	char verifier[ALZ_SSO_VERIFIER_LEN + 1];	/* secret: leaves only in the exchange */
	char *url;		/* the authorization URL shown to the user */
};

/*
 * Judge the SSO configuration reply. ALZ_OK fills SC; ALZ_ERR_SSO_DISABLED
 * for "enabled": false or a 404; a value outside its rule (an endpoint that
 * is not https, too long, with a control character; a missing field) is
 * ALZ_ERR_BAD_REPLY.
 */
enum alz_rc alz_sso_config_reply(const struct alz_config *cfg, long status, const char *body,
				 size_t len, struct alz_sso_config *sc);
void alz_sso_config_free(struct alz_sso_config *sc);

/* A fresh state and (with pkce) verifier, and the URL of SC's endpoint with the standard query. */
enum alz_rc alz_sso_begin(const struct alz_sso_config *sc, struct alz_sso_challenge *ch);
void alz_sso_challenge_free(struct alz_sso_challenge *ch);

/*
 * What the user pasted: the bare code, or the whole address the browser
 * ended on (then its code and state are taken, and a state not CH's is
 * ALZ_ERR_SSO_STATE). *CODE is a secret. ALZ_ERR_INPUT: neither shape.
 */
enum alz_rc alz_sso_read_answer(const struct alz_sso_challenge *ch, const char *answer,
				char **code);

/* The exchange's query: code, redirect_uri and (pkce) code_verifier, percent-encoded; a secret. */
enum alz_rc alz_sso_exchange_query(const struct alz_config *cfg, const struct alz_sso_config *sc,
				   const struct alz_sso_challenge *ch, const char *code,
				   char **query);

#endif
