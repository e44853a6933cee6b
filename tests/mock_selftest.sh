#!/bin/bash
# mock_selftest.sh - end-to-end check of tests/mkcerts.sh and tests/mock_api.py
# with curl. Prints one "ok"/"FAIL" line per check; exit status 0 only if all
# checks pass. Needs openssl, curl and /usr/bin/python3; no root, no network.
set -u

here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
T=$(mktemp -d)
MOCK_PID=
fails=0

cleanup() {
    if [ -n "$MOCK_PID" ]; then
        kill "$MOCK_PID" 2>/dev/null
        wait "$MOCK_PID" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT

check() {    # check "description" command...
    local what=$1
    shift
    if "$@"; then
        echo "ok   $what"
    else
        echo "FAIL $what"
        fails=$((fails + 1))
    fi
}

# jget FILE KEY[.KEY...]: print a JSON value ("" when absent, JSON for objects).
jget() {
    "$PY" - "$1" "$2" <<'EOF'
import json, sys
try:
    v = json.load(open(sys.argv[1], encoding="utf-8"))
    for k in sys.argv[2].split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
except Exception:
    v = ""
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# api METHOD PATH BODY [curl args...]: call the main listener; the reply body
# lands in $T/out, headers in $T/hdr; prints the HTTP status.
api() {
    local method=$1 path=$2 body=$3
    shift 3
    curl -sS --cacert "$CERTS/ca.pem" -X "$method" \
        -H 'Content-Type: application/json' -H 'Accept: application/json' \
        --data-binary "$body" -D "$T/hdr" -o "$T/out" -w '%{http_code}' \
        "$@" "https://127.0.0.1:$MAIN$path"
}

# ctl METHOD PATH [BODY]: control API; reply body in $T/ctl.
ctl() {
    curl -sS -X "$1" -o "$T/ctl" -w '%{http_code}' ${3:+--data-binary "$3"} \
        "http://127.0.0.1:$CONTROL$2"
}

login() {    # login USER PASSWORD [curl args...]
    local u=$1 p=$2
    shift 2
    api POST /v2/authorize "{\"userName\":\"$u\",\"password\":\"$p\"}" "$@"
}

mode() {     # mode JSON: set a fault mode, fail loudly if refused
    [ "$(ctl POST /mode "$1")" = 200 ]
}

# ---------------------------------------------------------------- mkcerts
CERTS=$T/certs
t_mkcerts() {
    local s e
    s=$(date +%s%N)
    "$here/mkcerts.sh" "$CERTS" || return 1
    e=$(date +%s%N)
    echo "     mkcerts took $(( (e - s) / 1000000 )) ms"
    [ $(( (e - s) / 1000000 )) -lt 2000 ] || return 1
    for f in ca server wronghost untrusted expired; do
        [ -s "$CERTS/$f.pem" ] && [ "$(stat -c %a "$CERTS/$f.key")" = 600 ] || return 1
    done
    [ "$(stat -c %a "$CERTS")" = 700 ]
}
check "mkcerts makes all pairs quickly, keys 0600, dir 0700" t_mkcerts

t_mkcerts_idem() {
    local before
    before=$(sha256sum "$CERTS/ca.pem")
    "$here/mkcerts.sh" "$CERTS" && [ "$(sha256sum "$CERTS/ca.pem")" = "$before" ]
}
check "mkcerts is idempotent" t_mkcerts_idem

t_certs() {
    openssl verify -CAfile "$CERTS/ca.pem" "$CERTS/server.pem" >/dev/null 2>&1 &&
    openssl verify -CAfile "$CERTS/ca.pem" "$CERTS/wronghost.pem" >/dev/null 2>&1 &&
    ! openssl verify -CAfile "$CERTS/ca.pem" "$CERTS/untrusted.pem" >/dev/null 2>&1 &&
    ! openssl x509 -noout -checkend 0 -in "$CERTS/expired.pem" >/dev/null &&
    openssl x509 -noout -ext subjectAltName -in "$CERTS/server.pem" | grep -q 'IP Address:127.0.0.1'
}
check "certificates: server/wronghost CA-signed, untrusted not, expired expired" t_certs

# ------------------------------------------------------------- start mock
PORTS=$T/ports.json
"$PY" "$here/mock_api.py" --certs "$CERTS" --users "$here/fixtures/users.json" \
    --ports-file "$PORTS" 2>"$T/mock.err" &
MOCK_PID=$!

t_start() {
    local i
    for i in $(seq 100); do
        [ -s "$PORTS" ] && return 0
        sleep 0.05
    done
    return 1
}
check "mock writes the ports file within 5 s" t_start
[ -s "$PORTS" ] || { cat "$T/mock.err"; exit 1; }

port() { jget "$PORTS" "$1"; }
MAIN=$(port main)
CONTROL=$(port control)
RECORDER=$(port recorder)
TLS10=$(port tls10)
check "ports file has every key and our pid" \
    test -n "$MAIN" -a -n "$(port untrusted)" -a -n "$(port wronghost)" \
    -a -n "$(port expired)" -a -n "$RECORDER" -a -n "$CONTROL" \
    -a "$(port pid)" = "$MOCK_PID"

# ------------------------------------------------------------------ login
t_alice() {
    [ "$(login alice 'Alice-pass1!')" = 200 ] || return 1
    local tok
    tok=$(jget "$T/out" authToken)
    [ ${#tok} -ge 40 ] && [ "$(jget "$T/out" tokenType)" = Bearer ] &&
    [ "$(jget "$T/out" expiresIn)" = 3600 ] && [ "$(jget "$T/out" userId)" = u-alice ] &&
    [ "$(jget "$T/out" partitionId)" = p-main ] &&
    [ "$(jget "$T/out" userType)" = MANAGEMENT_USER ] &&
    grep -qi '^content-length: ' "$T/hdr"
}
check "alice logs in: 200 with authToken and login body" t_alice

check "wrong password: 401 INVALID_CREDENTIALS" eval \
    '[ "$(login alice nope)" = 401 ] && [ "$(jget "$T/out" errorCode)" = INVALID_CREDENTIALS ] && [ "$(jget "$T/out" path)" = /v2/authorize ] && [ -n "$(jget "$T/out" timestamp)" ]'
check "unknown user: 404 USER_NOT_FOUND" eval \
    '[ "$(login nobody x)" = 404 ] && [ "$(jget "$T/out" errorCode)" = USER_NOT_FOUND ]'
check "locked user: 403 ACCOUNT_LOCKED" eval \
    '[ "$(login lock Lock-pass1!)" = 403 ] && [ "$(jget "$T/out" errorCode)" = ACCOUNT_LOCKED ]'
check "malformed request: 400 INVALID_REQUEST" eval \
    '[ "$(api POST /v2/authorize "{\"userName\":1}")" = 400 ] && [ "$(jget "$T/out" errorCode)" = INVALID_REQUEST ] && [ "$(api POST /v2/authorize "not json")" = 400 ]'
check "unknown path: 404 with envelope" eval \
    '[ "$(api GET /v2/nothing "")" = 404 ] && [ "$(jget "$T/out" errorCode)" = NOT_FOUND ]'
check "olga logs in with her own partition" eval \
    '[ "$(login olga Olga-pass1!)" = 200 ] && [ "$(jget "$T/out" partitionId)" = p-other ] && [ "$(jget "$T/out" partitionName)" = "Other Co" ]'
check "erin is END_USER, ursula has an unknown userType" eval \
    '[ "$(login erin Erin-pass1!)" = 200 ] && [ "$(jget "$T/out" userType)" = END_USER ] && [ "$(login ursula Ursula-pass1!)" = 200 ] && [ "$(jget "$T/out" userType)" = SUPER_ADMIN ]'
check "alice@example.com logs in" eval \
    '[ "$(login alice@example.com Alice-pass1!)" = 200 ] && [ "$(jget "$T/out" userName)" = alice@example.com ]'

t_weird() {
    local body
    # user name and password with a quote, a backslash and a UTF-8 é
    body=$("$PY" -c 'import json; print(json.dumps({"userName": "weird\"user\\x", "password": "pa\"ss\\w\u00e9rd!"}, ensure_ascii=False))')
    [ "$(api POST /v2/authorize "$body")" = 200 ] &&
    [ "$(jget "$T/out" userName)" = 'weird"user\x' ] &&
    body=$("$PY" -c 'import json; print(json.dumps({"userName": "weird\"user\\x", "password": "pa\"ss\\werd!"}))') &&
    [ "$(api POST /v2/authorize "$body")" = 401 ]
}
check "user name/password with quote, backslash and UTF-8" t_weird

# -------------------------------------------------------------------- 2FA
t_tess() {
    local sid code bad
    [ "$(login tess Tess-pass1!)" = 401 ] || return 1
    [ "$(jget "$T/out" errorCode)" = 2FA_REQUIRED ] || return 1
    sid=$(jget "$T/out" sessionId)
    [ -n "$sid" ] || return 1
    [ "$(ctl GET /totp/tess?offset=10)" = 200 ] || return 1
    bad=$(jget "$T/ctl" code)
    [ "$(api POST /v2/authorize/2fa "{\"sessionId\":\"$sid\",\"token\":\"$bad\"}")" = 401 ] &&
    [ "$(jget "$T/out" errorCode)" = INVALID_2FA_TOKEN ] || return 1
    [ "$(ctl GET /totp/tess)" = 200 ] || return 1
    code=$(jget "$T/ctl" code)
    [ ${#code} = 6 ] || return 1
    [ "$(api POST /v2/authorize/2fa "{\"sessionId\":\"$sid\",\"token\":\"$code\"}")" = 200 ] &&
    [ -n "$(jget "$T/out" authToken)" ] && [ "$(jget "$T/out" userName)" = tess ] || return 1
    # a passed challenge is consumed
    [ "$(api POST /v2/authorize/2fa "{\"sessionId\":\"$sid\",\"token\":\"$code\"}")" = 401 ] &&
    [ "$(jget "$T/out" errorCode)" = 2FA_SESSION_EXPIRED ]
}
check "tess: 2FA_REQUIRED, wrong code, right code, session consumed" t_tess

t_2fa_tries() {
    local sid bad code
    login tess Tess-pass1! >/dev/null
    sid=$(jget "$T/out" sessionId)
    ctl GET /totp/tess?offset=10 >/dev/null
    bad=$(jget "$T/ctl" code)
    for _ in 1 2 3; do
        [ "$(api POST /v2/authorize/2fa "{\"sessionId\":\"$sid\",\"token\":\"$bad\"}")" = 401 ] &&
        [ "$(jget "$T/out" errorCode)" = INVALID_2FA_TOKEN ] || return 1
    done
    code=$(curl -sS "http://127.0.0.1:$CONTROL/totp/tess?raw=1")
    [ "$(api POST /v2/authorize/2fa "{\"sessionId\":\"$sid\",\"token\":\"$code\"}")" = 401 ] &&
    [ "$(jget "$T/out" errorCode)" = 2FA_SESSION_EXPIRED ] &&
    [ "$(api POST /v2/authorize/2fa '{"sessionId":"nope","token":"123456"}')" = 401 ] &&
    [ "$(jget "$T/out" errorCode)" = 2FA_SESSION_EXPIRED ]
}
check "2FA: 3 wrong codes kill the session; unknown session expired" t_2fa_tries

t_2fa_skew() {
    local sid code
    login tess Tess-pass1! >/dev/null
    sid=$(jget "$T/out" sessionId)
    code=$(curl -sS "http://127.0.0.1:$CONTROL/totp/tess?raw=1&offset=-1")
    [ "$(api POST /v2/authorize/2fa "{\"sessionId\":\"$sid\",\"token\":\"$code\"}")" = 200 ]
}
check "2FA: previous step's code accepted (clock skew)" t_2fa_skew

t_totp_rfc() {
    # RFC 6238 appendix B, SHA-1, T=59 -> 94287082 (6 digits: 287082)
    "$PY" -B -c "import sys; sys.path.insert(0, '$here'); import mock_api
assert mock_api.totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', now=59) == '287082'
assert mock_api.totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', now=1111111109) == '081804'"
}
check "TOTP matches the RFC 6238 test vectors" t_totp_rfc

t_fred() {
    local sid code
    [ "$(login fred Fred-pass1!)" = 401 ] &&
    [ "$(jget "$T/out" success)" = false ] &&
    [ "$(jget "$T/out" error.code)" = 2FA_REQUIRED ] || return 1
    sid=$(jget "$T/out" error.data.sessionId)
    [ -n "$sid" ] || return 1
    code=$(curl -sS "http://127.0.0.1:$CONTROL/totp/fred?raw=1")
    [ "$(api POST /v2/authorize/2fa "{\"sessionId\":\"$sid\",\"token\":\"$code\"}")" = 200 ]
}
check "fred gets the FoodXchange envelope and passes 2FA" t_fred

# ------------------------------------------------------ userinfo / logout
t_userinfo_logout() {
    local tok
    login alice 'Alice-pass1!' >/dev/null
    tok=$(jget "$T/out" authToken)
    [ "$(api GET /v2/authorize/userinfo "" -G -H "X-AUTH-TOKEN: $tok")" = 200 ] &&
    [ "$(jget "$T/out" userName)" = alice ] && [ "$(jget "$T/out" partitionId)" = p-main ] || return 1
    ctl GET /tokens >/dev/null
    grep -qF -- "$tok" "$T/ctl" || return 1
    [ "$(api PUT /v2/authorize/logout "" -H "X-AUTH-TOKEN: $tok")" = 200 ] &&
    [ ! -s "$T/out" ] && grep -qi '^content-length: 0' "$T/hdr" || return 1
    [ "$(api GET /v2/authorize/userinfo "" -G -H "X-AUTH-TOKEN: $tok")" = 401 ] &&
    [ "$(jget "$T/out" errorCode)" = UNAUTHORIZED ] &&
    [ "$(api PUT /v2/authorize/logout "" -H "X-AUTH-TOKEN: $tok")" = 401 ] &&
    [ "$(api GET /v2/authorize/userinfo "" -G)" = 401 ] || return 1
    ctl GET /tokens >/dev/null
    ! grep -qF -- "$tok" "$T/ctl"
}
check "userinfo, logout (empty 200), token dead afterwards" t_userinfo_logout

# -------------------------------------------------------- password change
pwchange() {   # pwchange USER OLD NEW
    api PUT /v2/authorize "{\"userName\":\"$1\",\"password\":\"$2\",\"newPassword\":\"$3\"}"
}
t_pwchange() {
    [ "$(pwchange bob wrong 'Bob-Newpass2#')" = 401 ] &&
    [ "$(jget "$T/out" errorCode)" = INVALID_CREDENTIALS ] || return 1
    local weak
    for weak in 'Sh0rt!' 'alllower1!' 'ALLUPPER1!' 'NoDigits!!' 'NoSpecial12' 'Bob-pass1!'; do
        [ "$(pwchange bob 'Bob-pass1!' "$weak")" = 400 ] &&
        [ "$(jget "$T/out" errorCode)" = PASSWORD_POLICY ] &&
        [ -n "$(jget "$T/out" message)" ] || { echo "     policy let '$weak' through"; return 1; }
    done
    [ "$(pwchange bob 'Bob-pass1!' 'Bob-Newpass2#')" = 200 ] &&
    [ "$(login bob 'Bob-Newpass2#')" = 200 ] &&
    [ "$(login bob 'Bob-pass1!')" = 401 ] &&
    # the one before the current one is still "recent"
    [ "$(pwchange bob 'Bob-Newpass2#' 'Bob-pass1!')" = 400 ]
}
check "password change: wrong current 401, policy 400, success 200" t_pwchange

# -------------------------------------------------------------------- JWT
b64url() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
t_jwt() {
    local h p
    h=$(b64url '{"alg":"RS256"}')
    p=$(b64url '{"sub":"alice"}')
    [ "$(api POST /v2/authorize/jwt "{\"token\":\"$h.$p.valid-signature\"}")" = 200 ] &&
    [ "$(jget "$T/out" userName)" = alice ] &&
    [ "$(api POST /v2/authorize/jwt "{\"token\":\"$h.$p.forged\"}")" = 401 ] &&
    [ "$(api POST /v2/authorize/jwt "{\"token\":\"$h.$(b64url '{"sub":"ghost"}').valid-signature\"}")" = 401 ]
}
check "JWT log-in: valid signature 200, forged/unknown 401" t_jwt

# ------------------------------------------------------------ TLS checks
t_badcert() {   # t_badcert LISTENER: curl must refuse, -k must work
    local p rc
    p=$(port "$1")
    curl -sS --cacert "$CERTS/ca.pem" -o /dev/null -d '{}' "https://127.0.0.1:$p/v2/authorize" 2>/dev/null
    rc=$?
    [ $rc = 60 ] || { echo "     curl rc $rc, expected 60"; return 1; }
    [ "$(curl -sS -k -o /dev/null -w '%{http_code}' \
        -d '{"userName":"alice","password":"Alice-pass1!"}' "https://127.0.0.1:$p/v2/authorize")" = 200 ]
}
check "untrusted listener fails verification (works with -k)" t_badcert untrusted
check "wronghost listener fails verification (works with -k)" t_badcert wronghost
check "expired listener fails verification (works with -k)" t_badcert expired
check "wronghost cert is valid for wrong.example" eval \
    '[ "$(curl -sS --cacert "$CERTS/ca.pem" --resolve "wrong.example:$(port wronghost):127.0.0.1" -o /dev/null -w "%{http_code}" -d "{}" "https://wrong.example:$(port wronghost)/v2/authorize")" = 400 ]'
check "main listener refuses TLS 1.1" eval \
    '! curl -sS --cacert "$CERTS/ca.pem" --tlsv1.0 --tls-max 1.1 --ciphers "DEFAULT:@SECLEVEL=0" -o /dev/null "https://127.0.0.1:$MAIN/v2/authorize" 2>/dev/null'
if [ -n "$TLS10" ]; then
    check "tls10 listener: refused by default curl, works with TLS 1.1" eval \
        '! curl -sS --cacert "$CERTS/ca.pem" -o /dev/null "https://127.0.0.1:$TLS10/v2/authorize" 2>/dev/null && [ "$(curl -sS --cacert "$CERTS/ca.pem" --tlsv1.0 --tls-max 1.1 --ciphers "DEFAULT:@SECLEVEL=0" -o /dev/null -w "%{http_code}" -d "{\"userName\":\"alice\",\"password\":\"Alice-pass1!\"}" "https://127.0.0.1:$TLS10/v2/authorize")" = 200 ]'
else
    echo "ok   tls10 listener absent (skipped)"
fi

# ----------------------------------------------------------- fault modes
t_redirect() {
    ctl POST /reset >/dev/null
    mode '{"mode":"redirect"}' || return 1
    [ "$(login alice 'Alice-pass1!')" = 302 ] &&
    grep -qi "^location: https://127.0.0.1:$RECORDER/v2/authorize" "$T/hdr" &&
    [ ! -s "$T/out" ] || return 1
    mode '{"mode":"redirect","status":307,"location":"https://elsewhere.invalid/x"}' &&
    [ "$(login alice 'Alice-pass1!')" = 307 ] &&
    grep -qi '^location: https://elsewhere.invalid/x' "$T/hdr" || return 1
    mode '{"mode":"normal"}'
    sleep 0.1
    ctl GET /recorder >/dev/null
    [ "$(cat "$T/ctl")" = "[]" ]
}
check "redirect: 302 + Location to recorder; recorder got nothing" t_redirect

t_recorder() {
    curl -sS --max-time 3 -o /dev/null "http://127.0.0.1:$RECORDER/probe" 2>/dev/null
    ctl GET /recorder >/dev/null
    [ "$(jget "$T/ctl" 0.bytes)" -gt 0 ] && case $(jget "$T/ctl" 0.head) in "GET /probe"*) ;; *) false ;; esac
}
check "recorder records what a client sends" t_recorder

t_slow() {
    local t
    mode '{"mode":"slow","delay":0.5,"count":1}' || return 1
    t=$(curl -sS --cacert "$CERTS/ca.pem" -o /dev/null -w '%{http_code} %{time_total}' \
        -d '{"userName":"alice","password":"Alice-pass1!"}' "https://127.0.0.1:$MAIN/v2/authorize")
    [ "${t%% *}" = 200 ] && "$PY" -c "assert ${t#* } >= 0.5" || return 1
    t=$(curl -sS --cacert "$CERTS/ca.pem" -o /dev/null -w '%{time_total}' \
        -d '{"userName":"alice","password":"Alice-pass1!"}' "https://127.0.0.1:$MAIN/v2/authorize")
    "$PY" -c "assert $t < 0.4"
}
check "slow: answer after the delay, count 1 then normal" t_slow

t_hang() {
    local rc s e
    mode '{"mode":"hang","count":1}' || return 1
    s=$(date +%s%N)
    login alice 'Alice-pass1!' --max-time 1 >/dev/null 2>&1
    rc=$?
    e=$(date +%s%N)
    [ $rc = 28 ] && [ $(( (e - s) / 1000000 )) -ge 900 ]
}
check "hang: no answer (curl times out)" t_hang

t_drip() {
    local rc n
    mode '{"mode":"drip","delay":0.2,"count":1}' || return 1
    n=$(curl -sS --cacert "$CERTS/ca.pem" --max-time 1 -o "$T/out" -w '%{http_code} %{size_download}' \
        -d '{"userName":"alice","password":"Alice-pass1!"}' "https://127.0.0.1:$MAIN/v2/authorize" 2>/dev/null)
    rc=$?
    [ $rc = 28 ] && [ "${n%% *}" = 200 ] && [ "${n#* }" -ge 2 ] && [ "${n#* }" -le 6 ]
}
check "drip: 200 headers then a byte at a time (curl times out)" t_drip

t_huge() {
    local n
    mode '{"mode":"huge","count":1}' || return 1
    n=$(curl -sS --cacert "$CERTS/ca.pem" --max-time 10 -o "$T/out" -w '%{http_code} %{size_download}' \
        -d '{}' "https://127.0.0.1:$MAIN/v2/authorize") || return 1
    [ "$n" = "200 20971520" ] && "$PY" -c "import json; assert json.load(open('$T/out'))['authToken'] == 'x'" || return 1
    mode '{"mode":"huge","size":1000,"count":1}' &&
    [ "$(api POST /v2/authorize '{}')" = 200 ] && [ "$(stat -c %s "$T/out")" = 1000 ]
}
check "huge: 20 MiB valid JSON with the right length; size honoured" t_huge

t_truncated() {
    local rc
    mode '{"mode":"truncated","count":1}' || return 1
    login alice 'Alice-pass1!' --max-time 5 >/dev/null 2>&1
    rc=$?
    [ $rc = 18 ] || [ $rc = 56 ] || { echo "     curl rc $rc"; return 1; }
}
check "truncated: body shorter than Content-Length, then closed" t_truncated

check "malformed: 200 with cut JSON" eval \
    'mode "{\"mode\":\"malformed\",\"count\":1}" && [ "$(login alice Alice-pass1!)" = 200 ] && [ "$(cat "$T/out")" = "{\"authToken\": \"abc\"," ]'
check "notoken: 200 login body without authToken" eval \
    'mode "{\"mode\":\"notoken\",\"count\":1}" && [ "$(login alice Alice-pass1!)" = 200 ] && [ "$(jget "$T/out" userName)" = alice ] && ! grep -q authToken "$T/out"'
check "body: status and raw body as given" eval \
    'mode "{\"mode\":\"body\",\"status\":418,\"body\":\"{\\\"x\\\": 1}\",\"count\":1}" && [ "$(login alice Alice-pass1!)" = 418 ] && [ "$(cat "$T/out")" = "{\"x\": 1}" ] && grep -qi "^content-type: application/json" "$T/hdr"'
check "status: 429 TOO_MANY_REQUESTS with Retry-After" eval \
    'mode "{\"mode\":\"status\",\"status\":429,\"retry_after\":7,\"count\":1}" && [ "$(login alice Alice-pass1!)" = 429 ] && [ "$(jget "$T/out" errorCode)" = TOO_MANY_REQUESTS ] && grep -qi "^retry-after: 7" "$T/hdr"'
check "status: 503 SERVICE_UNAVAILABLE, 500 INTERNAL_ERROR by default" eval \
    'mode "{\"mode\":\"status\",\"status\":503,\"count\":1}" && [ "$(login alice Alice-pass1!)" = 503 ] && [ "$(jget "$T/out" errorCode)" = SERVICE_UNAVAILABLE ] && mode "{\"mode\":\"status\",\"count\":1}" && [ "$(login alice Alice-pass1!)" = 500 ] && [ "$(jget "$T/out" errorCode)" = INTERNAL_ERROR ]'
check "close: connection closed without a reply" eval \
    'mode "{\"mode\":\"close\",\"count\":1}"; login alice Alice-pass1! >/dev/null 2>&1; [ $? = 52 ]'
check "count: fault applies to the next N requests only" eval \
    'mode "{\"mode\":\"status\",\"status\":503,\"count\":2}" && [ "$(login alice Alice-pass1!)" = 503 ] && [ "$(login alice Alice-pass1!)" = 503 ] && [ "$(login alice Alice-pass1!)" = 200 ]'
t_pathfilter() {
    local tok
    mode '{"mode":"status","status":500,"path":"/v2/authorize/userinfo"}' || return 1
    [ "$(login alice 'Alice-pass1!')" = 200 ] || return 1
    tok=$(jget "$T/out" authToken)
    [ "$(api GET /v2/authorize/userinfo "" -G -H "X-AUTH-TOKEN: $tok")" = 500 ] || return 1
    mode '{"mode":"normal"}' &&
    [ "$(api GET /v2/authorize/userinfo "" -G -H "X-AUTH-TOKEN: $tok")" = 200 ]
}
check "path: fault restricted to one path; normal restores" t_pathfilter
check "control refuses an unknown mode" eval '[ "$(ctl POST /mode "{\"mode\":\"bogus\"}")" = 400 ]'

# ------------------------------------------------------- control details
t_keepalive() {
    local b='{"userName":"alice","password":"Alice-pass1!"}'
    ctl POST /reset >/dev/null
    # two requests in one curl run share a connection; a second run does not
    curl -sS --cacert "$CERTS/ca.pem" -o /dev/null -d "$b" "https://127.0.0.1:$MAIN/v2/authorize" \
        --next --cacert "$CERTS/ca.pem" -o /dev/null -d "$b" "https://127.0.0.1:$MAIN/v2/authorize" || return 1
    curl -sS --cacert "$CERTS/ca.pem" -o /dev/null -d "$b" "https://127.0.0.1:$MAIN/v2/authorize" || return 1
    ctl GET /requests >/dev/null
    [ "$(jget "$T/ctl" 0.conn)" = "$(jget "$T/ctl" 1.conn)" ] &&
    [ "$(jget "$T/ctl" 1.conn)" != "$(jget "$T/ctl" 2.conn)" ] &&
    [ "$(jget "$T/ctl" 0.listener)" = main ] && [ "$(jget "$T/ctl" 0.method)" = POST ] &&
    [ "$(jget "$T/ctl" 0.path)" = /v2/authorize ] && [ "$(jget "$T/ctl" 2.seq)" = 3 ] &&
    [ "$(jget "$T/ctl" 0.headers.content-type)" = application/x-www-form-urlencoded ] &&
    [ "$(jget "$T/ctl" 0.body_b64 | base64 -d)" = "$b" ] || return 1
    ctl GET /stats >/dev/null
    [ "$(jget "$T/ctl" connections.main)" = 2 ] && [ "$(jget "$T/ctl" requests)" = 3 ]
}
check "request log: conn ids show keep-alive; headers and body recorded; stats" t_keepalive

t_adduser() {
    [ "$(ctl POST /users/newbie '{"password":"Newbie-pass1!","userType":"END_USER"}')" = 200 ] &&
    [ "$(login newbie 'Newbie-pass1!')" = 200 ] && [ "$(jget "$T/out" userType)" = END_USER ] &&
    [ "$(jget "$T/out" userId)" = u-newbie ] &&
    [ "$(ctl POST /users/alice '{"password":"Other-pass1!"}')" = 200 ] &&
    [ "$(login alice 'Alice-pass1!')" = 401 ] &&
    [ "$(ctl POST /users/x '{"nopassword":1}')" = 400 ]
}
check "POST /users/<name> adds and replaces users" t_adduser

t_reset() {
    mode '{"mode":"status","status":500}' || return 1
    ctl POST /reset >/dev/null
    [ "$(login alice 'Alice-pass1!')" = 200 ] && [ "$(login newbie 'Newbie-pass1!')" = 404 ] &&
    ctl POST /reset >/dev/null &&
    ctl GET /tokens >/dev/null && [ "$(cat "$T/ctl")" = "[]" ] &&
    ctl GET /requests >/dev/null && [ "$(cat "$T/ctl")" = "[]" ] &&
    ctl GET /mode >/dev/null && [ "$(cat "$T/ctl")" = null ]
}
check "POST /reset restores fixture users, mode, tokens and logs" t_reset

# ------------------------------------------------------------- throughput
t_bench() {
    local s e ms
    ctl POST /reset >/dev/null
    s=$(date +%s%N)
    seq 200 | xargs -P 50 -I{} curl -sS --cacert "$CERTS/ca.pem" -o /dev/null -w '%{http_code}\n' \
        -H 'Content-Type: application/json' \
        -d '{"userName":"alice","password":"Alice-pass1!"}' \
        "https://127.0.0.1:$MAIN/v2/authorize" >"$T/bench" 2>&1
    e=$(date +%s%N)
    ms=$(( (e - s) / 1000000 ))
    echo "     200 logins, 50 in parallel: $ms ms ($(( 200000 / (ms > 0 ? ms : 1) )) logins/s)"
    [ "$(grep -c '^200$' "$T/bench")" = 200 ] || return 1
    ctl GET /tokens >/dev/null
    [ "$("$PY" -c "import json; print(len(json.load(open('$T/ctl'))))")" = 200 ]
}
check "200 logins with xargs -P 50 all succeed" t_bench

# -------------------------------------------------------------- shutdown
t_stop() {
    local rc
    kill -TERM "$MOCK_PID"
    wait "$MOCK_PID"
    rc=$?
    MOCK_PID=
    [ $rc = 0 ] && [ ! -e "$PORTS" ]
}
check "SIGTERM stops the mock with status 0 and removes the ports file" t_stop

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed; mock stderr:"
    sed 's/^/     /' "$T/mock.err"
    exit 1
fi
echo "all checks passed"
