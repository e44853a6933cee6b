#!/bin/sh
# bench-login.sh BASE_URL CA_FILE - the login script an admin would write by hand for
#   auth required pam_exec.so expose_authtok /bin/sh tests/bench-login.sh BASE_URL CA_FILE
# The benchmark's (tests/bench.py) hand-written baseline for pam_alianza: pam_exec
# writes the password to our stdin (NUL-terminated), we POST it with the curl CLI
# (through stdin, so it never shows in argv) and succeed on HTTP 200 with an authToken.
# No JSON escaping, no 2FA, no user-type or partition checks: the cheapest honest script.
url=$1
ca=$2
IFS= read -r pw || [ -n "$pw" ] || exit 1
nl='
'
resp=$(printf '{"userName":"%s","password":"%s"}' "$PAM_USER" "$pw" |
    curl -s --max-time 10 --cacert "$ca" -X POST -H 'Content-Type: application/json' \
        --data-binary @- -w '\n%{http_code}' "$url/v2/authorize") || exit 1
[ "${resp##*"$nl"}" = 200 ] || exit 1
case ${resp%"$nl"*} in
*'"authToken": "'[!\"]* | *'"authToken":"'[!\"]*) exit 0 ;;
esac
exit 1
