/* alz_pam.h - what the PAM glue files share: per-call state, facts, the PAM code decision. */
#ifndef ALZ_PAM_H
#define ALZ_PAM_H

#include <pwd.h>
#include <stdbool.h>
#include <time.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "alz_api.h"
#include "alz_auth.h"
#include "alz_config.h"
#include "alz_request.h"

#define ALZ_PAM_DATA_FACTS "pam_alianza_facts"	/* pam_set_data: auth -> account, same process */
#define ALZ_PAM_DATA_SESSION "pam_alianza_session"	/* pam_set_data: open -> close session */

/* Per-call state of one entry point. */
struct alz_pam_ctx {
	pam_handle_t *pamh;
	int flags;
	struct alz_config cfg;
	struct alz_log lg;
	const char *service;
	const char *user;	/* PAM_USER, then the pw_name NSS answered (user_name) */
	char rhost[64];		/* sanitised PAM_RHOST, for the log */
	char user_name[ALZ_MAX_USER + 1];	/* the local account's own spelling */
};

/* What a later phase needs to know about the user: from this process's auth, or the record. */
struct alz_pam_facts {
	char user[ALZ_MAX_USER + 1];	/* whom they are about: PAM_USER may change on a handle */
	time_t at;			/* when the API vouched */
	char user_type[ALZ_MAX_TYPE + 1];	/* "" unknown */
	char partition_id[ALZ_MAX_FACT + 1];
	char partition_name[ALZ_MAX_FACT + 1];
	char user_id[ALZ_MAX_FACT + 1];
};

/* The management groups, for the words each phase's manual page uses. */
enum alz_pam_phase {
	ALZ_PHASE_AUTH,
	ALZ_PHASE_SETCRED,
	ALZ_PHASE_ACCOUNT,
	ALZ_PHASE_SESSION,
	ALZ_PHASE_CHAUTHTOK,
};

/* The one place where an outcome becomes a PAM return code, for every phase. */
int alz_pam_code_for(enum alz_rc rc, enum alz_pam_phase phase);
/* alz_pam_code_for(rc, ALZ_PHASE_AUTH) */
int alz_pam_code(enum alz_rc rc);

/* Defaults, then the file, then "key=value" arguments; PAM_SUCCESS or the code to return. */
int alz_pam_ctx_init(struct alz_pam_ctx *c, pam_handle_t *pamh, int flags, int argc, const char **argv);
void alz_pam_ctx_free(struct alz_pam_ctx *c);

/* Config, user and the local gate, for every phase but authentication. */
int alz_pam_phase_init(struct alz_pam_ctx *c, pam_handle_t *pamh, int flags, int argc, const char **argv,
		       char *user_log, size_t user_log_cap);

/* A broken config: root and system accounts get PAM_IGNORE, Alianza users RET (PAM_IGNORE: as is). */
int alz_pam_config_failed(pam_handle_t *pamh, int ret);

/*
 * The local-user gate: ALZ_OK, ALZ_SKIP (root, min_uid, ignore_users),
 * ALZ_OUT_OF_SCOPE (not in alianza_group / alianza_uids), ALZ_ERR_NO_USER,
 * ALZ_ERR_SYSTEM.
 * On ALZ_OK c->user is the pw_name NSS answered, not PAM_USER's spelling.
 */
enum alz_rc alz_pam_local_user(struct alz_pam_ctx *c, struct passwd *pwbuf, char *buf, size_t buflen);

/* Make PW_NAME (what NSS answered) the user every later step keys by. */
enum alz_rc alz_pam_user_key(struct alz_pam_ctx *c, const char *pw_name);

/* The host's policy with the user's short reason and the log's full one: ALZ_OK or why not. */
enum alz_rc alz_pam_allow(struct alz_pam_ctx *c, const char *user_log, const char *phase,
		  const char *type, const char *partition_id);

/* This process's authentication's facts, else the record's if fresh; false: none. */
bool alz_pam_get_facts(struct alz_pam_ctx *c, struct alz_pam_facts *out, const char **source);

/* Tell the user something unless PAM_SILENT; explain a refusal. */
void alz_pam_say(struct alz_pam_ctx *c, int style, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void alz_pam_explain(struct alz_pam_ctx *c, const struct alz_outcome *o);

/* The dialogue's way to the user: the PAM conversation (ctx is a struct alz_pam_ctx). */
enum alz_rc alz_pam_io_ask(void *ctx, const char *prompt, char **answer);
void alz_pam_io_tell(void *ctx, bool error, const char *msg);

/* pam_set_data cleanup for plain malloc'd data. */
void alz_pam_free_data(pam_handle_t *pamh, void *data, int error_status);

/* Printable ASCII copy of a possibly hostile string, for log lines. */
void alz_pam_log_safe(char *dst, size_t cap, const char *src);
long alz_pam_ms_since(const struct timespec *t0);

#endif
