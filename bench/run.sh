#!/usr/bin/env bash
# bench/run.sh - postgres-source and postgres-sink against PostgreSQL's own
# logical replication, and against raw COPY, in one run.
#
#   bench/run.sh [--nats] [events.jsonl.gz]   (default: events recorded by postgres-source)
#   BENCH_RUNS=1 bench/run.sh                 (a quick try of the script: one run of each)
#
# (a) a source database (on its own server) gets pgbench's tables, a
#     publication and slots, then pgbench's load: data generation, then
#     pgbench -c 4 -j 2 -t 7676 (30,704 transactions, the size of the sample
#     topic ../shared/events/pgbench-s1.jsonl.gz);
# (b) postgres-source records the load's changes as events, from a slot made
#     before the load (time to catch up, from the source's "streaming from
#     slot" line, so that process start-up is not in it; five slots, five
#     runs, the median kept); the events file given is used by the sink;
# (c) native logical replication: a subscription on a slot made before the
#     load, enabled after it; time until it has caught up (subscription
#     default synchronous_commit=off); five slots, five subscribers, the
#     median kept;
# (d) postgres-sink applies the events into a database with the same tables
#     (durable commits: synchronous_commit=on); then again without and with
#     --metrics-listen, in turn, five pairs: what metrics cost;
# (e) an insert-only stream (the accounts rows) by the sink, against raw
#     COPY of the same rows;
# (f) end-to-end lag: source and sink both running under a steady pgbench
#     load; a probe row committed on the source every 100 ms, its lag being
#     its commit time on the target minus its time on the source.
# (g) the change-event format's reader and writer alone (change_events_bench),
#     on one thread, on the same events: events/s each way.
# (h) with --nats: the same through a local single-node NATS JetStream (a
#     nats-server the bench starts): postgres-source recording the load into
#     a stream, from slots of its own made before the load; postgres-sink
#     applying it from the stream; the end-to-end lag through it; each
#     against its file-log figure of the same run. Then the same recording
#     and applying through a three-node cluster on this machine (streams of
#     three replicas), and the topic backends alone (topic_bench: records/s
#     into and out of a topic, without plugins or databases).
# (i) the floor: the pgbench stream's net result (the source's final rows)
#     loaded by the target server alone, raw COPY of each table through one
#     connection in one transaction; for the insert-only stream, raw COPY
#     of its rows (e). No sink that writes the same rows can beat it.
# (j) wide rows: a 20-column table (text, varchar, numeric, jsonb,
#     timestamptz, uuid, arrays, ...): 300k rows inserted 1,000 a
#     transaction, then 3 columns of each updated by key, then a tenth
#     deleted; recorded by postgres-source, applied by native replication
#     and by postgres-sink, against its floor (COPY of the final rows).
# (k) memory: a 5M-row table loaded by postgres-source (initial load) and
#     applied by postgres-sink: each one's peak RSS.
# (l) pgbench scale 10 (1M accounts): the changes of pgbench -c 4 -j 2
#     -T 20 on tables that start as the source's did; source, native
#     replication, sink, and the floor: the net changes from staging
#     tables loaded beforehand, one set-based statement per table.
# (m) one 1M-row insert transaction: source, native replication, sink, and
#     the floor (raw COPY of the rows).
# A CHECKPOINT comes before every timed run on the targets' server, so that
# every side pays the same full-page writes. The host's CPU (user + system,
# from getrusage, by /usr/bin/time) is divided into the events it handled.
# The targets live on a second server. Prints changes/s, the ratios, the
# host's CPU per event and peak RSS, the lag, and checks that every target
# equals its source.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
nats=0
if [ "${1:-}" = "--nats" ]; then nats=1; shift; fi
events=${1:-}
[ -z "$events" ] || [ -f "$events" ] || { echo "bench: no events file $events" >&2; exit 2; }

.ci/install-deps
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DCN_BUILD_TESTS=OFF >/dev/null
cmake --build build-release -j"$(nproc)" --target connector-host postgres_sink postgres_source change_events_bench topic_bench >/dev/null
host=$root/build-release/bin/connector-host

# ---- two throwaway servers ---------------------------------------------------
# The source's slots are read by walsenders that go through all of the
# source server's WAL, so the targets live on a server of their own: one
# subscriber's apply must not be WAL that the next one's walsender reads.
source examples/scratch-postgres.sh
scratch_postgres_start shared_buffers=512MB max_wal_size=8GB checkpoint_timeout=30min max_replication_slots=32 max_wal_senders=32
source_port=$scratch_port
# The launcher starts a subscription's apply worker at most once per
# wal_retrieve_retry_interval (5 s by default): lowered, so that the second
# and third native runs time the replication, not that wait.
# track_commit_timestamp: the lag probe reads when each row committed.
scratch_postgres_start shared_buffers=512MB max_wal_size=8GB checkpoint_timeout=30min wal_retrieve_retry_interval=100ms \
  track_commit_timestamp=on
port=$scratch_port  # the targets'
work=$scratch_dir
if [ "$nats" = 1 ]; then
  # -p -1: a free port, which the server's log names.
  nats-server -js -a 127.0.0.1 -p -1 -sd "$work/nats" -l "$work/nats.log" &
  nats_pid=$! cluster_pids=()
  # (scratch-postgres.sh's trap stops the PostgreSQL servers: kept)
  trap 'kill "$nats_pid" "${cluster_pids[@]}" 2>/dev/null || true; scratch_postgres_stop' EXIT
  until grep -q "Server is ready" "$work/nats.log" 2>/dev/null; do sleep 0.05; done
  nats_url="nats://$(grep -o 'client connections on [0-9.:]*' "$work/nats.log" | head -1 | awk '{print $4}')"
  # Three nodes on this machine, on free ports: a cluster's replication
  # costs, without a network's.
  free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  cluster_ports=() route_ports=()
  for i in 0 1 2; do cluster_ports+=("$(free_port)"); route_ports+=("$(free_port)"); done
  routes=$(printf 'nats-route://127.0.0.1:%s,' "${route_ports[@]}")
  for i in 0 1 2; do
    printf 'server_name: c%s\nlisten: 127.0.0.1:%s\njetstream { store_dir: "%s" }\ncluster { name: bench, listen: 127.0.0.1:%s, routes: [%s] }\n' \
      "$i" "${cluster_ports[$i]}" "$work/cluster-$i" "${route_ports[$i]}" "${routes%,}" > "$work/cluster-$i.conf"
    nats-server -c "$work/cluster-$i.conf" -l "$work/cluster-$i.log" &
    cluster_pids+=($!)
  done
  until cat "$work"/cluster-*.log 2>/dev/null | grep -q "JetStream cluster new metadata leader"; do sleep 0.05; done
  cluster_url=$(printf 'nats://127.0.0.1:%s,' "${cluster_ports[@]}")
  cluster_url=${cluster_url%,}
