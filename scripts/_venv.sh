# Sourced by scripts/run and scripts/test: enter the repository root and an
# up-to-date .venv. Not meant to be run on its own.
#
# The project is (re)installed only when pyproject.toml has changed since the
# last successful install, so repeated runs start in a second.

PISTA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$PISTA_ROOT"

PISTA_VENV="$PISTA_ROOT/.venv"
PISTA_STAMP="$PISTA_VENV/.pista-installed"

pista_die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Print the first Python >= 3.11 found ($PYTHON first), or fail with a clear message.
pista_find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    pista_die "Pista needs Python 3.11 or newer (found: $(python3 --version 2>&1 || echo none)).
Install it (Debian/Ubuntu: apt-get install python3 python3-venv) or point PYTHON at one."
}

# Create .venv if needed, install the project when pyproject.toml changed, and
# put .venv/bin first on PATH.
pista_venv() {
    if ! "$PISTA_VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        >/dev/null 2>&1; then
        local python
        python="$(pista_find_python)" || exit 1
        echo "Creating .venv with $("$python" --version)…"
        rm -rf "$PISTA_VENV"
        "$python" -m venv "$PISTA_VENV" ||
            pista_die "could not create .venv (Debian/Ubuntu: apt-get install python3-venv)."
    fi

    local wanted
    wanted="$("$PISTA_VENV/bin/python" -c \
        'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' \
        pyproject.toml)"
    if [ "$(cat "$PISTA_STAMP" 2>/dev/null)" != "$wanted" ]; then
        echo "Installing Pista and its development tools into .venv (pyproject.toml changed)…"
        "$PISTA_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]" ||
            pista_die "pip install -e \".[dev]\" failed; see the messages above."
        printf '%s\n' "$wanted" >"$PISTA_STAMP"
    fi

    export VIRTUAL_ENV="$PISTA_VENV"
    export PATH="$PISTA_VENV/bin:$PATH"
}
