/* fuzz_config.c - libFuzzer target: the input as a config file through alz_config_load_file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alz_config.h"
#include "fuzz.h"

/*
 * One private directory (mkdtemp, 0700) and one file in it (0600, ours) per
 * process; each input rewrites the file. The loader insists on a regular
 * file of the given owner that group and others cannot write: both hold.
 */
static char dir[PATH_MAX];
static char path[PATH_MAX + sizeof("/pam_alianza.conf")];
static int fd = -1;

static void
cleanup(void)
{
	if (fd >= 0)
		close(fd);
	unlink(path);
	rmdir(dir);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	n = snprintf(dir, sizeof(dir), "%s/alz-fuzz-config.XXXXXX", tmp);
	if (n < 0 || (size_t)n >= sizeof(dir) || mkdtemp(dir) == NULL) {
		perror("fuzz_config: mkdtemp");
		abort();
	}
	snprintf(path, sizeof(path), "%s/pam_alianza.conf", dir);
	atexit(cleanup);
	fuzz_before_abort = cleanup;	/* an ASan report still leaves the directory behind */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0) {
		perror("fuzz_config: open");
		abort();
	}
}

/* Replace the file's content with the input; the descriptor stays open for the process. */
static void
write_input(const uint8_t *data, size_t size)
{
	size_t done = 0;
	ssize_t n;

	if (ftruncate(fd, (off_t)size) != 0) {
		perror("fuzz_config: ftruncate");
		abort();
	}
	while (done < size) {
		n = pwrite(fd, data + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("fuzz_config: write");
			abort();
		}
		done += (size_t)n;
	}
}

/*
 * A list setting as config.c documents it: 1 to 32 items, each shorter than
 * ALZ_MAX_LIST_ITEM (what alz_list_next can hand out); group names are also
 * [A-Za-z0-9_.-], 32 characters at most, not starting with '-'.
 */
