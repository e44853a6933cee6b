/* http.c - the HTTPS client: one libcurl handle, hardened, capped, reused across calls. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <unistd.h>

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
slist_free_wiped(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p != NULL; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/*
 * libcurl reads some variables with plain getenv(), even in setuid hosts
 * (su, passwd) whose environment the invoking user wrote. SSLKEYLOGFILE
 * would make libcurl create a file as root and log the TLS keys of the
 * password exchange into it: never wanted, whoever set it. In a setuid
 * process the backend choice and proxy exceptions are not the user's
 * either. Done before the first curl_global_init(), which reads them.
 */
static void
scrub_environment(void)
{
	unsetenv("SSLKEYLOGFILE");
	if (getauxval(AT_SECURE) != 0 || getuid() != geteuid() || getgid() != getegid()) {
		unsetenv("CURL_SSL_BACKEND");
		unsetenv("NO_PROXY");
		unsetenv("no_proxy");
	}
}

enum alz_rc
alz_http_init(struct alz_http *h, const struct alz_config *cfg, const struct alz_log *lg)
{
	CURL *c;

	memset(h, 0, sizeof(*h));
	h->cfg = cfg;
	h->lg = lg;
	/*
	 * Reference-counted and thread-safe in libcurl >= 7.84. We never call
	 * curl_global_cleanup(): sshd or sudo may use libcurl themselves, and
	 * tearing OpenSSL down inside someone else's process is not ours to do.
	 */
	scrub_environment();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		alz_log(lg, LOG_ERR, "curl_global_init failed");
		return ALZ_ERR_SYSTEM;
	}
	c = curl_easy_init();
	if (c == NULL)
		return ALZ_ERR_NOMEM;

	/* the libcurl security guide, option by option */
	if (curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 0L) != CURLE_OK ||
	    /* "" disables proxies, including the ones the environment names */
	    curl_easy_setopt(c, CURLOPT_PROXY, cfg->proxy != NULL ? cfg->proxy : "") != CURLE_OK ||
	    /* "": no host bypasses a configured proxy, whatever no_proxy says */
	    curl_easy_setopt(c, CURLOPT_NOPROXY, "") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK ||
	    /* a Content-Length above the cap is refused before any byte is read */
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ALZ_MAX_BODY) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg->timeout_ms) != CURLE_OK) {
		alz_log(lg, LOG_ERR, "libcurl refused a security option; refusing to run");
		curl_easy_cleanup(c);
		return ALZ_ERR_SYSTEM;
	}
	/*
	 * One trust source, never both: the configured file only, or else the
	 * hashed directory, where OpenSSL reads just the issuer it needs (the
	 * 145-certificate system bundle costs ~20 ms per login to parse).
	 */
	if (curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CAPATH, cfg->ca_file != NULL ? NULL : cfg->ca_dir) != CURLE_OK) {
		curl_easy_cleanup(c);
		return ALZ_ERR_SYSTEM;
	}
	h->curl = c;
	return ALZ_OK;
}

void
alz_http_cleanup(struct alz_http *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
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
retry_after(CURL *c)
{
	struct curl_header *hdr = NULL;
	char *end = NULL;
	long n;

	if (curl_easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &hdr) != CURLHE_OK)
		return -1;
	if (hdr->value[0] < '0' || hdr->value[0] > '9')
		return -1;	/* the HTTP-date form: not worth trusting a clock for */
	n = strtol(hdr->value, &end, 10);
	if (*end != '\0' || n < 0 || n > 86400)
		return -1;
	return n;
}

enum alz_rc
alz_http_call(struct alz_http *h, const char *method, enum alz_path endpoint,
	      const char *body, const char *token, struct alz_http_reply *out)
{
	enum alz_rc rc = ALZ_ERR_NOMEM;
	struct curl_slist *hdrs = NULL, *tmp;
	char *url = NULL, *auth = NULL;
	const char *path = h->cfg->paths[endpoint];
	size_t ulen;
	CURLcode cc;
	curl_off_t total_us = 0;
	long new_conns = 0, os_errno = 0;

	memset(out, 0, sizeof(*out));
	out->retry_after = -1;

	ulen = strlen(h->cfg->base_url) + strlen(path) + 1;
	url = malloc(ulen);
	if (url == NULL)
		goto out;
	snprintf(url, ulen, "%s%s", h->cfg->base_url, path);

	tmp = curl_slist_append(hdrs, "Accept: application/json");
	if (tmp == NULL)
		goto out;
	hdrs = tmp;
	/* no "Expect: 100-continue" round trip */
	tmp = curl_slist_append(hdrs, "Expect:");
	if (tmp == NULL)
		goto out;
	hdrs = tmp;
	if (body != NULL) {
		tmp = curl_slist_append(hdrs, "Content-Type: application/json");
		if (tmp == NULL)
			goto out;
		hdrs = tmp;
	}
	if (token != NULL) {
		size_t alen = strlen(h->cfg->fields[ALZ_F_AUTH_HEADER]) + strlen(token) + 3;

		auth = malloc(alen);
		if (auth == NULL)
			goto out;
		snprintf(auth, alen, "%s: %s", h->cfg->fields[ALZ_F_AUTH_HEADER], token);
		tmp = curl_slist_append(hdrs, auth);
		if (tmp == NULL)
			goto out;
		hdrs = tmp;
	}

	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &out->body);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		/* POST machinery sends the body; PUT is the same with another verb */
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(body != NULL ? strlen(body) : 0));
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST,
				 strcmp(method, "POST") == 0 ? NULL : method);
	}

	h->errbuf[0] = '\0';
	cc = curl_easy_perform(h->curl);
	curl_easy_getinfo(h->curl, CURLINFO_TOTAL_TIME_T, &total_us);
	curl_easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &new_conns);
	curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os_errno);
	h->connections += new_conns;
	out->elapsed_ms = (long)(total_us / 1000);
	rc = classify(cc, os_errno, &out->body);
	if (rc != ALZ_OK) {
		alz_log(h->lg, LOG_DEBUG, "%s %s: %s (%s; errno %ld): %s", method, path,
			curl_easy_strerror(cc), h->errbuf, os_errno, alz_rc_name(rc));
		alz_http_reply_free(out);
		if (rc == ALZ_ERR_BAD_REPLY)
			out->status = 0;
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &out->status);
	out->retry_after = retry_after(h->curl);
out:
	/* the body pointer belongs to the caller; do not let curl keep it */
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	slist_free_wiped(hdrs);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	free(url);
	return rc;
}