fi
export PGOPTIONS="-c client_min_messages=warning"  # no NOTICE of a DROP ... IF EXISTS in the figures
psql_on() { local p=$1 db=$2; shift 2; psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$p" -U postgres -d "$db" "$@"; }
sql() { psql_on "$port" "$@"; }
source_sql() { psql_on "$source_port" "$@"; }
now() { date +%s.%N; }
checkpoint() { psql_on "$port" postgres -c checkpoint; }  # before each timed run on the targets' server
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# Every timing is taken $runs times and the median kept: this machine is
# shared, and one sample can be off by a fifth.
runs=${BENCH_RUNS:-5}  # BENCH_RUNS=1: a quick try of the script, not figures
median() { sort -g | sed -n "$(((runs + 1) / 2))p"; }  # of "seconds [more]" lines: the middle one
digests() {  # digests PORT DB: count and md5 of each pgbench table
  local p=$1 db=$2
  for t in accounts:aid branches:bid tellers:tid history:t::text; do
    psql_on "$p" "$db" -c "select '${t%%:*}', count(*), md5(string_agg(t::text, ',' order by ${t#*:})) from pgbench_${t%%:*} t"
  done
}
source_sql postgres -c "create database source"
for n in $(seq "$runs"); do sql postgres -c "create database native$n"; done

# ---- (a) the source and its load; (c) native replication --------------------
# Native replication is measured $runs times, like the sink: as many slots
# made before the load, each caught up by its own subscription in turn.
pgbench -h 127.0.0.1 -p "$source_port" -U postgres -i -s 1 -I dtp -q source 2>/dev/null
source_sql source -c "create publication bench for all tables" >/dev/null
for n in $(seq "$runs"); do
  pgbench -h 127.0.0.1 -p "$port" -U postgres -i -s 1 -I dtp -q "native$n" 2>/dev/null
  source_sql source -c "select pg_create_logical_replication_slot('bench$n', 'pgoutput')" >/dev/null
  sql "native$n" -c "create subscription bench$n connection 'host=127.0.0.1 port=$source_port user=postgres dbname=source'
                 publication bench with (create_slot = false, slot_name = 'bench$n', copy_data = false, enabled = false)"
done
recorders="recorder"
[ "$nats" = 0 ] || recorders="$recorders recorder_nats recorder_cluster"
for recorder in $recorders; do
  for n in $(seq "$runs"); do
    source_sql source -c "select pg_create_logical_replication_slot('$recorder$n', 'pgoutput')" >/dev/null
  done
done
echo "== load: pgbench -i -s 1 (data generation), pgbench -c 4 -j 2 -t 7676"
pgbench -h 127.0.0.1 -p "$source_port" -U postgres -i -s 1 -I g -q source 2>/dev/null
pgbench -h 127.0.0.1 -p "$source_port" -U postgres -n -c 4 -j 2 -t 7676 source 2>/dev/null | grep -E "^(number of transactions actually processed|tps)" || true
end_lsn=$(source_sql source -c "select pg_current_wal_lsn()")
native_changes=$(source_sql source -c "select 1 + (select count(*) from pgbench_accounts) + 10 + 1 + 4 * (select count(*) from pgbench_history)")

# ---- (b) postgres-source records the load -----------------------------------
mkdir -p -m 700 "$work/topics"  # private, as the host wants a topic directory (no warning)
source_config() {  # source_config NAME TOPIC DB [parameter lines...]
  local name=$1 topic=$2 db=$3
  shift 3
  printf 'version: 0.1.0\nname: %s\ntype: postgres-source\ntopic: %s\nparameters:\n  url: postgresql://postgres@127.0.0.1:%s/%s\n' \
    "$name" "$topic" "$source_port" "$db"
  for line in "$@"; do printf '  %s\n' "$line"; done
}
record() {  # record NAME TOPIC TOPICS SLOT [host args...]: prints the seconds postgres-source takes to record the load, and its CPU seconds (all its life)
  local name=$1 topic=$2 topics=$3 slot=$4 t0 t1 recorder
  shift 4
  source_config "$name" "$topic" "${record_db:-source}" "publication: ${record_publication:-bench}" "slot: $slot" "initial_load: false" \
    > "$work/$name.yml"
  /usr/bin/time -f "%U %S" -o "$work/$name.cpu" \
    "$host" --config "$work/$name.yml" --topics "$topics" --log-level info "$@" 2> "$work/$name.log" &
  recorder=$!
  until grep -q "streaming from slot" "$work/$name.log"; do
    kill -0 "$recorder" 2>/dev/null || { echo "bench: postgres-source stopped:" >&2; cat "$work/$name.log" >&2; exit 1; }
    sleep 0.01
  done
  t0=$(now)
  until [ "$(source_sql source -c "select confirmed_flush_lsn >= '${record_end_lsn:-$end_lsn}' from pg_replication_slots where slot_name = '$slot'")" = t ]; do
    kill -0 "$recorder" 2>/dev/null || { echo "bench: postgres-source stopped:" >&2; cat "$work/$name.log" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(now)
  pkill -TERM -P "$recorder"  # connector-host, under /usr/bin/time
  wait "$recorder"
  awk -v a="$t0" -v b="$t1" -v cpu="$(awk '{print $1 + $2}' "$work/$name.cpu")" 'BEGIN { print b - a, cpu }'
}
# Run 1 records into the topic the sink applies later; the others into
# topics of their own.
record_runs() {  # record_runs RECORDER TOPICS [host args...]: the seconds of each run, one per line
  local recorder=$1 topics=$2 n
  shift 2
  for n in $(seq "$runs"); do
    if [ "$topics" = "$work/topics" ] && [ "$n" -gt 1 ]; then
      mkdir -p -m 700 "$work/topics-$n"
      record "$recorder$n" pgbench "$work/topics-$n" "$recorder$n" "$@"
    elif [ "$n" -gt 1 ]; then
      record "$recorder$n" "pgbench_$n" "$topics" "$recorder$n" "$@"
    else
      record "$recorder$n" pgbench "$topics" "$recorder$n" "$@"
    fi
  done
}
source_runs=$(record_runs recorder "$work/topics")
read -r source_seconds source_cpu < <(echo "$source_runs" | median)
if [ "$nats" = 1 ]; then
  nats_source_runs=$(record_runs recorder_nats "$nats_url")
  read -r nats_source_seconds _ < <(echo "$nats_source_runs" | median)
  cluster_source_runs=$(record_runs recorder_cluster "$cluster_url" --topic-replicas 3)
  read -r cluster_source_seconds _ < <(echo "$cluster_source_runs" | median)
fi
recorded_events=$(wc -l < "$work/topics/pgbench.jsonl")
recorded_changes=$(grep -c -E '"type":"(insert|update|delete|truncate)"' "$work/topics/pgbench.jsonl")
if [ -n "$events" ]; then zcat "$events" > "$work/topics/pgbench.jsonl" && chmod 600 "$work/topics/pgbench.jsonl"; fi

replicate_natively() {  # replicate_natively DB SUBSCRIPTION SLOT SOURCE_DB END_LSN: seconds until the subscription has caught up
  local db=$1 subscription=$2 slot=$3 source_db=$4 end=$5 t0 t1
  checkpoint
  t0=$(now)
  sql "$db" -c "alter subscription $subscription enable"
  until [ "$(source_sql "$source_db" -c "select confirmed_flush_lsn >= '$end' from pg_replication_slots where slot_name = '$slot'")" = t ]; do
    sleep 0.05
  done
  t1=$(now)
  sql "$db" -c "alter subscription $subscription disable" -c "alter subscription $subscription set (slot_name = none)" \
    -c "drop subscription $subscription"
  source_sql "$source_db" -c "select pg_drop_replication_slot('$slot')" >/dev/null
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}
native_runs=$(for n in $(seq "$runs"); do replicate_natively "native$n" "bench$n" "bench$n" source "$end_lsn"; done)
native_seconds=$(echo "$native_runs" | median)

# ---- (d) the sink on the change events --------------------------------------
# The sink, the insert-only stream and COPY too: $runs times each, into
# fresh databases.
sink_events=$(wc -l < "$work/topics/pgbench.jsonl")
sink_changes=$(grep -c -E '"type":"(insert|update|delete|truncate)"' "$work/topics/pgbench.jsonl")
fresh_pgbench_db() {  # fresh_pgbench_db DB: a new database with pgbench's (empty) tables
  sql postgres -c "drop database if exists $1" -c "create database $1"
  pgbench -h 127.0.0.1 -p "$port" -U postgres -i -s 1 -I dtp -q "$1" 2>/dev/null
}
run_sink() {  # run_sink DB TOPIC [TOPICS [HOST FLAGS...]]: prints seconds, peak RSS (KiB) and CPU seconds
  local start end db=$1 topic=$2 topics=${3:-$work/topics}
  shift "$(($# < 3 ? $# : 3))"
  checkpoint
  start=$(now)
  FLUVIO_PG_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/$db" /usr/bin/time -f "%M %U %S" -o "$work/usage" \
    "$host" --plugin postgres-sink --topics "$topics" --topic "$topic" --once --log-level warn "$@"
  end=$(now)
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }') $(awk '{print $1, $2 + $3}' "$work/usage")"
}
sink_runs=$(for _ in $(seq "$runs"); do fresh_pgbench_db sink; run_sink sink pgbench; done)
read -r sink_seconds sink_rss sink_cpu < <(echo "$sink_runs" | median)
# What metrics cost: runs without and with --metrics-listen, in turn, so
# that a drift of the machine touches both alike.
metrics_pairs=$(for _ in $(seq "$runs"); do
  fresh_pgbench_db sink_plain; read -r plain _ < <(run_sink sink_plain pgbench)
  fresh_pgbench_db sink_metrics; read -r with _ < <(run_sink sink_metrics pgbench "$work/topics" --metrics-listen 127.0.0.1:0)
  echo "$plain $with"
done)
plain_seconds=$(echo "$metrics_pairs" | awk '{print $1}' | median)
metrics_seconds=$(echo "$metrics_pairs" | awk '{print $2}' | median)
if [ "$nats" = 1 ]; then
  nats_sink_runs=$(for _ in $(seq "$runs"); do fresh_pgbench_db sink_nats; run_sink sink_nats pgbench "$nats_url"; done)
  read -r nats_sink_seconds _ < <(echo "$nats_sink_runs" | median)
  cluster_sink_runs=$(for _ in $(seq "$runs"); do fresh_pgbench_db sink_cluster; run_sink sink_cluster pgbench "$cluster_url"; done)
  read -r cluster_sink_seconds _ < <(echo "$cluster_sink_runs" | median)
fi

# ---- (e) insert-only: the sink against raw COPY of the same rows -----------
accounts_rel=$(grep -m1 '"name":"pgbench_accounts"' "$work/topics/pgbench.jsonl" | sed -E 's/.*"rel_id":([0-9]+).*/\1/')
{
  grep -m1 '"type":"begin"' "$work/topics/pgbench.jsonl"
  grep -m1 '"name":"pgbench_accounts"' "$work/topics/pgbench.jsonl"
  grep "\"type\":\"insert\",\"rel_id\":$accounts_rel," "$work/topics/pgbench.jsonl"
  grep -m1 '"type":"commit"' "$work/topics/pgbench.jsonl"
} > "$work/topics/inserts.jsonl"
chmod 600 "$work/topics/inserts.jsonl"
insert_rows=$(grep -c '"type":"insert"' "$work/topics/inserts.jsonl")
inserts_runs=$(for _ in $(seq "$runs"); do fresh_pgbench_db inserts; run_sink inserts inserts; done)
read -r inserts_seconds _ inserts_cpu < <(echo "$inserts_runs" | median)
sql inserts -c "\\copy (select * from pgbench_accounts) to '$work/accounts.copy'"
timed_copy() {  # timed_copy FRESH DB COMMAND...: DB made afresh by FRESH, then the seconds psql takes for the commands (one session)
  local fresh=$1 db=$2 t0 t1 command args=()
  shift 2
  for command in "$@"; do args+=(-c "$command"); done
  "$fresh" "$db"
  checkpoint
  t0=$(now)
  sql "$db" "${args[@]}"
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}
copy_runs=$(for _ in $(seq "$runs"); do timed_copy fresh_pgbench_db copied "\\copy pgbench_accounts from '$work/accounts.copy'"; done)
copy_seconds=$(echo "$copy_runs" | median)

# ---- (i) the floor of the pgbench stream: its net result, COPY per table ----
for t in accounts branches tellers history; do
  source_sql source -c "\\copy pgbench_$t to '$work/floor-$t.copy'"
done
floor_runs=$(for _ in $(seq "$runs"); do
  timed_copy fresh_pgbench_db floor begin "\\copy pgbench_accounts from '$work/floor-accounts.copy'" \
    "\\copy pgbench_branches from '$work/floor-branches.copy'" "\\copy pgbench_tellers from '$work/floor-tellers.copy'" \
    "\\copy pgbench_history from '$work/floor-history.copy'" commit
done)
floor_seconds=$(echo "$floor_runs" | median)

native_subscribers() {  # native_subscribers NAME SOURCE_DB PUBLICATION FRESH: $runs databases NAME_nativeN made by FRESH, each subscribed (disabled) on a slot of its own made now
  local name=$1 db=$2 publication=$3 fresh=$4 n
  for n in $(seq "$runs"); do
    "$fresh" "${name}_native$n"
    source_sql "$db" -c "select pg_create_logical_replication_slot('${name}_native$n', 'pgoutput')" >/dev/null
    sql "${name}_native$n" -c "create subscription ${name}_$n connection 'host=127.0.0.1 port=$source_port user=postgres dbname=$db'
                 publication $publication with (create_slot = false, slot_name = '${name}_native$n', copy_data = false, enabled = false)"
  done
}

# Each run of native replication, the sink and the floor in turn, so that a
# drift of the machine (COPY of 100k rows took 0.30 s one hour, 0.40 s the
# next) touches the three alike, as it would not if each ran its five runs
# in a row.
side_by_side() {  # side_by_side NAME SOURCE_DB END_LSN FRESH TOPIC TOPICS FLOOR: per run, NAME's subscriber n catching up (native_subscribers), postgres-sink into NAME_sink made afresh by FRESH, then FLOOR (a command printing its seconds)
  # Sets NAME_{native,sink,floor}_runs (each run's line) and their medians:
  # NAME_native_seconds; NAME_sink_seconds, NAME_sink_rss, NAME_sink_cpu; NAME_floor_seconds.
  local name=$1 db=$2 end=$3 fresh=$4 topic=$5 topics=$6 floor=$7 n side
  : > "$work/$name.native"; : > "$work/$name.sink"; : > "$work/$name.floor"
  for n in $(seq "$runs"); do
    replicate_natively "${name}_native$n" "${name}_$n" "${name}_native$n" "$db" "$end" >> "$work/$name.native"
    "$fresh" "${name}_sink"
    run_sink "${name}_sink" "$topic" "$topics" >> "$work/$name.sink"
    "$floor" >> "$work/$name.floor"
  done
  for side in native sink floor; do printf -v "${name}_${side}_runs" '%s' "$(cat "$work/$name.$side")"; done
  read -r "${name}_native_seconds" < <(median < "$work/$name.native")
  read -r "${name}_sink_seconds" "${name}_sink_rss" "${name}_sink_cpu" < <(median < "$work/$name.sink")
  read -r "${name}_floor_seconds" < <(median < "$work/$name.floor")
}

# ---- (j) wide rows: 20 columns of many types --------------------------------
# 300k rows inserted in transactions of 1,000, then 3 columns of each row
# updated by key (1,000 rows a transaction), then a tenth of the rows
# deleted (100 a transaction): postgres-source, native replication,
# postgres-sink, and the floor (COPY of the final rows), as above.
wide_table="create table wide (id bigint primary key, name text, note text, code varchar(16), label varchar(200),
  amount numeric(14,2), ratio numeric, attrs jsonb, tags_json jsonb, created timestamptz, updated timestamptz,
  ref uuid, parent uuid, counts int[], words text[], qty int, total bigint, active boolean, due date, score float8)"
