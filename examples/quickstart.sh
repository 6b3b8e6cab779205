#!/usr/bin/env bash
# Quickstart: installs what is missing, builds, and runs connector-host with
# the C example sink over the sample topic examples/topics/dogs.jsonl.
#
# (When the postgres-sink plugin lands, this replicates the same events into
# a PostgreSQL server that it starts for the purpose.)
set -euo pipefail
cd "$(dirname "$0")/.."

.ci/install-deps
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target connector-host print_sink

echo "== connector-host --config examples/connect/print-sink.yml --topics examples/topics --once"
build/bin/connector-host --config examples/connect/print-sink.yml --topics examples/topics --once
