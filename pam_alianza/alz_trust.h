/* alz_trust.h - the one home of file trust: type, owner, mode, symlinks, and a capped read. */
#ifndef ALZ_TRUST_H
#define ALZ_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "alz_error.h"

/* What a file or directory must be before its contents are believed. */
struct alz_trust {
	mode_t type;		/* S_IFREG or S_IFDIR */
	uid_t owner;		/* the owner it must have */
	bool root_too;		/* root may own it instead of OWNER */
	mode_t deny;		/* bits that must be clear: 022 nobody else writes, 077 private */
	bool nofollow;		/* a symlink is refused, never followed */
};

/* The config: OWNER's regular file, nobody else writes it (pam_faillock's rule). */
#define ALZ_TRUST_CONFIG(o) ((struct alz_trust){ S_IFREG, (o), false, 022, false })
/* A file of secrets: OWNER's (or root's when ROOT_TOO), private, never a symlink. */
#define ALZ_TRUST_SECRET(o, root_too) ((struct alz_trust){ S_IFREG, (o), (root_too), 077, true })
/* A directory on the way to one: nobody else may write it (pam_timestamp's rule). */
#define ALZ_TRUST_DIR(o, root_too) ((struct alz_trust){ S_IFDIR, (o), (root_too), 022, true })

#define ALZ_TRUST_WHY 128	/* bytes of a reason sentence */

/*
 * True when ST (from fstat, or lstat for a directory component) meets T;
 * else false with a reason in WHY ("owned by uid 5, not 0").
 */
bool alz_trust_stat(const struct stat *st, const struct alz_trust *t, char why[ALZ_TRUST_WHY]);

/*
 * Open PATH (O_NOFOLLOW when T says so, O_NONBLOCK so a FIFO cannot hang
 * us), decide on the opened file, read at most CAP bytes. ALZ_OK: *BUF
 * holds *LEN bytes and a NUL (the caller wipes and frees it).
 * ALZ_ERR_NOT_FOUND: no such file (WHY empty). ALZ_ERR_UNTRUSTED: WHY
 * says why (a symlink, owner, mode, type, larger than CAP, a NUL byte when
 * TEXT). ALZ_ERR_SYSTEM: open or read failed (WHY says how).
 */
enum alz_rc alz_trust_read(const char *path, const struct alz_trust *t, size_t cap, bool text,
			   char **buf, size_t *len, char why[ALZ_TRUST_WHY]);

/*
 * alz_trust_read on a file the caller opened (and keeps open, at its
 * offset 0): for a writer that holds the file it read, as the local TOTP
 * file's editor does. ALZ_ERR_NOT_FOUND is the caller's to say.
 */
enum alz_rc alz_trust_read_fd(int fd, const struct alz_trust *t, size_t cap, bool text,
			      char **buf, size_t *len, char why[ALZ_TRUST_WHY]);

/* Wipe and free what alz_trust_read gave (it may hold tokens). */
void alz_trust_buf_free(char *buf, size_t len);

#endif
