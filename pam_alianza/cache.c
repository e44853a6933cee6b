/* cache.c - the root-owned cache directory: trust checks, per-user locks, atomic records. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alz_cache.h"
#include "alz_secret.h"
#include "alz_trust.h"

/* pam_timestamp's rule for one path component: the cache owner's or root's, nobody else writes. */
static bool
trusted_dir(const struct alz_cache *c, const char *path, const struct stat *st)
{
	struct alz_trust trust = ALZ_TRUST_DIR(c->owner, true);
	char why[ALZ_TRUST_WHY];

	if (alz_trust_stat(st, &trust, why))
		return true;
	alz_log(c->lg, LOG_ERR, "cache: %s is %s; not using the cache", path, why);
	return false;
}

enum alz_rc
alz_cache_open(struct alz_cache *c, const struct alz_config *cfg, uid_t owner,
	       const struct alz_log *lg)
{
	char path[4096];
	struct stat st;
	size_t i, len;

	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->lg = lg;
	c->owner = owner;
	len = strlen(cfg->cache_dir);
	if (len == 0 || len >= sizeof(path) || cfg->cache_dir[0] != '/')
		return ALZ_OK;
	if (lstat("/", &st) != 0 || !trusted_dir(c, "/", &st))
		return ALZ_OK;
	/* every prefix in turn: "/var", "/var/lib", then the directory itself */
	for (i = 1; i <= len; i++) {
		if (i < len && cfg->cache_dir[i] != '/')
			continue;
		memcpy(path, cfg->cache_dir, i);
		path[i] = '\0';
		if (lstat(path, &st) != 0 && errno == ENOENT && i == len) {
			/* its parent passed the check just before: creating here is safe */
			if (mkdir(path, 0700) != 0 && errno != EEXIST) {
				alz_log(lg, LOG_ERR, "cache: cannot create %s: %s", path, strerror(errno));
				return ALZ_OK;
			}
			alz_log(lg, LOG_INFO, "cache: created %s", path);
		}
		if (lstat(path, &st) != 0) {
			alz_log(lg, LOG_ERR, "cache: cannot stat %s: %s", path, strerror(errno));
			return ALZ_OK;
		}
		if (!trusted_dir(c, path, &st))
			return ALZ_OK;
	}
	/* the directory itself: nobody else may even list it */
	if ((st.st_mode & 077) != 0) {
		alz_log(lg, LOG_ERR, "cache: %s has mode %04o, not 0700; not using the cache",
			cfg->cache_dir, (unsigned)(st.st_mode & 07777));
		return ALZ_OK;
	}
	c->usable = true;
	return ALZ_OK;
}

enum alz_rc
alz_cache_name(const char *user, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (cap < 3 || user[0] == '\0')
		return ALZ_ERR_INPUT;
	out[o++] = 'u';
	out[o++] = '.';
	for (i = 0; user[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)user[i];
		bool plain = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			     ch == '_' || ch == '-';

		if (o + 4 > cap || o + 4 > ALZ_MAX_CACHE_NAME)
			return ALZ_ERR_INPUT;
		if (plain) {
			out[o++] = (char)ch;
		} else {
			/* upper case too: names differing in case must not share a file */
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return ALZ_OK;
}

static enum alz_rc
file_path(const struct alz_cache *c, const char *user, const char *suffix, char *out,
	  size_t cap)
{
	char name[ALZ_MAX_CACHE_NAME + 8];
	enum alz_rc rc;
	int n;

	rc = alz_cache_name(user, name, sizeof(name));
	if (rc != ALZ_OK)
		return rc;
	n = snprintf(out, cap, "%s/%s%s", c->cfg->cache_dir, name, suffix);
	if (n < 0 || (size_t)n >= cap)
		return ALZ_ERR_INPUT;
	return ALZ_OK;
}

/* flock LFD, polling for at most what is left of ALZ_LOCK_WAIT_MS. */
static enum alz_rc
wait_flock(const struct alz_cache *c, int lfd, int *waited)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };	/* 10 ms */

	while (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			alz_log(c->lg, LOG_ERR, "cache: flock: %s", strerror(errno));
			return ALZ_ERR_SYSTEM;
		}
		if (*waited >= ALZ_LOCK_WAIT_MS) {
			alz_log(c->lg, LOG_ERR, "cache: lock of a user's record busy for %d ms",
				ALZ_LOCK_WAIT_MS);
			return ALZ_ERR_SYSTEM;
		}
		nanosleep(&pause, NULL);
		*waited += 10;
	}
	return ALZ_OK;
}

