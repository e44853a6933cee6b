/*
 * alz_curl.h - libcurl, opened with dlopen() the first time a request is due.
 *
 * The module links no libcurl: a PAM call that never goes online (root, an
 * ignored user, a cached re-auth, a session or account phase that only reads
 * the record) loads neither libcurl nor its ~37 libraries (libssl and
 * libcrypto among them). curl/curl.h gives the types and constants; every
 * function the module uses is in this one table, resolved at load.
 */
#ifndef ALZ_CURL_H
#define ALZ_CURL_H

#include <curl/curl.h>

#include "alz_log.h"

struct alz_curl {
	CURLcode (*global_init_mem)(long flags, curl_malloc_callback m, curl_free_callback f,
				    curl_realloc_callback r, curl_strdup_callback s,
				    curl_calloc_callback c);
	curl_version_info_data *(*version_info)(CURLversion);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode);
	CURLHcode (*easy_header)(CURL *easy, const char *name, size_t index, unsigned int origin,
				 int request, struct curl_header **hout);
	CURLcode (*easy_recv)(CURL *curl, void *buffer, size_t buflen, size_t *n);
	char *(*easy_escape)(CURL *curl, const char *string, int length);
	char *(*easy_unescape)(CURL *curl, const char *string, int length, int *outlength);
	void (*free)(void *p);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *data);
	void (*slist_free_all)(struct curl_slist *list);
};

/*
 * libcurl's table, libcurl loaded on the first call (once per process,
 * thread-safe; it stays loaded). NULL when it cannot be loaded, lacks a
 * function or is older than the module needs: then LG (may be NULL) gets
 * one line naming the library and why; the caller fails with ALZ_ERR_SYSTEM.
 */
const struct alz_curl *alz_curl_load(const struct alz_log *lg);

/*
 * A function of the libssl/libcrypto that libcurl uses, looked up in
 * libcurl's own dependencies (loading libcurl if it is not yet): the module
 * links neither. NULL when absent or when libcurl cannot be loaded.
 */
void *alz_curl_tls_sym(const char *name);

#endif
