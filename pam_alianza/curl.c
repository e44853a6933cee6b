/* curl.c - libcurl, opened with dlopen() the first time a request is due (alz_curl.h). */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alz_curl.h"

#ifndef ALZ_CURL_SONAME
#define ALZ_CURL_SONAME "libcurl.so.4"
#endif

/* CURLOPT_PROTOCOLS_STR; curl_easy_header is 7.84 */
#define CURL_MIN_VERSION 0x075500
#define CURL_MIN_TEXT "7.85.0"

/*
 * The dependency, declared in the ELF file the way systemd declares its
 * dlopen()ed libraries (https://systemd.io/ELF_DLOPEN_METADATA/): a
 * .note.dlopen note, owner "FDO", type 0x407c0c0a, a JSON array. Packaging
 * tools (dh-dlopenlibdeps, dlopen-notes.py) and "readelf -n" read it; the
 * Debian package also lists libcurl4 in Depends (debian/control).
 */
#define NOTE_OWNER "FDO"
#define NOTE_TYPE UINT32_C(0x407c0c0a)
#define NOTE_JSON "[{\"feature\":\"https\",\"description\":\"HTTPS calls to the API " \
	"(libcurl with OpenSSL)\",\"priority\":\"required\",\"soname\":[\"" ALZ_CURL_SONAME "\"]}]"

__attribute__((used, section(".note.dlopen"))) _Alignas(4) static const struct {
	struct {
		uint32_t n_namesz, n_descsz, n_type;
	} nhdr;
	char name[sizeof(NOTE_OWNER)];
	_Alignas(4) char json[(sizeof(NOTE_JSON) + 3) & ~(size_t)3];
} dlopen_note = {
	.nhdr = { sizeof(NOTE_OWNER), sizeof(NOTE_JSON), NOTE_TYPE },
	.name = NOTE_OWNER,
	.json = NOTE_JSON,
};

/* the table: each member and the symbol it is bound to */
static const struct {
	const char *name;
	size_t offset;
} symbols[] = {
#define S(member, sym) { sym, offsetof(struct alz_curl, member) }
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
#undef S
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct alz_curl table;
static void *handle;		/* set only once the table is whole */
static char why[256];		/* when it is not */

static void
load(void)
{
	const curl_version_info_data *v;
	void *h;
	size_t i;

	/*
	 * Lazy binding for what libcurl's dependencies allow; RTLD_LOCAL: its
	 * symbols do not join the host's global scope; NODELETE: never
	 * unloaded (it keeps the module's memory functions, http.c). The
	 * soname, as ld.so looks it up for a linked library: in a setuid host
	 * (AT_SECURE) the loader ignores LD_LIBRARY_PATH.
	 */
	h = dlopen(ALZ_CURL_SONAME, RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE);
	if (h == NULL) {
		const char *e = dlerror();

		snprintf(why, sizeof(why), "cannot load %s: %s", ALZ_CURL_SONAME,
			 e != NULL ? e : "unknown error");
		return;
	}
	for (i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *sym = dlsym(h, symbols[i].name);

		if (sym == NULL) {
			snprintf(why, sizeof(why), "%s has no %s", ALZ_CURL_SONAME, symbols[i].name);
			return;
		}
		memcpy((char *)&table + symbols[i].offset, &sym, sizeof(sym));
	}
	v = table.version_info(CURLVERSION_NOW);
	if (v == NULL || v->version_num < CURL_MIN_VERSION) {
		snprintf(why, sizeof(why), "%s is libcurl %s; %s or later is needed", ALZ_CURL_SONAME,
			 v != NULL && v->version != NULL ? v->version : "?", CURL_MIN_TEXT);
		return;
	}
	handle = h;
}

const struct alz_curl *
alz_curl_load(const struct alz_log *lg)
{
	pthread_once(&once, load);
	if (handle == NULL) {
		alz_log(lg, LOG_ERR, "%s; no request can be made", why);
		return NULL;
	}
	return &table;
}

void *
alz_curl_tls_sym(const char *name)
{
	pthread_once(&once, load);
	if (handle == NULL)
		return NULL;
	/* a handle's lookup covers the library and then its dependencies */
	return dlsym(handle, name);
}