enum alz_rc
alz_cache_lock(const struct alz_cache *c, const char *user, int *fd)
{
	char path[4096];
	struct stat held, named;
	enum alz_rc rc;
	int waited = 0, lfd;

	*fd = -1;
	if (!c->usable)
		return ALZ_ERR_NO_CACHE;
	rc = file_path(c, user, ".lock", path, sizeof(path));
	if (rc != ALZ_OK)
		return rc;
	for (;;) {
		lfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		if (lfd < 0) {
			alz_log(c->lg, LOG_ERR, "cache: cannot open lock %s: %s", path, strerror(errno));
			return ALZ_ERR_SYSTEM;
		}
		/* bounded: a stuck login of the same user must not hang this one */
		rc = wait_flock(c, lfd, &waited);
		if (rc != ALZ_OK) {
			close(lfd);
			return rc;
		}
		/* removed (cache purge) while we waited: a lock on that file guards nothing */
		if (fstat(lfd, &held) == 0 && lstat(path, &named) == 0 && held.st_dev == named.st_dev &&
		    held.st_ino == named.st_ino)
			break;
		close(lfd);
	}
	*fd = lfd;
	return ALZ_OK;
}

void
alz_cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* releases the flock */
}

static const char *const mark_suffix[] = {
	[ALZ_MARK_FORGET] = ".forget",
	[ALZ_MARK_REFUSED] = ".refused",
};

/* When USER's marker M was last set; 0 never. Anything odd there counts as set now. */
static time_t
mark_time(const struct alz_cache *c, const char *user, enum alz_mark m)
{
	char path[4096];
	struct stat st;

	if (file_path(c, user, mark_suffix[m], path, sizeof(path)) != ALZ_OK)
		return 0;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		alz_log(c->lg, LOG_ERR, "cache: cannot stat %s: %s; taken as set", path, strerror(errno));
		return time(NULL);
	}
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != c->owner)) {
		alz_log(c->lg, LOG_ERR, "cache: %s is not a regular file of root's; taken as set", path);
		return time(NULL);
	}
	return st.st_mtime;
}

enum alz_rc
alz_cache_distrust(const struct alz_cache *c, const char *user, enum alz_mark m)
{
	char path[4096];
	struct stat st;
	time_t now = time(NULL);
	struct timespec ts[2] = { { now, 0 }, { now, 0 } };
	enum alz_rc rc = ALZ_ERR_SYSTEM;
	int fd;

	if (!c->usable)
		return ALZ_ERR_NO_CACHE;
	rc = file_path(c, user, mark_suffix[m], path, sizeof(path));
	if (rc != ALZ_OK)
		return rc;
	rc = ALZ_ERR_SYSTEM;
	/* no lock: it serves when the lock cannot be had; an empty file needs no free block */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd >= 0) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && futimens(fd, ts) == 0)
			rc = ALZ_OK;
		close(fd);
	}
	if (rc == ALZ_OK)
		return rc;
	alz_log(c->lg, LOG_ERR, "cache: cannot set %s: %s; removing the record instead", path,
		strerror(errno));
	/* the last resort: no record, nothing to trust (an unlink needs no space either) */
	if (file_path(c, user, ".json", path, sizeof(path)) == ALZ_OK &&
	    (unlink(path) == 0 || errno == ENOENT))
		return ALZ_OK;
	alz_log(c->lg, LOG_CRIT, "cache: cannot remove %s either: %s", path, strerror(errno));
	return ALZ_ERR_SYSTEM;
}

