# Helpers shared by the scripts in this folder. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
case "$VENV" in /*) ;; *) VENV="$ROOT/$VENV" ;; esac
PY="$VENV/bin/python"

say()  { printf '==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf '\nerror: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
    timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# wait_port HOST PORT SECONDS: wait until the port answers; false after SECONDS.
wait_port() {
    local host=$1 port=$2 deadline=$((SECONDS + $3))
    until port_open "$host" "$port"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 1
    done
}

is_local_host() {
    case "$1" in localhost|127.*|::1|"") return 0 ;; *) return 1 ;; esac
}

# url_part URL host|port|safe [DEFAULT_PORT]: the host, the port, or the URL without its password.
url_part() {
    python3 - "$1" "$2" "${3:-}" <<'PYEOF'
import sys
from urllib.parse import urlsplit
url, field, default = sys.argv[1], sys.argv[2], sys.argv[3]
parts = urlsplit(url)
if field == "host":
    print(parts.hostname or "localhost")
elif field == "safe":  # the URL with its password hidden, for messages
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    print(parts._replace(netloc=f"{user}:***@{netloc[2]}" if netloc[1] else parts.netloc).geturl())
else:
    print(parts.port or default)
PYEOF
}

# apt_install PKG...: install missing Debian packages, when we are root and apt exists.
# Returns false (after saying why) when it cannot.
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    if ! is_root || ! command -v apt-get >/dev/null; then
        warn "missing system packages: ${missing[*]} (run as root: apt-get install -y ${missing[*]})"
        return 1
    fi
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${_PROOFSHEET_APT_UPDATED:-}" ]; then
        apt-get update -q || return 1
        _PROOFSHEET_APT_UPDATED=1
    fi
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}
