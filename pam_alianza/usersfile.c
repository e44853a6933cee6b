/*
 * usersfile.c - liboath's usersfile (local_totp_file), read and changed as liboath changes it.
 *
 * liboath (usersfile.c, update_usersfile) records each code a login used:
 * it opens the file, checks the code, then makes "<file>.lock" (O_EXCL in
 * Debian 12's liboath) and takes a write lock (fcntl) on it, writes
 * "<file>.new" from the file it opened, renames it over the file and
 * removes the lock file. This file changes the usersfile under the same
 * lock, with the same rename, so that neither side loses the other's lines.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "alz_clock.h"
#include "alz_totp.h"
#include "alz_trust.h"
#include "alz_usersfile.h"

#define SEPARATORS " \t\r\n"	/* the fields' separators, liboath's strtok_r set */
#define LOCK_TRIES 5		/* a lock file removed under us is made again, this often */

/* The types liboath's parse_type takes: any other first field is no entry. */
static const char *const types[] = {
	"HOTP", "HOTP/E", "HOTP/E/6", "HOTP/E/7", "HOTP/E/8",
	"HOTP/T30", "HOTP/T30/6", "HOTP/T30/7", "HOTP/T30/8",
	"HOTP/T60", "HOTP/T60/6", "HOTP/T60/7", "HOTP/T60/8",
};

static bool
known_type(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == n && memcmp(types[i], s, n) == 0)
			return true;
	return false;
}

/* The next field of [*P, END) as liboath's strtok_r splits it; false at the end. */
static bool
next_field(const char **p, const char *end, const char **field, size_t *n)
{
	const char *s = *p;

	while (s < end && strchr(SEPARATORS, *s) != NULL)
		s++;
	if (s == end) {
		*p = s;
		return false;
	}
	*field = s;
	while (s < end && strchr(SEPARATORS, *s) == NULL)
		s++;
	*n = (size_t)(s - *field);
	*p = s;
	return true;
}

