#!/bin/sh
# Smoke test of the benchmark tools: gen writes accounts, authload drives
# authd with them and must find every answer as expected. No timing is
# asserted; the point is that the tools work and that a wrong answer fails.
# Usage: smoke_test.sh AUTHD AUTHLOAD GEN
set -eu

authd=$1
authload=$2
gen=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "smoke_test: $*" >&2
  exit 1
}

write_config() {  # PASSWORD_FILE CONFIG
  cat >"$2" <<CONFIG
[authd]
log = "$tmp/authd.log"
workers = 2
failure_answer_time_ms = 0
[[backend]]
name = "f"
type = "passwd-file"
path = "$1"
[[route]]
domains = ["*"]
backends = ["f"]
CONFIG
}

"$gen" --users 2000 --scheme SSHA --format passwd --output "$tmp/users.passwd" --credentials "$tmp/users.cred"
[ "$(grep -c '^user.*@example.com:{SSHA}' "$tmp/users.passwd")" -eq 2000 ] || fail "gen wrote no SSHA password file"
[ "$(wc -l <"$tmp/users.cred")" -eq 2000 ] || fail "gen wrote no credentials file"
grep -q ' ' "$tmp/users.cred" || fail "gen wrote no password with a space"
write_config "$tmp/users.passwd" "$tmp/authd.toml"

for window in 100 1; do
  "$authload" --credentials "$tmp/users.cred" --requests 5000 --window "$window" \
    --wrong-share 0.1 --unknown-share 0.05 --malformed-share 0.02 \
    --expect-error-text "incorrect account name or password" --json "$tmp/window$window.json" \
    --helper-stderr "$tmp/authd.stderr" \
    -- "$authd" --config "$tmp/authd.toml" || fail "authload failed against authd with window $window"
  grep -q '"requests": 5000,' "$tmp/window$window.json" || fail "JSON results without 5000 requests"
done

# A wrong password in the credentials file must fail the run, not be counted.
sed '7s/\t.*/\tnot-the-password/' "$tmp/users.cred" >"$tmp/wrong.cred"
if "$authload" --credentials "$tmp/wrong.cred" --requests 5000 --window 100 \
  -- "$authd" --config "$tmp/authd.toml" >/dev/null 2>"$tmp/wrong.err"; then
  fail "authload accepted an ERROR to a request it expected OK for"
fi
grep -q "wrong answer" "$tmp/wrong.err" || fail "authload did not name the wrong answer: $(cat "$tmp/wrong.err")"

# Costs chosen with --rounds must be readable by authd.
"$gen" --users 50 --scheme SHA512-CRYPT --rounds 1000 --output "$tmp/crypt.passwd" --credentials "$tmp/crypt.cred"
grep -q '\$6\$rounds=1000\$' "$tmp/crypt.passwd" || fail "gen --rounds did not write rounds=1000"
write_config "$tmp/crypt.passwd" "$tmp/crypt.toml"
"$authload" --credentials "$tmp/crypt.cred" --requests 200 --window 20 --wrong-share 0.2 --unknown-share 0.1 \
  -- "$authd" --config "$tmp/crypt.toml" >/dev/null || fail "authload failed against SHA512-CRYPT rounds=1000"

# The other formats.
"$gen" --users 20 --scheme APR1 --format htpasswd --output "$tmp/users.htpasswd" --credentials "$tmp/h.cred"
grep -q '^user000000:\$apr1\$' "$tmp/users.htpasswd" || fail "gen wrote no APR1 htpasswd file"
"$gen" --users 20 --scheme SHA --format htpasswd --output "$tmp/sha.htpasswd" --credentials "$tmp/h.cred"
grep -q '^user000000:{SHA}' "$tmp/sha.htpasswd" || fail "gen wrote no SHA htpasswd file"
if "$gen" --users 20 --scheme SSHA --format htpasswd --output "$tmp/x" --credentials "$tmp/x.cred" 2>/dev/null; then
  fail "gen wrote an htpasswd file with a scheme Apache cannot read"
fi
"$gen" --users 20 --scheme SSHA --format ldif --base-entry --output "$tmp/users.ldif" --credentials "$tmp/l.cred"
grep -q '^dn: uid=user000019,ou=people,dc=example,dc=com$' "$tmp/users.ldif" || fail "gen wrote no LDIF entries"
grep -q '^userPassword: {SSHA}' "$tmp/users.ldif" || fail "gen wrote no userPassword"

# Squid's protocol, against a stand-in helper (answers in order, no numbers).
if command -v perl >/dev/null; then
  for window in 1 50; do
    "$authload" --protocol squid --squid-strip-domain --credentials "$tmp/users.cred" --requests 2000 \
      --window "$window" --wrong-share 0.1 --unknown-share 0.1 --expect-error-text 'message="bad credentials"' \
      -- perl "$here/fake_squid_helper.pl" "$tmp/users.cred" strip >/dev/null ||
      fail "authload failed in squid mode with window $window"
  done
fi

echo "smoke_test: OK"