source_sql postgres -c "create database wide"
source_sql wide -c "$wide_table" -c "create publication wide for table wide"
fresh_wide_db() { sql postgres -c "drop database if exists $1" -c "create database $1"; sql "$1" -c "$wide_table"; }
native_subscribers wide wide wide fresh_wide_db
for n in $(seq "$runs"); do source_sql wide -c "select pg_create_logical_replication_slot('wide_recorder$n', 'pgoutput')" >/dev/null; done
echo "== load: wide rows (20 columns): 300k inserts, 300k updates of 3 columns, 30k deletes"
source_sql wide -c "do \$\$ begin for b in 0..299 loop
  insert into wide select g, 'name ' || g, repeat(md5(g::text), 3), 'C' || (g % 9973), 'label of row ' || g || ' ' || md5((g * 7)::text),
    (g % 100000) / 100.0, g / 7.0, jsonb_build_object('id', g, 'kind', 'k' || (g % 17), 'flags', jsonb_build_array(g % 2 = 0, g % 3 = 0)),
    jsonb_build_array('a' || g, 'b', g % 5), '2026-01-01'::timestamptz + g * interval '1 second', now(),
    md5(g::text)::uuid, md5((g + 1)::text)::uuid, array[g, g + 1, g + 2], array['x' || g, 'y'], g % 1000, g * 1000, g % 2 = 0,
    '2026-01-01'::date + (g % 365), g / 3.0
  from generate_series(b * 1000 + 1, b * 1000 + 1000) g; commit; end loop; end \$\$" \
  -c "do \$\$ begin for b in 0..299 loop
  update wide set amount = amount + 1, updated = now(), label = 'updated ' || id where id between b * 1000 + 1 and b * 1000 + 1000;
  commit; end loop; end \$\$" \
  -c "do \$\$ begin for b in 0..299 loop delete from wide where id between b * 1000 + 1 and b * 1000 + 1000 and id % 10 = 0;
  commit; end loop; end \$\$"