static void
copy_field(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * The line [S, END) as an entry: type, user, password column, secret,
 * moving factor, last code, its time (liboath's order). False: no entry.
 */
static bool
parse_line(const char *s, const char *end, struct alz_usersfile_entry *e)
{
	const char *f;
	size_t n;

	memset(e, 0, sizeof(*e));
	if (!next_field(&s, end, &f, &n) || !known_type(f, n))
		return false;
	copy_field(e->type, sizeof(e->type), f, n);
	if (!next_field(&s, end, &f, &n))
		return false;
	e->user_too_long = n > ALZ_MAX_USER;
	copy_field(e->user, sizeof(e->user), f, n);
	/* the password column and the secret: skipped, never copied */
	if (!next_field(&s, end, &f, &n) || !next_field(&s, end, &f, &n))
		return true;
	e->counter = next_field(&s, end, &f, &n);
	e->used = e->counter && next_field(&s, end, &f, &n);
	if (e->used && next_field(&s, end, &f, &n))
		copy_field(e->when, sizeof(e->when), f, n);
	return true;
}

static bool
is_users(const struct alz_usersfile_entry *e, const char *user)
{
	return !e->user_too_long && strcmp(e->user, user) == 0;
}

/* The module's rule for the file (alz_totp_verify_local): root's, private, never a symlink. */
static struct alz_trust
file_trust(void)
{
	return ALZ_TRUST_SECRET(0, false);
}

enum alz_rc
alz_usersfile_each(const char *file, alz_usersfile_fn *fn, void *ctx, const struct alz_log *lg)
{
	struct alz_usersfile_entry e;
	struct alz_trust trust = file_trust();
	char why[ALZ_TRUST_WHY], *buf = NULL;
	const char *p, *end, *nl;
	enum alz_rc rc;
	size_t len = 0;

	if (!alz_totp_dir_safe(file, 0, lg))
		return ALZ_ERR_UNTRUSTED;
	rc = alz_trust_read(file, &trust, ALZ_USERSFILE_MAX, true, &buf, &len, why);
	if (rc == ALZ_ERR_NOT_FOUND)
		return rc;
	if (rc != ALZ_OK) {
		alz_log(lg, LOG_ERR, "%s: %s; refusing to use it", file, why);
		return rc;
	}
	for (p = buf, end = buf + len; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (parse_line(p, nl, &e))
			fn(ctx, &e);
	}
	explicit_bzero(&e, sizeof(e));
	alz_trust_buf_free(buf, len + 1);
	return ALZ_OK;
}

/*
 * ---- the lock, as Debian's liboath (2.6.7-3.1+deb12u1) takes it: "<file>.lock"
 * created exclusively (O_EXCL: it exists only while someone writes; a login
 * that finds it there fails, it does not wait), then a write lock (fcntl) on
 * it, which older liboath releases wait for instead; removed when done.
 */
struct lock {
	int fd;
	struct stat st;		/* the lock file we made */
	char path[PATH_MAX];
};

#define POLL_MS 20		/* how often a lock file that is there is looked at again */
#define STALE_MS 2000		/* unlocked that long, a lock file is a writer's that died */

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/*
 * F_SETLKW on LK->fd for at most ALZ_USERSFILE_LOCK_WAIT seconds (an older
 * liboath that opened our lock file without O_EXCL may hold it a moment). A
 * timer that fires every second interrupts the wait (no SA_RESTART), so a
 * tick that came just before fcntl() cannot leave it waiting for ever.
 */
static enum alz_rc
fcntl_lock(struct lock *lk, const struct alz_log *lg)
{
	struct itimerval tick = { { 1, 0 }, { 1, 0 } }, stop = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa, old_sa;
	struct flock fl;
	enum alz_rc rc = ALZ_ERR_SYSTEM;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;	/* l_start 0, l_len 0: the whole file, as liboath */
	if (fcntl(lk->fd, F_SETLK, &fl) == 0)
		return ALZ_OK;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old_sa);
	alarms = 0;
	setitimer(ITIMER_REAL, &tick, NULL);
	for (;;) {
		if (fcntl(lk->fd, F_SETLKW, &fl) == 0) {
			rc = ALZ_OK;
			break;
		}
		if (errno != EINTR) {
			alz_log(lg, LOG_ERR, "%s: cannot lock: %s", lk->path, strerror(errno));
			break;
		}
		if (alarms >= ALZ_USERSFILE_LOCK_WAIT) {
			alz_log(lg, LOG_ERR, "%s: still locked after %d s; nothing changed",
				lk->path, ALZ_USERSFILE_LOCK_WAIT);
			break;
		}
	}
	setitimer(ITIMER_REAL, &stop, NULL);
	sigaction(SIGALRM, &old_sa, NULL);
	return rc;
}

/* Whether the path is still the lock file we made (an older liboath may remove it). */
static bool
lock_current(const struct lock *lk)
{
	struct stat now;

	return lstat(lk->path, &now) == 0 && now.st_dev == lk->st.st_dev &&
	       now.st_ino == lk->st.st_ino;
}

/* Who holds the lock file that is there now: a pid, 0 for nobody, -1 when it is gone. */
static long
lock_holder(const char *path, struct stat *st)
{
	struct flock fl;
	long pid = -1;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fstat(fd, st) == 0 && fcntl(fd, F_GETLK, &fl) == 0)
		pid = fl.l_type == F_UNLCK ? 0 : (long)fl.l_pid;
	close(fd);
	return pid;
}

/*
 * Wait for the lock file someone else made to go: at most
 * ALZ_USERSFILE_LOCK_WAIT seconds, and not at all once the same file has
 * been there unlocked for STALE_MS (liboath locks it the moment it makes
 * it: such a file is left by a writer that was killed, and every local
 * TOTP login fails while it is there).
 */
static enum alz_rc
wait_gone(const struct lock *lk, const struct alz_log *lg, long start, long *unlocked_since,
	  struct stat *seen, bool *said)
{
	struct stat st;
	struct timespec pause = { 0, POLL_MS * 1000000L };
	long pid = lock_holder(lk->path, &st), now = alz_now_ms();

	if (pid < 0)
		return ALZ_OK;	/* gone: try again at once */
	if (!*said) {
		if (pid > 0)
			alz_log(lg, LOG_NOTICE, "%s is held by pid %ld: waiting for it (at most %d s)",
				lk->path, pid, ALZ_USERSFILE_LOCK_WAIT);
		else
			alz_log(lg, LOG_NOTICE, "%s is there: waiting for it to go (at most %d s)",
				lk->path, ALZ_USERSFILE_LOCK_WAIT);
		*said = true;
	}
	if (pid > 0 || st.st_dev != seen->st_dev || st.st_ino != seen->st_ino)
		*unlocked_since = pid > 0 ? -1 : now;
	else if (*unlocked_since < 0)
		*unlocked_since = now;
	*seen = st;
	if (*unlocked_since >= 0 && now - *unlocked_since >= STALE_MS) {
		alz_log(lg, LOG_ERR, "%s is there and nobody holds it: left by a writer that was "
			"killed? every local TOTP login fails while it is there; remove it once no "
			"login or enrolment runs; nothing changed", lk->path);
		return ALZ_ERR_SYSTEM;
	}
	if (now - start >= (long)ALZ_USERSFILE_LOCK_WAIT * 1000) {
		alz_log(lg, LOG_ERR, "%s: still there after %d s; nothing changed", lk->path,
			ALZ_USERSFILE_LOCK_WAIT);
		return ALZ_ERR_SYSTEM;
	}
	nanosleep(&pause, NULL);
	return ALZ_OK;
}

