#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, on a free loopback port.
#
#   eval "$(scripts/pg-cluster.sh start)"   # exports CUSTODIA_TEST_POSTGRES_URL and PG_CLUSTER_DIR
#   scripts/pg-cluster.sh stop "$PG_CLUSTER_DIR"
#
#   eval "$(scripts/pg-cluster.sh start-tls)"
#       a cluster that accepts TLS connections only (ssl = on, `hostssl` alone in pg_hba.conf),
#       with a certificate for 127.0.0.1 signed by a throwaway authority made at start (openssl;
#       the keys never leave the cluster's folder and the authority's is deleted at once); exports
#       CUSTODIA_TEST_POSTGRES_TLS_URL (no sslmode: the test adds it), CUSTODIA_TEST_POSTGRES_TLS_ROOT
#       (the authority's certificate, for sslrootcert) and PG_CLUSTER_DIR.
#
# Uses Debian's PostgreSQL binaries (/usr/lib/postgresql/<version>/bin), installing the
# `postgresql` package if they are missing. initdb refuses to run as root, so as root the cluster
# is created and run as the `postgres` user in a folder that user owns. Trust authentication on
# 127.0.0.1 only; the cluster lives in a temporary folder and is deleted by `stop`.
# Tests run with fsync off; PG_OPTIONS adds server options (`-c name=value …`) after the defaults,
# so a benchmark can run as a deployment would (bench/journal_pg.sh: fsync on, a larger cache).
set -euo pipefail

find_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    return 1
}

as_owner() { # run a command as the cluster owner
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

start() { # [tls]
    local tls=${1:-}
    local bin
    if ! bin=$(find_bin); then
        echo "pg-cluster: PostgreSQL binaries missing; installing the postgresql package" >&2
        timeout 600 apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq postgresql >&2
        bin=$(find_bin)
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres >&2
    fi
    local dir port
    dir=$(mktemp -d /tmp/custodia-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(free_port)
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    local options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    [ "$tls" = tls ] && options="$options $(tls_only "$dir")"
    # PG_OPTIONS: more server options (benchmarks run with fsync on and a production-sized cache).
    options="$options ${PG_OPTIONS:-}"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$options" start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "export PG_CLUSTER_DIR=$dir"
    echo "export PG_CLUSTER_BIN=$bin"
    if [ "$tls" = tls ]; then
        echo "export CUSTODIA_TEST_POSTGRES_TLS_URL=postgres://postgres@127.0.0.1:$port/postgres"
        echo "export CUSTODIA_TEST_POSTGRES_TLS_ROOT=$dir/ca.crt"
    else
        echo "export CUSTODIA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
    fi
}

tls_only() { # DIR: a certificate authority, a server certificate it signs, pg_hba.conf of hostssl only; prints the server options
    local dir=$1
    # The authority's key signs the one certificate and is deleted; clients trust ca.crt.
    {
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=custodia test CA" \
            -keyout "$dir/ca.key" -out "$dir/ca.crt" &&
        openssl req -new -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
            -keyout "$dir/server.key" -out "$dir/server.csr" &&
        printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
            "extendedKeyUsage=serverAuth" > "$dir/server.ext" &&
        openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
            -days 2 -extfile "$dir/server.ext" -out "$dir/server.crt"
    } >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; exit 1; }
    rm -f "$dir/ca.key" "$dir/server.csr"
    chmod 600 "$dir/server.key"
    chmod 644 "$dir/server.crt" "$dir/ca.crt"
    printf '%s\n' "local all all trust" "hostssl all all 127.0.0.1/32 trust" > "$dir/pg_hba.conf"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/server.key" "$dir/server.crt" "$dir/pg_hba.conf"
    echo "-c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key -c hba_file=$dir/pg_hba.conf"
}

stop() {
    local dir=${1:-${PG_CLUSTER_DIR:-}}
    [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
    local bin
    bin=${PG_CLUSTER_BIN:-$(find_bin)}
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    start-tls) start tls ;;
    stop) stop "${2:-}" ;;
    *) echo "usage: $0 start | start-tls | stop DIR" >&2; exit 2 ;;
esac