wide_end_lsn=$(source_sql wide -c "select pg_current_wal_lsn()")
mkdir -p -m 700 "$work/topics-wide"
wide_source_runs=$(for n in $(seq "$runs"); do
  record_db=wide record_publication=wide record_end_lsn=$wide_end_lsn record "wide_recorder$n" "wide$n" "$work/topics-wide" "wide_recorder$n"
done)
read -r wide_source_seconds wide_source_cpu < <(echo "$wide_source_runs" | median)
wide_events=$(wc -l < "$work/topics-wide/wide1.jsonl")
wide_changes=$(grep -c -E '"type":"(insert|update|delete)"' "$work/topics-wide/wide1.jsonl")
source_sql wide -c "\\copy wide to '$work/floor-wide.copy'"
wide_floor() { timed_copy fresh_wide_db wide_floor "\\copy wide from '$work/floor-wide.copy'"; }
side_by_side wide wide "$wide_end_lsn" fresh_wide_db wide1 "$work/topics-wide" wide_floor

# ---- (l) pgbench scale 10: updates by key on 1M accounts -------------------
# The targets start as the source did before the load (pgbench's data
# generation is deterministic), each a copy of one template; the stream is
# only the load's changes (slots made after the data generation). The
# floor: the load's net changes (the rows it changed, as they ended up;
# the history rows) loaded beforehand into staging tables of the target,
# then one set-based statement per table.
s10_load="-c 4 -j 2 -T 20"  # pgbench's options
source_sql postgres -c "create database s10"
pgbench -h 127.0.0.1 -p "$source_port" -U postgres -i -s 10 -q s10 2>/dev/null
source_sql s10 -c "create publication s10 for all tables" >/dev/null
sql postgres -c "create database s10_template"
pgbench -h 127.0.0.1 -p "$port" -U postgres -i -s 10 -q s10_template 2>/dev/null
fresh_s10_db() { sql postgres -c "drop database if exists $1" -c "create database $1 template s10_template strategy file_copy"; }
native_subscribers s10 s10 s10 fresh_s10_db
source_sql s10 -c "select pg_create_logical_replication_slot('s10_recorder', 'pgoutput')" >/dev/null
echo "== load: pgbench -i -s 10 (not in the stream), then pgbench $s10_load"
pgbench -h 127.0.0.1 -p "$source_port" -U postgres -n $s10_load s10 2>/dev/null | grep -E "^(number of transactions actually processed|tps)" || true
s10_end_lsn=$(source_sql s10 -c "select pg_current_wal_lsn()")
mkdir -p -m 700 "$work/topics-s10"
read -r s10_source_seconds s10_source_cpu < <(record_db=s10 record_publication=s10 record_end_lsn=$s10_end_lsn \
  record s10_recorder s10 "$work/topics-s10" s10_recorder)
