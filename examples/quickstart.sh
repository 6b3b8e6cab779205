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

echo "== connector-host --config examples/connect/postgres-sink.yml --topics examples/topics --once"
build/bin/connector-host --config examples/connect/postgres-sink.yml --topics examples/topics --once

echo "== the target database now holds (select * from dog):"
psql -X -h 127.0.0.1 -p "$scratch_port" -U postgres -d quickstart -c "select * from dog"
echo "== and the connector's position (select * from fluvio.offset):"
psql -X -h 127.0.0.1 -p "$scratch_port" -U postgres -d quickstart -c "select * from fluvio.offset"
