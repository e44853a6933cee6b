/* tst-dlopen.c - the module loads RTLD_NOW (no missing symbol) and exports only pam_sm_*. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "tap.h"

int
main(void)
{
	static const char *const entry[] = { "pam_sm_authenticate", "pam_sm_setcred",
		"pam_sm_acct_mgmt", "pam_sm_open_session", "pam_sm_close_session",
		"pam_sm_chauthtok" };
	static const char *const hidden[] = { "alz_config_load_file", "alz_http_call",
		"alz_reply_login", "alz_log" };
	const char *dir = getenv("ALZ_BUILDDIR");
	char path[4096];
	void *h;
	size_t i;

	snprintf(path, sizeof(path), "%s/pam_alianza/.libs/pam_alianza.so", dir ? dir : ".");
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	tap_ok(h != NULL, "dlopen(RTLD_NOW) %s", path);
	if (h == NULL) {
		printf("# %s\n", dlerror());
		return tap_done();
	}
	for (i = 0; i < sizeof(entry) / sizeof(entry[0]); i++)
		tap_ok(dlsym(h, entry[i]) != NULL, "exports %s", entry[i]);
	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		tap_ok(dlsym(h, hidden[i]) == NULL, "does not export %s", hidden[i]);
	dlclose(h);
	/* libcurl keeps the module's memory functions (http.c): the module must stay mapped */
	h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	tap_ok(h != NULL, "still loaded after dlclose (-z nodelete)");
	if (h != NULL)
		dlclose(h);
	return tap_done();
}
