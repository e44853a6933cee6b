/*
 * alz_lazylib.h - a shared library opened with dlopen() the first time it is
 * needed, its functions resolved into one table (libcurl: curl.c; liboath:
 * totp.c; libcrypt: verifier.c).
 *
 * libpam loads the module with RTLD_NOW, binding every library the module
 * links at once, in every PAM call, also one the module ignores. What is
 * needed only for some logins is opened when it is: a library is data (its
 * soname, its functions, a check) and alz_lazylib_load() the one function.
 */
#ifndef ALZ_LAZYLIB_H
#define ALZ_LAZYLIB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "alz_log.h"

struct alz_lazysym {
	const char *name;
	size_t offset;		/* of its function pointer in the library's table */
};

struct alz_lazylib {
	const char *soname;
	const struct alz_lazysym *syms;
	size_t nsyms;
	void *table;		/* filled at load */
	/* after the symbols: NULL when usable, else why not (into WHY, CAP bytes) */
	const char *(*check)(const void *table, char *why, size_t cap);
	/* state, for alz_lazylib_load() only */
	pthread_mutex_t lock;
	int state;		/* 0 not loaded (yet), 1 loaded, -1 unusable for good */
	void *handle;
	char why[256];
};

#define ALZ_LAZYSYM(type, member, sym) { sym, offsetof(type, member) }
#define ALZ_LAZYLIB_INIT(soname, syms, table, check) \
	{ soname, syms, sizeof(syms) / sizeof(syms[0]), table, check, \
	  PTHREAD_MUTEX_INITIALIZER, 0, NULL, "" }

/*
 * LIB's table, the library opened on the first call (once per process; it
 * stays loaded). NULL when it cannot be opened (tried again on the next
 * call: a long-lived host may have been short of descriptors or memory),
 * lacks a function or fails its check (for good): LG (may be NULL) then
 * gets one line naming the library, why, and WHAT cannot be done without it.
 */
const void *alz_lazylib_load(struct alz_lazylib *lib, const char *what, const struct alz_log *lg);

/* A symbol of LIB or of its dependencies (LIB opened if need be); NULL when absent. */
void *alz_lazylib_sym(struct alz_lazylib *lib, const char *name);

/*
 * Declares a dlopen()ed dependency in the ELF file, the way systemd does
 * (https://systemd.io/ELF_DLOPEN_METADATA/): a .note.dlopen note, owner
 * "FDO", type 0x407c0c0a, a JSON array; read by packaging tools
 * (dlopen-notes.py, dh-dlopenlibdeps) and shown by "readelf -n".
 */
#define ALZ_NOTE_DLOPEN_OWNER "FDO"
#define ALZ_NOTE_DLOPEN_TYPE UINT32_C(0x407c0c0a)
#define ALZ_NOTE_DLOPEN(var, feature, description, priority, soname) \
	__attribute__((used, section(".note.dlopen"))) _Alignas(4) static const struct { \
		struct { uint32_t n_namesz, n_descsz, n_type; } nhdr; \
		char name[sizeof(ALZ_NOTE_DLOPEN_OWNER)]; \
		_Alignas(4) char json[(sizeof("[{\"feature\":\"" feature "\",\"description\":\"" \
			description "\",\"priority\":\"" priority "\",\"soname\":[\"" soname \
			"\"]}]") + 3) & ~(size_t)3]; \
	} var = { \
		{ sizeof(ALZ_NOTE_DLOPEN_OWNER), \
		  sizeof("[{\"feature\":\"" feature "\",\"description\":\"" description \
			 "\",\"priority\":\"" priority "\",\"soname\":[\"" soname "\"]}]"), \
		  ALZ_NOTE_DLOPEN_TYPE }, \
		ALZ_NOTE_DLOPEN_OWNER, \
		"[{\"feature\":\"" feature "\",\"description\":\"" description \
		"\",\"priority\":\"" priority "\",\"soname\":[\"" soname "\"]}]", \
	}

#endif
