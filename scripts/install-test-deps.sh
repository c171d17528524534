#!/usr/bin/env bash
# Installs the real peers the tests use (Debian packages), then the npm packages.
# Idempotent: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  dcm2niix          # peer for import geometry/values (issue: import)
  dcmtk             # dcmdump: independent reader of the DICOM SEG we write
  python3-pydicom   # independent reader of the DICOM SEG we write
  python3-numpy
  prusa-slicer      # real consumer of our STL/3MF (manifold check)
  orthanc           # real peer for PS3.15 anonymisation and the PACS the integration tests talk to
  orthanc-dicomweb  # STOW-RS, QIDO-RS and WADO-RS on that Orthanc (PACS issue)
  xvfb xauth        # some GUI-linked tools want a display
  chromium          # the web app's end-to-end tests (playwright-core drives /usr/bin/chromium)
  fonts-liberation  # text in the browser's screenshots
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# PostgreSQL for packages/server's tests: a real server on 127.0.0.1:5432, trust auth for user
# postgres on loopback, database `test` (test/services/postgres.ts makes one database per test).
# A server already answering there (a CI service, a developer's own) is used as it is; otherwise
# Debian's postgresql is installed and a cluster on that port is started. TEST_PG_PORT only lets
# this part be tried on another port.
PG_PORT="${TEST_PG_PORT:-5432}"
pg_answers() {
  if command -v pg_isready >/dev/null; then pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
  else (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; fi
}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [ -n "${TEST_DATABASE_ADMIN_URL:-}" ]; then
  echo "TEST_DATABASE_ADMIN_URL is set: the tests use that PostgreSQL server; none is started here" >&2
elif ! pg_answers; then
  if ! dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q "install ok installed"; then
    $SUDO apt-get update -q
    # The package creates a cluster `main`; where no init system runs, it is left stopped.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends postgresql
  fi
  PG_VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
  # The cluster configured for our port, if any (columns: version, name, port, ...).
  read -r PG_VERSION_USED PG_CLUSTER < <(pg_lsclusters -h | awk -v p="$PG_PORT" '$3 == p { print $1, $2; exit }') || true
  if [ -z "${PG_CLUSTER:-}" ]; then
    PG_VERSION_USED="$PG_VERSION"; PG_CLUSTER="scan2print-test"
    $SUDO pg_createcluster "$PG_VERSION_USED" "$PG_CLUSTER" --port "$PG_PORT" -- --auth-local=trust --auth-host=trust >/dev/null
  fi
  # A packaged cluster asks for peer/password authentication: put trust for loopback first
  # (pg_hba.conf takes the first matching line), once.
  HBA="/etc/postgresql/$PG_VERSION_USED/$PG_CLUSTER/pg_hba.conf"
  if ! $SUDO grep -q "scan2print tests" "$HBA"; then
    { printf '%s\n' "# scan2print tests (scripts/install-test-deps.sh): trust on loopback" \
        "local all all trust" "host all all 127.0.0.1/32 trust" "host all all ::1/128 trust"
      $SUDO cat "$HBA"; } > "/tmp/pg_hba.$$"
    $SUDO install -o postgres -g postgres -m 0640 "/tmp/pg_hba.$$" "$HBA"; rm -f "/tmp/pg_hba.$$"
  fi
  # pg_ctlcluster runs the server as the cluster's owner (postgres) also when called by root.
  if pg_lsclusters -h | awk -v v="$PG_VERSION_USED" -v c="$PG_CLUSTER" \
      '$1 == v && $2 == c && $4 == "online" { f = 1 } END { exit !f }'; then
    $SUDO pg_ctlcluster "$PG_VERSION_USED" "$PG_CLUSTER" reload
  else
    $SUDO pg_ctlcluster "$PG_VERSION_USED" "$PG_CLUSTER" start
  fi
  for _ in $(seq 60); do pg_answers && break; sleep 0.5; done
  pg_answers || { echo "PostgreSQL $PG_VERSION_USED/$PG_CLUSTER did not start on 127.0.0.1:$PG_PORT" >&2; exit 1; }
  echo "Started PostgreSQL $PG_VERSION_USED/$PG_CLUSTER on 127.0.0.1:$PG_PORT (trust on loopback)" >&2
fi
if [ -z "${TEST_DATABASE_ADMIN_URL:-}" ]; then
  if ! command -v psql >/dev/null; then
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends postgresql-client
  fi
  PSQL=(psql -X -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres)
  if ! has_test_db="$("${PSQL[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")"; then
    echo "PostgreSQL on 127.0.0.1:$PG_PORT does not let user postgres in without a password; the server's tests" \
      "need trust on loopback, or TEST_DATABASE_ADMIN_URL set to an admin URL" >&2
    exit 1
  fi
  [ "$has_test_db" = 1 ] || "${PSQL[@]}" -q -c "CREATE DATABASE test"
fi

# `npm install`, not `npm ci`: the registry reachable here lacks some platform-only optional
# packages (e.g. @rollup/rollup-android-*), which npm leaves out of the lock file and `npm ci`
# then reports as missing. With the committed lock, `npm install` installs the same versions.
npm install --no-audit --no-fund