s10_events=$(wc -l < "$work/topics-s10/s10.jsonl")
s10_changes=$(grep -c -E '"type":"(insert|update|delete|truncate)"' "$work/topics-s10/s10.jsonl")
source_sql s10 -c "\\copy (select aid, abalance from pgbench_accounts where abalance <> 0) to '$work/s10-accounts.copy'" \
  -c "\\copy (select tid, tbalance from pgbench_tellers where tbalance <> 0) to '$work/s10-tellers.copy'" \
  -c "\\copy (select bid, bbalance from pgbench_branches where bbalance <> 0) to '$work/s10-branches.copy'" \
  -c "\\copy pgbench_history to '$work/s10-history.copy'"
fresh_s10_floor() {  # the template's copy, with the net changes in staging tables
  fresh_s10_db "$1"
  sql "$1" -c "create table staged_accounts (aid int, abalance int)" -c "create table staged_tellers (tid int, tbalance int)" \
    -c "create table staged_branches (bid int, bbalance int)" -c "create table staged_history (like pgbench_history)" \
    -c "\\copy staged_accounts from '$work/s10-accounts.copy'" -c "\\copy staged_tellers from '$work/s10-tellers.copy'" \
    -c "\\copy staged_branches from '$work/s10-branches.copy'" -c "\\copy staged_history from '$work/s10-history.copy'" \
    -c "vacuum analyze staged_accounts, staged_tellers, staged_branches, staged_history"
}
s10_floor() {
  timed_copy fresh_s10_floor s10_floor begin \
    "update pgbench_accounts a set abalance = s.abalance from staged_accounts s where a.aid = s.aid" \
    "update pgbench_tellers t set tbalance = s.tbalance from staged_tellers s where t.tid = s.tid" \
    "update pgbench_branches b set bbalance = s.bbalance from staged_branches s where b.bid = s.bid" \
    "insert into pgbench_history select * from staged_history" commit
}
side_by_side s10 s10 "$s10_end_lsn" fresh_s10_db s10 "$work/topics-s10" s10_floor

# ---- (m) one 1M-row insert transaction ------------------------------------------
ins_table="create table ins (id bigint primary key, name text, qty int, amount numeric, at timestamptz)"
source_sql postgres -c "create database ins"
source_sql ins -c "$ins_table" -c "create publication ins for table ins"
fresh_ins_db() { sql postgres -c "drop database if exists $1" -c "create database $1"; sql "$1" -c "$ins_table"; }
native_subscribers ins ins ins fresh_ins_db
source_sql ins -c "select pg_create_logical_replication_slot('ins_recorder', 'pgoutput')" >/dev/null
echo "== load: one transaction inserting 1M rows (bigint key, text, int, numeric, timestamptz)"
source_sql ins -c "insert into ins select g, 'name ' || g, g % 1000, g / 7.0, now() from generate_series(1, 1000000) g"
ins_end_lsn=$(source_sql ins -c "select pg_current_wal_lsn()")
mkdir -p -m 700 "$work/topics-ins"
read -r ins_source_seconds ins_source_cpu < <(record_db=ins record_publication=ins record_end_lsn=$ins_end_lsn \
  record ins_recorder ins "$work/topics-ins" ins_recorder)
ins_events=$(wc -l < "$work/topics-ins/ins.jsonl")
source_sql ins -c "\\copy ins to '$work/ins.copy'"
ins_floor() { timed_copy fresh_ins_db ins_floor "\\copy ins from '$work/ins.copy'"; }
side_by_side ins ins "$ins_end_lsn" fresh_ins_db ins "$work/topics-ins" ins_floor

