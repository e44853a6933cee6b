/* test_sso.c - unit tests of single sign-on: the SSO configuration, the URL, the pasted answer, the exchange query. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alz_config.h"
#include "alz_sso.h"
#include "tap.h"

#define SSO_OK(extra) \
	"{\"enabled\":true,\"authorizationEndpoint\":\"https://idp.example.com/oauth2/authorize\"," \
	"\"clientId\":\"alianza-portal\",\"redirectUri\":\"https://portal.alianza.com/sso/callback\"," \
	"\"scope\":\"openid profile email\"" extra "}"

static struct alz_config cfg;

static enum alz_rc
conf_reply(long status, const char *body, struct alz_sso_config *sc)
{
	return alz_sso_config_reply(&cfg, status, body, strlen(body), sc);
}

static void
test_config_reply(void)
{
	static const struct { const char *name, *body; long status; enum alz_rc want; } rows[] = {
		{ "enabled false", "{\"enabled\":false}", 200, ALZ_ERR_SSO_DISABLED },
		{ "a 404", "{\"errorCode\":\"NOT_FOUND\"}", 404, ALZ_ERR_SSO_DISABLED },
		{ "a 503", "", 503, ALZ_ERR_SERVER },
		{ "a 401 (says nothing about a user)", "{\"errorCode\":\"UNAUTHORIZED\"}", 401, ALZ_ERR_BAD_REPLY },
		{ "a 403 (says nothing about a user)", "{\"errorCode\":\"ACCOUNT_LOCKED\"}", 403, ALZ_ERR_BAD_REPLY },
		{ "endpoint with a backslash in the host", "{\"enabled\":true,\"authorizationEndpoint\":"
		  "\"https://evil.example\\\\.idp.corp/a\",\"clientId\":\"c\",\"redirectUri\":\"https://p/c\","
		  "\"pkce\":true}", 200, ALZ_ERR_BAD_REPLY },
		{ "a 302", "", 302, ALZ_ERR_BAD_REPLY },
		{ "enabled as a string", SSO_OK(",\"enabled\":\"true\"") "", 200, ALZ_ERR_BAD_REPLY },
		{ "enabled missing", "{\"authorizationEndpoint\":\"https://i/a\",\"clientId\":\"c\","
		  "\"redirectUri\":\"https://p/c\"}", 200, ALZ_ERR_BAD_REPLY },
		{ "endpoint http://", "{\"enabled\":true,\"authorizationEndpoint\":\"http://idp/a\","
		  "\"clientId\":\"c\",\"redirectUri\":\"https://p/c\"}", 200, ALZ_ERR_BAD_REPLY },
		{ "endpoint with CR LF", "{\"enabled\":true,\"authorizationEndpoint\":\"https://idp/a\\r\\nX: 1\","
		  "\"clientId\":\"c\",\"redirectUri\":\"https://p/c\"}", 200, ALZ_ERR_BAD_REPLY },
		{ "endpoint with a user part", "{\"enabled\":true,\"authorizationEndpoint\":\"https://u@idp/a\","
		  "\"clientId\":\"c\",\"redirectUri\":\"https://p/c\"}", 200, ALZ_ERR_BAD_REPLY },
		{ "endpoint with a fragment", "{\"enabled\":true,\"authorizationEndpoint\":\"https://idp/a#x\","
		  "\"clientId\":\"c\",\"redirectUri\":\"https://p/c\"}", 200, ALZ_ERR_BAD_REPLY },
		{ "endpoint missing", "{\"enabled\":true,\"clientId\":\"c\",\"redirectUri\":\"https://p/c\"}",
		  200, ALZ_ERR_BAD_REPLY },
		{ "clientId missing", "{\"enabled\":true,\"authorizationEndpoint\":\"https://idp/a\","
		  "\"redirectUri\":\"https://p/c\"}", 200, ALZ_ERR_BAD_REPLY },
		{ "clientId a number", "{\"enabled\":true,\"authorizationEndpoint\":\"https://idp/a\","
		  "\"clientId\":7,\"redirectUri\":\"https://p/c\"}", 200, ALZ_ERR_BAD_REPLY },
		{ "redirectUri missing", "{\"enabled\":true,\"authorizationEndpoint\":\"https://idp/a\","
		  "\"clientId\":\"c\"}", 200, ALZ_ERR_BAD_REPLY },
		{ "redirectUri not https", "{\"enabled\":true,\"authorizationEndpoint\":\"https://idp/a\","
		  "\"clientId\":\"c\",\"redirectUri\":\"http://p/c\"}", 200, ALZ_ERR_BAD_REPLY },
		{ "pkce as a string", SSO_OK(",\"pkce\":\"yes\""), 200, ALZ_ERR_BAD_REPLY },
		{ "two endpoints", SSO_OK(",\"authorizationEndpoint\":\"https://evil/a\""), 200, ALZ_ERR_BAD_REPLY },
		{ "not an object", "[1]", 200, ALZ_ERR_BAD_REPLY },
	};
	struct alz_sso_config sc;
	char big[12000];
	size_t i;

	if (ok_rc(conf_reply(200, SSO_OK(",\"pkce\":true"), &sc), ALZ_OK, "an SSO configuration is read")) {
		ok_str(sc.endpoint, "https://idp.example.com/oauth2/authorize", "authorizationEndpoint");
		ok_str(sc.client_id, "alianza-portal", "clientId");
		ok_str(sc.redirect_uri, "https://portal.alianza.com/sso/callback", "redirectUri");
		ok_str(sc.scope, "openid profile email", "scope");
		tap_ok(sc.pkce, "pkce true");
	}
	alz_sso_config_free(&sc);
	ok_rc(conf_reply(200, SSO_OK(""), &sc), ALZ_ERR_BAD_REPLY,
	      "pkce absent: refused (sso_require_pkce = yes, the default)");
	alz_sso_config_free(&sc);
	ok_rc(conf_reply(200, SSO_OK(",\"pkce\":false"), &sc), ALZ_ERR_BAD_REPLY,
	      "pkce false: refused (sso_require_pkce = yes)");
	alz_sso_config_free(&sc);
	cfg.sso_require_pkce = false;
	if (ok_rc(conf_reply(200, SSO_OK(""), &sc), ALZ_OK, "pkce absent, sso_require_pkce = no"))
		tap_ok(!sc.pkce, "pkce absent is off");
	alz_sso_config_free(&sc);
	cfg.sso_require_pkce = true;
	/* the rows test their own rule, not the PKCE one (most give no pkce) */
	cfg.sso_require_pkce = false;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ok_rc(conf_reply(rows[i].status, rows[i].body, &sc), rows[i].want, "SSO configuration: %s",
		      rows[i].name);
		ok_str(sc.endpoint, NULL, "SSO configuration: %s: nothing kept", rows[i].name);
		alz_sso_config_free(&sc);
	}
	cfg.sso_require_pkce = true;
	/* an endpoint of 10 KB */
	snprintf(big, sizeof(big), "{\"enabled\":true,\"authorizationEndpoint\":\"https://idp/%0*d\","
		 "\"clientId\":\"c\",\"redirectUri\":\"https://p/c\"}", 10240, 0);
	ok_rc(conf_reply(200, big, &sc), ALZ_ERR_BAD_REPLY, "SSO configuration: a 10 KB endpoint");
	alz_sso_config_free(&sc);
}

