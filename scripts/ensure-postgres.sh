#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on this machine (the test suite's databases).
#
#   scripts/ensure-postgres.sh [--install]
#
# Checks the server of TEST_POSTGRES_URL if set, else PGHOST (default 127.0.0.1) and
# PGPORT (default 5432). If nothing answers there and it is this machine: start the local
# Debian cluster, or, with --install and as root, apt-get install postgresql first. A cluster installed by this script is set to trust
# local connections (user postgres, no password), like the development machines.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export PATH="$PATH:/usr/sbin:/sbin"

install=0
for arg in "$@"; do
    case "$arg" in
        --install) install=1 ;;
        *) die "unknown option $arg" ;;
    esac
done

if [ -n "${TEST_POSTGRES_URL:-}" ]; then
    host="$(url_part "$TEST_POSTGRES_URL" host)"
    port="$(url_part "$TEST_POSTGRES_URL" port 5432)"
else
    host="${PGHOST:-127.0.0.1}"
    port="${PGPORT:-5432}"
fi
case "$host" in /*) host=127.0.0.1 ;; esac   # a socket directory: check the local server

how_to_get_one() {
    cat >&2 <<MSG

No PostgreSQL server answers at $host:$port.
Get one of these, then run the command again:
  - Debian/Ubuntu:  sudo apt-get install postgresql   (then: sudo pg_ctlcluster <version> main start)
  - Docker:         docker run -d --name postgres -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:15
MSG
    exit 1
}

cluster_version() {
    ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1
}

trust_local_connections() {
    local hba="/etc/postgresql/$1/main/pg_hba.conf"
    [ -f "$hba" ] || return 0
    grep -q '^# proofsheet: trust local' "$hba" && return 0
    say "setting $hba to trust local connections"
    local tmp
    tmp="$(mktemp)"
    {
        echo '# proofsheet: trust local connections (development and test machine)'
        echo 'local   all   all                 trust'
        echo 'host    all   all   127.0.0.1/32  trust'
        echo 'host    all   all   ::1/128       trust'
        cat "$hba"
    } >"$tmp"
    cat "$tmp" >"$hba"
    rm -f "$tmp"
}

if port_open "$host" "$port"; then
    say "PostgreSQL answers at $host:$port"
    exit 0
fi
is_local_host "$host" || how_to_get_one

installed_now=0
if [ -z "$(cluster_version)" ] || ! command -v pg_ctlcluster >/dev/null; then
    [ "$install" = 1 ] || how_to_get_one
    apt_install postgresql || how_to_get_one
    installed_now=1
fi
version="$(cluster_version)"
[ -n "$version" ] || die "postgresql is installed but has no cluster under /etc/postgresql; create one: pg_createcluster --start 15 main"
is_root || die "PostgreSQL $version is installed but not running; start it as root: sudo pg_ctlcluster $version main start"

if [ "$installed_now" = 1 ]; then
    trust_local_connections "$version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main stop >/dev/null 2>&1 || true
fi
if ! port_open "$host" "$port"; then
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi
wait_port "$host" "$port" 60 || die "PostgreSQL did not open port $port; see /var/log/postgresql/"
say "PostgreSQL answers at $host:$port"
