/*
 * admin_status.c - pam_alianza-admin status: each base_url reached with one
 * TLS connection and no request (its certificate and key pin), the cache,
 * and the module's last decisions in the log; as text or one JSON object.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
/* types and constants only: the functions are looked up at run time (alz_curl_tls_sym) */
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "alz_admin.h"
#include "alz_cache.h"
#include "alz_curl.h"
#include "alz_http.h"
#include "alz_login.h"
#include "alz_text.h"

#define EXPIRY_WARN_DAYS 30	/* a certificate closer to its end than this is a problem */
#define NAME_TEXT 256		/* bytes of a certificate's subject or issuer as shown */
#define MAX_SPKI (16 * 1024)	/* bytes of a DER SubjectPublicKeyInfo (RSA-16384's: ~2 KiB) */
#define PIN_LEN (8 + 44)	/* "sha256//" and the base64 of 32 bytes */
#define MAX_NAMES 100		/* users shown as able to log in offline; the others counted */
#define LOG_TAIL (1024 * 1024)	/* bytes of a log read, from its end */
#define LOG_LINE 400		/* bytes of a decision line as shown */
#define LAST_DECISIONS 10
#define JOURNAL_LINES "--lines=5000"	/* authpriv entries journalctl is asked for */
#define JOURNAL_WAIT_MS 5000	/* how long journalctl may take */
#define MAX_PROBLEMS 32
#define PROBLEM_TEXT 300

static const char auth_log[] = "/var/log/auth.log";	/* rsyslog's auth,authpriv.* on Debian */

/* The libssl/libcrypto functions read here (bind_tls). */
struct tls_fns {
	const char *(*get_version)(const SSL *);
	const SSL_CIPHER *(*current_cipher)(const SSL *);
	const char *(*cipher_name)(const SSL_CIPHER *);
	X509 *(*peer_cert)(const SSL *);
	void (*x509_free)(X509 *);
	X509_NAME *(*subject)(const X509 *);
	X509_NAME *(*issuer)(const X509 *);
	int (*name_print)(FILE *, const X509_NAME *, int, unsigned long);
	const ASN1_TIME *(*not_after)(const X509 *);
	int (*time_diff)(int *, int *, const ASN1_TIME *, const ASN1_TIME *);
	int (*time_to_tm)(const ASN1_TIME *, struct tm *);
	X509_PUBKEY *(*pubkey)(const X509 *);
	int (*i2d_pubkey)(const X509_PUBKEY *, unsigned char **);
	int (*digest)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *);
	const EVP_MD *(*sha256)(void);
	int (*encode_block)(unsigned char *, const unsigned char *, int);
};


/* What pinned_public_key says of a server's key. */
enum pin_check {
	PIN_UNSET,		/* no pinned_public_key */
	PIN_MATCH,		/* libcurl's check passed in the login's own handshake */
	PIN_MISMATCH,		/* libcurl refused the key: a login fails on this base_url */
	PIN_UNCHECKED,		/* the handshake failed before the pin was looked at */
};

static const char *const pin_names[] = { "unset", "match", "mismatch", "not-checked" };

/* One base_url, as one TLS connection found it. */
struct api_fact {
	const char *url;
	enum alz_rc rc;		/* the connection as a login makes it */
	char error[CURL_ERROR_SIZE];
	double connect_ms;	/* TCP (and the name lookup) */
	double tls_ms;		/* the handshake after it */
	bool cert;		/* the facts below were read */
	bool unpinned;		/* read on a second connection without the pin (PIN_MISMATCH) */
	char version[32], cipher[64];
	char subject[NAME_TEXT], issuer[NAME_TEXT];
	time_t not_after;
	char not_after_text[32];	/* UTC, for people */
	char not_after_iso[32];		/* UTC, ISO 8601, for machines */
	long days_left;		/* whole days to notAfter, negative past it */
	char pin[PIN_LEN + 1];	/* "sha256//" + base64; "" when not read */
	enum pin_check pin_check;
};

/* The cache as the module would read it now. */
struct cache_facts {
	struct alz_cache cache;
	time_t now;
	size_t records, unreadable;
	time_t oldest_at;	/* the oldest online login of a record, 0 none */
	char oldest_user[ALZ_MAX_CACHE_NAME + 1];
	char *offline[MAX_NAMES];	/* who could log in offline now, shown safely */
	size_t noffline, offline_total;
};

