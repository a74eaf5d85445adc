#!/usr/bin/env bash
# Start what the tests need, then run pytest over every suite (what `make test` does after
# installing). Arguments, and PYTEST_ARGS, go to pytest:
#
#   scripts/test.sh services/clients/tests -k search
#   make test PYTEST_ARGS='-m "not e2e" -x'
#
# The suites come from testpaths in pyproject.toml (services/*/tests, gateway/tests,
# hardware-bridge/tests, tests). RabbitMQ with its management API (nameko's rabbit_config
# fixture) and PostgreSQL (TEST_POSTGRES_URL, default postgres@localhost:5432) are started,
# or installed with apt-get when missing and running as root.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bash scripts/ensure-rabbitmq.sh --install --management
bash scripts/ensure-postgres.sh --install

args=()
if [ -n "${AMQP_URI:-}" ]; then
    # nameko's pytest plugin has its own defaults (localhost); follow AMQP_URI when it is set.
    mgmt="$(python3 -c 'import sys; from urllib.parse import urlsplit as u; p = u(sys.argv[1]); print(f"http://{p.username or "guest"}:{p.password or "guest"}@{p.hostname or "localhost"}:15672")' "$AMQP_URI")"
    args+=(--amqp-uri "$AMQP_URI" --rabbit-api-uri "$mgmt")
    export RABBIT_MANAGEMENT_URL="${RABBIT_MANAGEMENT_URL:-$mgmt}"   # tests/stack.py
fi
# shellcheck disable=SC2206 # PYTEST_ARGS is split like a shell command line on purpose
eval "extra=(${PYTEST_ARGS:-})"

say "running pytest"
export PATH="$VENV/bin:$PATH"
set +e
"$VENV/bin/pytest" ${args[@]+"${args[@]}"} ${extra[@]+"${extra[@]}"} "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then
    # pytest's "no tests collected": while suites are being written that is not a failure.
    echo "pytest collected no tests (exit 5); treating that as success"
    exit 0
fi
exit "$rc"
