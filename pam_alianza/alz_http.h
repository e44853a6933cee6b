/* alz_http.h - the HTTPS client: one libcurl handle, hardened, capped, reused across calls. */
#ifndef ALZ_HTTP_H
#define ALZ_HTTP_H

#include <stdbool.h>

#include <curl/curl.h>

#include "alz_config.h"

#define ALZ_MAX_BODY (64 * 1024)	/* bytes; an API reply is < 1 KiB */

struct alz_body {
	char *data;		/* NUL-terminated; may hold a token: wiped on free */
	size_t len;
	int too_big;
};

struct alz_http_reply {
	long status;		/* HTTP status, 0 when no reply */
	struct alz_body body;
	long retry_after;	/* seconds from Retry-After, -1 when absent */
	long elapsed_ms;	/* of the last call */
};

struct alz_curl;

struct alz_http {
	const struct alz_curl *lc;	/* libcurl's functions (alz_curl.h), loaded at init */
	CURL *curl;		/* kept across calls: one TLS handshake per login */
	const struct alz_config *cfg;
	const struct alz_log *lg;
	char errbuf[CURL_ERROR_SIZE];
	long connections;	/* new connections made by this handle (for tests/bench) */
	unsigned base;		/* the base URL (cfg->base_urls) that answered last: tried first */
	bool answered;		/* the last call was answered by base_urls.url[base] */
	int tls_setup_failed;	/* the SSL_CTX callback refused a connection */
	bool unpinned;		/* probed without pinned_public_key: no request may follow */
};

/* What one TLS connection to a base URL showed (alz_http_probe). */
struct alz_probe {
	long connect_us;	/* TCP connected, microseconds from the start (name lookup included) */
	long tls_us;		/* TLS handshake done, microseconds from the start */
	bool pin_mismatch;	/* the CA check passed but the key is not pinned_public_key's */
	void *ssl;		/* the connection's OpenSSL SSL *, until alz_http_cleanup; NULL: none */
};

/*
 * Loads libcurl (alz_curl_load) the first time in a process. ALZ_ERR_UNSAFE_ENV
 * when the environment asks libcurl for something root must not do
 * (SSLKEYLOGFILE); ALZ_ERR_SYSTEM when libcurl cannot be loaded or its TLS
 * library is not OpenSSL.
 */
enum alz_rc alz_http_init(struct alz_http *h, const struct alz_config *cfg,
			  const struct alz_log *lg);

/*
 * One exchange: ENDPOINT's method and path (method_*, path_*) on the
 * configured base URL; ALZ_ERR_UNSUPPORTED, nothing sent, when the dialect
 * has no such call. With several base URLs (failover), the one that answered
 * last is tried first, and the next one after a connect failure, a connect
 * deadline, a TLS failure or a 5xx, all within the call's one `timeout`;
 * never after a cut connection or any other status (that is an answer). BODY (JSON, may hold a secret) may be NULL. TOKEN,
 * when not NULL, goes in the token_header template. Each transport
 * failure has its own code (ALZ_ERR_CONNECT, RESOLVE, LOCAL_NET, CUT,
 * NETWORK, TIMEOUT, TLS, TLS_HANDSHAKE, BAD_REPLY); any HTTP status is
 * ALZ_OK here and judged by the caller.
 */
enum alz_rc alz_http_call(struct alz_http *h, enum alz_path endpoint,
			  const char *body, const char *token,
			  struct alz_http_reply *out);

/*
 * The same with QUERY (already percent-encoded, may hold a secret: the URL
 * is wiped after the call) after the path, "?" between them.
 */
enum alz_rc alz_http_call_query(struct alz_http *h, enum alz_path endpoint,
				const char *query, const char *body, const char *token,
				struct alz_http_reply *out);

/*
 * One TLS connection to base_urls.url[BASE], and not one byte of HTTP
 * (CURLOPT_CONNECT_ONLY): name lookup, TCP and the TLS handshake with every
 * check a login makes (CA, host name, TLS >= 1.2, pinned_public_key, proxy,
 * connect_timeout and timeout). No credential exists to be sent. PIN false
 * leaves the pin out of this one handshake (the CA check stays), only so
 * that pam_alianza-admin status can show a server's actual key when it is
 * not the pinned one: H then refuses any request. Use H for one probe, then
 * alz_http_cleanup; OUT->ssl lives until then. The codes are alz_http_call's.
 */
enum alz_rc alz_http_probe(struct alz_http *h, unsigned base, bool pin, struct alz_probe *out);

void alz_http_reply_free(struct alz_http_reply *r);

/* The base URL that answered the last call; NULL when it had no answer. */
const char *alz_http_answered(const struct alz_http *h);

void alz_http_cleanup(struct alz_http *h);

#endif