enum alz_rc
alz_cache_load(const struct alz_cache *c, const char *user, struct alz_record *r)
{
	struct alz_trust trust = ALZ_TRUST_SECRET(c->owner, true);
	char path[4096], why[ALZ_TRUST_WHY], *buf = NULL;
	size_t len = 0;
	enum alz_rc rc;

	memset(r, 0, sizeof(*r));
	if (!c->usable)
		return ALZ_ERR_NO_CACHE;
	rc = file_path(c, user, ".json", path, sizeof(path));
	if (rc != ALZ_OK)
		return rc;
	rc = alz_trust_read(path, &trust, ALZ_MAX_RECORD, false, &buf, &len, why);
	if (rc == ALZ_ERR_NOT_FOUND || rc == ALZ_ERR_NOMEM)
		return rc;
	if (rc != ALZ_OK) {
		alz_log(c->lg, LOG_ERR, "cache: %s is not a private regular file of root's within "
			"%d bytes (%s); ignored", path, ALZ_MAX_RECORD, why);
		return ALZ_ERR_UNTRUSTED;
	}
	rc = ALZ_ERR_BAD_RECORD;
	if (alz_record_from_json(buf, len, r) != ALZ_OK) {
		alz_log(c->lg, LOG_ERR, "cache: %s is corrupt or of another format; ignored, "
			"replaced at the next online login", path);
		goto out;
	}
	if (strcmp(r->local_user, user) != 0) {
		alz_log(c->lg, LOG_ERR, "cache: %s belongs to another user; ignored", path);
		alz_record_free(r);
		goto out;
	}
	/* a refusal the record could not take: the verifier it had then is not trusted */
	r->forget_mark = mark_time(c, user, ALZ_MARK_FORGET);
	r->refused_mark = mark_time(c, user, ALZ_MARK_REFUSED);
	if (r->verifier != NULL &&
	    ((r->forget_mark != 0 && r->forget_mark >= r->online_at) ||
	     (r->refused_mark != 0 && r->refused_mark >= r->online_at))) {
		alz_log(c->lg, LOG_NOTICE, "cache: the verifier of %s is not trusted: a refusal after "
			"its online login could not be written to the record", path);
		free(r->verifier);
		r->verifier = NULL;
	}
	rc = ALZ_OK;
out:
	alz_trust_buf_free(buf, len);
	return rc;
}

/*
 * A temp record already at PATH: only a writer killed between create and
 * rename leaves one, since every writer holds the user's lock (as we do).
 * Ours (a regular file of root's) goes; anything else is left for the admin.
 */
static bool
remove_stale(const struct alz_cache *c, const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT;
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != c->owner)) {
		alz_log(c->lg, LOG_ERR, "cache: %s is not a temp record of ours (not a regular file "
			"of root's); record not written", path);
		return false;
	}
	if (unlink(path) != 0) {
		alz_log(c->lg, LOG_ERR, "cache: cannot remove %s: %s", path, strerror(errno));
		return false;
	}
	/* its token never reached the record: nobody logs it out, it expires at the API */
	alz_log(c->lg, LOG_NOTICE, "cache: removed %s, left by a writer killed while writing", path);
	return true;
}

time_t
alz_cache_refused(const struct alz_cache *c, const char *user, enum alz_rc *why)
{
	struct alz_record r;
	time_t at = 0, mark;

	*why = ALZ_OK;
	if (!c->usable)
		return 0;
	if (alz_cache_load(c, user, &r) == ALZ_OK) {
		at = r.refused_at;
		*why = r.refused_why;
		mark = r.refused_mark;
		/* a marker vouches only for what came after the record's last online login */
		if (mark < r.online_at)
			mark = 0;
		alz_record_free(&r);
	} else {
		mark = mark_time(c, user, ALZ_MARK_REFUSED);
	}
	if (mark > at) {
		at = mark;
		*why = ALZ_ERR_FORBIDDEN;	/* a marker does not say which */
	}
	return at;
}

