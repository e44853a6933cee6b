/*
 * freescan.c - an LD_PRELOAD free() scanner for tests: which freed blocks still held a secret.
 *
 * LD_PRELOAD=.../freescan.so ALZ_FREESCAN_SECRETS=FILE ALZ_FREESCAN_OUT=FILE PROGRAM...
 *
 * FILE of secrets: one per line (4..255 bytes, at most MAX_SECRETS), read once at
 * load time; the secrets themselves are never in the environment or in the report.
 * Every free(), and every realloc() that moves or shrinks a block, first scans the
 * block (malloc_usable_size bytes: what stays in the heap) for each secret. Each
 * block that held one appends a line to the report, O_APPEND, one write() per line:
 *   HIT pid=P secret=I size=N caller=OBJECT
 * (I: the secret's line number from 1; OBJECT: the shared object that called free,
 * from dladdr of the return address: "libcrypto.so.3" for OpenSSL, whose frees go
 * through CRYPTO_free), and at exit one line:
 *   TOTAL pid=P frees=F hits=H blocks=B bytes=Y
 * (B blocks of Y bytes in all held a secret, H secret occurrences among them).
 * With ALZ_FREESCAN_BACKTRACE=1 each HIT is followed by the backtrace of the free.
 *
 * glibc routes its own frees (stdio buffers, getline's growth) through the
 * interposable symbol too, so those are seen; memory still allocated at exit, the
 * stack and the kernel's socket buffers are not. The scanner cannot run under ASan
 * or valgrind, which replace malloc themselves.
 */
#include "config.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SECRETS 16
#define MAX_SECRET_LEN 255
#define MIN_SECRET_LEN 4	/* shorter strings match by chance */
#define SECRETS_FILE_CAP 4096	/* bytes */

static void (*real_free)(void *);
static void *(*real_realloc)(void *, size_t);

/* glibc's own entry points: what the wrappers use while dlsym() is still finding the next ones */
extern void __libc_free(void *);
extern void *__libc_realloc(void *, size_t);

static char secret_buf[SECRETS_FILE_CAP + 1];
static const char *secrets[MAX_SECRETS];
static size_t secret_len[MAX_SECRETS];
static size_t nsecrets;
static int out_fd = -1;
static int want_backtrace;

static unsigned long n_frees, n_hits, n_blocks, n_bytes;

/* the heap's own counters, not a lock: a free() may come from any thread */
static void
count(unsigned long *c, unsigned long n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static const char *
caller_name(const void *ret)
{
	Dl_info di;
	const char *slash;

	if (ret == NULL || dladdr(ret, &di) == 0 || di.dli_fname == NULL)
		return "?";
	slash = strrchr(di.dli_fname, '/');
	return slash != NULL ? slash + 1 : di.dli_fname;
}

/* Count the secrets in [p, p + n) and report the block if it held any. */
static void
scan(const unsigned char *p, size_t n, size_t block, const void *ret)
{
	char line[512];
	unsigned long found = 0;
	size_t i;
	int len;

	for (i = 0; i < nsecrets; i++) {
		const unsigned char *at = p, *end = p + n;
		void *hit;

		while (at < end) {
			hit = memmem(at, (size_t)(end - at), secrets[i], secret_len[i]);
			if (hit == NULL)
				break;
			found++;
			if (out_fd >= 0) {
				len = snprintf(line, sizeof(line), "HIT pid=%ld secret=%zu size=%zu caller=%s\n",
					       (long)getpid(), i + 1, block, caller_name(ret));
				if (len > 0 && write(out_fd, line, (size_t)len) < 0)
					break;
				if (want_backtrace) {
					void *frames[32];
					int k = backtrace(frames, 32);

					backtrace_symbols_fd(frames, k, out_fd);
				}
			}
			at = (const unsigned char *)hit + secret_len[i];
		}
	}
	if (found > 0) {
		count(&n_hits, found);
		count(&n_blocks, 1);
		count(&n_bytes, block);
	}
}

static void
resolve(void)
{
	static int resolving;

	if (real_free != NULL || resolving)
		return;
	resolving = 1;
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	resolving = 0;
}

void
free(void *p)
{
	count(&n_frees, 1);
	if (p == NULL)
		return;
	resolve();
	if (real_free == NULL) {
		__libc_free(p);
		return;
	}
	if (nsecrets > 0)
		scan(p, malloc_usable_size(p), malloc_usable_size(p), __builtin_return_address(0));
	real_free(p);
}

void *
realloc(void *p, size_t n)
{
	const void *ret = __builtin_return_address(0);
	size_t old;
	void *q;

	resolve();
	if (real_realloc == NULL)
		return __libc_realloc(p, n);
	if (p == NULL || nsecrets == 0)
		return real_realloc(p, n);
	old = malloc_usable_size(p);
	if (n == 0) {
		count(&n_frees, 1);
		scan(p, old, old, ret);
		return real_realloc(p, n);
	}
	/*
	 * Whether the block moves is known only afterwards, and then the old one
	 * is gone: copy what a move would leave behind first. Blocks in a TLS
	 * login are small; a cap keeps the stack bounded.
	 */
	{
		unsigned char keep[16384];
		size_t k = old < sizeof(keep) ? old : sizeof(keep);

		memcpy(keep, p, k);
		q = real_realloc(p, n);
		if (q == NULL)
			return NULL;
		if (q != p) {
			count(&n_frees, 1);
			scan(keep, k, old, ret);
		} else if (n < k) {
			/* shrunk in place: the tail went back to the heap as it was */
			count(&n_frees, 1);
			scan(keep + n, k - n, old - n, ret);
		}
		explicit_bzero(keep, k);
	}
	return q;
}

static void
load_secrets(const char *path)
{
	ssize_t got;
	size_t have = 0;
	char *s, *nl;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (have < SECRETS_FILE_CAP) {
		got = read(fd, secret_buf + have, SECRETS_FILE_CAP - have);
		if (got <= 0)
			break;
		have += (size_t)got;
	}
	close(fd);
	secret_buf[have] = '\0';
	for (s = secret_buf; *s != '\0' && nsecrets < MAX_SECRETS; s = nl + 1) {
		size_t len;

		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s) - 1;	/* the last line, unterminated */
		else
			*nl = '\0';
		len = strlen(s);
		if (len >= MIN_SECRET_LEN && len <= MAX_SECRET_LEN) {
			secrets[nsecrets] = s;
			secret_len[nsecrets] = len;
			nsecrets++;
		}
	}
}

__attribute__((constructor)) static void
freescan_init(void)
{
	const char *secrets_path = getenv("ALZ_FREESCAN_SECRETS");
	const char *out = getenv("ALZ_FREESCAN_OUT");
	const char *bt = getenv("ALZ_FREESCAN_BACKTRACE");

	resolve();
	if (out != NULL)
		out_fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (bt != NULL && strcmp(bt, "1") == 0) {
		void *frame[1];

		want_backtrace = 1;
		backtrace(frame, 1);	/* loads libgcc_s now, not inside a free() */
	}
	if (secrets_path != NULL)
		load_secrets(secrets_path);
}

__attribute__((destructor)) static void
freescan_fini(void)
{
	char line[256];
	int len;

	if (out_fd < 0)
		return;
	len = snprintf(line, sizeof(line), "TOTAL pid=%ld frees=%lu hits=%lu blocks=%lu bytes=%lu\n",
		       (long)getpid(), n_frees, n_hits, n_blocks, n_bytes);
	if (len > 0 && write(out_fd, line, (size_t)len) < 0)
		return;
}
