/* trust.c - the one home of file trust: type, owner, mode, symlinks, and a capped read. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alz_secret.h"
#include "alz_trust.h"

bool
alz_trust_stat(const struct stat *st, const struct alz_trust *t, char why[ALZ_TRUST_WHY])
{
	why[0] = '\0';
	if (S_ISLNK(st->st_mode)) {
		snprintf(why, ALZ_TRUST_WHY, "a symlink");
		return false;
	}
	if ((st->st_mode & S_IFMT) != t->type) {
		snprintf(why, ALZ_TRUST_WHY, "not a %s", t->type == S_IFDIR ? "directory" :
			 "regular file");
		return false;
	}
	if (st->st_uid != t->owner && !(t->root_too && st->st_uid == 0)) {
		snprintf(why, ALZ_TRUST_WHY, "owned by uid %u, not %u", (unsigned)st->st_uid,
			 (unsigned)t->owner);
		return false;
	}
	if ((st->st_mode & t->deny) != 0) {
		snprintf(why, ALZ_TRUST_WHY, (t->deny & 044) != 0 ?
			 "group or others have access (mode %04o)" :
			 "writable by group or others (mode %04o)", (unsigned)(st->st_mode & 07777));
		return false;
	}
	return true;
}

void
alz_trust_buf_free(char *buf, size_t len)
{
	alz_secret_free_len(buf, len);
}

enum alz_rc
alz_trust_read_fd(int fd, const struct alz_trust *t, size_t cap, bool text, char **buf,
		  size_t *len, char why[ALZ_TRUST_WHY])
{
	enum alz_rc rc = ALZ_ERR_UNTRUSTED;
	struct stat st;
	char *b = NULL;
	size_t n = 0;
	ssize_t got;

	*buf = NULL;
	*len = 0;
	why[0] = '\0';
	/* decide on the opened file, not the name: no race with a swap */
	if (fstat(fd, &st) != 0) {
		snprintf(why, ALZ_TRUST_WHY, "cannot stat: %s", strerror(errno));
		rc = ALZ_ERR_SYSTEM;
		goto out;
	}
	if (!alz_trust_stat(&st, t, why))
		goto out;
	if ((size_t)st.st_size > cap) {
		snprintf(why, ALZ_TRUST_WHY, "larger than %zu bytes", cap);
		goto out;
	}
	b = malloc(cap + 2);
	if (b == NULL) {
		rc = ALZ_ERR_NOMEM;
		goto out;
	}
	/* read up to the cap + 1: a file that grew since fstat is still caught */
	while (n <= cap) {
		got = read(fd, b + n, cap + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(why, ALZ_TRUST_WHY, "read error: %s", strerror(errno));
			rc = ALZ_ERR_SYSTEM;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	b[n] = '\0';
	if (n > cap) {
		snprintf(why, ALZ_TRUST_WHY, "larger than %zu bytes", cap);
		goto out;
	}
	if (text && memchr(b, '\0', n) != NULL) {
		snprintf(why, ALZ_TRUST_WHY, "contains a NUL byte");
		goto out;
	}
	*buf = b;
	*len = n;
	b = NULL;	/* transferred */
	rc = ALZ_OK;
out:
	alz_trust_buf_free(b, n < cap + 2 ? n + 1 : cap + 2);
	return rc;
}

enum alz_rc
alz_trust_read(const char *path, const struct alz_trust *t, size_t cap, bool text, char **buf,
	       size_t *len, char why[ALZ_TRUST_WHY])
{
	enum alz_rc rc;
	int fd;

	*buf = NULL;
	*len = 0;
	why[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (t->nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		if (errno == ENOENT)
			return ALZ_ERR_NOT_FOUND;
		if (errno == ELOOP && t->nofollow) {
			snprintf(why, ALZ_TRUST_WHY, "a symlink");
			return ALZ_ERR_UNTRUSTED;
		}
		snprintf(why, ALZ_TRUST_WHY, "cannot open: %s", strerror(errno));
		return ALZ_ERR_SYSTEM;
	}
	rc = alz_trust_read_fd(fd, t, cap, text, buf, len, why);
	close(fd);
	return rc;
}
