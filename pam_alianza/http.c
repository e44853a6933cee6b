/* http.c - the HTTPS client: one libcurl handle, hardened, capped, reused across calls. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* types and constants only: the functions are looked up at run time (alz_curl_tls_sym) */
#include <openssl/ssl.h>

#include "alz_clock.h"
#include "alz_curl.h"
#include "alz_http.h"
#include "alz_secret.h"

#define USER_AGENT "pam_alianza/" PACKAGE_VERSION

/*
 * The reply body is kept in one buffer that never grows past ALZ_MAX_BODY
 * (curl's dynbuf 'toobig' idea): an oversized reply is an error, not a
 * truncated success. Growth copies are wiped, since a body holds a token.
 */
static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct alz_body *b = userdata;
	size_t n = size * nmemb;
	char *grown;
	size_t cap;

	if (n > ALZ_MAX_BODY - b->len) {
		b->too_big = 1;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	cap = b->len + n + 1;
	grown = malloc(cap);
	if (grown == NULL)
		return 0;
	if (b->data != NULL) {
		memcpy(grown, b->data, b->len);
		explicit_bzero(b->data, b->len);
		free(b->data);
	}
	memcpy(grown + b->len, ptr, n);
	b->len += n;
	grown[b->len] = '\0';
	b->data = grown;
	return n;
}

static void
body_free(struct alz_body *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->len);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
	b->too_big = 0;
}

void
alz_http_reply_free(struct alz_http_reply *r)
{
	body_free(&r->body);
	r->status = 0;
	r->retry_after = -1;
}

/* Free a header list whose entries may hold a token. */
static void
slist_free_wiped(const struct alz_curl *lc, struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p != NULL; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	lc->slist_free_all(l);
}

/*
 * libcurl's own buffers (the request with the password, the receive buffer
 * with the token) are freed with plain free(). These are the memory
 * functions the module hands libcurl instead: the same glibc allocator, but
 * every block is wiped before it goes back to the heap, and realloc never
 * leaves a copy behind. libcurl takes them only if the module is the first
 * to initialise libcurl in the process (curl_global_init_mem() changes
 * nothing once libcurl is initialised, so nothing is half-installed), and
 * keeps them until the process ends: the module is linked -z nodelete, so
 * these functions stay mapped after libpam dlclose()s it.
 */
static int mem_fns_used;	/* set once libcurl calls them: they are in place */

static void *
mem_malloc(size_t n)
{
	__atomic_store_n(&mem_fns_used, 1, __ATOMIC_RELAXED);
	return malloc(n);
}

static void *
mem_calloc(size_t nmemb, size_t size)
{
	__atomic_store_n(&mem_fns_used, 1, __ATOMIC_RELAXED);
	return calloc(nmemb, size);
}

static char *
mem_strdup(const char *str)
{
	__atomic_store_n(&mem_fns_used, 1, __ATOMIC_RELAXED);
	return strdup(str);
}

static void
wipe_free(void *p)
{
	if (p == NULL)
		return;
	/* the whole block, not just what was asked for: the heap keeps it all */
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

static void *
wipe_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (p == NULL)
		return mem_malloc(n);
	if (n == 0) {
		wipe_free(p);	/* glibc's realloc(p, 0) frees too */
		return NULL;
	}
	old = malloc_usable_size(p);
	if (n <= old)
		return p;	/* it fits: a shrink in place would free an unwiped tail */
	q = malloc(n);
	if (q == NULL)
		return NULL;	/* as realloc: the old block stays valid */
	memcpy(q, p, old);
	wipe_free(p);
	return q;
}