# ---- (k) memory on 5M rows: the source's initial load, the sink applying it ----
source_sql postgres -c "create database big"
source_sql big -c "create table big (id bigint primary key, payload text, amount numeric, at timestamptz)" \
  -c "insert into big select g, md5(g::text), g / 3.0, now() from generate_series(1, 5000000) g" \
  -c "create publication big for table big"
source_config big big big "publication: big" "slot: big" > "$work/big.yml"
mkdir -p -m 700 "$work/topics-big"
/usr/bin/time -f "%M %U %S" -o "$work/big-source.usage" \
  "$host" --config "$work/big.yml" --topics "$work/topics-big" --log-level info 2> "$work/big.log" &
big_source=$!
until grep -q "streaming from slot" "$work/big.log"; do
  kill -0 "$big_source" 2>/dev/null || { echo "bench: postgres-source stopped:" >&2; cat "$work/big.log" >&2; exit 1; }
  sleep 0.1
done
pkill -TERM -P "$big_source"
wait "$big_source"
read -r big_source_rss big_source_cpu < <(awk '{print $1, $2 + $3}' "$work/big-source.usage")
big_events=$(wc -l < "$work/topics-big/big.jsonl")
sql postgres -c "create database big_sink"
sql big_sink -c "create table big (id bigint primary key, payload text, amount numeric, at timestamptz)"
read -r _ big_sink_rss big_sink_cpu < <(run_sink big_sink big "$work/topics-big")

# ---- (f) end-to-end lag under a steady load -------------------------------------
measure_lag() {  # measure_lag NAME TOPICS: prints the probes' lag p50, p95 and max (ms); databases NAMEsource, NAMEtarget
  local name=$1 topics=$2 lag_source lag_sink load want
  source_sql postgres -c "create database ${name}source"
  sql postgres -c "create database ${name}target"
  pgbench -h 127.0.0.1 -p "$source_port" -U postgres -i -s 1 -q "${name}source" 2>/dev/null
  source_sql "${name}source" -c "create table lag_probe (id serial primary key, at timestamptz not null default clock_timestamp())"
  source_config "$name" "$name" "${name}source" > "$work/$name-source.yml"
  printf 'version: 0.1.0\nname: %s\ntype: postgres-sink\ntopic: %s\nparameters:\n  url: postgresql://postgres@127.0.0.1:%s/%starget\n' \
    "$name" "$name" "$port" "$name" > "$work/$name-sink.yml"
  "$host" --config "$work/$name-source.yml" --topics "$topics" --log-level warn &
  lag_source=$!
  "$host" --config "$work/$name-sink.yml" --topics "$topics" --log-level warn &
  lag_sink=$!
  wait_for() {  # wait_for SQL-ON-TARGET: until it prints t (the initial load, the last probe)
    until [ "$(sql "${name}target" -c "$1" 2>/dev/null)" = t ]; do
      kill -0 "$lag_source" 2>/dev/null && kill -0 "$lag_sink" 2>/dev/null || { echo "bench: a connector stopped" >&2; exit 1; }
      sleep 0.1
    done
  }
  wait_for "select count(*) = 100000 from pgbench_accounts"
  echo "== lag through $topics: pgbench -c 2 -j 2 --rate 500 -T 10 on the source, a probe row every 100 ms" >&2
  pgbench -h 127.0.0.1 -p "$source_port" -U postgres -n -c 2 -j 2 --rate 500 -T 10 "${name}source" 2>/dev/null | grep -E "^tps" >&2 &
  load=$!
  source_sql "${name}source" -c "do \$\$ begin for i in 1..100 loop insert into lag_probe default values; commit; perform pg_sleep(0.1); end loop; end \$\$"
  wait "$load"
  wait_for "select count(*) = 100 from lag_probe"
  want=$(source_sql "${name}source" -c "select count(*) from pgbench_history")
  wait_for "select count(*) = $want from pgbench_history"
  kill -TERM "$lag_source" "$lag_sink"
  wait "$lag_source" "$lag_sink"
  sql "${name}target" -F ' ' -c "
    select round(1000 * percentile_cont(0.5) within group (order by lag)), round(1000 * percentile_cont(0.95) within group (order by lag)),
           round(1000 * max(lag))
      from (select extract(epoch from pg_xact_commit_timestamp(xmin) - at) as lag from lag_probe) l"
}
read -r lag_p50 lag_p95 lag_max < <(measure_lag lag "$work/topics")
[ "$nats" = 0 ] || read -r nats_lag_p50 nats_lag_p95 nats_lag_max < <(measure_lag natslag "$nats_url")

# ---- results ------------------------------------------------------------------
native_rate=$(rate "$native_changes" "$native_seconds")
sink_rate=$(rate "$sink_changes" "$sink_seconds")
copy_rate=$(rate "$insert_rows" "$copy_seconds")
inserts_rate=$(rate "$insert_rows" "$inserts_seconds")
echo
echo "== results (2 cores; one server; figures from this run)"
printf '%-44s %10s changes in %6.2f s = %8s changes/s (%s events/s)\n' "postgres-source (recording; median of $runs)" "$recorded_changes" "$source_seconds" "$(rate "$recorded_changes" "$source_seconds")" "$(rate "$recorded_events" "$source_seconds")"
printf '%-44s %10s changes in %6.2f s = %8s changes/s\n' "native logical replication (median of $runs)" "$native_changes" "$native_seconds" "$native_rate"
printf '%-44s %10s changes in %6.2f s = %8s changes/s (%s events/s)\n' "postgres-sink (durable commits; median of $runs)" "$sink_changes" "$sink_seconds" "$sink_rate" "$(rate "$sink_events" "$sink_seconds")"
printf '%-44s %10s rows    in %6.2f s = %8s rows/s\n' "raw COPY (psql \\copy; median of $runs)" "$insert_rows" "$copy_seconds" "$copy_rate"
printf '%-44s %10s rows    in %6.2f s = %8s rows/s\n' "postgres-sink, insert-only (median of $runs)" "$insert_rows" "$inserts_seconds" "$inserts_rate"
echo "runs (s): source $(echo "$source_runs" | awk '{print $1}' | tr '\n' ' ')  native $(echo $native_runs)   sink $(echo "$sink_runs" | awk '{print $1}' | tr '\n' ' ')  COPY $(echo $copy_runs)   insert-only $(echo "$inserts_runs" | awk '{print $1}' | tr '\n' ' ')"
printf '%-44s %10s rows    in %6.2f s (the pgbench stream'"'"'s net result: COPY of each table, one transaction)\n' "the floor (median of $runs)" "$(awk '{n += 1} END {print n}' "$work"/floor-*.copy)" "$floor_seconds"
echo "runs (s): floor $(echo $floor_runs)"
echo "sink / native replication: $(ratio "$sink_rate" "$native_rate")   (goal >= 3)"
echo "sink / raw COPY:           $(ratio "$inserts_rate" "$copy_rate")   (goal >= 0.5)"
echo "time over the floor (goal <= 1.1): pgbench stream: sink $(ratio "$sink_seconds" "$floor_seconds"), native $(ratio "$native_seconds" "$floor_seconds");" \
  "insert-only: sink $(ratio "$inserts_seconds" "$copy_seconds")"
