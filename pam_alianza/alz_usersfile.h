/* alz_usersfile.h - liboath's usersfile (local_totp_file), read and changed as liboath changes it. */
#ifndef ALZ_USERSFILE_H
#define ALZ_USERSFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "alz_error.h"
#include "alz_log.h"
#include "alz_text.h"

#define ALZ_USERSFILE_MAX (1024 * 1024)	/* bytes; some 10000 users of about 100 bytes */
#define ALZ_USERSFILE_LOCK_WAIT 30	/* seconds "<file>.lock" is waited for */

/*
 * One entry: a line whose first field is a type liboath takes ("HOTP/T30",
 * "HOTP/E/8", ...). Lines that are not (comments, blank lines) are no
 * entry, for liboath as here, and are kept as they are. The secret and the
 * last code are never copied out.
 */
struct alz_usersfile_entry {
	char type[16];
	char user[ALZ_MAX_USER + 1];
	bool user_too_long;	/* the file's name is longer than any the module takes */
	bool counter;		/* a moving factor is recorded (liboath writes one at each use) */
	bool used;		/* the last code used is recorded: it cannot be used again */
	char when[32];		/* when it was used, as liboath wrote it; "" when not recorded */
};

typedef void alz_usersfile_fn(void *ctx, const struct alz_usersfile_entry *e);

/*
 * Call FN for each entry of FILE, in file order. FILE and its directory
 * must pass the module's checks (root's, private, no symlink: see
 * alz_totp_verify_local). ALZ_ERR_NOT_FOUND: no such file (not logged);
 * ALZ_ERR_UNTRUSTED, ALZ_ERR_SYSTEM: said in LG.
 */
enum alz_rc alz_usersfile_each(const char *file, alz_usersfile_fn *fn, void *ctx,
			       const struct alz_log *lg);

/*
 * Drop every entry of USER from FILE and, when LINE is not NULL, append
 * LINE (one whole line, '\n'-terminated). The change is liboath's own
 * kind (update_usersfile): under liboath's lock ("<file>.lock" made with
 * O_EXCL and write-locked with fcntl, removed after; one that is there is
 * waited for, ALZ_USERSFILE_LOCK_WAIT seconds at most, or refused at once
 * when nobody holds it), whole new contents in a temp file of FILE's
 * directory, root's and 0600, fsync, rename over FILE, fsync the
 * directory; FILE is never partial.
 * A liboath login that opened FILE before the rename and waits for the
 * lock to record its code rereads the file it opened: that file is given
 * the new contents too, so the login's rewrite keeps this change instead
 * of undoing it. FILE is created when missing (its directory must pass the
 * module's check). *DROPPED: how many entries of USER were dropped.
 * ALZ_ERR_EXISTS: USER has an entry and !REPLACE (nothing written);
 * ALZ_ERR_NOT_FOUND: LINE is NULL and USER has no entry (nothing written);
 * ALZ_ERR_INPUT: the new file would be larger than ALZ_USERSFILE_MAX;
 * ALZ_ERR_UNTRUSTED, ALZ_ERR_SYSTEM (the lock not had, among them): said
 * in LG.
 */
enum alz_rc alz_usersfile_set(const char *file, const char *user, const char *line, bool replace,
			      size_t *dropped, const struct alz_log *lg);

#endif