enum alz_rc
alz_cache_store(const struct alz_cache *c, const char *user, const struct alz_record *r)
{
	char path[4096], tmp[4096];
	char *json = NULL;
	size_t len, off = 0;
	ssize_t n;
	enum alz_rc rc;
	int fd = -1;

	tmp[0] = '\0';
	if (!c->usable)
		return ALZ_ERR_NO_CACHE;
	rc = file_path(c, user, ".json", path, sizeof(path));
	if (rc == ALZ_OK)
		rc = file_path(c, user, ".json.tmp", tmp, sizeof(tmp));
	if (rc != ALZ_OK)
		return rc;
	rc = alz_record_to_json(r, &json);
	if (rc != ALZ_OK)
		return rc;
	len = strlen(json);
	rc = ALZ_ERR_SYSTEM;
	if (len > ALZ_MAX_RECORD) {
		alz_log(c->lg, LOG_ERR, "cache: record larger than %d bytes; not written", ALZ_MAX_RECORD);
		tmp[0] = '\0';
		goto out;
	}
	/* 1. a new file of our own, never an existing one or a link; one name per user */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0 && errno == EEXIST && remove_stale(c, tmp))
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		alz_log(c->lg, LOG_ERR, "cache: cannot create %s: %s", tmp, strerror(errno));
		tmp[0] = '\0';	/* not ours to remove */
		goto out;
	}
	if (fchmod(fd, 0600) != 0)
		goto fail;
	/* 2. write it whole */
	while (off < len) {
		n = write(fd, json + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	/* 3. on disk before it replaces the old record */
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	/* 4. atomically in place: readers see the old record or the new, never half */
	if (rename(tmp, path) != 0)
		goto fail;
	tmp[0] = '\0';
	rc = ALZ_OK;
	goto out;
fail:
	alz_log(c->lg, LOG_ERR, "cache: cannot write %s: %s; record left as it was", path,
		strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);	/* no partial record left behind */
	alz_secret_free(json);
	return rc;
}

enum alz_rc
alz_cache_update(const struct alz_cache *c, const char *user, bool create,
		 enum alz_rc (*edit)(struct alz_record *r, bool existed, void *ctx), void *ctx,
		 struct alz_record *keep)
{
	struct alz_record r;
	enum alz_rc rc;
	bool existed;
	int lock = -1;

	if (keep != NULL)
		memset(keep, 0, sizeof(*keep));
	rc = alz_cache_lock(c, user, &lock);
	if (rc != ALZ_OK)
		return rc;
	existed = alz_cache_load(c, user, &r) == ALZ_OK;	/* zeroed when not */
	if (!existed && !create) {
		rc = ALZ_ERR_NOT_FOUND;
		goto out;
	}
	rc = edit(&r, existed, ctx);
	if (rc == ALZ_OK)
		rc = alz_cache_store(c, user, &r);
	else if (rc == ALZ_SKIP)
		rc = ALZ_OK;
	if (rc == ALZ_OK && keep != NULL) {
		*keep = r;
		memset(&r, 0, sizeof(r));	/* transferred */
	}
out:
	alz_record_free(&r);
	alz_cache_unlock(lock);
	return rc;
}

enum alz_rc
alz_cache_remove(const struct alz_cache *c, const char *user, struct alz_evicted *taken)
{
	static const char *const others[] = { ".json.tmp", ".forget", ".refused" };
	struct alz_record r;
	char path[4096];
	enum alz_rc rc;
	size_t i;
	int lock = -1;

	memset(&r, 0, sizeof(r));
	if (taken != NULL)
		memset(taken, 0, sizeof(*taken));
	if (!c->usable)
		return ALZ_ERR_NO_CACHE;
	rc = file_path(c, user, ".json", path, sizeof(path));
	if (rc != ALZ_OK)
		return rc;
	/* under the lock: no writer of this user puts the record back behind us */
	rc = alz_cache_lock(c, user, &lock);
	if (rc != ALZ_OK)
		return rc;
	/* what it holds, read under the same lock: nobody else ends or adds one meanwhile */
	if (taken != NULL && alz_cache_load(c, user, &r) == ALZ_OK) {
		for (i = 0; i < r.ntokens; i++)
			taken->tokens[taken->n++] = r.tokens[i];	/* transferred */
		memset(r.tokens, 0, sizeof(r.tokens));
		r.ntokens = 0;
	}
	alz_record_free(&r);
	if (unlink(path) != 0 && errno != ENOENT) {
		rc = ALZ_ERR_SYSTEM;
		if (taken != NULL)
			alz_evicted_free(taken);	/* the record stays, and with it its tokens */
		goto out;
	}
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (file_path(c, user, others[i], path, sizeof(path)) == ALZ_OK)
			unlink(path);
	/* last, while held: a waiter that then gets it sees it gone and takes a new one */
	if (file_path(c, user, ".lock", path, sizeof(path)) == ALZ_OK)
		unlink(path);
out:
	alz_cache_unlock(lock);
	return rc;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

bool
alz_cache_name_decode(const char *file_name, char *user, size_t cap)
{
	size_t len = strlen(file_name), i, o = 0;
	int hi, lo;

	if (len < 8 || strncmp(file_name, "u.", 2) != 0 || strcmp(file_name + len - 5, ".json") != 0)
		return false;
	for (i = 2; i < len - 5; i++) {
		if (o + 1 >= cap)
			return false;
		if (file_name[i] != '%') {
			user[o++] = file_name[i];
			continue;
		}
		if (i + 2 >= len - 5)
			return false;
		hi = hexval(file_name[i + 1]);
		lo = hexval(file_name[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return false;
		user[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	user[o] = '\0';
	return o > 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

enum alz_rc
alz_cache_each(const struct alz_cache *c, void (*fn)(void *ctx, const char *user), void *ctx)
{
	struct dirent **list = NULL;
	char user[ALZ_MAX_CACHE_NAME + 1];
	int n, i;

	if (!c->usable)
		return ALZ_ERR_NO_CACHE;
	n = scandir(c->cfg->cache_dir, &list, NULL, by_name);
	if (n < 0)
		return ALZ_ERR_SYSTEM;
	for (i = 0; i < n; i++) {
		if (alz_cache_name_decode(list[i]->d_name, user, sizeof(user)))
			fn(ctx, user);
		free(list[i]);
	}
	free(list);
	return ALZ_OK;
}
