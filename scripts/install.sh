#!/usr/bin/env bash
# Create the virtualenv and install every deployable (editable) pinned by constraints.txt.
#
#   scripts/install.sh [REQUIREMENTS_FILE...]
#
# Deployables are found, not listed: shared/, every services/*/pyproject.toml, gateway/ and
# hardware-bridge/ when they have a pyproject.toml. honcho (the process runner of `make run`)
# and any requirement files given (test tools) are installed in the same pip run. A stamp
# keyed on the hash of everything that decides what gets installed makes a second run with
# nothing changed return at once.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"

# System packages the Python packages need at run time (as root with apt; otherwise a warning
# naming them). WeasyPrint (invoice PDFs) renders with Pango, HarfBuzz and fontconfig, and
# needs at least one font.
SYSTEM_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1
                 fonts-dejavu-core)
if command -v dpkg-query >/dev/null; then
    apt_install "${SYSTEM_PACKAGES[@]}" || warn "invoice PDFs need: ${SYSTEM_PACKAGES[*]}"
fi

packages=(shared)
for pp in services/*/pyproject.toml; do
    [ -f "$pp" ] && packages+=("$(dirname "$pp")")
done
for dir in gateway hardware-bridge; do
    [ -f "$dir/pyproject.toml" ] && packages+=("$dir")
done

requirements=()
for req in "$@"; do
    [ -f "$req" ] || die "no such requirements file: $req"
    requirements+=("$req")
done

inputs=(constraints.txt scripts/install.sh)
for pkg in "${packages[@]}"; do
    for f in "$pkg/pyproject.toml" "$pkg/setup.cfg" "$pkg/setup.py"; do
        [ -f "$f" ] && inputs+=("$f")
    done
done
stamp_of() {  # stamp_of FILE...: the stamp name for installing these inputs
    { sha256sum "$@"; "$PY" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16
}

if [ ! -x "$PY" ]; then
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found: install Python 3.11 or newer (or set PYTHON=...)"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "Python 3.11 or newer is needed; $PYTHON is $("$PYTHON" -V 2>&1)"
    say "creating virtualenv $VENV"
    "$PYTHON" -m venv "$VENV"
fi

stamps="$VENV/.proofsheet-install"
base_stamp="$(stamp_of "${inputs[@]}")"
full_stamp="$(stamp_of "${inputs[@]}" ${requirements[@]+"${requirements[@]}"})"
if [ -f "$stamps/$full_stamp" ]; then
    exit 0
fi

args=(-c constraints.txt honcho)
for pkg in "${packages[@]}"; do args+=(-e "$pkg"); done
for req in ${requirements[@]+"${requirements[@]}"}; do args+=(-r "$req"); done

say "installing ${packages[*]}${requirements[*]:+ + ${requirements[*]}}"
"$PY" -m pip install --disable-pip-version-check --no-input --quiet "${args[@]}"

mkdir -p "$stamps"
touch "$stamps/$base_stamp" "$stamps/$full_stamp"