/*
 * SSLKEYLOGFILE makes libcurl's OpenSSL backend fopen() the named file for
 * appending at curl_global_init() (lib/vtls/keylog.c, Curl_tls_keylog_open,
 * plain getenv(), even in setuid su or sudo), so root creates a file where
 * the environment says, and then hands OpenSSL a callback that writes every
 * TLS secret of the connection into it. No option stops the fopen(), and the
 * environment belongs to the host, not to us: the module refuses to start
 * libcurl while the variable is set, whoever set it.
 * (CURL_SSL_BACKEND only matters to a multi-backend libcurl, which init
 * refuses below; the proxy variables are overridden by CURLOPT_PROXY and
 * CURLOPT_NOPROXY.)
 */
static enum alz_rc
check_environment(const struct alz_log *lg)
{
	const char *v = getenv("SSLKEYLOGFILE");

	/* libcurl ignores it when empty, as here */
	if (v != NULL && v[0] != '\0') {
		alz_log(lg, LOG_ERR, "SSLKEYLOGFILE is set in this process's environment: libcurl "
			"would create that file as root and log this login's TLS keys to it; refusing "
			"to start libcurl");
		return ALZ_ERR_UNSAFE_ENV;
	}
	return ALZ_OK;
}

/*
 * Called by libcurl for each new TLS connection, after its own set-up and
 * before the handshake. Two settings, or no connection:
 * - no key log: libcurl installs its key-log callback when SSLKEYLOGFILE
 *   was set at its initialisation, maybe by the host before us; removed.
 * - SSL_OP_CLEANSE_PLAINTEXT (OpenSSL >= 3.0): the record layer wipes each
 *   decrypted record once libcurl has copied it out, and wipes the read
 *   buffer before freeing it; otherwise the token stays in freed memory.
 */
static CURLcode
ssl_ctx_cb(CURL *curl, void *ssl_ctx, void *userdata)
{
	struct alz_http *h = userdata;
	uint64_t (*set_options)(SSL_CTX *, uint64_t);
	void (*set_keylog)(SSL_CTX *, SSL_CTX_keylog_cb_func);
	SSL_CTX *ctx = ssl_ctx;

	(void)curl;
	*(void **)&set_options = alz_curl_tls_sym("SSL_CTX_set_options");
	*(void **)&set_keylog = alz_curl_tls_sym("SSL_CTX_set_keylog_callback");
	if (set_options == NULL || set_keylog == NULL) {
		alz_log(h->lg, LOG_ERR, "libssl has no SSL_CTX_set_options or "
			"SSL_CTX_set_keylog_callback (OpenSSL >= 3.0 needed): no connection");
		h->tls_setup_failed = 1;
		return CURLE_FAILED_INIT;
	}
	set_keylog(ctx, NULL);
	if ((set_options(ctx, SSL_OP_CLEANSE_PLAINTEXT) & SSL_OP_CLEANSE_PLAINTEXT) == 0) {
		alz_log(h->lg, LOG_ERR, "libssl refused SSL_OP_CLEANSE_PLAINTEXT: no connection");
		h->tls_setup_failed = 1;
		return CURLE_FAILED_INIT;
	}
	return CURLE_OK;
}

/* The SSL_CTX callback speaks OpenSSL: any other TLS library's context would be misread. */
static enum alz_rc
check_tls_backend(const struct alz_curl *lc, const struct alz_log *lg)
{
	const curl_version_info_data *v = lc->version_info(CURLVERSION_NOW);

	if (v == NULL || v->ssl_version == NULL || strncmp(v->ssl_version, "OpenSSL/", 8) != 0 ||
	    (v->features & CURL_VERSION_MULTI_SSL) != 0) {
		alz_log(lg, LOG_ERR, "libcurl's TLS library is %s, not OpenSSL alone; refusing to run",
			v != NULL && v->ssl_version != NULL ? v->ssl_version : "none");
		return ALZ_ERR_SYSTEM;
	}
	return ALZ_OK;
}