static enum alz_rc
lock_take(const char *file, struct lock *lk, const struct alz_log *lg)
{
	struct alz_trust trust = file_trust();
	struct stat seen;
	char why[ALZ_TRUST_WHY];
	long start = alz_now_ms(), unlocked_since = -1;
	bool said = false;
	enum alz_rc rc;
	int n;

	lk->fd = -1;
	memset(&seen, 0, sizeof(seen));
	n = snprintf(lk->path, sizeof(lk->path), "%s.lock", file);
	if (n < 0 || (size_t)n >= sizeof(lk->path)) {
		alz_log(lg, LOG_ERR, "%s: the path is too long", file);
		return ALZ_ERR_CONFIG;
	}
	for (;;) {
		lk->fd = open(lk->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
			      0600);
		if (lk->fd >= 0)
			break;
		if (errno != EEXIST) {
			alz_log(lg, LOG_ERR, "%s: cannot create: %s", lk->path, strerror(errno));
			return ALZ_ERR_SYSTEM;
		}
		rc = wait_gone(lk, lg, start, &unlocked_since, &seen, &said);
		if (rc != ALZ_OK)
			return rc;
	}
	why[0] = '\0';
	if (fstat(lk->fd, &lk->st) != 0 || !alz_trust_stat(&lk->st, &trust, why) ||
	    fchown(lk->fd, 0, 0) != 0) {
		alz_log(lg, LOG_ERR, "%s: %s", lk->path, why[0] != '\0' ? why : strerror(errno));
		rc = ALZ_ERR_SYSTEM;
		goto fail;
	}
	rc = fcntl_lock(lk, lg);
	if (rc != ALZ_OK)
		goto fail;
	return ALZ_OK;
fail:
	if (lock_current(lk))
		unlink(lk->path);
	close(lk->fd);
	lk->fd = -1;
	return rc;
}

/* Removing the lock file is the release; it goes before the fcntl lock does. */
static void
lock_release(struct lock *lk)
{
	if (lk->fd < 0)
		return;
	if (lock_current(lk))
		unlink(lk->path);
	close(lk->fd);
	lk->fd = -1;
}

/* ---- the new contents */
static bool
write_all(int fd, const char *buf, size_t len, off_t at, bool positioned)
{
	ssize_t got;

	while (len > 0) {
		got = positioned ? pwrite(fd, buf, len, at) : write(fd, buf, len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		buf += got;
		len -= (size_t)got;
		at += got;
	}
	return true;
}

/*
 * OLD without USER's entries, then LINE. *OUT (caller wipes and frees)
 * holds the result; every other line is kept byte for byte.
 */
static enum alz_rc
build(const char *old, size_t old_len, const char *user, const char *line, bool replace,
      char **out, size_t *out_len, size_t *dropped)
{
	struct alz_usersfile_entry e;
	size_t add = line != NULL ? strlen(line) : 0, n = 0;
	const char *p, *end = old + old_len, *nl;
	char *b;

	*out = NULL;
	*out_len = 0;
	*dropped = 0;
	b = malloc(old_len + add + 2);
	if (b == NULL)
		return ALZ_ERR_NOMEM;
	for (p = old; p < end; p = nl) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		if (parse_line(p, nl, &e) && is_users(&e, user)) {
			(*dropped)++;
			continue;
		}
		memcpy(b + n, p, (size_t)(nl - p));
		n += (size_t)(nl - p);
	}
	explicit_bzero(&e, sizeof(e));
	if (line != NULL) {
		if (n > 0 && b[n - 1] != '\n')
			b[n++] = '\n';
		memcpy(b + n, line, add);
		n += add;
	}
	*out = b;
	*out_len = n;
	if (*dropped > 0 && !replace)
		return ALZ_ERR_EXISTS;
	if (line == NULL && *dropped == 0)
		return ALZ_ERR_NOT_FOUND;
	if (n > ALZ_USERSFILE_MAX)
		return ALZ_ERR_INPUT;
	return ALZ_OK;
}

