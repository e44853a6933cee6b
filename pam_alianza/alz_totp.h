/* alz_totp.h - second-factor codes this host checks itself, with liboath's usersfile. */
#ifndef ALZ_TOTP_H
#define ALZ_TOTP_H

#include <stdbool.h>

#include "alz_config.h"

/* True when CODE is 6 to 8 ASCII digits: anything else never leaves the host. */
bool alz_code_well_formed(const char *code);

/*
 * FILE's directory is OWNER's and nobody else writes it (not a symlink):
 * the rule the module checks before it reads the local TOTP file, and the
 * admin tool before it writes one there. False: said in LG.
 */
bool alz_totp_dir_safe(const char *file, uid_t owner, const struct alz_log *lg);

/*
 * Check CODE for local user USER against cfg->local_totp_file (the format
 * pam_oath uses: "HOTP/T30 user - hexsecret"), with cfg->local_totp_window
 * steps either side. liboath records the code it accepted, so a replayed
 * code is refused. The file and its directory must be root's and not
 * writable by others; the file must not be readable by them either.
 * Returns ALZ_OK, ALZ_ERR_2FA_INVALID (wrong or replayed), ALZ_ERR_NO_USER
 * (no secret for USER), ALZ_ERR_CONFIG (unsafe or unreadable file).
 */
enum alz_rc alz_totp_verify_local(const struct alz_config *cfg, const char *user,
				  const char *code, uid_t owner, const struct alz_log *lg);

#endif
