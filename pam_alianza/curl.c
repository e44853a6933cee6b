/* curl.c - libcurl, opened with dlopen() the first time a request is due (alz_curl.h). */
#include "config.h"

#include <stdio.h>

#include "alz_curl.h"
#include "alz_lazylib.h"

#ifndef ALZ_CURL_SONAME
#define ALZ_CURL_SONAME "libcurl.so.4"
#endif

/* CURLOPT_PROTOCOLS_STR; curl_easy_header is 7.84 */
#define CURL_MIN_VERSION 0x075500
#define CURL_MIN_TEXT "7.85.0"

/* the package also lists libcurl4 in Depends (debian/control) */
ALZ_NOTE_DLOPEN(curl_note, "https", "HTTPS calls to the API (libcurl with OpenSSL)", "required",
		ALZ_CURL_SONAME);

#define S(member, sym) ALZ_LAZYSYM(struct alz_curl, member, sym)
static const struct alz_lazysym symbols[] = {
	S(global_init_mem, "curl_global_init_mem"),
	S(version_info, "curl_version_info"),
	S(easy_init, "curl_easy_init"),
	S(easy_setopt, "curl_easy_setopt"),
	S(easy_perform, "curl_easy_perform"),
	S(easy_getinfo, "curl_easy_getinfo"),
	S(easy_cleanup, "curl_easy_cleanup"),
	S(easy_strerror, "curl_easy_strerror"),
	S(easy_header, "curl_easy_header"),
	S(easy_recv, "curl_easy_recv"),
	S(easy_escape, "curl_easy_escape"),
	S(easy_unescape, "curl_easy_unescape"),
	S(free, "curl_free"),
	S(slist_append, "curl_slist_append"),
	S(slist_free_all, "curl_slist_free_all"),
};
#undef S

static const char *
check_version(const void *table, char *why, size_t cap)
{
	const struct alz_curl *c = table;
	const curl_version_info_data *v = c->version_info(CURLVERSION_NOW);

	if (v != NULL && v->version_num >= CURL_MIN_VERSION)
		return NULL;
	snprintf(why, cap, "%s is libcurl %s; %s or later is needed", ALZ_CURL_SONAME,
		 v != NULL && v->version != NULL ? v->version : "?", CURL_MIN_TEXT);
	return why;
}

static struct alz_curl table;
static struct alz_lazylib lib = ALZ_LAZYLIB_INIT(ALZ_CURL_SONAME, symbols, &table, check_version);

const struct alz_curl *
alz_curl_load(const struct alz_log *lg)
{
	return alz_lazylib_load(&lib, "no request can be made", lg);
}

void *
alz_curl_tls_sym(const char *name)
{
	return alz_lazylib_sym(&lib, name);
}
