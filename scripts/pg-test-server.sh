#!/usr/bin/env bash
# A throwaway PostgreSQL server for the checkpoint store tests: a fresh cluster in a
# temporary directory, on a free port of 127.0.0.1, with one database. Installs Debian's
# `postgresql` package first if `initdb` is missing.
#
#   eval "$(scripts/pg-test-server.sh start)"   # start; exports GRAPHAI_TEST_POSTGRES_URL
#   cargo test --features postgres --test checkpoint_stores
#   scripts/pg-test-server.sh stop              # stop it and delete its directory
#
# `start` prints only the `export` line on stdout (progress goes to stderr), so `eval` can
# take it. The server runs as the `postgres` user when this runs as root (PostgreSQL refuses
# to run as root), as the current user otherwise. Its state file lives in
# target/pg-test-server (override with PG_TEST_STATE_DIR); the server's binaries are looked
# for under /usr/lib/postgresql/<version>/bin (override the root with PG_TEST_BIN_ROOT).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
state_dir="${PG_TEST_STATE_DIR:-$root/target/pg-test-server}"
state="$state_dir/state"
database="graphai_test"

say() { echo "pg-test-server: $*" >&2; }

# The bin directory of the newest installed major version, or nothing (never a failure,
# so that `set -e` lets a missing server be installed).
find_bin() {
    local dirs
    dirs="$(ls -d "${PG_TEST_BIN_ROOT:-/usr/lib/postgresql}"/*/bin 2>/dev/null || true)"
    if [ -n "$dirs" ]; then echo "$dirs" | sort -V | tail -n 1; fi
}

install_postgres() {
    say "initdb not found: installing Debian's postgresql package"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends postgresql >&2
}

# Runs a server binary as the user that owns the cluster.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
    if [ -f "$state" ]; then
        # shellcheck disable=SC1090
        source "$state"
        if as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
            say "already running on port $port"
            echo "export GRAPHAI_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/$database"
            return
        fi
        rm -rf "$dir" "$state"
    fi

    bin="$(find_bin)"
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        install_postgres
        bin="$(find_bin)"
    fi
    [ -x "$bin/initdb" ] || { say "no initdb after installing postgresql"; exit 1; }

    dir="$(mktemp -d /tmp/graphai-pg-XXXXXX)"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    chmod 700 "$dir"
    port="$(free_port)"
    mkdir -p "$state_dir"
    printf 'bin=%q\ndir=%q\nport=%q\n' "$bin" "$dir" "$port" >"$state"

    say "initialising a cluster in $dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    say "starting on 127.0.0.1:$port"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE $database" >&2
    echo "export GRAPHAI_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/$database"
}

stop() {
    if [ ! -f "$state" ]; then
        say "not running"
        return
    fi
    # shellcheck disable=SC1090
    source "$state"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir" "$state"
    say "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *)
        echo "usage: $0 start|stop" >&2
        exit 2
        ;;
esac