/* The module's last auth decisions, oldest first. */
struct decisions {
	const char *source;	/* auth_log, "journal", or NULL: no log readable */
	bool newest_first;	/* the text comes newest first (journalctl --reverse) */
	char line[LAST_DECISIONS][LOG_LINE];
	size_t n;
};

struct status {
	const struct alz_config *cfg;
	const struct alz_log *lg;
	struct api_fact api[ALZ_MAX_BASE_URLS];
	int answered;		/* the first base_url that passed, the one a login uses; -1 none */
	struct cache_facts cache;
	struct decisions dec;
	char problem[MAX_PROBLEMS][PROBLEM_TEXT];
	size_t nproblems;
};

static void problem(struct status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
problem(struct status *st, const char *fmt, ...)
{
	va_list ap;

	if (st->nproblems == MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(st->problem[st->nproblems++], PROBLEM_TEXT, fmt, ap);
	va_end(ap);
}

/* ---- the API */

/* The table, from the libssl and libcrypto libcurl loaded; false when one is absent. */
static bool
bind_tls(struct tls_fns *fn)
{
#define B(member, sym) ((*(void **)&fn->member = alz_curl_tls_sym(sym)) != NULL)
	return B(get_version, "SSL_get_version") && B(current_cipher, "SSL_get_current_cipher") &&
	       B(cipher_name, "SSL_CIPHER_get_name") && B(peer_cert, "SSL_get1_peer_certificate") &&
	       B(x509_free, "X509_free") && B(subject, "X509_get_subject_name") &&
	       B(issuer, "X509_get_issuer_name") && B(name_print, "X509_NAME_print_ex_fp") &&
	       B(not_after, "X509_get0_notAfter") && B(time_diff, "ASN1_TIME_diff") &&
	       B(time_to_tm, "ASN1_TIME_to_tm") && B(pubkey, "X509_get_X509_PUBKEY") &&
	       B(i2d_pubkey, "i2d_X509_PUBKEY") && B(digest, "EVP_Digest") &&
	       B(sha256, "EVP_sha256") && B(encode_block, "EVP_EncodeBlock");
#undef B
}

/* NM as RFC 2253 text (control and non-ASCII bytes escaped by OpenSSL), then made safe. */
static void
name_text(const struct tls_fns *fn, const X509_NAME *nm, char out[NAME_TEXT])
{
	char raw[NAME_TEXT];
	FILE *f;

	memset(raw, 0, sizeof(raw));
	/* one byte short: a name that fills it stays NUL-terminated, cut */
	f = fmemopen(raw, sizeof(raw) - 1, "w");
	if (f != NULL) {
		if (nm != NULL)
			fn->name_print(f, nm, 0, XN_FLAG_RFC2253);
		fclose(f);
	}
	alz_text_copy_safe(out, NAME_TEXT, raw, ALZ_TEXT_ASCII_LINE);
}

/*
 * The key pin as CURLOPT_PINNEDPUBLICKEY takes it: "sha256//" and the
 * base64 of the SHA-256 of the DER SubjectPublicKeyInfo.
 */
static bool
key_pin(const struct tls_fns *fn, const X509 *x, char out[PIN_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL, *p;
	unsigned int mdlen = 0;
	X509_PUBKEY *pk = fn->pubkey(x);
	bool ok = false;
	int len;

	len = pk != NULL ? fn->i2d_pubkey(pk, NULL) : -1;
	if (len <= 0 || len > MAX_SPKI)
		goto out;
	der = malloc((size_t)len);
	if (der == NULL)
		goto out;
	p = der;	/* i2d moves it past what it wrote */
	if (fn->i2d_pubkey(pk, &p) != len ||
	    fn->digest(der, (size_t)len, md, &mdlen, fn->sha256(), NULL) != 1 || mdlen != 32)
		goto out;
	memcpy(out, "sha256//", 8);
	ok = fn->encode_block((unsigned char *)out + 8, md, 32) == 44;
out:
	if (!ok)
		out[0] = '\0';
	free(der);
	return ok;
}

/* The notAfter: its time, its UTC text and the whole days left (ASN1_TIME_diff from now). */
static void
expiry(const struct tls_fns *fn, const X509 *x, struct api_fact *f)
{
	const ASN1_TIME *t = fn->not_after(x);
	struct tm tm;
	int days = 0, secs = 0;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || fn->time_to_tm(t, &tm) != 1 || fn->time_diff(&days, &secs, NULL, t) != 1) {
		snprintf(f->not_after_text, sizeof(f->not_after_text), "unreadable");
		return;
	}
	f->not_after = timegm(&tm);
	strftime(f->not_after_text, sizeof(f->not_after_text), "%Y-%m-%d %H:%M:%S UTC", &tm);
	strftime(f->not_after_iso, sizeof(f->not_after_iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	f->days_left = days;
}

/* The connection's TLS version and cipher, the server certificate's facts and key pin. */
static void
read_cert(void *ssl_ptr, struct api_fact *f)
{
	const SSL *ssl = ssl_ptr;
	const SSL_CIPHER *c;
	struct tls_fns fn;
	X509 *x;

	if (ssl == NULL || !bind_tls(&fn))
		return;
	alz_text_copy_safe(f->version, sizeof(f->version), fn.get_version(ssl), ALZ_TEXT_VISIBLE);
	c = fn.current_cipher(ssl);
	alz_text_copy_safe(f->cipher, sizeof(f->cipher), c != NULL ? fn.cipher_name(c) : "",
			   ALZ_TEXT_VISIBLE);
	x = fn.peer_cert(ssl);
	if (x == NULL)
		return;
	name_text(&fn, fn.subject(x), f->subject);
	name_text(&fn, fn.issuer(x), f->issuer);
	expiry(&fn, x, f);
	key_pin(&fn, x, f->pin);
	fn.x509_free(x);
	f->cert = true;
}

/*
 * One connection to base_url I as a login makes it (http.c's init: CA,
 * proxy, TLS >= 1.2, pin, deadlines) and no request. When only the pin
 * failed, a second connection without it (the CA check stays) shows the
 * key the server has; the verdict stays the first connection's.
 */
static void
probe_api(struct status *st, unsigned i)
{
	struct api_fact *f = &st->api[i];
	struct alz_http h;
	struct alz_probe p;
	bool mismatch = false;

	memset(&p, 0, sizeof(p));
	f->url = st->cfg->base_urls.url[i];
	f->pin_check = st->cfg->pinned_public_key == NULL ? PIN_UNSET : PIN_UNCHECKED;
	f->rc = alz_http_init(&h, st->cfg, st->lg);
	if (f->rc == ALZ_OK) {
		f->rc = alz_http_probe(&h, i, true, &p);
		snprintf(f->error, sizeof(f->error), "%s", h.errbuf);
		f->connect_ms = (double)p.connect_us / 1000.0;
		if (p.tls_us > p.connect_us)
			f->tls_ms = (double)(p.tls_us - p.connect_us) / 1000.0;
		if (f->rc == ALZ_OK) {
			read_cert(p.ssl, f);
			if (f->pin_check == PIN_UNCHECKED)
				f->pin_check = PIN_MATCH;
		}
		mismatch = f->rc != ALZ_OK && p.pin_mismatch;
	}
	alz_http_cleanup(&h);
	if (!mismatch)
		return;
	f->pin_check = PIN_MISMATCH;
	if (alz_http_init(&h, st->cfg, st->lg) == ALZ_OK && alz_http_probe(&h, i, false, &p) == ALZ_OK) {
		read_cert(p.ssl, f);
		f->unpinned = f->cert;
	}
	alz_http_cleanup(&h);
}

static void
probe_all(struct status *st)
{
	const struct api_fact *f;
	unsigned i;

	st->answered = -1;
	for (i = 0; i < st->cfg->base_urls.n; i++) {
		probe_api(st, i);
		f = &st->api[i];
		if (f->rc == ALZ_OK && st->answered < 0)
			st->answered = (int)i;
		if (f->pin_check == PIN_MISMATCH)
			problem(st, "%s: the server's key %s is not pinned_public_key's: a login fails "
				"there", f->url, f->pin[0] != '\0' ? f->pin : "(unread)");
		else if (f->rc != ALZ_OK)
			problem(st, "%s: down (%s)", f->url, alz_strerror(f->rc));
		if (f->cert && f->days_left < EXPIRY_WARN_DAYS)
			problem(st, "%s: its certificate expires in %ld day%s (%s), under %d",
				f->url, f->days_left, f->days_left == 1 ? "" : "s", f->not_after_text,
				EXPIRY_WARN_DAYS);
	}
	if (st->cfg->base_urls.n > 0 && st->answered < 0)
		problem(st, "no base_url answered: a login now goes offline (offline_window) or fails");
}

/* ---- the cache */

static void
one_record(void *ctx, const char *user)
{
	struct cache_facts *c = ctx;
	struct alz_record r;
	char shown[ALZ_MAX_CACHE_NAME + 1];
	long wait = 0;

	c->records++;
	if (alz_cache_load(&c->cache, user, &r) != ALZ_OK) {
		c->unreadable++;	/* the module ignores it too (alz_cache_load logged why) */
		return;
	}
	alz_text_copy_safe(shown, sizeof(shown), user, ALZ_TEXT_VISIBLE);
	if (r.online_at != 0 && (c->oldest_at == 0 || r.online_at < c->oldest_at)) {
		c->oldest_at = r.online_at;
		memcpy(c->oldest_user, shown, sizeof(shown));
	}
	/* the module's own two rules, in its order: the throttle, then the offline gate */
	if (!alz_login_throttled(c->cache.cfg, &r, c->now, &wait) &&
	    alz_login_offline_gate(c->cache.cfg, &r, c->now) == ALZ_OFF_OK) {
		if (c->noffline < MAX_NAMES) {
			c->offline[c->noffline] = strdup(shown);
			if (c->offline[c->noffline] != NULL)
				c->noffline++;
		}
		c->offline_total++;
	}
	alz_record_free(&r);
}

static void
read_cache(struct status *st)
{
	struct cache_facts *c = &st->cache;

	c->now = time(NULL);
	alz_cache_open(&c->cache, st->cfg, 0, st->lg);
	if (!c->cache.usable) {
		problem(st, "the cache %s is not usable: no cached or offline login", st->cfg->cache_dir);
		return;
	}
	if (alz_cache_each(&c->cache, one_record, c) != ALZ_OK)
		problem(st, "the cache %s cannot be listed", st->cfg->cache_dir);
}

static void
cache_free(struct cache_facts *c)
{
	size_t i;

	for (i = 0; i < c->noffline; i++)
		free(c->offline[i]);
	c->noffline = 0;
}

/* ---- the module's last decisions */

/* Keep LINE when it is one of the module's auth decisions; the last LAST_DECISIONS stay. */
static void
take_line(struct decisions *d, const char *line)
{
	const char *m = strstr(line, "pam_alianza(");

	if (m == NULL || strstr(m, "): auth service=") == NULL || strstr(m, " result=") == NULL)
		return;
	if (d->n == LAST_DECISIONS && d->newest_first)
		return;		/* the newest are in */
	if (d->n == LAST_DECISIONS) {
		memmove(d->line[0], d->line[1], (LAST_DECISIONS - 1) * sizeof(d->line[0]));
		d->n--;
	}
	alz_text_copy_safe(d->line[d->n++], LOG_LINE, line, ALZ_TEXT_ASCII_LINE);
}

/* BUF (LEN bytes, writable) line by line; PARTIAL: its first line may be cut, skipped. */
static void
take_text(struct decisions *d, char *buf, size_t len, bool partial)
{
	char *p = buf, *end = buf + len, *nl;

	if (partial) {
		nl = memchr(p, '\n', len);
		p = nl != NULL ? nl + 1 : end;
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;	/* the buffer has a byte after END for the NUL */
		*nl = '\0';
		take_line(d, p);
		p = nl + 1;
	}
}

/* The last LOG_TAIL bytes of rsyslog's file; false when it cannot be read. */
static bool
read_auth_log(struct decisions *d)
{
	struct stat st;
	char *buf = NULL;
	off_t from;
	size_t len = 0;
	ssize_t got;
	bool ok = false;
	int fd;

	/* O_NONBLOCK: a FIFO put there cannot hang us; only a regular file is read */
	fd = open(auth_log, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	from = st.st_size > LOG_TAIL ? st.st_size - LOG_TAIL : 0;
	buf = malloc(LOG_TAIL + 1);
	if (buf == NULL)
		goto out;
	while (len < LOG_TAIL) {
		got = pread(fd, buf + len, LOG_TAIL - len, from + (off_t)len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			goto out;
		if (got == 0)
			break;
		len += (size_t)got;
	}
	take_text(d, buf, len, from > 0);
	d->source = auth_log;
	ok = true;
out:
	free(buf);
	close(fd);
	return ok;
}

/*
 * Run journalctl (a fixed path and argv, no shell, a clean environment,
 * stdin and stderr /dev/null) for the last authpriv entries; at most
 * LOG_TAIL bytes and JOURNAL_WAIT_MS are taken from it, then it is killed.
 */
static pid_t
spawn_journal(const char *path, int *out)
{
	/* writable, as execve takes them; newest first: what the caps cut is the oldest */
	char a0[] = "journalctl", a1[] = "--no-pager", a2[] = "--quiet", a3[] = "--reverse",
	     a4[] = "--output=short-iso", a5[] = JOURNAL_LINES,
	     a6[] = "SYSLOG_FACILITY=10";	/* authpriv, where pam_syslog writes */
	char e0[] = "PATH=/usr/bin:/bin", e1[] = "LC_ALL=C", e2[] = "SYSTEMD_COLORS=0";
	char *const argv[] = { a0, a1, a2, a3, a4, a5, a6, NULL };
	char *const envp[] = { e0, e1, e2, NULL };
	int fds[2], null;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid = null >= 0 ? fork() : -1;
	if (pid == 0) {
		if (dup2(null, STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0 ||
		    dup2(null, STDERR_FILENO) < 0)
			_exit(127);
		execve(path, argv, envp);
		_exit(127);
	}
	if (null >= 0)
		close(null);
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return -1;
	}
	*out = fds[0];
	return pid;
}

static bool
read_journal(struct decisions *d)
{
	static const char *const paths[] = { "/usr/bin/journalctl", "/bin/journalctl" };
	/* one shot, on the monotonic clock: journalctl's time to answer */
	const struct itimerspec limit = { { 0, 0 }, { JOURNAL_WAIT_MS / 1000,
						      (JOURNAL_WAIT_MS % 1000) * 1000000L } };
	struct pollfd pfd[2];
	const char *path = NULL;
	char *buf = NULL, *nl, swap[LOG_LINE];
	size_t len = 0, i;
	ssize_t got;
	bool whole = false, ok = false;
	int status = 0, fd = -1, timer = -1;
	pid_t pid = -1;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]) && path == NULL; i++)
		if (access(paths[i], X_OK) == 0)
			path = paths[i];
	if (path == NULL)
		return false;
	buf = malloc(LOG_TAIL + 1);
	timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (buf == NULL || timer < 0 || timerfd_settime(timer, 0, &limit, NULL) != 0)
		goto out;
	pid = spawn_journal(path, &fd);
	if (pid < 0)
		goto out;
	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = timer;
	pfd[1].events = POLLIN;
	while (len < LOG_TAIL) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents != 0)
			break;		/* JOURNAL_WAIT_MS are over */
		got = read(fd, buf + len, LOG_TAIL - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			whole = got == 0;
			break;
		}
		len += (size_t)got;
	}
	close(fd);
	if (!whole)
		kill(pid, SIGKILL);	/* too slow or too much: what came is used, nothing more */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (whole && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		goto out;	/* it could not read the journal (or did not run) */
	/* cut short: its last line may be cut, and is left out */
	nl = whole ? NULL : memrchr(buf, '\n', len);
	if (!whole)
		len = nl != NULL ? (size_t)(nl - buf) : 0;
	d->newest_first = true;
	take_text(d, buf, len, false);
	for (i = 0; i < d->n / 2; i++) {
		/* oldest first, as the file's */
		memcpy(swap, d->line[i], LOG_LINE);
		memcpy(d->line[i], d->line[d->n - 1 - i], LOG_LINE);
		memcpy(d->line[d->n - 1 - i], swap, LOG_LINE);
	}
	d->source = "journal";
	ok = true;
out:
	if (timer >= 0)
		close(timer);
	free(buf);
	return ok;
}

/* ---- output */

static void
print_api(const struct status *st, const struct api_fact *f, unsigned i)
{
	printf("API %u of %u: %s\n", i + 1, st->cfg->base_urls.n, f->url);
	if (f->rc == ALZ_OK)
		printf("  up: one TLS connection, no request: TCP %.1f ms, TLS handshake %.1f ms "
		       "(%s, %s), certificate verified\n", f->connect_ms, f->tls_ms, f->version,
		       f->cipher);
	else
		printf("  DOWN: %s (%s): %s\n", alz_strerror(f->rc), alz_rc_name(f->rc),
		       f->error[0] != '\0' ? f->error : "-");
	if (f->unpinned)
		printf("  seen on a second connection without the pin check (for this display "
		       "only; a login refuses this server):\n");
	if (f->cert) {
		printf("  subject: %s\n  issuer: %s\n", f->subject, f->issuer);
		printf("  expires: %s (%ld day%s)%s\n", f->not_after_text, f->days_left,
		       f->days_left == 1 ? "" : "s",
		       f->days_left < EXPIRY_WARN_DAYS ? " WARNING: under 30 days" : "");
		printf("  public key pin: %s\n", f->pin[0] != '\0' ? f->pin : "(unreadable)");
	}
	switch (f->pin_check) {
	case PIN_UNSET:
		if (f->cert)
			printf("  pinned_public_key: not set (the pin above can be copied there)\n");
		break;
	case PIN_MATCH:
		printf("  pinned_public_key: matches (libcurl's check in the handshake)\n");
		break;
	case PIN_MISMATCH:
		printf("  pinned_public_key: MISMATCH: the server's key is not pinned; a login "
		       "refuses this server\n");
		break;
	case PIN_UNCHECKED:
		printf("  pinned_public_key: not checked (no handshake)\n");
		break;
	}
}

static void
print_text(const struct status *st, const char *path, bool configured)
{
	const struct cache_facts *c = &st->cache;
	char when[32];
	unsigned i;
	size_t k;

	printf("config %s: read\n", path);
	if (!configured)
		printf("base_url is not set: pam_alianza does nothing (no API to reach)\n");
	for (i = 0; i < st->cfg->base_urls.n; i++)
		print_api(st, &st->api[i], i);
	if (configured)
		printf("a login uses: %s\n", st->answered >= 0 ? st->api[st->answered].url :
		       "none (no base_url answered)");
	printf("cache %s: %s\n", st->cfg->cache_dir, c->cache.usable ? "usable" : "NOT usable");
	if (c->cache.usable) {
		printf("  records: %zu", c->records);
		if (c->unreadable > 0)
			printf(" (%zu unreadable: the module ignores them)", c->unreadable);
		alz_admin_fmt_time(c->oldest_at, when, sizeof(when));
		printf("\n  oldest online login: %s%s%s%s\n", when, c->oldest_at != 0 ? " (" : "",
		       c->oldest_at != 0 ? c->oldest_user : "", c->oldest_at != 0 ? ")" : "");
		printf("  could log in offline now (offline_window %ld s):", st->cfg->offline_window);
		for (k = 0; k < c->noffline; k++)
			printf(" %s", c->offline[k]);
		if (c->offline_total > c->noffline)
			printf(" and %zu more", c->offline_total - c->noffline);
		printf("%s\n", c->offline_total == 0 ? " nobody" : "");
	}
	if (st->dec.source == NULL) {
		printf("last decisions: no log readable (%s, journalctl)\n", auth_log);
	} else {
		/* syslog(3) takes any tag from anybody: a line here is a hint, not evidence */
		printf("last decisions (%s, newest last; syslog text any local user can also write): "
		       "%zu\n", st->dec.source, st->dec.n);
		for (k = 0; k < st->dec.n; k++)
			printf("  %s\n", st->dec.line[k]);
	}
	for (k = 0; k < st->nproblems; k++)
		printf("warning: %s\n", st->problem[k]);
	printf("%s\n", st->nproblems > 0 ? "problems found" : "all good");
}

/* A string member, or null for NULL / "". */
static void
add_str(cJSON *o, const char *key, const char *v)
{
	if (v == NULL || v[0] == '\0')
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, v);
}

static cJSON *
json_api(const struct api_fact *f)
{
	cJSON *o = cJSON_CreateObject(), *c;

	if (o == NULL)
		return NULL;
	add_str(o, "url", f->url);
	cJSON_AddBoolToObject(o, "up", f->rc == ALZ_OK);
	add_str(o, "error", f->rc == ALZ_OK ? NULL : alz_rc_name(f->rc));
	add_str(o, "error_text", f->rc == ALZ_OK ? NULL : f->error);
	cJSON_AddNumberToObject(o, "connect_ms", f->connect_ms);
	cJSON_AddNumberToObject(o, "tls_handshake_ms", f->tls_ms);
	add_str(o, "tls_version", f->version);
	add_str(o, "cipher", f->cipher);
	if (!f->cert) {
		cJSON_AddNullToObject(o, "certificate");
	} else {
		c = cJSON_AddObjectToObject(o, "certificate");
		if (c != NULL) {
			add_str(c, "subject", f->subject);
			add_str(c, "issuer", f->issuer);
			add_str(c, "not_after", f->not_after_iso);
			cJSON_AddNumberToObject(c, "not_after_epoch", (double)f->not_after);
			cJSON_AddNumberToObject(c, "days_left", (double)f->days_left);
		}
	}
	add_str(o, "public_key_pin", f->pin);
	cJSON_AddStringToObject(o, "pin_check", pin_names[f->pin_check]);
	cJSON_AddBoolToObject(o, "seen_without_pin", f->unpinned);
	return o;
}

static cJSON *
json_cache(const struct status *st)
{
	const struct cache_facts *c = &st->cache;
	cJSON *o = cJSON_CreateObject(), *old, *names;
	char when[32];
	size_t k;

	if (o == NULL)
		return NULL;
	add_str(o, "dir", st->cfg->cache_dir);
	cJSON_AddBoolToObject(o, "usable", c->cache.usable);
	cJSON_AddNumberToObject(o, "records", (double)c->records);
	cJSON_AddNumberToObject(o, "unreadable", (double)c->unreadable);
	if (c->oldest_at == 0) {
		cJSON_AddNullToObject(o, "oldest_online");
	} else {
		old = cJSON_AddObjectToObject(o, "oldest_online");
		if (old != NULL) {
			add_str(old, "user", c->oldest_user);
			cJSON_AddNumberToObject(old, "at", (double)c->oldest_at);
			alz_admin_fmt_time(c->oldest_at, when, sizeof(when));
			add_str(old, "time", when);
		}
	}
	cJSON_AddNumberToObject(o, "offline_window", (double)st->cfg->offline_window);
	names = cJSON_AddArrayToObject(o, "offline_now");
	for (k = 0; names != NULL && k < c->noffline; k++)
		cJSON_AddItemToArray(names, cJSON_CreateString(c->offline[k]));
	cJSON_AddNumberToObject(o, "offline_now_count", (double)c->offline_total);
	return o;
}

static bool
print_json(const struct status *st, const char *path, bool configured, int code)
{
	cJSON *root = cJSON_CreateObject(), *a, *d, *l;
	char *text = NULL;
	unsigned i;
	size_t k;

	if (root == NULL)
		return false;
	add_str(root, "config", path);
	cJSON_AddBoolToObject(root, "configured", configured);
	a = cJSON_AddArrayToObject(root, "api");
	for (i = 0; a != NULL && i < st->cfg->base_urls.n; i++)
		cJSON_AddItemToArray(a, json_api(&st->api[i]));
	add_str(root, "answered", st->answered >= 0 ? st->api[st->answered].url : NULL);
	cJSON_AddItemToObject(root, "cache", json_cache(st));
	d = cJSON_AddObjectToObject(root, "decisions");
	if (d != NULL) {
		add_str(d, "source", st->dec.source);
		cJSON_AddBoolToObject(d, "authenticated", false);	/* any user can log such text */
		l = cJSON_AddArrayToObject(d, "lines");
		for (k = 0; l != NULL && k < st->dec.n; k++)
			cJSON_AddItemToArray(l, cJSON_CreateString(st->dec.line[k]));
	}
	l = cJSON_AddArrayToObject(root, "problems");
	for (k = 0; l != NULL && k < st->nproblems; k++)
		cJSON_AddItemToArray(l, cJSON_CreateString(st->problem[k]));
	cJSON_AddNumberToObject(root, "exit", code);
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		return false;
	printf("%s\n", text);
	free(text);
	return true;
}

int
alz_admin_status(const struct alz_config *cfg, const char *path, bool configured, bool json,
		 const struct alz_log *lg)
{
	struct status *st;
	int code;

	/* about 10 KiB of problem and log lines: not on the stack */
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		fputs("error: out of memory\n", stderr);
		return EX_PROBLEM;
	}
	st->cfg = cfg;
	st->lg = lg;
	st->answered = -1;
	if (!configured)
		problem(st, "base_url is not set: pam_alianza is not configured and does nothing");
	probe_all(st);
	read_cache(st);
	if (!read_auth_log(&st->dec))
		read_journal(&st->dec);
	code = st->nproblems > 0 ? EX_PROBLEM : EX_OK;
	if (!json)
		print_text(st, path, configured);
	else if (!print_json(st, path, configured, code))
		code = EX_PROBLEM;
	cache_free(&st->cache);
	free(st);
	return code;
}
