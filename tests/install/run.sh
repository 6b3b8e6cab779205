#!/usr/bin/env bash
# tests/install/run.sh BUILD_DIR SOURCE_DIR: installs BUILD_DIR into a
# throwaway prefix and uses it from outside, as a user would:
#   - a C and a C++ plugin, and examples/embed, built by an out-of-tree
#     CMake project with find_package(connector-host 0.1) (0.2 is refused);
#   - the C plugin built with pkg-config --cflags cn-sdk alone;
#   - the installed connector-host running those plugins, listing them, and
#     finding its own installed plugins.
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
work=$(mktemp -d /tmp/cn-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "install test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
host=$work/prefix/bin/connector-host
examples=$src/examples
dogs=$examples/topics/dogs.jsonl

echo "== find_package(connector-host 0.1): two plugins and an embedding program"
cmake -S "$src/tests/install" -B "$work/oot" -DCMAKE_PREFIX_PATH="$work/prefix" -DCN_EXAMPLES="$examples" \
  -DCN_WANT_VERSION=0.1 >/dev/null
cmake --build "$work/oot" >/dev/null
if cmake -S "$src/tests/install" -B "$work/oot-0.2" -DCMAKE_PREFIX_PATH="$work/prefix" -DCN_EXAMPLES="$examples" \
  -DCN_WANT_VERSION=0.2 >"$work/0.2.log" 2>&1; then
  fail "find_package(connector-host 0.2) accepted version 0.1"
fi
grep -q "0.1.0" "$work/0.2.log" || fail "the refusal of 0.2 does not name the version found: $(cat "$work/0.2.log")"

echo "== pkg-config --cflags cn-sdk: the C plugin by hand"
mkdir -p "$work/pc"
# shellcheck disable=SC2046
cc -std=c99 -fPIC -shared -fvisibility=hidden -Wl,--no-undefined \
  $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags cn-sdk) \
  "$examples/print-sink/print_sink.c" -o "$work/pc/pc-print-sink.so"

echo "== the installed connector-host runs them"
mkdir -p -m 700 "$work/topics"
install -m 600 "$dogs" "$work/topics/dogs.jsonl"
for plugin in "$work/oot/oot-print-sink.so" "$work/pc/pc-print-sink.so"; do
  "$host" --plugin "$plugin" --topics "$work/topics" --topic dogs --once --log-level warn > "$work/printed"
  [ "$(wc -l < "$work/printed")" = "$(wc -l < "$dogs")" ] || fail "$plugin printed $(wc -l < "$work/printed") records of $dogs"
done
"$host" --config "$examples/connect/sequence-source.yml" --plugin "$work/oot/oot-sequence-source.so" \
  --topics "$work/topics" --once --log-level warn
[ "$(wc -l < "$work/topics/numbers.jsonl")" = 100 ] || fail "the C++ plugin wrote $(wc -l < "$work/topics/numbers.jsonl") records, not 100"
"$host" --list-plugins --plugin-dir "$work/oot" > "$work/list"
grep -q "$work/oot/oot-print-sink.so" "$work/list" || fail "--list-plugins does not show the C plugin: $(cat "$work/list")"
grep -q "$work/oot/oot-sequence-source.so" "$work/list" || fail "--list-plugins does not show the C++ plugin"
grep -q "$work/prefix/lib/connector-host/plugins/postgres-sink.so" "$work/list" ||
  fail "the installed host does not find its installed plugins: $(cat "$work/list")"

echo "== the embedding program, built against the installed loader"
"$work/oot/embed" "$work/oot/oot-print-sink.so" "$dogs" > /dev/null 2> "$work/embed.err"
grep -q "$(wc -l < "$dogs") records handed to print-sink" "$work/embed.err" || fail "embed: $(cat "$work/embed.err")"
echo "install test: ok"
