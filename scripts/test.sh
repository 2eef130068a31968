#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine, then run
# it: lint, types, and pytest on SQLite and a real PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

# System peers the tests use for real: sipp, baresip, Kamailio, PostgreSQL, Redis, espeak-ng, sox,
# and the AMD corpus's other speech engines (Flite, Festival and its voices).
need=()
command -v sipp >/dev/null || need+=(sip-tester)
command -v baresip >/dev/null || need+=(baresip)
command -v kamailio >/dev/null || need+=(kamailio)  # the carrier in tests/carrier
# Kamailio's TLS module: the TLS carrier in tests/secure
[ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so ] || need+=(kamailio-tls-modules)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
command -v flite >/dev/null || need+=(flite)
for voice in festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts festvox-italp16k festvox-itapc16k; do
  dpkg -s "$voice" >/dev/null 2>&1 || need+=(festival "$voice")
done
command -v tcpdump >/dev/null || need+=(tcpdump)
# the dashboard's browser tests (Playwright drives Debian's Chromium) and its flow graphs
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v dot >/dev/null || need+=(graphviz)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >/dev/null
fi

PY=${PYTHON:-python3.11}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null
piplog=$(mktemp)
if ! .venv/bin/pip install -q -e '.[dev]' >"$piplog" 2>&1; then
  grep -v '^WARNING: Location' "$piplog"; exit 1
fi

. scripts/services.sh
trap 'stop_postgres; stop_redis' EXIT
start_postgres
start_redis

echo "== ruff"; .venv/bin/ruff check src tests bench scripts
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; .venv/bin/pytest -q "$@"