enum alz_rc
alz_http_init(struct alz_http *h, const struct alz_config *cfg, const struct alz_log *lg)
{
	const struct alz_curl *lc;
	enum alz_rc rc;
	CURL *c;

	memset(h, 0, sizeof(*h));
	h->cfg = cfg;
	h->lg = lg;
	rc = check_environment(lg);
	if (rc != ALZ_OK)
		return rc;
	/* the first request of this process: libcurl is loaded now, not with the module */
	lc = alz_curl_load(lg);
	if (lc == NULL)
		return ALZ_ERR_SYSTEM;
	/*
	 * Reference-counted and thread-safe in libcurl >= 7.84. We never call
	 * curl_global_cleanup(): sshd or sudo may use libcurl themselves, and
	 * tearing OpenSSL down inside someone else's process is not ours to do.
	 */
	if (lc->global_init_mem(CURL_GLOBAL_DEFAULT, mem_malloc, wipe_free, wipe_realloc,
				 mem_strdup, mem_calloc) != CURLE_OK) {
		alz_log(lg, LOG_ERR, "curl_global_init failed");
		return ALZ_ERR_SYSTEM;
	}
	rc = check_tls_backend(lc, lg);
	if (rc != ALZ_OK)
		return rc;
	c = lc->easy_init();
	if (c == NULL)
		return ALZ_ERR_NOMEM;
	if (__atomic_load_n(&mem_fns_used, __ATOMIC_RELAXED) == 0)
		alz_log(lg, LOG_DEBUG, "libcurl was initialised before the module: "
			"its buffers are freed unwiped");

	/* the libcurl security guide, option by option */
	if (lc->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_MAXREDIRS, 0L) != CURLE_OK ||
	    /* "" disables proxies, including the ones the environment names */
	    lc->easy_setopt(c, CURLOPT_PROXY, cfg->proxy != NULL ? cfg->proxy : "") != CURLE_OK ||
	    /* "": no host bypasses a configured proxy, whatever no_proxy says */
	    lc->easy_setopt(c, CURLOPT_NOPROXY, "") != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK ||
	    /* a Content-Length above the cap is refused before any byte is read */
	    lc->easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ALZ_MAX_BODY) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg->timeout_ms) != CURLE_OK ||
	    /* no key log, plaintext wiped: or no connection */
	    lc->easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_SSL_CTX_DATA, h) != CURLE_OK) {
		alz_log(lg, LOG_ERR, "libcurl refused a security option; refusing to run");
		lc->easy_cleanup(c);
		return ALZ_ERR_SYSTEM;
	}
	/*
	 * One trust source, never both: the configured file only, or else the
	 * hashed directory, where OpenSSL reads just the issuer it needs (the
	 * 145-certificate system bundle costs ~20 ms per login to parse).
	 */
	if (lc->easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file) != CURLE_OK ||
	    lc->easy_setopt(c, CURLOPT_CAPATH, cfg->ca_file != NULL ? NULL : cfg->ca_dir) != CURLE_OK) {
		lc->easy_cleanup(c);
		return ALZ_ERR_SYSTEM;
	}
	/* on top of the CA check, never instead of it (VERIFYPEER stays on) */
	if (cfg->pinned_public_key != NULL &&
	    lc->easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, cfg->pinned_public_key) != CURLE_OK) {
		alz_log(lg, LOG_ERR, "libcurl refused pinned_public_key; refusing to run");
		lc->easy_cleanup(c);
		return ALZ_ERR_SYSTEM;
	}
	h->lc = lc;
	h->curl = c;
	return ALZ_OK;
}

void
alz_http_cleanup(struct alz_http *h)
{
	if (h->curl != NULL)
		h->lc->easy_cleanup(h->curl);
	h->curl = NULL;
}

static void *
probe_thread(void *arg)
{
	return arg;
}

/*
 * After a failed name lookup: could this process have looked the name up
 * at all? curl's resolver needs a thread, a socket pair and a socket. In a
 * setuid host the caller's limits (RLIMIT_NOFILE, RLIMIT_AS with a large
 * RLIMIT_STACK) or inherited descriptors can deny them, and a healthy DNS
 * would look like an outage.
 */