static void
mk(struct alz_sso_config *sc, const char *endpoint, const char *client, const char *redirect,
   const char *scope, bool pkce)
{
	alz_sso_config_free(sc);
	sc->endpoint = strdup(endpoint);
	sc->client_id = strdup(client);
	sc->redirect_uri = strdup(redirect);
	sc->scope = scope != NULL ? strdup(scope) : NULL;
	sc->pkce = pkce;
}

static bool
url_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return false;
	return true;
}

static void
test_begin(void)
{
	struct alz_sso_config sc;
	struct alz_sso_challenge a, b;
	char want[256];

	memset(&sc, 0, sizeof(sc));
	mk(&sc, "https://idp.example.com/authorize", "client a&b", "https://portal.example.com/cb?x=1",
	   "openid email", true);
	if (!ok_rc(alz_sso_begin(&sc, &a), ALZ_OK, "begin (pkce)")) {
		alz_sso_config_free(&sc);
		return;
	}
	ok_int(strlen(a.state), ALZ_SSO_STATE_LEN, "state: 43 characters");
	tap_ok(url_safe(a.state), "state: base64url");
	ok_int(strlen(a.verifier), ALZ_SSO_VERIFIER_LEN, "verifier: 43 characters (RFC 7636: 43-128)");
	tap_ok(url_safe(a.verifier), "verifier: base64url");
	ok_has(a.url, "https://idp.example.com/authorize?response_type=code&", "URL: endpoint, then the query");
	ok_has(a.url, "&client_id=client%20a%26b&", "URL: client_id percent-encoded");
	ok_has(a.url, "&redirect_uri=https%3A%2F%2Fportal.example.com%2Fcb%3Fx%3D1&",
	       "URL: redirect_uri percent-encoded");
	ok_has(a.url, "&scope=openid%20email&", "URL: scope");
	snprintf(want, sizeof(want), "&state=%s&", a.state);
	ok_has(a.url, want, "URL: our state");
	ok_has(a.url, "&code_challenge_method=S256", "URL: S256");
	ok_has(a.url, "&code_challenge=", "URL: a challenge");
	tap_ok(strstr(a.url, a.verifier) == NULL, "URL: the verifier never leaves in it");
	if (ok_rc(alz_sso_begin(&sc, &b), ALZ_OK, "begin again")) {
		tap_ok(strcmp(a.state, b.state) != 0, "a fresh state each time");
		tap_ok(strcmp(a.verifier, b.verifier) != 0, "a fresh verifier each time");
	}
	alz_sso_challenge_free(&a);
	alz_sso_challenge_free(&b);

	mk(&sc, "https://idp.example.com/authorize?tenant=t1", "client a&b",
	   "https://portal.example.com/cb?x=1", NULL, false);
	if (ok_rc(alz_sso_begin(&sc, &a), ALZ_OK, "begin (no pkce, endpoint with a query)")) {
		ok_has(a.url, "https://idp.example.com/authorize?tenant=t1&response_type=code&",
		       "URL: ours after the endpoint's own query");
		tap_ok(strstr(a.url, "code_challenge") == NULL, "no pkce: no challenge");
		tap_ok(strstr(a.url, "scope=") == NULL, "no scope given: none sent");
		ok_str(a.verifier, "", "no pkce: no verifier");
	}
	alz_sso_challenge_free(&a);
	alz_sso_config_free(&sc);
}

