#!/usr/bin/env bash
# Installs the peers the benchmarks compare with (Debian packages). Benchmarks are run by
# hand (see README "Benchmarks"), never by the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=(python3-vtk9 python3-scipy python3-numpy dcm2niix invesalius xvfb xauth time)  # time: /usr/bin/time -v in bench/import
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
[ -d node_modules ] || npm install --no-audit --no-fund
npm run build