static bool
resolver_possible(void)
{
	int sv[2] = { -1, -1 }, fd = -1;
	pthread_t th;
	bool ok = false;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		goto out;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto out;
	if (pthread_create(&th, NULL, probe_thread, NULL) != 0)
		goto out;
	pthread_join(th, NULL);
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	return ok;
}

/*
 * One code per kind of transport failure, so that login.c can tell which
 * ones a caller could have caused (see offline_cause() there). OS_ERRNO:
 * CURLINFO_OS_ERRNO, the kernel's answer to connect().
 */
static enum alz_rc
classify(CURLcode cc, long os_errno, const struct alz_body *b)
{
	switch (cc) {
	case CURLE_OK:
		return ALZ_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return ALZ_ERR_TIMEOUT;		/* connect or total: a stopped process passes both */
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return resolver_possible() ? ALZ_ERR_RESOLVE : ALZ_ERR_LOCAL_NET;
	case CURLE_COULDNT_CONNECT:
		/* only the network's own "no": not a socket() we were denied (os_errno 0) */
		if (os_errno == ECONNREFUSED || os_errno == EHOSTUNREACH || os_errno == ENETUNREACH)
			return ALZ_ERR_CONNECT;
		return ALZ_ERR_LOCAL_NET;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
		return ALZ_ERR_TLS;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CIPHER:
		return ALZ_ERR_TLS_HANDSHAKE;	/* includes a peer that hung up mid-handshake */
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2_STREAM:
		return ALZ_ERR_CUT;
	case CURLE_WRITE_ERROR:
		return b->too_big ? ALZ_ERR_BAD_REPLY : ALZ_ERR_NOMEM;
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
		return ALZ_ERR_BAD_REPLY;
	case CURLE_OUT_OF_MEMORY:
		return ALZ_ERR_NOMEM;
	default:
		return ALZ_ERR_NETWORK;
	}
}

static long
retry_after(const struct alz_curl *lc, CURL *c)
{
	struct curl_header *hdr = NULL;
	char *end = NULL;
	long n;

	if (lc->easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &hdr) != CURLHE_OK)
		return -1;
	if (hdr->value[0] < '0' || hdr->value[0] > '9')
		return -1;	/* the HTTP-date form: not worth trusting a clock for */
	n = strtol(hdr->value, &end, 10);
	if (*end != '\0' || n < 0 || n > 86400)
		return -1;
	return n;
}

/* token_header with its %t replaced by TOKEN; caller wipes and frees. NULL: out of memory. */
static char *
token_header(const char *tmpl, const char *token)
{
	const char *t = strstr(tmpl, "%t");
	size_t len;
	char *out;

	if (t == NULL)
		return NULL;	/* the config check makes it impossible */
	len = strlen(tmpl) - 2 + strlen(token) + 1;
	out = malloc(len);
	if (out != NULL)
		snprintf(out, len, "%.*s%s%s", (int)(t - tmpl), tmpl, token, t + 2);
	return out;
}

enum alz_rc
alz_http_call(struct alz_http *h, enum alz_path endpoint, const char *body,
	      const char *token, struct alz_http_reply *out)
{
	return alz_http_call_query(h, endpoint, NULL, body, token, out);
}

/*
 * The calls that may be sent again, to the next base URL, after a 5xx: the
 * first replica may have acted on the request before it failed, and only
 * these are the same request twice (a log-in, a read). A code, an SSO code,
 * a refresh token are single-use, and a password change or a logout is not
 * to be made twice: for those a 5xx is the answer.
 */
static const bool repeat_after_5xx[ALZ_PATH_COUNT] = {
	[ALZ_P_AUTHORIZE] = true,
	[ALZ_P_USERINFO] = true,
	[ALZ_P_JWT] = true,
	[ALZ_P_SSO] = true,
};