static void
test_answer(void)
{
	struct alz_sso_config sc;
	struct alz_sso_challenge ch;
	char addr[600], *code = NULL, *q = NULL, big[600];

	memset(&sc, 0, sizeof(sc));
	mk(&sc, "https://idp/a", "c", "https://portal/cb", NULL, true);
	if (!ok_rc(alz_sso_begin(&sc, &ch), ALZ_OK, "begin")) {
		alz_sso_config_free(&sc);
		return;
	}
	if (ok_rc(alz_sso_read_answer(&ch, "Abc-123_x.y~z", &code), ALZ_OK, "a bare code"))
		ok_str(code, "Abc-123_x.y~z", "the bare code as pasted");
	free(code);
	snprintf(addr, sizeof(addr), "https://portal/cb?code=c%%2Fd%%3D&state=%s", ch.state);
	if (ok_rc(alz_sso_read_answer(&ch, addr, &code), ALZ_OK, "the whole address"))
		ok_str(code, "c/d=", "its code, percent-decoded");
	free(code);
	snprintf(addr, sizeof(addr), "https://portal/cb?state=%s&session_state=x&code=k1", ch.state);
	if (ok_rc(alz_sso_read_answer(&ch, addr, &code), ALZ_OK, "the address, code last, other parameters"))
		ok_str(code, "k1", "the code among others");
	free(code);
	ok_rc(alz_sso_read_answer(&ch, "https://portal/cb?code=k1&state=not-ours", &code), ALZ_ERR_SSO_STATE,
	      "another sign-in's state is refused");
	ok_str(code, NULL, "no code from another state");
	ok_rc(alz_sso_read_answer(&ch, "https://portal/cb?code=k1", &code), ALZ_ERR_INPUT,
	      "an address without a state");
	ok_rc(alz_sso_read_answer(&ch, "https://portal/cb?state=&code=abc", &code), ALZ_ERR_SSO_STATE,
	      "an empty state is not ours (nor the rest of the query)");
	snprintf(addr, sizeof(addr), "https://portal/cb?code=&state=%s", ch.state);
	ok_rc(alz_sso_read_answer(&ch, addr, &code), ALZ_ERR_INPUT, "an empty code");
	snprintf(addr, sizeof(addr), "https://portal/cb?code=k1&code=k2&state=%s", ch.state);
	ok_rc(alz_sso_read_answer(&ch, addr, &code), ALZ_ERR_INPUT, "two codes");
	snprintf(addr, sizeof(addr), "https://portal/cb?code=k1&state=%s&state=%s", ch.state, ch.state);
	ok_rc(alz_sso_read_answer(&ch, addr, &code), ALZ_ERR_INPUT, "two states");
	snprintf(addr, sizeof(addr), "https://portal/cb?code=k%%001&state=%s", ch.state);
	ok_rc(alz_sso_read_answer(&ch, addr, &code), ALZ_ERR_INPUT, "a code with an encoded NUL");
	snprintf(addr, sizeof(addr), "https://portal/cb?code=k%%0D%%0A1&state=%s", ch.state);
	ok_rc(alz_sso_read_answer(&ch, addr, &code), ALZ_ERR_INPUT, "a code with an encoded CR LF");
	ok_rc(alz_sso_read_answer(&ch, "two words", &code), ALZ_ERR_INPUT, "a code with a space");
	ok_rc(alz_sso_read_answer(&ch, "k\t1", &code), ALZ_ERR_INPUT, "a code with a tab");
	ok_rc(alz_sso_read_answer(&ch, "", &code), ALZ_ERR_INPUT, "an empty answer");
	ok_rc(alz_sso_read_answer(&ch, "k&state=x", &code), ALZ_ERR_INPUT, "a bare code with '&'");
	memset(big, 'a', 513);
	big[513] = '\0';
	ok_rc(alz_sso_read_answer(&ch, big, &code), ALZ_ERR_INPUT, "a code of 513 bytes");
	big[512] = '\0';
	if (ok_rc(alz_sso_read_answer(&ch, big, &code), ALZ_OK, "a code of 512 bytes"))
		free(code);
	code = NULL;

	if (ok_rc(alz_sso_exchange_query(&cfg, &sc, &ch, "c/d=", &q), ALZ_OK, "exchange query (pkce)")) {
		snprintf(addr, sizeof(addr), "code=c%%2Fd%%3D&redirect_uri=https%%3A%%2F%%2Fportal%%2Fcb"
			 "&code_verifier=%s", ch.verifier);
		ok_str(q, addr, "exchange query: code, redirect_uri, code_verifier, percent-encoded");
	}
	free(q);
	sc.pkce = false;
	if (ok_rc(alz_sso_exchange_query(&cfg, &sc, &ch, "k1", &q), ALZ_OK, "exchange query (no pkce)"))
		ok_str(q, "code=k1&redirect_uri=https%3A%2F%2Fportal%2Fcb", "exchange query without a verifier");
	free(q);
	alz_sso_challenge_free(&ch);
	alz_sso_config_free(&sc);
}

