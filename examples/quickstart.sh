#!/usr/bin/env bash
# Quickstart: installs what is missing, builds, starts a PostgreSQL server of
# its own, and replicates the sample change events of examples/topics/dogs.jsonl
# into it with connector-host and the postgres-sink plugin.
set -euo pipefail
cd "$(dirname "$0")/.."

.ci/install-deps
cmake -S . -B build -DCN_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target connector-host postgres_sink >/dev/null

source examples/scratch-postgres.sh
scratch_postgres_start
scratch_sql postgres -c "create database quickstart"
export FLUVIO_PG_DATABASE_URL="postgresql://postgres@127.0.0.1:$scratch_port/quickstart"

# A topic holds a copy of every row, so connector-host wants it private
# (directory 0700, file 0600); git checks the sample out readable by all.
topics=$(mktemp -d /tmp/cn-quickstart-topics-XXXXXX)
trap 'rm -rf "$topics"; scratch_postgres_stop' EXIT  # and the server, as scratch-postgres.sh would
install -m 600 examples/topics/dogs.jsonl "$topics/dogs.jsonl"

echo "== connector-host --config examples/connect/postgres-sink.yml --topics $topics --once"
build/bin/connector-host --config examples/connect/postgres-sink.yml --topics "$topics" --once

echo "== the target database now holds (select * from dog):"
psql -X -h 127.0.0.1 -p "$scratch_port" -U postgres -d quickstart -c "select * from dog"
echo "== and the connector's position (select * from fluvio.offset):"
psql -X -h 127.0.0.1 -p "$scratch_port" -U postgres -d quickstart -c "select * from fluvio.offset"
