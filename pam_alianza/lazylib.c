/* lazylib.c - a shared library opened with dlopen() the first time it is needed (alz_lazylib.h). */
#include "config.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alz_lazylib.h"

/*
 * 1: loaded. -1: the library lacks a function or fails its check, which
 * stays so for the process. 0: dlopen() failed, maybe for a while only (no
 * descriptor or memory left in a long-lived host): tried again next time.
 */
static int
open_lib(struct alz_lazylib *lib)
{
	void *h, *sym;
	const char *e;
	size_t i;

	/*
	 * RTLD_LAZY: what its dependencies allow bound when first called;
	 * RTLD_LOCAL: its symbols do not join the host's global scope;
	 * RTLD_NODELETE: never unloaded (libcurl keeps the module's memory
	 * functions). The soname, looked up as ld.so looks up a linked
	 * library: in a setuid host (AT_SECURE) LD_LIBRARY_PATH is ignored.
	 */
	h = dlopen(lib->soname, RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE);
	if (h == NULL) {
		e = dlerror();
		snprintf(lib->why, sizeof(lib->why), "cannot load %s: %s", lib->soname,
			 e != NULL ? e : "unknown error");
		return 0;
	}
	for (i = 0; i < lib->nsyms; i++) {
		sym = dlsym(h, lib->syms[i].name);
		if (sym == NULL) {
			snprintf(lib->why, sizeof(lib->why), "%s has no %s", lib->soname,
				 lib->syms[i].name);
			return -1;
		}
		memcpy((char *)lib->table + lib->syms[i].offset, &sym, sizeof(sym));
	}
	if (lib->check != NULL && lib->check(lib->table, lib->why, sizeof(lib->why)) != NULL)
		return -1;
	lib->handle = h;
	return 1;
}

static bool
loaded(struct alz_lazylib *lib)
{
	bool ok;

	pthread_mutex_lock(&lib->lock);
	if (lib->state == 0)
		lib->state = open_lib(lib);
	ok = lib->state == 1;
	pthread_mutex_unlock(&lib->lock);
	return ok;
}

const void *
alz_lazylib_load(struct alz_lazylib *lib, const char *what, const struct alz_log *lg)
{
	if (!loaded(lib)) {
		alz_log(lg, LOG_ERR, "%s; %s", lib->why, what);
		return NULL;
	}
	return lib->table;
}

void *
alz_lazylib_sym(struct alz_lazylib *lib, const char *name)
{
	if (!loaded(lib))
		return NULL;
	/* a handle's lookup covers the library and then its dependencies */
	return dlsym(lib->handle, name);
}