/* BUF in a new root-only file of FILE's directory, synced: *TMP names it. */
static enum alz_rc
write_temp(const char *file, const char *buf, size_t len, char *tmp, size_t cap,
	   const struct alz_log *lg)
{
	int fd, n;

	/* not liboath's "<file>.new": a writer that lost the lock would truncate ours */
	n = snprintf(tmp, cap, "%s.XXXXXX", file);
	if (n < 0 || (size_t)n >= cap) {
		alz_log(lg, LOG_ERR, "%s: the path is too long", file);
		return ALZ_ERR_CONFIG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);	/* O_EXCL, mode 0600 */
	if (fd < 0) {
		alz_log(lg, LOG_ERR, "%s: cannot create a temp file beside it: %s", file,
			strerror(errno));
		tmp[0] = '\0';
		return ALZ_ERR_SYSTEM;
	}
	if (fchown(fd, 0, 0) != 0 || fchmod(fd, 0600) != 0 || !write_all(fd, buf, len, 0, false) ||
	    fsync(fd) != 0) {
		alz_log(lg, LOG_ERR, "%s: cannot write %s: %s", file, tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		tmp[0] = '\0';
		return ALZ_ERR_SYSTEM;
	}
	if (close(fd) != 0) {
		alz_log(lg, LOG_ERR, "%s: cannot write %s: %s", file, tmp, strerror(errno));
		unlink(tmp);
		tmp[0] = '\0';
		return ALZ_ERR_SYSTEM;
	}
	return ALZ_OK;
}

/* The rename is on disk once FILE's directory is. */
static void
sync_dir(const char *file, const struct alz_log *lg)
{
	char *copy = strdup(file);
	int fd = -1;

	if (copy != NULL)
		fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		alz_log(lg, LOG_WARNING, "%s: renamed, but its directory could not be synced: %s",
			file, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(copy);
}

/*
 * FD, a file that was FILE and that no name leads to any more (never a
 * hard link elsewhere: st_nlink 0), root's and private as FILE is, on
 * DEV, gets BUF. A reader in the middle of its first read just now may see
 * a mix, and fails or refuses, as for a code that does not match.
 */
static bool
refresh_one(int fd, dev_t dev, const char *buf, size_t len)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 0 || st.st_dev != dev ||
	    st.st_uid != 0 || (st.st_mode & 077) != 0)
		return false;
	return write_all(fd, buf, len, 0, true) && ftruncate(fd, (off_t)len) == 0;
}

/* FILE's name as /proc shows an open file: its directory's real path, then its base name. */
static bool
proc_name(const char *file, char *out, size_t cap)
{
	char *dcopy = strdup(file), *bcopy = strdup(file), *dir = NULL;
	bool ok = false;
	int n;

	if (dcopy != NULL && bcopy != NULL)
		dir = realpath(dirname(dcopy), NULL);
	if (dir != NULL) {
		n = snprintf(out, cap, "%s/%s (deleted)", strcmp(dir, "/") == 0 ? "" : dir,
			     basename(bcopy));
		ok = n > 0 && (size_t)n < cap;
	}
	free(dir);
	free(dcopy);
	free(bcopy);
	return ok;
}

/* PID's open files that were FILE (NAME: proc_name) get BUF; how many did. */
static size_t
refresh_pid(long pid, const char *name, dev_t dev, const char *buf, size_t len)
{
	char dir[64], target[PATH_MAX + 16];
	struct dirent *de;
	size_t done = 0;
	ssize_t n;
	DIR *d;
	int fd;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, name) != 0)
			continue;
		/* the magic link opens the very file the process holds */
		fd = openat(dirfd(d), de->d_name, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (refresh_one(fd, dev, buf, len))
			done++;
		close(fd);
	}
	closedir(d);
	return done;
}

/*
 * After the rename, every earlier FILE that a process still holds open gets
 * the new contents too: FD (the one this change replaced) and any that
 * /proc shows. A liboath login opens FILE, checks the code, and only then
 * takes the lock and rewrites FILE from the file it opened: from old
 * contents it would put back what was removed here (a revoked secret) and
 * drop what was added, however many changes ran while it was stopped
 * there (a user can stop their own sudo). Its code check is already done:
 * it rewrites from what it reads after the lock, which is now this.
 */