echo "connector-host CPU (user + system; goal >= 1M events per CPU-second for the sink, 500k for the source):"
echo "  postgres-sink, pgbench stream: $(rate "$sink_events" "$sink_cpu") events/CPU-s ($sink_cpu s for $sink_events events)"
echo "  postgres-sink, insert-only:    $(rate "$insert_rows" "$inserts_cpu") events/CPU-s ($inserts_cpu s for $insert_rows inserts)"
echo "  postgres-source, recording:    $(rate "$recorded_events" "$source_cpu") events/CPU-s ($source_cpu s for $recorded_events events, start-up and shutdown included)"
echo "sink peak RSS:             $((sink_rss / 1024)) MiB"
echo "5M-row table (goal: peak RSS < 100 MB): postgres-source's initial load $((big_source_rss / 1024)) MiB" \
  "($(rate "$big_events" "$big_source_cpu") events/CPU-s), postgres-sink applying it $((big_sink_rss / 1024)) MiB ($(rate "$big_events" "$big_sink_cpu") events/CPU-s)"
echo "wide rows (20 columns; 300k inserts, 300k updates of 3 columns, 30k deletes; medians of $runs):"
echo "  postgres-source recording $(rate "$wide_changes" "$wide_source_seconds") changes/s ($(ratio "$(rate "$wide_changes" "$wide_source_seconds")" "$(rate "$wide_changes" "$wide_native_seconds")") of native replication's rate; goal >= 2)," \
  "$(rate "$wide_events" "$wide_source_cpu") events/CPU-s"
echo "  native replication $(printf %.2f "$wide_native_seconds") s, postgres-sink $(printf %.2f "$wide_sink_seconds") s ($(rate "$wide_events" "$wide_sink_cpu") events/CPU-s, peak RSS $((wide_sink_rss / 1024)) MiB)," \
  "the floor (COPY of the $(wc -l < "$work/floor-wide.copy") final rows) $(printf %.2f "$wide_floor_seconds") s"
echo "  time over the floor: sink $(ratio "$wide_sink_seconds" "$wide_floor_seconds") (goal <= 1.1), native $(ratio "$wide_native_seconds" "$wide_floor_seconds"); sink / native $(ratio "$wide_native_seconds" "$wide_sink_seconds")"
echo "  runs (s): source $(echo "$wide_source_runs" | awk '{print $1}' | tr '\n' ' ')  native $(echo $wide_native_runs)   sink $(echo "$wide_sink_runs" | awk '{print $1}' | tr '\n' ' ')  floor $(echo $wide_floor_runs)"
echo "pgbench scale 10 (pgbench $s10_load after the data generation: $s10_changes changes, $s10_events events; medians of $runs):"
echo "  postgres-source recording $(rate "$s10_changes" "$s10_source_seconds") changes/s ($(rate "$s10_events" "$s10_source_cpu") events/CPU-s; one run)"
echo "  native replication $(printf %.2f "$s10_native_seconds") s, postgres-sink $(printf %.2f "$s10_sink_seconds") s ($(rate "$s10_events" "$s10_sink_cpu") events/CPU-s, peak RSS $((s10_sink_rss / 1024)) MiB)," \
  "the floor (the net changes from staging tables, one statement per table) $(printf %.2f "$s10_floor_seconds") s"
echo "  time over the floor: sink $(ratio "$s10_sink_seconds" "$s10_floor_seconds") (goal <= 1.1), native $(ratio "$s10_native_seconds" "$s10_floor_seconds"); sink / native $(ratio "$s10_native_seconds" "$s10_sink_seconds")"
echo "  runs (s): native $(echo $s10_native_runs)   sink $(echo "$s10_sink_runs" | awk '{print $1}' | tr '\n' ' ')  floor $(echo $s10_floor_runs)"
echo "one 1M-row insert transaction ($ins_events events; medians of $runs):"
echo "  postgres-source recording $(rate "$ins_events" "$ins_source_seconds") events/s ($(rate "$ins_events" "$ins_source_cpu") events/CPU-s; one run)"
echo "  native replication $(printf %.2f "$ins_native_seconds") s, postgres-sink $(printf %.2f "$ins_sink_seconds") s ($(rate "$ins_events" "$ins_sink_cpu") events/CPU-s, peak RSS $((ins_sink_rss / 1024)) MiB)," \
  "the floor (raw COPY of the rows) $(printf %.2f "$ins_floor_seconds") s"