/*
 * Worth trying the next base URL: this one could not be reached or not
 * trusted (connect refused or unreachable, name lookup, a connect deadline,
 * TLS), or answered 5xx to a call that may be repeated. Never after the
 * request may have reached the API (a cut connection, a total deadline, any
 * other status: that is an answer). SENT: CURLINFO_PRETRANSFER_TIME_T was
 * set, the request had begun to go (also on a reused connection, whose
 * connect times are 0).
 */
static bool
try_next(enum alz_path endpoint, enum alz_rc rc, long status, bool sent)
{
	switch (rc) {
	case ALZ_OK:
		return status >= 500 && status <= 599 && repeat_after_5xx[endpoint];
	case ALZ_ERR_CONNECT:
	case ALZ_ERR_RESOLVE:
	case ALZ_ERR_TLS:
	case ALZ_ERR_TLS_HANDSHAKE:
		return true;
	case ALZ_ERR_TIMEOUT:
		return !sent;	/* connect_timeout (TCP or TLS), before any byte of the request */
	default:
		return false;
	}
}

/*
 * A failure the person at the keyboard of sudo or su can cause (stop the
 * process past a deadline, cut a handshake): login.c never lets one open the
 * offline window there. Once one made us try the next URL, the call fails as
 * it did unless a later URL answers: a refused second URL must not turn a
 * stall the user caused into an outage.
 */
static bool
caller_causable(enum alz_rc rc)
{
	return rc == ALZ_ERR_TIMEOUT || rc == ALZ_ERR_TLS || rc == ALZ_ERR_TLS_HANDSHAKE;
}

const char *
alz_http_answered(const struct alz_http *h)
{
	return h->answered ? h->cfg->base_urls.url[h->base] : NULL;
}

/*
 * curl_easy_perform() as set up, the new connections counted, the result as
 * the module's code (logged at debug when a failure: BASE and PATH name it);
 * *CC: libcurl's own code. B: the reply body, for its size cap (classify).
 */
static enum alz_rc
perform(struct alz_http *h, const struct alz_body *b, const char *base, const char *path,
	CURLcode *cc)
{
	long new_conns = 0, os_errno = 0;
	enum alz_rc rc;

	h->errbuf[0] = '\0';
	*cc = h->lc->easy_perform(h->curl);
	h->lc->easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &new_conns);
	h->lc->easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os_errno);
	h->connections += new_conns;
	rc = classify(*cc, os_errno, b);
	/* our own TLS set-up failed: a local fault, not an unreachable API */
	if (rc != ALZ_OK && h->tls_setup_failed)
		rc = ALZ_ERR_SYSTEM;
	if (rc != ALZ_OK)
		alz_log(h->lg, LOG_DEBUG, "%s%s: %s (%s; errno %ld): %s", base, path,
			h->lc->easy_strerror(*cc), h->errbuf, os_errno, alz_rc_name(rc));
	return rc;
}

/* One exchange with one base URL: BASE + path [+ "?" QUERY]; out->status set on an answer. */
static enum alz_rc
perform_one(struct alz_http *h, const char *base, const char *path, const char *query,
	    long budget_ms, struct alz_http_reply *out, bool *sent)
{
	char *url;
	size_t ulen;
	CURLcode cc;
	curl_off_t total_us = 0, pretransfer_us = 0;
	enum alz_rc rc;

	*sent = false;
	ulen = strlen(base) + strlen(path) + (query != NULL ? strlen(query) + 1 : 0) + 1;
	url = malloc(ulen);
	if (url == NULL)
		return ALZ_ERR_NOMEM;
	snprintf(url, ulen, "%s%s%s%s", base, path, query != NULL ? "?" : "", query != NULL ? query : "");
	h->lc->easy_setopt(h->curl, CURLOPT_URL, url);
	/* what is left of the call's deadline, for this base URL and the ones after it */
	h->lc->easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, budget_ms);
	h->lc->easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS,
			   budget_ms < h->cfg->connect_timeout_ms ? budget_ms : h->cfg->connect_timeout_ms);
	rc = perform(h, &out->body, base, path, &cc);
	h->lc->easy_getinfo(h->curl, CURLINFO_TOTAL_TIME_T, &total_us);
	h->lc->easy_getinfo(h->curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
	out->elapsed_ms += (long)(total_us / 1000);
	*sent = pretransfer_us > 0;
	if (rc == ALZ_OK)
		h->lc->easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &out->status);
	if (query != NULL) {
		explicit_bzero(url, strlen(url));	/* it carried a code */
		/* libcurl's own copy of it goes too (its allocator wipes what it frees) */
		h->lc->easy_setopt(h->curl, CURLOPT_URL, base);
	}
	free(url);
	return rc;
}

