#!/usr/bin/env bash
# The two newcomer commands (see README): each installs what it needs, then runs.
#   ./tasks.sh demo   synthesize, run the dev stack offline on moto, submit sample reviews, print timelines
#   ./tasks.sh test   the gate (ruff lint, ruff format, mypy), then the whole test suite
# Needs Python 3.11+ and Node.js; everything else is installed here, pinned.
set -euo pipefail
cd "$(dirname "$0")"

PIPENV_VERSION=2026.10.3
CHECKOV_VERSION=3.3.30
SCHEMATHESIS_VERSION=4.32.5
export PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1 PIPENV_YES=1
# jsii prints banners because Node 20 is older than it tests against and past its end of life; the
# bindings work on it.
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1 JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

install_python() {
  if ! python3 -m pipenv --version 2>/dev/null | grep -q "$PIPENV_VERSION"; then
    python3 -m pip install --quiet --disable-pip-version-check "pipenv==$PIPENV_VERSION"
  fi
  # From the committed lock, never re-locking: reproducible and fast.
  python3 -m pipenv sync --dev
}

install_test_tools() {
  # checkov pins an old boto3, so it gets a virtualenv of its own.
  if ! .checkov-venv/bin/checkov --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
    rm -rf .checkov-venv
    python3 -m venv .checkov-venv
    .checkov-venv/bin/pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
  fi
  # schemathesis (the API fuzz run of tests/test_security_http.py) runs as a command, in a virtualenv of its own:
  # its dependencies (hypothesis, jsonschema-rs, rich, ...) stay out of the lock, and its pytest out of ours.
  if ! .schemathesis-venv/bin/schemathesis --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION\$"; then
    rm -rf .schemathesis-venv
    python3 -m venv .schemathesis-venv
    .schemathesis-venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  # The browser tests drive Debian's Chromium (test tools may not download browsers here).
  if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    elif command -v sudo >/dev/null; then
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      echo "tasks.sh: the browser tests need Debian's chromium (/usr/bin/chromium): apt-get install chromium" >&2
      exit 1
    fi
  fi
}

# One step of the gate: run it, or stop the run saying which step failed and how to fix it.
gate_step() {
  local fix="$1"
  shift
  echo "tasks.sh: $*" >&2
  if ! python3 -m pipenv run "$@"; then
    echo "tasks.sh: \`$*\` failed; $fix. The tests did not run." >&2
    exit 1
  fi
}

# The same checks as .pre-commit-config.yaml, before any test: a lint or type error fails in seconds.
gate() {
  gate_step "fix the findings above (\`pipenv run ruff check --fix .\` fixes some)" ruff check .
  gate_step "\`pipenv run ruff format .\` rewrites the files listed above" ruff format --check .
  gate_step "fix the type errors above (configured under [tool.mypy] in pyproject.toml)" mypy
}

case "${1:-}" in
  demo)
    install_python
    python3 -m pipenv run python -m offline demo
    ;;
  test)
    install_python
    gate
    install_test_tools
    # One worker per core, each test file on one worker: a file's module fixtures (an offline system, a browser)
    # come up once, and moto's state stays per process.
    python3 -m pipenv run pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile "${@:2}"
    ;;
  *)
    echo "usage: $0 demo|test [pytest arguments]" >&2
    exit 2
    ;;
esac
