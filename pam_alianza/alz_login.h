/* alz_login.h - the whole authentication decision: cached window, online, offline window, local code. */
#ifndef ALZ_LOGIN_H
#define ALZ_LOGIN_H

#include <stdbool.h>
#include <sys/types.h>

#include "alz_auth.h"
#include "alz_cache.h"

enum alz_via {
	ALZ_VIA_NONE = 0,
	ALZ_VIA_ONLINE,		/* the API said yes just now */
	ALZ_VIA_CACHED,		/* same password inside cached_auth_timeout: no request */
	ALZ_VIA_OFFLINE,	/* the API unreachable, inside offline_window */
};

struct alz_login_result {
	enum alz_rc rc;
	enum alz_via via;
	struct alz_outcome o;		/* the last API call's outcome, if any */
	struct alz_auth_trace trace;
	char user_type[ALZ_MAX_TYPE + 1];	/* "" (unknown) unless rc == ALZ_OK or a policy refusal */
	char partition_id[ALZ_MAX_FACT + 1];	/* "" when the API gave none */
	char partition_name[ALZ_MAX_FACT + 1];
	char user_id[ALZ_MAX_FACT + 1];
	char offline_reason[64];	/* why the API could not be asked */
	char deny_reason[200];	/* the host's policy refused: the full reason, for the log */
	char deny_msg[120];	/* and the short one, for the user */
};

/* Who runs this login: facts about the process, set by the caller (the PAM glue). */
struct alz_login_opts {
	uid_t owner;		/* the uid that must own the cache and files (0) */
	/*
	 * The invoking user may act against this process: a setuid host
	 * (getauxval(AT_SECURE): sudo, su). Only failures no caller can cause
	 * open the offline window then.
	 */
	bool untrusted_caller;
};

/*
 * Authenticate LOCAL_USER with ANSWER (what the user typed at the password
 * prompt).
 */
enum alz_rc alz_login_run(const struct alz_config *cfg, const struct alz_log *lg,
			  const struct alz_auth_io *io, const char *local_user,
			  const char *answer, const struct alz_login_opts *opts,
			  struct alz_login_result *res);

void alz_login_result_free(struct alz_login_result *res);

/*
 * The module's rules on a user's record R at NOW, the one home of each
 * (login.c decides with them under the user's lock; pam_alianza-admin
 * status shows who could log in offline now).
 * alz_login_throttled: throttle_failures wrong passwords within
 * throttle_interval, the last less than throttle_unlock ago; *WAIT the
 * seconds it still refuses. Nothing is asked then, offline neither.
 */
bool alz_login_throttled(const struct alz_config *cfg, const struct alz_record *r, time_t now,
			 long *wait);

/* What R allows an offline attempt when the API cannot be asked. */
enum alz_offline_gate {
	ALZ_OFF_OK,		/* the verifier may be checked (the attempt is counted first) */
	ALZ_OFF_NO_WINDOW,	/* no online login inside offline_window, no verifier, or refused */
	ALZ_OFF_NEEDS_CODE,	/* the API asks this user for a code, the host has none */
	ALZ_OFF_PAUSED,		/* offline_max_failures reached within offline_failure_delay */
};

enum alz_offline_gate alz_login_offline_gate(const struct alz_config *cfg,
					     const struct alz_record *r, time_t now);

const char *alz_via_name(enum alz_via via);

#endif
