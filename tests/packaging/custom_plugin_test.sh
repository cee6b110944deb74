#!/usr/bin/env bash
# Install authd into a temporary prefix, build examples/custom-plugin out of
# tree against the installed CMake package, and serve requests through it.
#   custom_plugin_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/authd"
test -f "$work/prefix/include/authd/api/plugin.hpp"

cmake -S "$source/examples/custom-plugin" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" >/dev/null
cmake --install "$work/build" >/dev/null
plugin_dir="$work/prefix/lib/authd/plugins"
[[ -d "$work/prefix/lib64" ]] && [[ ! -d "$plugin_dir" ]] && plugin_dir="$work/prefix/lib64/authd/plugins"
test -f "$plugin_dir/htpasswd.so"

htpasswd -bcB "$work/htpasswd" Joe 'open sesame' 2>/dev/null
htpasswd -bs "$work/htpasswd" ann builder 2>/dev/null
cat > "$work/authd.toml" <<TOML
[authd]
log = "$work/authd.log"
allow_weak_schemes = true   # htpasswd -s writes unsalted {SHA}
plugin_dir = "$plugin_dir"

[[backend]]
name = "legacy"
type = "htpasswd"
path = "htpasswd"
domain = "Example.com"

[[route]]
domains = ["*"]
backends = ["legacy"]
TOML

"$work/prefix/bin/authd" --check-config "$work/authd.toml"
answers=$(printf '1 VRFY joe@example.com "open sesame"\n2 VRFY ann@example.com builder\n3 VRFY ann@example.com wrong\n4 NEW nobody@example.com\n' |
  "$work/prefix/bin/authd" --config "$work/authd.toml" | sort)
expected=$'1 OK\n2 OK\n3 ERROR incorrect account name or password\n4 ERROR this account is not known'
if [[ "$answers" != "$expected" ]]; then
  echo "unexpected answers:"; echo "$answers"; cat "$work/authd.log"; exit 1
fi
echo "custom plugin built against the installed package and served 4 requests"