static void
test_config_keys(void)
{
	struct alz_config c;

	alz_config_init(&c);
	alz_config_set(&c, "base_url", "https://h", "test", 0, NULL);
	alz_config_set(&c, "api_dialect", "foodxchange", "test", 0, NULL);
	ok_rc(alz_config_set(&c, "login_method", "sso", "test", 0, NULL), ALZ_OK, "login_method sso");
	ok_rc(alz_config_finish(&c, "test", NULL), ALZ_ERR_CONFIG,
	      "login_method sso in a dialect without SSO is refused");
	alz_config_free(&c);
	alz_config_init(&c);
	ok_rc(alz_config_set(&c, "login_method", "SSO", "test", 0, NULL), ALZ_ERR_CONFIG,
	      "login_method: only its words");
	ok_rc(alz_config_set(&c, "login_method", "both", "test", 0, NULL), ALZ_OK, "login_method both");
	ok_int(c.login_method, ALZ_LOGIN_BOTH, "both read");
	ok_str(c.paths[ALZ_P_SSO], "/v2/authorize/sso", "path_sso default");
	ok_str(c.methods[ALZ_P_SSO_EXCHANGE], "POST", "method_sso_exchange default");
	alz_config_free(&c);
}

int
main(void)
{
	alz_config_init(&cfg);
	test_config_reply();
	test_begin();
	test_answer();
	test_config_keys();
	alz_config_free(&cfg);
	return tap_done();
}
