/* sso.c - single sign-on (docs/API.md 7): the challenge (state, PKCE), the URL, the pasted answer. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "alz_curl.h"
#include "alz_http.h"
#include "alz_secret.h"
#include "alz_sso.h"
#include "alz_text.h"

/* N bytes from the kernel's CSPRNG; no fallback: without it there is no login. */
static enum alz_rc
random_bytes(unsigned char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = getrandom(buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return ALZ_ERR_SYSTEM;
		got += (size_t)r;
	}
	return ALZ_OK;
}

/*
 * RFC 4648 section 5 of N = 32 bytes, without padding: 43 characters in OUT
 * (48 bytes). libcrypto's EVP_EncodeBlock, looked up like its SHA-256.
 */
static enum alz_rc
base64url(const unsigned char *in, size_t n, char out[48])
{
	int (*encode_block)(unsigned char *, const unsigned char *, int);
	char *p;
	int len;

	*(void **)&encode_block = alz_curl_tls_sym("EVP_EncodeBlock");
	if (encode_block == NULL || n != 32)
		return ALZ_ERR_SYSTEM;
	len = encode_block((unsigned char *)out, in, (int)n);
	if (len != 44)	/* 43 characters and one '=' */
		return ALZ_ERR_SYSTEM;
	out[len] = '\0';
	for (p = out; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=')
			*p = '\0';
	}
	return ALZ_OK;
}

/* A fresh random base64url string of ALZ_SSO_STATE_LEN (== ALZ_SSO_VERIFIER_LEN) characters. */
static enum alz_rc
random_word(char out[ALZ_SSO_STATE_LEN + 1])
{
	unsigned char raw[32];
	char buf[48];
	enum alz_rc rc;

	rc = random_bytes(raw, sizeof(raw));
	if (rc == ALZ_OK)
		rc = base64url(raw, sizeof(raw), buf);
	if (rc == ALZ_OK) {
		memcpy(out, buf, ALZ_SSO_STATE_LEN);
		out[ALZ_SSO_STATE_LEN] = '\0';
	}
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/*
 * RFC 7636 4.2: BASE64URL(SHA256(ASCII(verifier))). libcrypto's SHA-256 and
 * base64, from the libcrypto libcurl's TLS already loaded (alz_curl_tls_sym):
 * the module links no OpenSSL library of its own.
 */
static enum alz_rc
s256(const char *verifier, char out[ALZ_SSO_STATE_LEN + 1])
{
	int (*digest)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *);
	const EVP_MD *(*sha256)(void);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char buf[48];

	*(void **)&digest = alz_curl_tls_sym("EVP_Digest");
	*(void **)&sha256 = alz_curl_tls_sym("EVP_sha256");
	if (digest == NULL || sha256 == NULL)
		return ALZ_ERR_SYSTEM;
	if (digest(verifier, strlen(verifier), md, &mdlen, sha256(), NULL) != 1 || mdlen != 32 ||
	    base64url(md, mdlen, buf) != ALZ_OK)
		return ALZ_ERR_SYSTEM;
	memcpy(out, buf, ALZ_SSO_STATE_LEN);
	out[ALZ_SSO_STATE_LEN] = '\0';
	return ALZ_OK;
}

/* Append "&NAME=escaped(VALUE)" (no '&' first) to the string *S of capacity CAP. */
static enum alz_rc
add_param(char *s, size_t cap, bool first, const char *name, const char *value)
{
	const struct alz_curl *lc = alz_curl_load(NULL);
	char *esc;
	size_t need;
	enum alz_rc rc = ALZ_OK;

	if (lc == NULL)
		return ALZ_ERR_SYSTEM;	/* the sign-in's first request has said why */
	esc = lc->easy_escape(NULL, value, 0);
	if (esc == NULL)
		return ALZ_ERR_NOMEM;
	need = strlen(s) + !first + strlen(name) + 1 + strlen(esc) + 1;
	if (need > cap)
		rc = ALZ_ERR_INPUT;
	else
		snprintf(s + strlen(s), cap - strlen(s), "%s%s=%s", first ? "" : "&", name, esc);
	explicit_bzero(esc, strlen(esc));	/* it may be a code */
	lc->free(esc);
	return rc;
}

enum alz_rc
alz_sso_begin(const struct alz_sso_config *sc, struct alz_sso_challenge *ch)
{
	char challenge[ALZ_SSO_STATE_LEN + 1];
	size_t cap = strlen(sc->endpoint) + 3 * (strlen(sc->client_id) + strlen(sc->redirect_uri) +
		     (sc->scope != NULL ? strlen(sc->scope) : 0)) + 256;
	enum alz_rc rc;

	memset(ch, 0, sizeof(*ch));
	rc = random_word(ch->state);
	if (rc == ALZ_OK && sc->pkce)
		rc = random_word(ch->verifier);
	if (rc == ALZ_OK && sc->pkce)
		rc = s256(ch->verifier, challenge);
	if (rc != ALZ_OK)
		goto out;
	rc = ALZ_ERR_NOMEM;
	ch->url = malloc(cap);
	if (ch->url == NULL)
		goto out;
	/* an endpoint with its own query gets ours after an '&' */
	snprintf(ch->url, cap, "%s%c", sc->endpoint, strchr(sc->endpoint, '?') != NULL ? '&' : '?');
	rc = add_param(ch->url, cap, true, "response_type", "code");
	if (rc == ALZ_OK)
		rc = add_param(ch->url, cap, false, "client_id", sc->client_id);
	if (rc == ALZ_OK)
		rc = add_param(ch->url, cap, false, "redirect_uri", sc->redirect_uri);
	if (rc == ALZ_OK && sc->scope != NULL)
		rc = add_param(ch->url, cap, false, "scope", sc->scope);
	if (rc == ALZ_OK)
		rc = add_param(ch->url, cap, false, "state", ch->state);
	if (rc == ALZ_OK && sc->pkce)
		rc = add_param(ch->url, cap, false, "code_challenge", challenge);
	if (rc == ALZ_OK && sc->pkce)
		rc = add_param(ch->url, cap, false, "code_challenge_method", "S256");
out:
	if (rc != ALZ_OK)
		alz_sso_challenge_free(ch);
	return rc;
}