static void
check_list(const char *list, bool groups)
{
	const char *p = list;
	size_t len, i, n = 0;

	if (list == NULL)
		return;
	for (;;) {
		p += strspn(p, " ,\t");
		if (*p == '\0')
			break;
		len = strcspn(p, " ,\t");
		n++;
		FUZZ_CHECK(len < ALZ_MAX_LIST_ITEM);
		if (groups) {
			FUZZ_CHECK(len <= 32 && p[0] != '-');
			for (i = 0; i < len; i++)
				FUZZ_CHECK((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
					   (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '.' ||
					   p[i] == '-');
		}
		p += len;
	}
	FUZZ_CHECK(n >= 1 && n <= 32);
}

/* all, none (NULL), or names of the rule, at most 32, never all or none among them */
static void
check_types(const struct alz_type_list *l)
{
	char name[ALZ_MAX_LIST_ITEM];
	const char *p = l->names;
	unsigned n = 0;

	FUZZ_CHECK(!l->all || l->names == NULL);
	if (l->names == NULL)
		return;
	while (alz_list_next(&p, name, sizeof(name))) {
		FUZZ_CHECK(alz_user_type_ok(name) && strcmp(name, "all") != 0 && strcmp(name, "none") != 0);
		FUZZ_CHECK(alz_type_list_has(l, name));
		n++;
	}
	FUZZ_CHECK(*p == '\0' && n >= 1 && n <= 32);
}

static void
check_config(const struct alz_config *cfg)
{
	size_t i, j, len;

	/* https only, a host, no trailing slash (the paths bring their own) */
	FUZZ_CHECK(cfg->base_urls.n >= 1 && cfg->base_urls.n <= ALZ_MAX_BASE_URLS);
	for (i = 0; i < cfg->base_urls.n; i++) {
		const char *u = cfg->base_urls.url[i];

		FUZZ_CHECK(u != NULL);
		FUZZ_CHECK(strncasecmp(u, "https://", 8) == 0);
		len = strlen(u);
		FUZZ_CHECK(len > 8 && len <= ALZ_MAX_BASE_URL_LEN && u[len - 1] != '/');
		FUZZ_CHECK(strpbrk(u + 8, "@?#, \t") == NULL);
		FUZZ_CHECK(fuzz_visible(u));
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cfg->base_urls.url[j], u) != 0);
	}
	FUZZ_CHECK(cfg->pinned_public_key == NULL || strncmp(cfg->pinned_public_key, "sha256//", 8) == 0);

	/* milliseconds, from the key table's ranges; connect within the total */
	FUZZ_CHECK(cfg->connect_timeout_ms >= 1000 && cfg->connect_timeout_ms <= 60000);
	FUZZ_CHECK(cfg->timeout_ms >= 1000 && cfg->timeout_ms <= 300000);
	FUZZ_CHECK(cfg->connect_timeout_ms <= cfg->timeout_ms);

	FUZZ_CHECK(cfg->user_template != NULL && strstr(cfg->user_template, "%u") != NULL);
	FUZZ_CHECK(cfg->proxy == NULL || fuzz_visible(cfg->proxy));
	FUZZ_CHECK(cfg->ca_file == NULL || cfg->ca_file[0] == '/');
	FUZZ_CHECK(cfg->cache_dir == NULL || cfg->cache_dir[0] == '/');
	FUZZ_CHECK(cfg->offline_max_failures >= 1 && cfg->offline_max_failures <= 100);
	FUZZ_CHECK(cfg->throttle_failures <= 100);
	FUZZ_CHECK(cfg->totp_tries >= 1 && cfg->totp_tries <= 10);
	FUZZ_CHECK(cfg->code_digits >= 6 && cfg->code_digits <= 8);
	check_types(&cfg->allowed_types);
	check_types(&cfg->local_totp_types);
	FUZZ_CHECK(cfg->env_prefix != NULL && cfg->env_prefix[0] != '\0');
	FUZZ_CHECK(cfg->totp_prompt != NULL && fuzz_no_control(cfg->totp_prompt));
	check_list(cfg->allowed_partitions, false);
	check_list(cfg->ignore_users, true);
	check_list(cfg->alianza_group, true);
	FUZZ_CHECK(!cfg->alianza_uids.set || (cfg->alianza_uids.lo <= cfg->alianza_uids.hi &&
					       cfg->alianza_uids.hi <= 4294967294UL));
	FUZZ_CHECK(cfg->ntype_groups <= ALZ_MAX_TYPE_GROUPS);
	for (i = 0; i < cfg->ntype_groups; i++) {
		FUZZ_CHECK(alz_user_type_ok(cfg->type_groups[i].type));
		/* one entry per type: the map is matched exactly, a second would be dead */
		FUZZ_CHECK(alz_config_groups(cfg, cfg->type_groups[i].type) == cfg->type_groups[i].groups);
		check_list(cfg->type_groups[i].groups, true);
	}
	/* a path is absent (the dialect has no such call) or absolute; log-in always exists */
	FUZZ_CHECK(cfg->dialect < ALZ_DIALECT_COUNT);
	FUZZ_CHECK(cfg->paths[ALZ_P_AUTHORIZE] != NULL);
	for (i = 0; i < ALZ_PATH_COUNT; i++) {
		FUZZ_CHECK(cfg->paths[i] == NULL || (cfg->paths[i][0] == '/' &&
			   fuzz_visible(cfg->paths[i]) && strpbrk(cfg->paths[i], "?#") == NULL));
		FUZZ_CHECK(cfg->methods[i] != NULL && fuzz_visible(cfg->methods[i]));
	}
	FUZZ_CHECK(!cfg->jwt_login || cfg->paths[ALZ_P_JWT] != NULL);
	for (i = 0; i < ALZ_FIELD_COUNT; i++)
		FUZZ_CHECK(cfg->fields[i] != NULL && cfg->fields[i][0] != '\0' &&
			   fuzz_visible(cfg->fields[i]) && strpbrk(cfg->fields[i], "\"\\:") == NULL);
	/* reply pointers: absent, or each one a pointer; the token always has one */
	FUZZ_CHECK(cfg->replies[ALZ_R_TOKEN] != NULL);
	for (i = 0; i < ALZ_REPLY_AT_COUNT; i++)
		FUZZ_CHECK(cfg->replies[i] == NULL || (cfg->replies[i][0] == '/' &&
			   fuzz_no_control(cfg->replies[i]) && strchr(cfg->replies[i], ',') == NULL));
	/* the token header: one %t, no line break to smuggle a second header */
	FUZZ_CHECK(cfg->token_header != NULL && strchr(cfg->token_header, ':') != NULL &&
		   fuzz_no_control(cfg->token_header));
	FUZZ_CHECK(strstr(cfg->token_header, "%t") != NULL &&
		   strstr(strstr(cfg->token_header, "%t") + 2, "%t") == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct alz_config cfg;
	enum alz_rc rc;

	if (!ready) {
		setup();
		ready = true;
	}
	write_input(data, size);

	rc = alz_config_init(&cfg);
	FUZZ_CHECK(rc == ALZ_OK);
	rc = alz_config_load_file(&cfg, path, geteuid(), &fuzz_log);
	FUZZ_CHECK(rc == ALZ_OK || rc == ALZ_ERR_CONFIG || rc == ALZ_ERR_NOMEM);
	if (rc == ALZ_OK) {
		rc = alz_config_finish(&cfg, path, &fuzz_log);
		FUZZ_CHECK(rc == ALZ_OK || rc == ALZ_ERR_CONFIG || rc == ALZ_NOT_CONFIGURED);
		if (rc == ALZ_OK)
			check_config(&cfg);
		FUZZ_CHECK(rc != ALZ_NOT_CONFIGURED || cfg.base_urls.n == 0);
	}
	alz_config_free(&cfg);
	return 0;
}
