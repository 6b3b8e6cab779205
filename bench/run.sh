#!/usr/bin/env bash
# bench/run.sh - postgres-source and postgres-sink against PostgreSQL's own
# logical replication, and against raw COPY, in one run.
#
#   bench/run.sh [--nats] [events.jsonl.gz]   (default: events recorded by postgres-source)
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
# The targets live on a second server. Prints changes/s, the ratios, the
# sink's peak RSS, the lag, and checks that every target equals its source.
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
psql_on() { local p=$1 db=$2; shift 2; psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$p" -U postgres -d "$db" "$@"; }
sql() { psql_on "$port" "$@"; }
source_sql() { psql_on "$source_port" "$@"; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# Every timing is taken $runs times and the median kept: this machine is
# shared, and one sample can be off by a fifth.
runs=5
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
record() {  # record NAME TOPIC TOPICS SLOT [host args...]: prints the seconds postgres-source takes to record the load
  local name=$1 topic=$2 topics=$3 slot=$4 t0 t1 recorder
  shift 4
  source_config "$name" "$topic" source "publication: bench" "slot: $slot" "initial_load: false" > "$work/$name.yml"
  "$host" --config "$work/$name.yml" --topics "$topics" --log-level info "$@" 2> "$work/$name.log" &
  recorder=$!
  until grep -q "streaming from slot" "$work/$name.log"; do
    kill -0 "$recorder" 2>/dev/null || { echo "bench: postgres-source stopped:" >&2; cat "$work/$name.log" >&2; exit 1; }
    sleep 0.01
  done
  t0=$(now)
  until [ "$(source_sql source -c "select confirmed_flush_lsn >= '$end_lsn' from pg_replication_slots where slot_name = '$slot'")" = t ]; do
    kill -0 "$recorder" 2>/dev/null || { echo "bench: postgres-source stopped:" >&2; cat "$work/$name.log" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(now)
  kill -TERM "$recorder"
  wait "$recorder"
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
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
source_seconds=$(echo "$source_runs" | median)
if [ "$nats" = 1 ]; then
  nats_source_runs=$(record_runs recorder_nats "$nats_url")
  nats_source_seconds=$(echo "$nats_source_runs" | median)
  cluster_source_runs=$(record_runs recorder_cluster "$cluster_url" --topic-replicas 3)
  cluster_source_seconds=$(echo "$cluster_source_runs" | median)
fi
recorded_events=$(wc -l < "$work/topics/pgbench.jsonl")
recorded_changes=$(grep -c -E '"type":"(insert|update|delete|truncate)"' "$work/topics/pgbench.jsonl")
if [ -n "$events" ]; then zcat "$events" > "$work/topics/pgbench.jsonl" && chmod 600 "$work/topics/pgbench.jsonl"; fi

native_runs=$(for n in $(seq "$runs"); do
  t0=$(now)
  sql "native$n" -c "alter subscription bench$n enable"
  until [ "$(source_sql source -c "select confirmed_flush_lsn >= '$end_lsn' from pg_replication_slots where slot_name = 'bench$n'")" = t ]; do
    sleep 0.05
  done
  t1=$(now)
  sql "native$n" -c "alter subscription bench$n disable" -c "alter subscription bench$n set (slot_name = none)" -c "drop subscription bench$n"
  source_sql source -c "select pg_drop_replication_slot('bench$n')" >/dev/null
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
done)
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
run_sink() {  # run_sink DB TOPIC [TOPICS [HOST FLAGS...]]: prints seconds and peak RSS (KiB)
  local start end db=$1 topic=$2 topics=${3:-$work/topics}
  shift "$(($# < 3 ? $# : 3))"
  start=$(now)
  FLUVIO_PG_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/$db" /usr/bin/time -f "%M" -o "$work/rss" \
    "$host" --plugin postgres-sink --topics "$topics" --topic "$topic" --once --log-level warn "$@"
  end=$(now)
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }') $(cat "$work/rss")"
}
sink_runs=$(for _ in $(seq "$runs"); do fresh_pgbench_db sink; run_sink sink pgbench; done)
read -r sink_seconds sink_rss < <(echo "$sink_runs" | median)
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
read -r inserts_seconds _ < <(echo "$inserts_runs" | median)
sql inserts -c "\\copy (select * from pgbench_accounts) to '$work/accounts.copy'"
copy_runs=$(for _ in $(seq "$runs"); do
  fresh_pgbench_db copied
  t0=$(now)
  sql copied -c "\\copy pgbench_accounts from '$work/accounts.copy'"
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
done)
copy_seconds=$(echo "$copy_runs" | median)

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
echo "runs (s): source $(echo $source_runs)   native $(echo $native_runs)   sink $(echo "$sink_runs" | awk '{print $1}' | tr '\n' ' ')  COPY $(echo $copy_runs)   insert-only $(echo "$inserts_runs" | awk '{print $1}' | tr '\n' ' ')"
echo "sink / native replication: $(ratio "$sink_rate" "$native_rate")   (goal >= 3)"
echo "sink / raw COPY:           $(ratio "$inserts_rate" "$copy_rate")   (goal >= 0.5)"
echo "sink peak RSS:             $((sink_rss / 1024)) MiB"
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
    echo "  runs (s): source $(echo $3)   sink $(echo "$5" | awk '{print $1}' | tr '\n' ' ')"
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
