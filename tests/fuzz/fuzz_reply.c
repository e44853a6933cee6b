/* fuzz_reply.c - libFuzzer target: an HTTP status and a body into every reply judge, in both dialects. */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alz_config.h"
#include "alz_reply.h"
#include "fuzz.h"

/*
 * Input: 2 bytes of status selector, then the body.
 *   byte 0 bit 7 clear: status = statuses[byte 1 % N] (index 0 is 200);
 *   byte 0 bit 7 set:   status = ((byte 0 & 0x3f) << 8 | byte 1) - 1000, a raw value;
 *   byte 0 bit 6 set:   no expected user name (expect_user NULL), else "alice";
 *   byte 0 bit 5 set:   the foodxchange dialect (api_dialect), else alianza.
 */
static const long statuses[] = {
	200, 201, 204, 301, 302, 400, 401, 403, 404, 429, 500, 503,
	0, -1, 100, 199, 202, 299, 304, 307, 402, 405, 418, 499, 502, 599, 600, 999,
	LONG_MIN, LONG_MAX,
};
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))
#define EXPECT_USER "alice"

static struct alz_config cfgs[2];	/* api_dialect alianza, foodxchange: every other key's default */

static void
check_api_error(const struct alz_api_error *err)
{
	/* sanitised for display: NUL-terminated inside the array, printable ASCII */
	FUZZ_CHECK(memchr(err->code, '\0', sizeof(err->code)) != NULL);
	FUZZ_CHECK(memchr(err->message, '\0', sizeof(err->message)) != NULL);
	FUZZ_CHECK(fuzz_no_control(err->code));
	FUZZ_CHECK(fuzz_no_control(err->message));
	for (const char *p = err->message; *p != '\0'; p++)
		FUZZ_CHECK((unsigned char)*p < 0x7f);
	for (const char *p = err->code; *p != '\0'; p++)
		FUZZ_CHECK((unsigned char)*p < 0x7f);
	if (err->session_id != NULL) {
		FUZZ_CHECK(err->session_id[0] != '\0');
		FUZZ_CHECK(strlen(err->session_id) <= ALZ_MAX_SESSION_ID);
		FUZZ_CHECK(fuzz_no_control(err->session_id));
	}
}

static void
check_fact(const char *s)
{
	if (s == NULL)
		return;
	FUZZ_CHECK(strlen(s) <= ALZ_MAX_FACT);
	FUZZ_CHECK(fuzz_no_control(s));
}

