/* alz_cache.h - the root-owned cache directory: trust checks, per-user locks, atomic records. */
#ifndef ALZ_CACHE_H
#define ALZ_CACHE_H

#include <stdbool.h>
#include <sys/types.h>

#include "alz_config.h"
#include "alz_record.h"

#define ALZ_MAX_CACHE_NAME 200	/* bytes of an encoded user name in a file name */
#define ALZ_LOCK_WAIT_MS 3000	/* how long a login waits for another one of the same user */

struct alz_cache {
	const struct alz_config *cfg;
	const struct alz_log *lg;
	uid_t owner;		/* 0 in the module */
	bool usable;		/* false: behave as if there were no cache */
};

/*
 * Check (and create, 0700, if missing) cfg->cache_dir. Every component of
 * the path must be a real directory (no symlink) owned by OWNER or root
 * and not writable by group or others, as pam_timestamp checks. On
 * failure the reason is logged and c->usable is false; the return value
 * is ALZ_OK either way, since a login must work without a cache.
 */
enum alz_rc alz_cache_open(struct alz_cache *c, const struct alz_config *cfg, uid_t owner,
			   const struct alz_log *lg);

/*
 * The file name stem for USER: "u." + the name with every byte outside
 * [a-z0-9_-] (and a leading '.') written as %XX. Never a path separator,
 * never "." or "..". ALZ_ERR_INPUT when it would exceed ALZ_MAX_CACHE_NAME.
 */
enum alz_rc alz_cache_name(const char *user, char *out, size_t cap);

/*
 * Take USER's lock (flock on "<name>.lock"), waiting up to ALZ_LOCK_WAIT_MS;
 * ALZ_ERR_SYSTEM (logged) when it stays busy. Every writer of USER's
 * record holds it while writing.
 */
enum alz_rc alz_cache_lock(const struct alz_cache *c, const char *user, int *fd);
void alz_cache_unlock(int fd);

/*
 * Read USER's record. ALZ_ERR_NO_USER: none (or the cache is unusable).
 * A record that is a symlink, not root's, readable by others, too big,
 * corrupt, of another format version or of another user is logged and
 * reported as ALZ_ERR_NO_USER too: it is never trusted. R's forget_mark
 * and refused_mark are the markers' times (alz_cache_distrust); the
 * verifier is dropped from R when one was set at or after R's online_at.
 */
enum alz_rc alz_cache_load(const struct alz_cache *c, const char *user, struct alz_record *r);

/*
 * Write USER's record atomically (temp file "<name>.json.tmp", 0600, fsync,
 * rename). Hold the lock: then a temp file already there was left by a
 * writer killed while writing, and is removed (logged) if it is a regular
 * file of root's.
 */
enum alz_rc alz_cache_store(const struct alz_cache *c, const char *user,
			    const struct alz_record *r);

/* The user name a record file name "u.<encoded>.json" stands for; false if it is none. */
bool alz_cache_name_decode(const char *file_name, char *user, size_t cap);

/* Call FN for each user with a record file in the cache (sorted by file name). */
enum alz_rc alz_cache_each(const struct alz_cache *c,
			   void (*fn)(void *ctx, const char *user), void *ctx);

/*
 * The one read-modify-write of a record: take USER's lock, load the record
 * (a zeroed one when there is none and CREATE), let EDIT change it, store
 * it, unlock. EDIT returns ALZ_OK to store, ALZ_SKIP to leave the record as
 * it was, anything else to abort (returned). EXISTED tells EDIT whether the
 * record was read. When KEEP is not NULL it receives the record as stored
 * (or as read, after ALZ_SKIP); the caller frees it. ALZ_ERR_NO_USER: the
 * cache is unusable, or there is no record and not CREATE.
 */
enum alz_rc alz_cache_update(const struct alz_cache *c, const char *user, bool create,
			     enum alz_rc (*edit)(struct alz_record *r, bool existed, void *ctx),
			     void *ctx, struct alz_record *keep);

/*
 * What the record could not be told: a refusal of the API's after which
 * no verifier of that time may be trusted (ALZ_MARK_FORGET), and which also
 * denies the account phase (ALZ_MARK_REFUSED).
 */
enum alz_mark {
	ALZ_MARK_FORGET,
	ALZ_MARK_REFUSED,
};

/*
 * For when the record cannot be written (its lock busy, the disk full):
 * set USER's marker M ("<name>.forget" or "<name>.refused", an empty file
 * whose mtime says when) without the lock. If even that fails, remove the
 * record. ALZ_OK when one of the two was done.
 */
enum alz_rc alz_cache_distrust(const struct alz_cache *c, const char *user, enum alz_mark m);

/*
 * When the API last refused USER (403: locked or forbidden, *WHY), from the
 * record or its marker; 0 when it did not since the last online success.
 */
time_t alz_cache_refused(const struct alz_cache *c, const char *user, enum alz_rc *why);

/*
 * Delete USER's record, its temp file, markers and lock file (under the
 * lock). TAKEN (or NULL) receives the tokens the record held, read under
 * the same lock, for the caller to end at the API and free; it stays empty
 * when the record could not be read or was not removed.
 */
enum alz_rc alz_cache_remove(const struct alz_cache *c, const char *user,
			     struct alz_evicted *taken);

#endif
