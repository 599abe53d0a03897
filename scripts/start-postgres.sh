#!/usr/bin/env bash
# Start (idempotently) a throwaway PostgreSQL cluster for the store tests and print the
# line that points the tests at it:
#
#     eval "$(scripts/start-postgres.sh)"      # exports BOT_TEST_POSTGRES_URL
#     .venv/bin/pytest tests/unit/store
#     scripts/start-postgres.sh --stop         # stop it again
#
# The cluster lives in $BOT_TEST_PG_DIR (default /tmp/botpg), listens on 127.0.0.1 only,
# port $BOT_TEST_PG_PORT (default 55432), trusts local connections (test data only) and has
# a database bot_test. Run as root it runs the server as the `postgres` user. Installs
# Debian's postgresql package when no server binaries are found. Messages go to stderr, so
# stdout carries only the export line.
set -euo pipefail

DIR="${BOT_TEST_PG_DIR:-/tmp/botpg}"
PORT="${BOT_TEST_PG_PORT:-55432}"
DB=bot_test
USER_NAME=postgres

say() { echo "start-postgres: $*" >&2; }

find_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/initdb" ]] && { echo "$dir"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

BIN="$(find_bindir || true)"
if [[ -z "$BIN" ]]; then
    if [[ $EUID -ne 0 ]]; then
        say "no PostgreSQL server binaries; install them: apt-get install -y postgresql"
        exit 1
    fi
    say "installing postgresql (Debian package)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    BIN="$(find_bindir)"
fi

# Run a server binary as the cluster's owner: postgres refuses to run as root.
as_owner() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u "$USER_NAME" -- "$@"
    else
        "$@"
    fi
}

if [[ "${1:-}" == "--stop" ]]; then
    if [[ -f "$DIR/data/postmaster.pid" ]]; then
        as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >&2
    else
        say "not running ($DIR)"
    fi
    exit 0
fi

if [[ $EUID -ne 0 ]]; then
    USER_NAME="$(id -un)"
fi

if [[ ! -s "$DIR/data/PG_VERSION" ]]; then
    say "creating a cluster in $DIR/data"
    rm -rf "$DIR/data"
    mkdir -p "$DIR/data"
    if [[ $EUID -eq 0 ]]; then chown -R "$USER_NAME": "$DIR"; fi
    chmod 700 "$DIR/data"
    as_owner "$BIN/initdb" -D "$DIR/data" -U "$USER_NAME" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || {
        cat "$DIR/initdb.log" >&2
        exit 1
    }
fi

if ! as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    say "starting on 127.0.0.1:$PORT"
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" >&2 || {
        tail -n 20 "$DIR/server.log" >&2
        exit 1
    }
fi

PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -qtA)
if [[ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]]; then
    "${PSQL[@]}" -c "CREATE DATABASE $DB" >&2
fi

echo "export BOT_TEST_POSTGRES_URL=postgresql+psycopg://$USER_NAME@127.0.0.1:$PORT/$DB"
