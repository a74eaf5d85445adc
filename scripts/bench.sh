#!/usr/bin/env bash
# Run the benchmarks (`python -m benchmarks`) with what they need: wrk, RabbitMQ, PostgreSQL.
# ONLY and BENCH_SCALE pass through in the environment; arguments go to the benchmarks.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

if ! command -v wrk >/dev/null; then
    apt_install wrk || die "wrk is needed for the HTTP load scenarios: apt-get install wrk"
fi
bash scripts/ensure-rabbitmq.sh --install
bash scripts/ensure-postgres.sh --install

[ -d benchmarks ] || die "no benchmarks/ package in this checkout yet"
export PATH="$VENV/bin:$PATH"
say "python -m benchmarks${ONLY:+ (ONLY=$ONLY)}${BENCH_SCALE:+ (BENCH_SCALE=$BENCH_SCALE)}"
exec "$PY" -m benchmarks "$@"