enum alz_rc
alz_http_call_query(struct alz_http *h, enum alz_path endpoint, const char *query,
		    const char *body, const char *token, struct alz_http_reply *out)
{
	enum alz_rc rc = ALZ_ERR_NOMEM;
	struct curl_slist *hdrs = NULL, *tmp;
	char *auth = NULL;
	const char *path = h->cfg->paths[endpoint], *method = h->cfg->methods[endpoint];
	const struct alz_url_list *bases = &h->cfg->base_urls;
	long deadline, left;
	unsigned tried, i = 0;
	bool sent = false;
	enum alz_rc caused = ALZ_OK;	/* the first failover past a failure a caller can cause */

	memset(out, 0, sizeof(*out));
	out->retry_after = -1;
	if (path == NULL || method == NULL) {
		rc = ALZ_ERR_UNSUPPORTED;	/* the dialect has no such call: nothing is sent */
		goto out;
	}
	if (bases->n == 0) {
		rc = ALZ_NOT_CONFIGURED;	/* the config check makes it impossible */
		goto out;
	}
	if (h->unpinned) {
		rc = ALZ_ERR_SYSTEM;	/* a display probe's handle: its pin check is off */
		goto out;
	}

	tmp = h->lc->slist_append(hdrs, "Accept: application/json");
	if (tmp == NULL)
		goto out;
	hdrs = tmp;
	/* no "Expect: 100-continue" round trip */
	tmp = h->lc->slist_append(hdrs, "Expect:");
	if (tmp == NULL)
		goto out;
	hdrs = tmp;
	if (body != NULL) {
		tmp = h->lc->slist_append(hdrs, "Content-Type: application/json");
		if (tmp == NULL)
			goto out;
		hdrs = tmp;
	} else if (strcmp(method, "GET") != 0) {
		/* a POST without a body (the SSO exchange): no form type claimed for it */
		tmp = h->lc->slist_append(hdrs, "Content-Type:");
		if (tmp == NULL)
			goto out;
		hdrs = tmp;
	}
	if (token != NULL) {
		auth = token_header(h->cfg->token_header, token);
		if (auth == NULL)
			goto out;
		tmp = h->lc->slist_append(hdrs, auth);
		if (tmp == NULL)
			goto out;
		hdrs = tmp;
	}

	h->lc->easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	h->lc->easy_setopt(h->curl, CURLOPT_WRITEDATA, &out->body);
	if (strcmp(method, "GET") == 0) {
		h->lc->easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
		h->lc->easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		/* POST machinery sends the body; PUT is the same with another verb */
		h->lc->easy_setopt(h->curl, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		h->lc->easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				   (curl_off_t)(body != NULL ? strlen(body) : 0));
		h->lc->easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST,
				   strcmp(method, "POST") == 0 ? NULL : method);
	}

	/*
	 * Failover: the base URL that answered last first (a login's calls stay
	 * on one connection), then the others in order, all within the one
	 * deadline `timeout` sets for the call.
	 */
	deadline = alz_now_ms() + h->cfg->timeout_ms;
	for (tried = 0; tried < bases->n; tried++) {
		i = (h->base + tried) % bases->n;
		left = deadline - alz_now_ms();
		if (left <= 0) {
			rc = ALZ_ERR_TIMEOUT;
			break;
		}
		if (tried > 0) {
			/* the failed one's reply, if a 5xx, is not this call's */
			body_free(&out->body);
			out->status = 0;
		}
		rc = perform_one(h, bases->url[i], path, query, left, out, &sent);
		if (tried + 1 < bases->n && try_next(endpoint, rc, out->status, sent)) {
			if (caused == ALZ_OK && caller_causable(rc))
				caused = rc;
			alz_log(h->lg, LOG_NOTICE, "API %s did not answer %s (%s); trying %s", bases->url[i],
				path, rc == ALZ_OK ? "5xx" : alz_rc_name(rc),
				bases->url[(i + 1) % bases->n]);
			continue;
		}
		break;
	}
	/* no answer after such a failure: the call failed as that one did */
	if (caused != ALZ_OK && (rc != ALZ_OK || (out->status >= 500 && out->status <= 599)))
		rc = caused;
	if (rc != ALZ_OK) {
		h->answered = false;
		alz_http_reply_free(out);
		if (rc == ALZ_ERR_BAD_REPLY)
			out->status = 0;
		goto out;
	}
	h->base = i;
	h->answered = true;
	out->retry_after = retry_after(h->lc, h->curl);
