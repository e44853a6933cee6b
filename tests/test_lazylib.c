/*
 * test_lazylib.c - a library opened on first use (lazylib.c): a dlopen() that failed for want
 * of a descriptor is tried again once there is one; a failure names the library; the table
 * and the TLS symbols are there once it loads.
 */
#include "config.h"

#include <stdarg.h>
#include <sys/resource.h>

#include "alz_curl.h"
#include "alz_error.h"
#include "tap.h"

static char logged[1024];

static void
sink(void *ctx, int prio, const char *fmt, va_list ap)
{
	(void)ctx;
	(void)prio;
	vsnprintf(logged, sizeof(logged), fmt, ap);
}

int
main(void)
{
	struct alz_log lg = { sink, NULL, 0 };
	struct rlimit old, none;
	const struct alz_curl *c;

	/* no descriptor left for dlopen() to open the file with, as in a host at its limit */
	if (getrlimit(RLIMIT_NOFILE, &old) != 0)
		return 99;
	none = old;
	none.rlim_cur = 3;	/* stdin, stdout, stderr */
	if (setrlimit(RLIMIT_NOFILE, &none) != 0)
		return 99;
	c = alz_curl_load(&lg);
	setrlimit(RLIMIT_NOFILE, &old);
	tap_ok(c == NULL, "libcurl with no descriptor left: not loaded");
	ok_has(logged, "cannot load libcurl", "the log line names the library");
	ok_has(logged, "no request can be made", "... and what cannot be done");

	logged[0] = '\0';
	c = alz_curl_load(&lg);
	tap_ok(c != NULL && c->easy_init != NULL && c->easy_setopt != NULL,
	       "with descriptors again: loaded on the next call (a dlopen() failure is not kept)");
	ok_str(logged, "", "... and nothing logged");
	tap_ok(c != NULL && c == alz_curl_load(&lg), "loaded once: the same table after");
	tap_ok(alz_curl_tls_sym("SSL_CTX_set_options") != NULL,
	       "libssl's functions found through libcurl's dependencies");
	tap_ok(alz_curl_tls_sym("alz_no_such_function") == NULL, "a symbol that is not there: NULL");
	return tap_done();
}
