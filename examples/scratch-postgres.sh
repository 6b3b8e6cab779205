# Sourced by examples/quickstart.sh and bench/run.sh: throwaway PostgreSQL
# 15 servers in temporary directories, on free loopback ports, with
# wal_level=logical; run as the postgres user when we are root (PostgreSQL
# refuses root). Stopped and removed when the calling script exits.
#
#   scratch_postgres_start [extra postgres -c settings...]
#   sets: scratch_dir, scratch_port (of the server it started; each call
#   starts one more); defines scratch_sql DB [psql args...] (on the last one)

scratch_pgbin=/usr/lib/postgresql/15/bin

scratch_as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

scratch_dirs=()

scratch_postgres_stop() {
  local dir
  for dir in "${scratch_dirs[@]}"; do
    scratch_as_postgres "$scratch_pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
  done
}

scratch_postgres_start() {
  scratch_dir=$(mktemp -d /tmp/cn-scratch-XXXXXX)
  [ "$(id -u)" -eq 0 ] && chown postgres "$scratch_dir"
  scratch_dirs+=("$scratch_dir")
  trap scratch_postgres_stop EXIT
  scratch_as_postgres "$scratch_pgbin/initdb" -D "$scratch_dir/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
  local settings="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$scratch_dir -c wal_level=logical"
  settings="$settings -c max_wal_senders=10 -c max_replication_slots=10"
  for s in "$@"; do settings="$settings -c $s"; done
  # A port that looks free can still be held by a server going away: try a few.
  for scratch_port in $(seq 55500 55540); do
    (exec 3<>"/dev/tcp/127.0.0.1/$scratch_port") 2>/dev/null && continue
    scratch_as_postgres "$scratch_pgbin/pg_ctl" -D "$scratch_dir/data" -l "$scratch_dir/server.log" -w start \
      -o "-p $scratch_port $settings" >/dev/null && return 0
  done
  cat "$scratch_dir/server.log" >&2
  return 1
}

scratch_sql() {
  local db=$1
  shift
  psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$scratch_port" -U postgres -d "$db" "$@"
}
