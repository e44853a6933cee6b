/* fuzz_record.c - libFuzzer target: the input as a cache record through alz_record_from_json. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alz_record.h"
#include "alz_secret.h"
#include "fuzz.h"

static void
check_record(const struct alz_record *r)
{
	size_t i, bytes = 0;

	FUZZ_CHECK(r->local_user != NULL && r->api_user != NULL);
	FUZZ_CHECK(fuzz_no_control(r->local_user) && fuzz_no_control(r->api_user));
	/* no type, or one of the rule: never "UNKNOWN" (older records' word for none) */
	FUZZ_CHECK(r->user_type[0] == '\0' || alz_user_type_ok(r->user_type));
	FUZZ_CHECK(strcmp(r->user_type, "UNKNOWN") != 0);
	FUZZ_CHECK(r->ntokens <= ALZ_MAX_TOKENS);
	for (i = 0; i < r->ntokens; i++) {
		FUZZ_CHECK(r->tokens[i].token != NULL && r->tokens[i].token[0] != '\0');
		FUZZ_CHECK(strlen(r->tokens[i].token) <= ALZ_MAX_TOKEN);
		FUZZ_CHECK(memchr(r->tokens[i].session, '\0', sizeof(r->tokens[i].session)) != NULL);
		FUZZ_CHECK(r->tokens[i].expires_at >= 0);
		/* a refresh token is what the API could have given, and its login's time is known */
		FUZZ_CHECK(r->tokens[i].refresh == NULL ||
			   (r->tokens[i].refresh[0] != '\0' && strlen(r->tokens[i].refresh) <= ALZ_MAX_TOKEN &&
			    fuzz_no_control(r->tokens[i].refresh) && r->tokens[i].issued_at > 0));
		bytes += strlen(r->tokens[i].token) +
			 (r->tokens[i].refresh != NULL ? strlen(r->tokens[i].refresh) : 0);
	}
	FUZZ_CHECK(bytes <= ALZ_MAX_TOKEN_BYTES);
	for (; i < ALZ_MAX_TOKENS; i++)
		FUZZ_CHECK(r->tokens[i].token == NULL && r->tokens[i].refresh == NULL);
	FUZZ_CHECK(r->nfail <= ALZ_MAX_FAIL_TIMES);
	FUZZ_CHECK(r->online_at >= 0 && r->auth_at >= 0 && r->offline_fail_at >= 0);
	FUZZ_CHECK(r->offline_failures >= 0);
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* What the module writes it must read back unchanged. */
static void
check_round_trip(const struct alz_record *r)
{
	struct alz_record back;
	char *json = NULL;
	size_t i;

	if (alz_record_to_json(r, &json) != ALZ_OK)
		return;	/* out of memory only */
	FUZZ_CHECK(alz_record_from_json(json, strlen(json), &back) == ALZ_OK);
	FUZZ_CHECK(same(r->local_user, back.local_user) && same(r->api_user, back.api_user));
	FUZZ_CHECK(same(r->user_id, back.user_id) && same(r->partition_id, back.partition_id));
	FUZZ_CHECK(same(r->partition_name, back.partition_name) && same(r->verifier, back.verifier));
	FUZZ_CHECK(strcmp(r->user_type, back.user_type) == 0 && r->api_2fa == back.api_2fa);
	FUZZ_CHECK(r->online_at == back.online_at && r->auth_at == back.auth_at);
	FUZZ_CHECK(r->offline_failures == back.offline_failures);
	FUZZ_CHECK(r->offline_fail_at == back.offline_fail_at);
	FUZZ_CHECK(r->ntokens == back.ntokens && r->nfail == back.nfail);
	for (i = 0; i < r->ntokens; i++) {
		FUZZ_CHECK(strcmp(r->tokens[i].token, back.tokens[i].token) == 0);
		FUZZ_CHECK(strcmp(r->tokens[i].session, back.tokens[i].session) == 0);
		FUZZ_CHECK(r->tokens[i].expires_at == back.tokens[i].expires_at);
		FUZZ_CHECK(same(r->tokens[i].refresh, back.tokens[i].refresh));
		FUZZ_CHECK(r->tokens[i].issued_at == back.tokens[i].issued_at);
	}
	for (i = 0; i < r->nfail; i++)
		FUZZ_CHECK(r->fail_times[i] == back.fail_times[i]);
	alz_record_free(&back);
	alz_secret_free(json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alz_record r;
	enum alz_rc rc;
	char *json = fuzz_copy(data, size);

	rc = alz_record_from_json(json, size, &r);
	FUZZ_CHECK(rc == ALZ_OK || rc == ALZ_ERR_BAD_REPLY || rc == ALZ_ERR_NOMEM);
	if (rc == ALZ_OK) {
		check_record(&r);
		check_round_trip(&r);
	} else {
		/* a refused record leaves nothing behind */
		FUZZ_CHECK(r.local_user == NULL && r.api_user == NULL && r.verifier == NULL);
		FUZZ_CHECK(r.ntokens == 0 && r.tokens[0].token == NULL && r.tokens[0].refresh == NULL);
	}
	alz_record_free(&r);
	free(json);
	return 0;
}
