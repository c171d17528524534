#!/usr/bin/env bash
# The full test command: install what the tests need, build, lint, type-check, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
npm test