static void
check_login(long status, const char *expect_user, enum alz_rc rc,
	    const struct alz_login *login, const struct alz_api_error *err)
{
	FUZZ_CHECK((unsigned)rc < ALZ_RC_COUNT);
	check_api_error(err);
	if (rc != ALZ_OK) {
		/* a failure carries no login at all, above all no token */
		FUZZ_CHECK(login->token == NULL);
		FUZZ_CHECK(login->user_name == NULL && login->user_id == NULL &&
			   login->partition_id == NULL && login->partition_name == NULL);
		/* only the statuses of API.md's table turn into their meanings */
		FUZZ_CHECK(rc != ALZ_ERR_2FA_REQUIRED || (status == 401 && err->session_id != NULL));
		FUZZ_CHECK(rc != ALZ_ERR_2FA_INVALID || status == 401);
		FUZZ_CHECK(rc != ALZ_ERR_2FA_EXPIRED || status == 401);
		FUZZ_CHECK(rc != ALZ_ERR_LOCKED || status == 403);
		FUZZ_CHECK(rc != ALZ_ERR_RATE_LIMITED || status == 429);
		FUZZ_CHECK(rc != ALZ_ERR_POLICY || status == 400);
		FUZZ_CHECK(rc != ALZ_ERR_SERVER || (status >= 500 && status <= 599));
		FUZZ_CHECK(!(status >= 500 && status <= 599) || rc == ALZ_ERR_SERVER);
		FUZZ_CHECK(status != 200 || rc == ALZ_ERR_BAD_REPLY || rc == ALZ_ERR_NOMEM);
		/* a log-in carries no token that could have expired */
		FUZZ_CHECK(rc != ALZ_ERR_TOKEN_EXPIRED);
		FUZZ_CHECK(login->refresh_token == NULL);
		return;
	}
	/* a success only from a 200 with a token fit for a header */
	FUZZ_CHECK(status == 200);
	FUZZ_CHECK(login->token != NULL && login->token[0] != '\0');
	FUZZ_CHECK(strlen(login->token) <= ALZ_MAX_TOKEN);
	FUZZ_CHECK(fuzz_visible(login->token));
	if (login->refresh_token != NULL)
		FUZZ_CHECK(login->refresh_token[0] != '\0' && fuzz_visible(login->refresh_token) &&
			   strlen(login->refresh_token) <= ALZ_MAX_TOKEN);
	/* the API's own word, of the one rule: a list item, a log word, an environment value */
	FUZZ_CHECK(alz_user_type_ok(login->user_type));
	FUZZ_CHECK(strlen(login->user_type) <= ALZ_MAX_TYPE && strpbrk(login->user_type, " ,=\"") == NULL);
	FUZZ_CHECK(login->expires_in >= 1 && login->expires_in <= ALZ_MAX_EXPIRES_IN);
	/* a success for somebody else is no success */
	if (expect_user != NULL)
		FUZZ_CHECK(login->user_name != NULL && strcmp(login->user_name, expect_user) == 0);
	FUZZ_CHECK(login->name_from_reply || expect_user != NULL || login->user_name == NULL);
	check_fact(login->user_name);
	check_fact(login->user_id);
	check_fact(login->partition_id);
	check_fact(login->partition_name);
	FUZZ_CHECK(err->session_id == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct alz_login login, info;
	struct alz_api_error err, serr, ierr, rerr;
	const struct alz_config *cfg;
	const char *expect_user = EXPECT_USER;
	enum alz_rc rc, src, irc, rrc;
	char *body, *tok = NULL;
	long status, exp = 0;
	size_t len;

	if (!ready) {
		for (int i = 0; i < 2; i++)
			if (alz_config_init(&cfgs[i]) != ALZ_OK ||
			    alz_config_set(&cfgs[i], "base_url", "https://h", "fuzz", 0, NULL) != ALZ_OK ||
			    alz_config_set(&cfgs[i], "api_dialect", i ? "foodxchange" : "alianza", "fuzz", 0,
					   NULL) != ALZ_OK ||
			    alz_config_finish(&cfgs[i], "fuzz", NULL) != ALZ_OK)
				abort();
		ready = true;
	}
	if (size < 2)
		return -1;	/* not a status: not worth keeping in the corpus */
	if (data[0] & 0x80)
		status = (long)(((data[0] & 0x3f) << 8) | data[1]) - 1000;
	else
		status = statuses[data[1] % NSTATUSES];
	if (data[0] & 0x40)
		expect_user = NULL;
	cfg = &cfgs[(data[0] & 0x20) != 0];
	len = size - 2;
	body = fuzz_copy(data + 2, len);

	rc = alz_reply_login(cfg, status, body, len, expect_user, &login, &err);
	check_login(status, expect_user, rc, &login, &err);
	/* FoodXchange: a success names its user, whatever was expected */
	FUZZ_CHECK(rc != ALZ_OK || cfg->dialect == ALZ_DIALECT_ALIANZA || login.name_from_reply);

	src = alz_reply_status(cfg, status, body, len, &serr);
	FUZZ_CHECK((unsigned)src < ALZ_RC_COUNT);
	check_api_error(&serr);
	/* success means 200 or 204 (with "success": true where the dialect has it); never a 2FA state */
	FUZZ_CHECK(src != ALZ_OK || status == 200 || status == 204);
	/* Alianza: a 200 or 204 fails only on a success flag that is there and not true */
	FUZZ_CHECK(cfg->dialect != ALZ_DIALECT_ALIANZA || !(status == 200 || status == 204) ||
		   src == ALZ_OK || memmem(body, len, "success", 7) != NULL || memchr(body, '\\', len) != NULL);
	FUZZ_CHECK(src != ALZ_ERR_2FA_REQUIRED && src != ALZ_ERR_2FA_INVALID &&
		   src != ALZ_ERR_2FA_EXPIRED);

	irc = alz_reply_userinfo(cfg, status, body, len, expect_user, &info, &ierr);
	FUZZ_CHECK((unsigned)irc < ALZ_RC_COUNT);
	check_api_error(&ierr);
	FUZZ_CHECK(irc != ALZ_OK || status == 200);
	FUZZ_CHECK(info.token == NULL && info.refresh_token == NULL);
	FUZZ_CHECK(irc == ALZ_OK || (info.user_name == NULL && info.partition_id == NULL));

	rrc = alz_reply_refresh(cfg, status, body, len, &tok, &exp, &rerr);
	FUZZ_CHECK((unsigned)rrc < ALZ_RC_COUNT);
	check_api_error(&rerr);
	FUZZ_CHECK((rrc == ALZ_OK) == (tok != NULL));
	FUZZ_CHECK(rrc != ALZ_OK || (status == 200 && tok[0] != '\0' && fuzz_visible(tok) &&
				     exp >= 1 && exp <= ALZ_MAX_EXPIRES_IN));

	alz_login_free(&login);
	alz_login_free(&info);
	alz_api_error_free(&err);
	alz_api_error_free(&serr);
	alz_api_error_free(&ierr);
	alz_api_error_free(&rerr);
	free(tok);
	free(body);
	return 0;
}
