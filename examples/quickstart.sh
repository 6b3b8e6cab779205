#!/usr/bin/env bash
# Quickstart: the whole pipeline in a minute. Installs what is missing,
# builds, starts a source and a target PostgreSQL of its own, and runs
#
#   source PostgreSQL -> postgres-source -> topic -> postgres-sink -> target PostgreSQL
#
# in the background while it changes the source live (inserts, updates, a
# delete, a new column), shows the target following and how far behind it
# was, checks that both databases are equal table by table, and stops
# everything. It leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."

.ci/install-deps
# A build directory of its own: .ci/run's keeps its tests.
cmake -S . -B build-quickstart -DCMAKE_BUILD_TYPE=Release -DCN_BUILD_TESTS=OFF >/dev/null
cmake --build build-quickstart -j"$(nproc)" --target connector-host postgres_source postgres_sink >/dev/null
host=$PWD/build-quickstart/bin/connector-host

source examples/scratch-postgres.sh
scratch_postgres_start
source_port=$scratch_port
scratch_postgres_start
target_port=$scratch_port
src() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$source_port" -U postgres -d shop "$@"; }
tgt() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$target_port" -U postgres -d shop "$@"; }
show() { psql -X -h 127.0.0.1 -p "$target_port" -U postgres -d shop "$@"; }
for port in "$source_port" "$target_port"; do
  psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "create database shop"
done

work=$(mktemp -d /tmp/cn-quickstart-XXXXXX)
mkdir -m 700 "$work/topics"  # a topic holds a copy of every row: private
pids=()
stop_all() {
  [ ${#pids[@]} -eq 0 ] || { kill -TERM "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }
  rm -rf "$work"
  scratch_postgres_stop
}
trap stop_all EXIT

echo "== a small shop on the source"
src <<'SQL'
create table customers (id serial primary key, name text not null, email text);
create table orders (id serial primary key, customer_id int not null references customers, amount numeric(10,2),
                     placed_at timestamptz not null default now());
insert into customers (name, email) values ('Ada', 'ada@example.org'), ('Grace', 'grace@example.org'),
                                           ('Edsger', 'edsger@example.org');
insert into orders (customer_id, amount) values (1, 12.50), (2, 99.00), (2, 5.25), (3, 42.00);
SQL

cat > "$work/source.yml" <<EOF
version: 0.1.0
name: shop_source
type: postgres-source
topic: shop
parameters:
  url: postgresql://postgres@127.0.0.1:$source_port/shop
EOF
cat > "$work/sink.yml" <<EOF
version: 0.1.0
name: shop_sink
type: postgres-sink
topic: shop
parameters:
  url: postgresql://postgres@127.0.0.1:$target_port/shop
EOF
echo "== connector-host --config source.yml & connector-host --config sink.yml &   (topics in $work/topics)"
"$host" --config "$work/source.yml" --topics "$work/topics" --log-level warn 2> "$work/source.log" &
pids+=($!)
"$host" --config "$work/sink.yml" --topics "$work/topics" --log-level warn 2> "$work/sink.log" &
pids+=($!)

# Until the target answers query with want (60 s at most).
wait_for_target() {
  local query=$1 want=$2 deadline=$((SECONDS + 60))
  until [ "$(tgt -c "$query" 2>/dev/null)" = "$want" ]; do
    if [ $SECONDS -ge $deadline ]; then
      echo "quickstart: the target did not catch up; the connectors said:" >&2
      cat "$work/source.log" "$work/sink.log" >&2
      exit 1
    fi
    sleep 0.05
  done
}
wait_for_target "select count(*) from orders" 4
echo "== the initial load reached the target: $(tgt -c "select count(*) from customers") customers, 4 orders"

echo "== live changes on the source: inserts, an update, a delete, a new column"
src <<'SQL'
insert into customers (name, email) values ('Barbara', 'barbara@example.org');
insert into orders (customer_id, amount) values (4, 17.00), (1, 3.75);
update customers set email = 'grace@navy.example.org' where name = 'Grace';
delete from orders where amount = 5.25;
alter table customers add column country text;
update customers set country = 'UK' where name = 'Ada';
SQL
started=$(date +%s%N)
src -c "insert into customers (name, email, country) values ('Alan', 'alan@example.org', 'UK')"
wait_for_target "select count(*) from customers where name = 'Alan'" 1
followed_ms=$((($(date +%s%N) - started) / 1000000))
echo "== the target followed: the last change was there within ${followed_ms} ms of its commit on the source"
show -c "select * from customers order by id" -c "select id, customer_id, amount from orders order by id"

echo "== both databases, table by table"
status=0
for table in customers orders; do
  digest="select count(*) || ' rows, md5 ' || md5(coalesce(string_agg(t::text, ',' order by id), '')) from $table t"
  source_digest=$(src -c "$digest") target_digest=$(tgt -c "$digest")
  if [ "$source_digest" = "$target_digest" ]; then
    echo "equal  $table: $source_digest"
  else
    echo "DIFFER $table: source $source_digest, target $target_digest"
    status=1
  fi
done

echo "== stopping the connectors (SIGTERM: a last commit, then exit 0)"
kill -TERM "${pids[@]}"
for pid in "${pids[@]}"; do
  code=0
  wait "$pid" || code=$?
  [ "$code" = 0 ] || { echo "quickstart: a connector exited $code" >&2; status=1; }
done
pids=()
exit $status
