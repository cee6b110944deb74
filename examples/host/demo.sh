#!/bin/sh
# The reference host end to end, with real processes: `authhost serve` and
# its client `authhost admin`, `authhost login` for each kind of password,
# authd as the external authenticator, the lockout, client addresses, and
# the NEW round trip (the helper creates the account through the
# administration interface).
#
#   examples/host/demo.sh [AUTHHOST [AUTHD]]
#
# Defaults: authhost and authd from PATH. Everything happens in a temporary
# directory, removed at exit with the server stopped. Exit 0 when every step
# gave the expected answer.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
authhost=${1:-$(command -v authhost || true)}
authd=${2:-$(command -v authd || true)}
# The host runs its helper without a PATH search: perl by its full path.
perl=$(command -v perl) || { echo "$0: perl is needed for the provisioning helper" >&2; exit 2; }
[ -x "$authhost" ] && [ -x "$authd" ] || { echo "usage: $0 AUTHHOST AUTHD (or both on PATH)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/authhost-demo.XXXXXX")
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi
  [ -n "${DEMO_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

data="$work/data"
pm=postmaster@example.com
printf 'pm secret\n' > "$work/pm.password"
failures=0
step() { printf '\n== %s\n' "$*"; }

# expect STATUS COMMAND...: run it, show what it printed, check its exit status.
expect() {
  want=$1; shift
  "$@" > "$work/out" 2>&1
  got=$?
  sed 's/^/   /' "$work/out"
  if [ "$got" -eq "$want" ]; then echo "   -> exit $got, as expected"; else
    echo "   -> exit $got, expected $want: FAILED"; failures=$((failures + 1)); fi
}
admin() { "$authhost" admin --connect "$endpoint" --user "$pm" "$@" < "$work/pm.password"; }
# login NAME PASSWORD [OPTIONS]
login() { name=$1; password=$2; shift 2; printf '%s\n' "$password" | "$authhost" --data "$data" login "$name" "$@"; }

step "init a data directory with main domain example.com"
expect 0 "$authhost" --data "$data" init --main-domain example.com --postmaster-password 'pm secret'

step "start authhost serve on a free loopback port"
"$authhost" --data "$data" serve --port 0 > "$work/serve.out" 2> "$work/serve.err" &
server=$!
endpoint=
for _ in $(seq 1 100); do
  endpoint=$(sed -n 's/^listening on //p' "$work/serve.out" | head -n 1)
  [ -n "$endpoint" ] && break
  sleep 0.05
done
[ -n "$endpoint" ] || { echo "authhost serve did not start:"; cat "$work/serve.err"; exit 1; }
echo "   listening on $endpoint"

step "the external authenticator cannot be set over the network"
expect 1 admin UPDATESERVERSETTINGS "ExternalAuthenticator=/bin/sh -c id"
step "... it is set locally: authd behind a helper that provisions unknown names through the interface"
expect 0 "$authhost" --data "$data" settings set \
  "ExternalAuthenticator=$perl $here/provisioning_helper.pl $authhost $endpoint $pm $work/pm.password -- $authd --config $root/examples/sessions/seed.toml"

step "create a domain and accounts through the administration interface"
expect 0 admin CREATEDOMAIN domain2.com
expect 0 admin UPDATEDOMAINSETTINGS domain2.com ConsultExternalAuthenticator=on
expect 0 admin CREATEACCOUNT alice@example.com
expect 0 admin UPDATEACCOUNTSETTINGS alice@example.com PasswordEncryption=clear
expect 0 admin SETACCOUNTPASSWORD alice@example.com "alice's secret"
expect 0 admin CREATEACCOUNT bob@example.com
expect 0 admin UPDATEACCOUNTSETTINGS bob@example.com UseExtPassword=yes
expect 0 admin CREATEACCOUNT dora@example.com "dora pw"
expect 0 admin GETACCOUNTSETTINGS alice@example.com
expect 1 admin CREATEACCOUNT "not a name@example.com"

step "log in with each password kind"
echo " internal password, clear text: plain, CRAM-MD5, APOP"
expect 0 login alice@example.com "alice's secret"
expect 0 login alice@example.com "alice's secret" --method cram-md5
expect 0 login alice@example.com "alice's secret" --method apop
echo " internal password, one-way (SSHA512): plain only"
expect 0 login dora@example.com "dora pw"
expect 1 login dora@example.com "dora pw" --method cram-md5
echo " external password: authd checks bob@example.com in examples/demo/users.passwd"
expect 0 login bob@example.com builder
expect 1 login bob@example.com wrong
echo " OS password (PAM): needs a real OS user; tests/host/host_pam_test.cpp covers it under pam_wrapper"

step "trip the lockout (3 failures within 8s) and watch it lift"
# 8 seconds: room for three logins even in a slow (sanitizer) build.
expect 0 admin UPDATESERVERSETTINGS FailedLoginLimit=3 FailedLoginWindow=8s
for _ in 1 2 3; do expect 1 login dora@example.com wrong; done
echo " the right password is refused while suspended, with the same text"
expect 1 login dora@example.com "dora pw"
echo " ... and so is an administration login as dora"
expect 1 sh -c "printf 'dora pw\n' | '$authhost' admin --connect '$endpoint' --user dora@example.com GETSTATISTICS"
expect 0 admin GETSTATISTICS
sleep 8.2
echo " eight seconds later"
expect 0 login dora@example.com "dora pw"
echo " or lifted at once by an administrator"
for _ in 1 2 3; do login dora@example.com wrong > /dev/null; done
expect 0 admin UNLOCKACCOUNT dora@example.com
expect 0 login dora@example.com "dora pw"

step "refuse logins from non-client addresses"
expect 0 admin UPDATESERVERSETTINGS RejectNonClientAddresses=on
expect 1 login alice@example.com "alice's secret" --from 192.0.2.7
expect 0 login alice@example.com "alice's secret" --from 127.0.0.1
expect 0 admin UPDATESERVERSETTINGS ClientIPAddresses=192.0.2.0/24
expect 0 login alice@example.com "alice's secret" --from 192.0.2.7

step "the NEW round trip: user2@domain2.com is known to authd, not to the host"
expect 1 admin GETACCOUNTSETTINGS user2@domain2.com
expect 0 login user2@domain2.com "correct horse"
echo " the helper created it through the administration interface:"
expect 0 admin LISTACCOUNTS domain2.com
expect 1 login user1@domain1.com anything

step "rights: a domain master acts on its own domain only"
expect 0 admin CREATEACCOUNT boss@domain2.com "boss pw"
expect 0 admin SETACCOUNTRIGHTS boss@domain2.com CanModifyThisDomain
boss() { printf 'boss pw\n' | "$authhost" admin --connect "$endpoint" --user boss@domain2.com "$@"; }
expect 0 boss CREATEACCOUNT eve@domain2.com
expect 1 boss CREATEACCOUNT eve@example.com
expect 1 boss SETACCOUNTRIGHTS eve@domain2.com CanModifyThisDomain

step "statistics"
expect 0 admin GETSTATISTICS

step "stop the server (SIGTERM)"
kill "$server"; wait "$server"; status=$?; server=
echo "   authhost serve exited with $status"
[ "$status" -eq 0 ] || failures=$((failures + 1))

echo
if [ "$failures" -eq 0 ]; then echo "demo: every step as expected"; exit 0; fi
echo "demo: $failures step(s) failed"; exit 1