echo "  time over the floor: sink $(ratio "$ins_sink_seconds" "$ins_floor_seconds") (goal <= 1.1), native $(ratio "$ins_native_seconds" "$ins_floor_seconds"); sink / native $(ratio "$ins_native_seconds" "$ins_sink_seconds")"
echo "  runs (s): native $(echo $ins_native_runs)   sink $(echo "$ins_sink_runs" | awk '{print $1}' | tr '\n' ' ')  floor $(echo $ins_floor_runs)"
echo "sink with --metrics-listen: $(rate "$sink_changes" "$metrics_seconds") changes/s, $(ratio "$plain_seconds" "$metrics_seconds") of without ($(rate "$sink_changes" "$plain_seconds") changes/s; median of $runs pairs)   (goal >= 0.97)"
echo "end-to-end lag (source commit -> target commit), source and sink running: p50 ${lag_p50} ms, p95 ${lag_p95} ms, max ${lag_max} ms"
if [ "$nats" = 1 ]; then
  file_source_rate=$(rate "$recorded_changes" "$source_seconds")
  through() {  # through TITLE SOURCE_SECONDS SOURCE_RUNS SINK_SECONDS SINK_RUNS
    local source_rate sink_rate
    source_rate=$(rate "$recorded_changes" "$2")
    sink_rate=$(rate "$sink_changes" "$4")
    echo "$1:"
    printf '%-44s %10s changes in %6.2f s = %8s changes/s; %s of the file log'"'"'s   (goal >= 0.8)\n' "  postgres-source (recording; median of $runs)" \
      "$recorded_changes" "$2" "$source_rate" "$(ratio "$source_rate" "$file_source_rate")"
    printf '%-44s %10s changes in %6.2f s = %8s changes/s; %s of the file log'"'"'s   (goal >= 0.9)\n' "  postgres-sink (median of $runs)" \
      "$sink_changes" "$4" "$sink_rate" "$(ratio "$sink_rate" "$sink_rate_file")"
    echo "  runs (s): source $(echo "$3" | awk '{print $1}' | tr '\n' ' ')   sink $(echo "$5" | awk '{print $1}' | tr '\n' ' ')"
  }
  sink_rate_file=$sink_rate
  through "through NATS JetStream (one local node, $nats_url)" "$nats_source_seconds" "$nats_source_runs" "$nats_sink_seconds" "$nats_sink_runs"
  echo "  end-to-end lag: p50 ${nats_lag_p50} ms, p95 ${nats_lag_p95} ms, max ${nats_lag_max} ms   (goal p50 < 20 ms)"
  through "through a three-node JetStream cluster on this machine (streams of 3 replicas)" "$cluster_source_seconds" "$cluster_source_runs" \
    "$cluster_sink_seconds" "$cluster_sink_runs"
  echo "the topic backends alone (topic_bench: the recorded events into a topic, flushed every 10 / 1000 records, then read through):"
  mkdir -p -m 700 "$work/topics-bench"
  "$root/build-release/bin/topic_bench" "$work/topics-bench" "$work/topics/pgbench.jsonl" 10 1000 | sed 's/^/  /'
  "$root/build-release/bin/topic_bench" "$nats_url" "$work/topics/pgbench.jsonl" 10 1000 2>/dev/null | sed 's/^/  /'
fi
# The event format's reader and writer alone, on one thread, on the same events.
"$root/build-release/bin/change_events_bench" "$work/topics/pgbench.jsonl" || status_events=1

echo
echo "== checks"
status=${status_events:-0}
check() { if [ "$2" = "$3" ]; then echo "ok    $1"; else echo "FAIL  $1"; echo "  expected: $2"; echo "  got:      $3"; status=1; fi; }
for n in $(seq "$runs"); do check "native replica $n equals its source" "$(digests "$source_port" source)" "$(digests "$port" "native$n")"; done
if [ -z "$events" ]; then
  check "sink target equals the source (events recorded by postgres-source)" "$(digests "$source_port" source)" "$(digests "$port" sink)"
  check "sink target with metrics equals the source" "$(digests "$source_port" source)" "$(digests "$port" sink_metrics)"
elif [[ "$events" == *pgbench-s1.jsonl.gz ]]; then
  check "sink target has the documented digests" "accounts|100000|55b14144c753192cc5dfb41bc8e62e9f
branches|1|27836b8064a9f1b6ae7f0747ec986d49
tellers|10|430915fb7f04fcbfc0add3127d8e64b8
history|30703|d605c1311c786d1ce32692a9776e32ce" "$(digests "$port" sink)"
fi
wide_digest() { psql_on "$1" "$2" -c "select count(*), md5(string_agg(t::text, ',' order by id)) from wide t"; }
for n in $(seq "$runs"); do check "wide native replica $n equals its source" "$(wide_digest "$source_port" wide)" "$(wide_digest "$port" "wide_native$n")"; done
check "wide sink target equals its source" "$(wide_digest "$source_port" wide)" "$(wide_digest "$port" wide_sink)"
check "wide floor target equals its source" "$(wide_digest "$source_port" wide)" "$(wide_digest "$port" wide_floor)"
for n in $(seq "$runs"); do check "scale-10 native replica $n equals its source" "$(digests "$source_port" s10)" "$(digests "$port" "s10_native$n")"; done
check "scale-10 sink target equals its source" "$(digests "$source_port" s10)" "$(digests "$port" s10_sink)"
check "scale-10 floor target equals its source" "$(digests "$source_port" s10)" "$(digests "$port" s10_floor)"
ins_digest() { psql_on "$1" "$2" -c "select count(*), md5(string_agg(t::text, ',' order by id)) from ins t"; }
for n in $(seq "$runs"); do check "1M-insert native replica $n equals its source" "$(ins_digest "$source_port" ins)" "$(ins_digest "$port" "ins_native$n")"; done
check "1M-insert sink target equals its source" "$(ins_digest "$source_port" ins)" "$(ins_digest "$port" ins_sink)"
check "1M-insert floor target equals its source" "$(ins_digest "$source_port" ins)" "$(ins_digest "$port" ins_floor)"
check "5M-row sink target equals its source" "$(psql_on "$source_port" big -c "select count(*), sum(id), md5(string_agg(payload, '' order by id)) from big")" \
  "$(sql big_sink -c "select count(*), sum(id), md5(string_agg(payload, '' order by id)) from big")"
check "lag target equals its source" "$(digests "$source_port" lagsource; source_sql lagsource -c "select count(*) from lag_probe")" \
  "$(digests "$port" lagtarget; sql lagtarget -c "select count(*) from lag_probe")"
if [ "$nats" = 1 ]; then
  check "sink target through NATS equals the source" "$(digests "$source_port" source)" "$(digests "$port" sink_nats)"
  check "sink target through the cluster equals the source" "$(digests "$source_port" source)" "$(digests "$port" sink_cluster)"
  check "lag target through NATS equals its source" "$(digests "$source_port" natslagsource; source_sql natslagsource -c "select count(*) from lag_probe")" \
    "$(digests "$port" natslagtarget; sql natslagtarget -c "select count(*) from lag_probe")"
fi
check "COPY target equals the sink's insert-only target" "$(sql inserts -c "select count(*), md5(string_agg(t::text, ',' order by aid)) from pgbench_accounts t")" \
  "$(sql copied -c "select count(*), md5(string_agg(t::text, ',' order by aid)) from pgbench_accounts t")"
exit $status