void
alz_sso_challenge_free(struct alz_sso_challenge *ch)
{
	free(ch->url);
	explicit_bzero(ch, sizeof(*ch));
}

/* An authorization code as RFC 6749 allows it, narrowed: 1..ALZ_SSO_MAX_CODE of [A-Za-z0-9._~+/=-]. */
static bool
code_shaped(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > ALZ_SSO_MAX_CODE)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._~+/=-", s[i]) != NULL))
			return false;
	return true;
}

/*
 * The value of parameter NAME in QUERY ("a=1&b=2"), percent-decoded into a
 * new string (*OUT, a secret); NULL when absent. Twice is ALZ_ERR_INPUT: an
 * address with two codes or two states is no browser's.
 */
static enum alz_rc
query_param(const char *query, const char *name, char **out)
{
	const struct alz_curl *lc = alz_curl_load(NULL);
	const char *p = query, *amp;
	size_t nlen = strlen(name), vlen;
	char *dec;
	int declen = 0;

	*out = NULL;
	if (lc == NULL)
		return ALZ_ERR_SYSTEM;
	while (*p != '\0') {
		amp = p + strcspn(p, "&");
		if ((size_t)(amp - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			if (*out != NULL)
				goto twice;
			vlen = (size_t)(amp - p) - nlen - 1;
			/* length 0 would make curl_easy_unescape measure the rest with strlen */
			dec = vlen == 0 ? NULL : lc->easy_unescape(NULL, p + nlen + 1, (int)vlen, &declen);
			if (vlen == 0) {
				*out = strdup("");
				if (*out == NULL)
					return ALZ_ERR_NOMEM;
				p = *amp == '&' ? amp + 1 : amp;
				continue;
			}
			if (dec == NULL)
				return ALZ_ERR_NOMEM;
			*out = strndup(dec, (size_t)declen);
			explicit_bzero(dec, (size_t)declen);
			lc->free(dec);
			if (*out == NULL)
				return ALZ_ERR_NOMEM;
			/* a decoded NUL would cut the value short unseen */
			if (strlen(*out) != (size_t)declen)
				goto twice;
		}
		p = *amp == '&' ? amp + 1 : amp;
	}
	return ALZ_OK;
twice:
	alz_secret_free(*out);
	*out = NULL;
	return ALZ_ERR_INPUT;
}

enum alz_rc
alz_sso_read_answer(const struct alz_sso_challenge *ch, const char *answer, char **code)
{
	const char *query;
	char *state = NULL, *c = NULL;
	size_t len = strlen(answer);
	enum alz_rc rc;

	*code = NULL;
	if (len == 0 || len > ALZ_SSO_MAX_ANSWER || !alz_text_ok(answer, ALZ_TEXT_VISIBLE))
		return ALZ_ERR_INPUT;
	if (strncmp(answer, "https://", 8) != 0 && strncmp(answer, "http://", 7) != 0) {
		if (!code_shaped(answer, len))
			return ALZ_ERR_INPUT;
		*code = strdup(answer);
		return *code != NULL ? ALZ_OK : ALZ_ERR_NOMEM;
	}
	/* the whole address: its query holds the code and our state */
	query = strchr(answer, '?');
	if (query == NULL)
		return ALZ_ERR_INPUT;
	query++;
	rc = query_param(query, "state", &state);
	if (rc == ALZ_OK)
		rc = query_param(query, "code", &c);
	if (rc != ALZ_OK)
		goto out;
	rc = ALZ_ERR_INPUT;
	if (c == NULL || state == NULL || !code_shaped(c, strlen(c)))
		goto out;
	/* a state this login did not make: another login's address, or a forged one */
	rc = ALZ_ERR_SSO_STATE;
	if (strcmp(state, ch->state) != 0)
		goto out;
	*code = c;
	c = NULL;
	rc = ALZ_OK;
out:
	alz_secret_free(state);
	alz_secret_free(c);
	return rc;
}

enum alz_rc
alz_sso_exchange_query(const struct alz_config *cfg, const struct alz_sso_config *sc,
		       const struct alz_sso_challenge *ch, const char *code, char **query)
{
	size_t cap = 3 * (strlen(code) + strlen(sc->redirect_uri) + strlen(ch->verifier)) + 128;
	enum alz_rc rc;
	char *q;

	*query = NULL;
	q = calloc(1, cap);
	if (q == NULL)
		return ALZ_ERR_NOMEM;
	rc = add_param(q, cap, true, cfg->fields[ALZ_F_SSO_CODE], code);
	if (rc == ALZ_OK)
		rc = add_param(q, cap, false, cfg->fields[ALZ_F_SSO_REDIRECT_URI], sc->redirect_uri);
	if (rc == ALZ_OK && sc->pkce)
		rc = add_param(q, cap, false, cfg->fields[ALZ_F_SSO_VERIFIER], ch->verifier);
	if (rc != ALZ_OK) {
		explicit_bzero(q, cap);
		free(q);
		return rc;
	}
	*query = q;
	return ALZ_OK;
}

void
alz_sso_config_free(struct alz_sso_config *sc)
{
	free(sc->endpoint);
	free(sc->client_id);
	free(sc->redirect_uri);
	free(sc->scope);
	memset(sc, 0, sizeof(*sc));
}
