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
  orthanc           # real peer for PS3.15 anonymisation
  xvfb xauth        # some GUI-linked tools want a display
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

# `npm install`, not `npm ci`: the registry reachable here lacks some platform-only optional
# packages (e.g. @rollup/rollup-android-*), which npm leaves out of the lock file and `npm ci`
# then reports as missing. With the committed lock, `npm install` installs the same versions.
npm install --no-audit --no-fund
