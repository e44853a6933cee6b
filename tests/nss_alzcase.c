/*
 * nss_alzcase.c - a case-insensitive passwd source for tests (pam_auth.test):
 * with "passwd: files alzcase" in nsswitch.conf, getpwnam("ALICE") finds the
 * /etc/passwd entry "alice" and answers with pw_name "alice", as an LDAP or
 * SSSD source that ignores case does.
 */
#include "config.h"

#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <strings.h>

enum nss_status _nss_alzcase_getpwnam_r(const char *name, struct passwd *pw, char *buf,
					size_t buflen, int *errnop);

enum nss_status
_nss_alzcase_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t buflen,
			int *errnop)
{
	enum nss_status st = NSS_STATUS_NOTFOUND;
	struct passwd *found = NULL;
	FILE *f;
	int err = 0;

	f = fopen("/etc/passwd", "re");
	if (f == NULL) {
		*errnop = errno;
		return NSS_STATUS_UNAVAIL;
	}
	for (;;) {
		err = fgetpwent_r(f, pw, buf, buflen, &found);
		if (err != 0 || found == NULL)
			break;
		if (strcasecmp(found->pw_name, name) == 0) {
			st = NSS_STATUS_SUCCESS;
			break;
		}
	}
	if (st != NSS_STATUS_SUCCESS && err == ERANGE) {
		*errnop = ERANGE;
		st = NSS_STATUS_TRYAGAIN;
	}
	fclose(f);
	return st;
}