static void
refresh_replaced(const char *file, int fd, const char *buf, size_t len, const struct alz_log *lg)
{
	char name[PATH_MAX + 16], *end;
	struct stat dir_st;
	struct dirent *de;
	size_t others = 0;
	DIR *proc;
	char *copy;

	copy = strdup(file);
	if (copy == NULL || stat(dirname(copy), &dir_st) != 0) {
		free(copy);
		return;
	}
	free(copy);
	if (fd >= 0 && !refresh_one(fd, dir_st.st_dev, buf, len))
		alz_log(lg, LOG_DEBUG, "%s: the replaced file not written (linked, or a write "
			"error)", file);
	if (!proc_name(file, name, sizeof(name)))
		return;
	proc = opendir("/proc");
	if (proc == NULL)
		return;
	while ((de = readdir(proc)) != NULL) {
		long pid = strtol(de->d_name, &end, 10);

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || *end != '\0' || pid == (long)getpid())
			continue;
		others += refresh_pid(pid, name, dir_st.st_dev, buf, len);
	}
	closedir(proc);
	if (others > 0)
		alz_log(lg, LOG_NOTICE, "%s: %zu earlier cop%s held open (a login about to record "
			"its code) brought up to date", file, others, others == 1 ? "y" : "ies");
}

/*
 * One change under LK. *LOST: the lock file was replaced before the
 * rename (liboath's removal race): nothing was renamed, try again.
 */
static enum alz_rc
change(const char *file, const struct lock *lk, const char *user, const char *line, bool replace,
       size_t *dropped, bool *lost, const struct alz_log *lg)
{
	struct alz_trust trust = file_trust();
	char why[ALZ_TRUST_WHY], tmp[PATH_MAX], *old = NULL, *neu = NULL;
	size_t old_len = 0, new_len = 0;
	enum alz_rc rc;
	int fd;

	*lost = false;
	tmp[0] = '\0';
	fd = open(file, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno != ENOENT) {
		alz_log(lg, LOG_ERR, "%s: %s; refusing to use it", file,
			errno == ELOOP ? "a symlink" : strerror(errno));
		return errno == ELOOP ? ALZ_ERR_UNTRUSTED : ALZ_ERR_SYSTEM;
	}
	if (fd >= 0) {
		rc = alz_trust_read_fd(fd, &trust, ALZ_USERSFILE_MAX, true, &old, &old_len, why);
		if (rc != ALZ_OK) {
			alz_log(lg, LOG_ERR, "%s: %s; refusing to use it", file, why);
			goto out;
		}
	}
	rc = build(old != NULL ? old : "", old_len, user, line, replace, &neu, &new_len, dropped);
	if (rc == ALZ_ERR_INPUT)
		alz_log(lg, LOG_ERR, "%s: would be larger than %d bytes; nothing changed", file,
			ALZ_USERSFILE_MAX);
	if (rc != ALZ_OK)
		goto out;
	rc = write_temp(file, neu, new_len, tmp, sizeof(tmp), lg);
	if (rc != ALZ_OK)
		goto out;
	if (!lock_current(lk)) {
		*lost = true;
		rc = ALZ_ERR_SYSTEM;
		goto out;
	}
	if (rename(tmp, file) != 0) {
		alz_log(lg, LOG_ERR, "%s: cannot rename %s over it: %s", file, tmp, strerror(errno));
		rc = ALZ_ERR_SYSTEM;
		goto out;
	}
	tmp[0] = '\0';	/* it is FILE now */
	sync_dir(file, lg);
	refresh_replaced(file, fd, neu, new_len, lg);
out:
	if (tmp[0] != '\0')
		unlink(tmp);
	if (fd >= 0)
		close(fd);
	alz_trust_buf_free(old, old_len + 1);
	alz_trust_buf_free(neu, new_len);
	return rc;
}

enum alz_rc
alz_usersfile_set(const char *file, const char *user, const char *line, bool replace,
		  size_t *dropped, const struct alz_log *lg)
{
	struct lock lk;
	enum alz_rc rc = ALZ_ERR_SYSTEM;
	bool lost = true;
	int tries;

	*dropped = 0;
	if (!alz_totp_dir_safe(file, 0, lg))
		return ALZ_ERR_UNTRUSTED;
	for (tries = 0; tries < LOCK_TRIES && lost; tries++) {
		rc = lock_take(file, &lk, lg);
		if (rc != ALZ_OK)
			return rc;
		rc = change(file, &lk, user, line, replace, dropped, &lost, lg);
		lock_release(&lk);
	}
	if (lost)
		alz_log(lg, LOG_ERR, "%s.lock: replaced under us %d times; nothing changed", file,
			LOCK_TRIES);
	return rc;
}
