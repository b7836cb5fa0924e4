#!/usr/bin/env bash
# LawTrail's one entry point for people and CI.
#   ./run.sh demo    set everything up and start the system with demo data
#   ./run.sh test    set everything up and run every check and test
#   ./run.sh bench   run the benchmarks and rewrite docs/performance.md
#   ./run.sh lock    re-resolve requirements.lock from pyproject.toml (needs the registry)
# Everything is installed by this script itself: Debian packages (deps/apt.txt), a
# virtualenv in .venv, and the Python packages pinned with hashes in requirements.lock.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"

log() { printf '\033[1m[lawtrail]\033[0m %s\n' "$*" >&2; }

ensure_apt() {
    local missing=() pkg
    while read -r pkg; do
        [[ -z "$pkg" || "$pkg" == \#* ]] && continue
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done < deps/apt.txt
    [[ ${#missing[@]} -eq 0 ]] && return 0
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    log "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
    local c
    for c in python3.11 python3; do
        if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            echo "$c"; return 0
        fi
    done
    log "Python 3.11 is required (found: $(python3 --version 2>&1 || echo none))"
    exit 2
}

ensure_venv() {
    ensure_apt
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating virtualenv in .venv"
        "$(find_python)" -m venv "$VENV"
    fi
    # Reinstall only when the lock or the project metadata changed.
    local stamp
    stamp=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
    if [[ "$(cat "$VENV/.lawtrail-stamp" 2>/dev/null)" != "$stamp" ]]; then
        log "installing pinned Python packages (requirements.lock)"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
        echo "$stamp" > "$VENV/.lawtrail-stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}

cmd_test() {
    ensure_venv
    log "ruff (lint + format)"
    ruff check src tests benchmarks
    ruff format --check src tests benchmarks
    log "mypy (strict on the core)"
    mypy
    log "import-linter (the core stays pure)"
    lint-imports
    log "django (migrations match the models, system checks)"
    LAWTRAIL_DATA_DIR="$(mktemp -d)" python -m django makemigrations --check --dry-run \
        --settings tests.django_settings >/dev/null
    log "pytest (web tests on SQLite)"
    python -m pytest -n 2 "$@"
    log "pytest (web tests again on PostgreSQL)"
    LAWTRAIL_TEST_WEB_DB=postgresql python -m pytest -n 2 tests/integration/web "$@"
}

cmd_demo() {
    ensure_venv
    # The embedded default: SQLite + local media + keys under var/demo (kept between runs; the
    # demo data is loaded once, `rm -rf var/demo` starts over).
    export LAWTRAIL_DATA_DIR="${LAWTRAIL_DATA_DIR:-$ROOT/var/demo}"
    local fresh=0
    [[ -f "$LAWTRAIL_DATA_DIR/lawtrail.sqlite3" ]] || fresh=1
    mkdir -p -m 700 "$LAWTRAIL_DATA_DIR"   # personal data: readable by this account only
    log "demo: migrating the database ($LAWTRAIL_DATA_DIR)"
    lawtrail manage migrate --no-input -v 0
    log "demo: demo accounts and the example cases (imported into the ledger)"
    lawtrail manage seed_demo
    # The supervisor's witness (依法治市办): its own process and its own directory beside —
    # never inside — the agency's data, its key and state its own. `witness init` pins each
    # agency log's key from the published .vkey files now and puts the witness's public key
    # into the agency's keys/witnesses/ so the ledger accepts its cosignatures.
    local bind="${LAWTRAIL_BIND:-127.0.0.1:8000}"
    local witness_bind="${LAWTRAIL_WITNESS_BIND:-127.0.0.1:8100}"
    local witness_dir="${LAWTRAIL_WITNESS_DIR:-${LAWTRAIL_DATA_DIR%/}-witness}"
    if [[ $fresh == 1 && -d "$witness_dir" ]]; then
        log "demo: a new demo ledger — starting its witness afresh ($witness_dir)"
        rm -rf "$witness_dir"   # its old state would rightly call the new ledger a rollback
    fi
    lawtrail witness init --dir "$witness_dir" --name yifazhishi.demo.witness \
        --agency-keys "$LAWTRAIL_DATA_DIR/keys" --ledger-url "http://$bind" \
        --bind "$witness_bind" >/dev/null
    log "demo: lawtrail verify (records, tree, checkpoints, cosignatures)"
    lawtrail verify --key "$LAWTRAIL_DATA_DIR/keys" --witness-key "$witness_dir/witness.vkey" --witness-state "$witness_dir/state" | tail -n 4 || [[ ${PIPESTATUS[0]} == 3 ]]  # 3: 未验证 (entries not yet cosigned), shown
    log "demo: the supervisor's witness service at http://$witness_bind/ (alerts: lawtrail witness alerts --config $witness_dir/witness.toml)"
    lawtrail witness serve --config "$witness_dir/witness.toml" 2>>"$witness_dir/witness.log" &
    local witness_pid=$!
    # Stop the witness with the demo (Ctrl-C or the server ending).
    trap "kill $witness_pid 2>/dev/null || true; wait $witness_pid 2>/dev/null || true" EXIT
    trap 'exit 130' INT TERM
    export LAWTRAIL_WITNESS_URL="http://$witness_bind"
    log "demo: serving at http://$bind/  (log in with an account above; Ctrl-C stops)"
    lawtrail serve --bind "$bind"
}

cmd_bench() {
    ensure_venv
    python -m benchmarks "$@"
}

cmd_lock() {
    ensure_venv
    uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
        --universal -o requirements.lock
}

case "${1:-}" in
    demo) shift; cmd_demo "$@" ;;
    test) shift; cmd_test "$@" ;;
    bench) shift; cmd_bench "$@" ;;
    lock) shift; cmd_lock "$@" ;;
    setup) ensure_venv ;;
    *) sed -n '2,8p' "$0"; exit 2 ;;
esac