out:
	/* the body pointer belongs to the caller; do not let curl keep it */
	if (h->curl != NULL) {
		h->lc->easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
		h->lc->easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	}
	if (hdrs != NULL)
		slist_free_wiped(h->lc, hdrs);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	return rc;
}

enum alz_rc
alz_http_probe(struct alz_http *h, unsigned base, bool pin, struct alz_probe *out)
{
	struct curl_tlssessioninfo *tls = NULL;
	struct alz_body none = { NULL, 0, 0 };
	curl_off_t connect_us = 0, tls_us = 0;
	size_t got = 0;
	enum alz_rc rc;
	CURLcode cc;
	char byte;

	memset(out, 0, sizeof(*out));
	if (base >= h->cfg->base_urls.n)
		return ALZ_ERR_INPUT;
	if (!pin) {
		h->unpinned = true;	/* before the option goes: no request on this handle */
		h->lc->easy_setopt(h->curl, CURLOPT_PINNEDPUBLICKEY, NULL);
	}
	/* the connection and its handshake, then libcurl stops: no request line, no header */
	h->lc->easy_setopt(h->curl, CURLOPT_CONNECT_ONLY, 1L);
	h->lc->easy_setopt(h->curl, CURLOPT_URL, h->cfg->base_urls.url[base]);
	rc = perform(h, &none, h->cfg->base_urls.url[base], "", &cc);
	h->lc->easy_getinfo(h->curl, CURLINFO_CONNECT_TIME_T, &connect_us);
	h->lc->easy_getinfo(h->curl, CURLINFO_APPCONNECT_TIME_T, &tls_us);
	out->connect_us = (long)connect_us;
	out->tls_us = (long)tls_us;
	out->pin_mismatch = cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
	if (rc != ALZ_OK)
		return rc;
	/*
	 * libcurl detaches a CONNECT_ONLY connection from the handle after
	 * perform, and TLS_SSL_PTR then has none: one receive re-attaches it
	 * (CURLE_AGAIN, nothing there; it sends nothing).
	 */
	h->lc->easy_recv(h->curl, &byte, 1, &got);
	if (h->lc->easy_getinfo(h->curl, CURLINFO_TLS_SSL_PTR, &tls) == CURLE_OK && tls != NULL &&
	    tls->backend == CURLSSLBACKEND_OPENSSL)
		out->ssl = tls->internals;
	return ALZ_OK;
}
