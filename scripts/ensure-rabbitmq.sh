#!/usr/bin/env bash
# Make sure a RabbitMQ broker answers at $AMQP_URI.
#
#   scripts/ensure-rabbitmq.sh [--install] [--management]
#
# If nothing answers and the broker is this machine: start the local rabbitmq-server, or,
# with --install and as root, apt-get install it first. Otherwise stop and say how to get
# one. --management also turns on the management API (port 15672, guest/guest), which
# nameko's pytest fixtures use to create and delete test vhosts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export PATH="$PATH:/usr/sbin:/sbin"

install=0 management=0
for arg in "$@"; do
    case "$arg" in
        --install) install=1 ;;
        --management) management=1 ;;
        *) die "unknown option $arg" ;;
    esac
done

AMQP_URI="${AMQP_URI:-amqp://guest:guest@localhost:5672/}"
host="$(url_part "$AMQP_URI" host)"
port="$(url_part "$AMQP_URI" port 5672)"
mgmt_port=15672

how_to_get_one() {
    cat >&2 <<MSG

No RabbitMQ broker answers at $host:$port (AMQP_URI=$(url_part "$AMQP_URI" safe)).
Get one of these, then run the command again:
  - Debian/Ubuntu:  sudo apt-get install rabbitmq-server   (then: sudo rabbitmq-server -detached)
  - Docker:         docker run -d --name rabbitmq -p 5672:5672 -p 15672:15672 rabbitmq:3-management
  - or point AMQP_URI at a broker you already have.
MSG
    exit 1
}

plugin_enabled() {
    grep -qs rabbitmq_management /etc/rabbitmq/enabled_plugins
}

if port_open "$host" "$port"; then
    say "RabbitMQ answers at $host:$port"
else
    is_local_host "$host" || how_to_get_one
    # The local server listens on 5672 (or RABBITMQ_NODE_PORT); starting it serves no other port.
    [ "$port" = "${RABBITMQ_NODE_PORT:-5672}" ] || how_to_get_one
    if ! command -v rabbitmq-server >/dev/null; then
        if [ "$install" = 1 ]; then
            apt_install rabbitmq-server || how_to_get_one
        else
            how_to_get_one
        fi
    fi
    # Port answers now? (the Debian package may have started it on install)
    if ! port_open "$host" "$port"; then
        is_root || die "rabbitmq-server is installed but not running; start it as root: sudo rabbitmq-server -detached"
        if [ "$management" = 1 ] && ! plugin_enabled; then
            rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
        fi
        say "starting rabbitmq-server"
        rabbitmq-server -detached
        wait_port "$host" "$port" 120 \
            || die "rabbitmq-server did not open port $port within 120 s; see /var/log/rabbitmq/"
    fi
    say "RabbitMQ answers at $host:$port"
fi

if [ "$management" = 1 ] && ! port_open "$host" "$mgmt_port"; then
    is_local_host "$host" || die "the RabbitMQ management API does not answer at $host:$mgmt_port; enable the rabbitmq_management plugin there"
    say "enabling the RabbitMQ management plugin"
    rabbitmq-plugins enable rabbitmq_management >/dev/null \
        || rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
    wait_port "$host" "$mgmt_port" 60 \
        || die "the RabbitMQ management API did not open port $mgmt_port; try: rabbitmq-plugins enable rabbitmq_management, then restart rabbitmq-server"
fi

# The port answering is not enough: check that the broker takes our credentials.
if [ -x "$PY" ] && "$PY" -c 'import kombu' 2>/dev/null; then
    "$PY" - "$AMQP_URI" "$(url_part "$AMQP_URI" safe)" <<'PYEOF' || exit 1
import sys, time
import kombu
uri, shown = sys.argv[1], sys.argv[2]
deadline = time.monotonic() + 60
while True:
    try:
        with kombu.Connection(uri, connect_timeout=5) as conn:
            conn.connect()
        break
    except Exception as exc:  # noqa: BLE001
        if time.monotonic() > deadline or "ACCESS_REFUSED" in str(exc):
            sys.exit(f"\nerror: RabbitMQ at {shown} refused the connection: {exc}")
        time.sleep(1)
PYEOF
fi
