#!/bin/bash
# mkcerts.sh DIR - make the throw-away TLS material used by tests/mock_api.py.
#
# Produces in DIR (mode 0700): ca, server, wronghost, untrusted, expired and
# soon certificate/key pairs (*.pem / *.key, keys 0600). The CA and server are
# valid for 90 days (pam_alianza-admin status warns under 30), soon for 10. Idempotent: if DIR/ca.pem
# already exists nothing is done. Only the openssl CLI is used; keys are never
# printed. Keys are generated at test time and must never be committed.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
dir=$1

# Test files start in parallel (make -j): one makes the material, the others
# wait for it under this lock instead of racing into a half-made directory.
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
complete=yes
for f in ca server wronghost untrusted expired soon; do
    [ -e "$dir/$f.pem" ] && [ -e "$dir/$f.key" -o "$f" = ca ] || complete=no
done
if [ "$complete" = yes ]; then
    exit 0
fi
rm -rf "$dir"

umask 077
mkdir -p "$dir"
chmod 0700 "$dir"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# EC P-256 keeps generation in the millisecond range.
newkey() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
        -out "$1" 2>/dev/null
    chmod 0600 "$1"
}

# Extensions for leaf certificates; SAN is passed per certificate.
leaf_ext() {
    cat >"$tmp/leaf.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$1
EOF
}

# sign NAME CN SAN [DAYS]: CSR for DIR/NAME.key, signed by the test CA for DAYS (2).
sign() {
    newkey "$dir/$1.key"
    openssl req -new -key "$dir/$1.key" -subj "/CN=$2" -out "$tmp/$1.csr" 2>/dev/null
    leaf_ext "$3"
    openssl x509 -req -in "$tmp/$1.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
        -CAcreateserial -CAserial "$tmp/ca.srl" -days "${4:-2}" -sha256 \
        -extfile "$tmp/leaf.ext" -out "$dir/$1.pem" 2>/dev/null
}

# --- test CA -------------------------------------------------------------
newkey "$dir/ca.key"
openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 90 \
    -subj "/CN=pam_alianza test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem" 2>/dev/null

# --- leaves signed by the CA --------------------------------------------
sign server localhost "IP:127.0.0.1,DNS:localhost" 90
# the API behind a certificate that ends in 10 days: status warns of it
sign soon localhost "IP:127.0.0.1,DNS:localhost" 10
sign wronghost wrong.example "DNS:wrong.example"

# --- self-signed, right names, but not issued by the test CA -------------
newkey "$dir/untrusted.key"
openssl req -x509 -new -key "$dir/untrusted.key" -sha256 -days 2 \
    -subj "/CN=localhost" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -addext "extendedKeyUsage=serverAuth" \
    -out "$dir/untrusted.pem" 2>/dev/null

# --- expired: signed by the CA, validity entirely in the past ------------
# OpenSSL 3.0's "x509 -req" cannot set an explicit notBefore/notAfter, so a
# minimal throw-away "openssl ca" setup is used for its -startdate/-enddate.
newkey "$dir/expired.key"
openssl req -new -key "$dir/expired.key" -subj "/CN=localhost" \
    -out "$tmp/expired.csr" 2>/dev/null
: >"$tmp/index.txt"
echo 1000 >"$tmp/serial"
cat >"$tmp/ca.cnf" <<EOF
[ ca ]
default_ca = testca
[ testca ]
database      = $tmp/index.txt
serial        = $tmp/serial
new_certs_dir = $tmp
certificate   = $dir/ca.pem
private_key   = $dir/ca.key
default_md    = sha256
policy        = anything
unique_subject = no
copy_extensions = none
x509_extensions = leaf
[ anything ]
commonName = supplied
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
EOF
start=$(date -u -d '-3 days' +%Y%m%d%H%M%SZ)
end=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
openssl ca -batch -config "$tmp/ca.cnf" -notext \
    -startdate "$start" -enddate "$end" \
    -in "$tmp/expired.csr" -out "$dir/expired.pem" >/dev/null 2>&1

if openssl x509 -noout -checkend 0 -in "$dir/expired.pem" >/dev/null; then
    echo "$0: expired.pem is not expired" >&2
    exit 1
fi

chmod 0644 "$dir"/*.pem
chmod 0600 "$dir"/*.key
