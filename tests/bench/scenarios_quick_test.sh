#!/bin/sh
# bench/run --quick against a finished build: every scenario of
# docs/benchmarks.md with a few thousand requests and the microbenchmarks
# with a token run. authload checks every answer, so this proves that the
# scenarios, their configurations and the peers work; no timing is asserted.
# Usage: scenarios_quick_test.sh SOURCE-DIR BUILD-DIR
set -eu

source_dir=$1
build_dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "scenarios_quick_test: $*" >&2
  exit 1
}

docs="$source_dir/docs/benchmarks.md"
docs_before=$(cat "$docs" 2>/dev/null || true)

"$source_dir/bench/run" --quick --no-setup --build-dir "$build_dir" --work-dir "$tmp/work" \
  --output "$tmp/benchmarks.md" >"$tmp/run.out" 2>&1 || fail "bench/run --quick failed: $(tail -20 "$tmp/run.out")"

report="$tmp/benchmarks.md"
for row in S1 "S1'" S2 S3 S4 S5 S6 S7; do
  grep -q "^| $row |" "$report" || fail "no row $row in the report"
done
grep -q '^## Microbenchmarks' "$report" || fail "no microbenchmark section"
grep -q '^| `check/SSHA` |' "$report" || grep -q '| schemes_bench | not built' "$report" ||
  fail "no scheme microbenchmark in the report"
grep -q 'A --quick run' "$report" || fail "the report does not say it is a quick run"
[ "$(cat "$docs" 2>/dev/null || true)" = "$docs_before" ] || fail "bench/run --quick changed docs/benchmarks.md"

# The Perl peer against the kinds of request S1 does not send: unknown and
# malformed names must be refused like wrong passwords.
data="$tmp/work/data"
"$build_dir/bench/authload" --credentials "$data/sha-2000.cred" --requests 3000 --window 50 \
  --wrong-share 0.2 --unknown-share 0.1 --malformed-share 0.1 \
  --expect-error-text "incorrect account name or password" \
  -- perl "$source_dir/bench/peers/serial_sha_helper.pl" "$data/sha-2000.passwd" >/dev/null ||
  fail "the Perl serial helper answered wrongly"

echo "scenarios_quick_test: OK"
