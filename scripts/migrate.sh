#!/usr/bin/env bash
# Bring every service's database (and the gateway's) to the newest migration.
#
# Each database comes from <NAME>_DATABASE_URL, else an SQLite file under var/
# (PROOFSHEET_VAR_DIR overrides var/); each service's alembic env.py decides that.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

mkdir -p "${PROOFSHEET_VAR_DIR:-$ROOT/var}"

found=0
for ini in services/*/alembic.ini gateway/alembic.ini; do
    [ -f "$ini" ] || continue
    found=1
    say "migrating $(dirname "$ini")"
    "$VENV/bin/alembic" -c "$ini" upgrade head
done
[ "$found" = 1 ] || warn "no alembic.ini found under services/*/ or gateway/: nothing to migrate"
for dir in services/*/; do
    [ -f "$dir/alembic.ini" ] || warn "${dir%/} has no alembic.ini: its database was not migrated"
done
