#!/usr/bin/env bash
# The steps before the tests (`npm test`): build, lint, type-check the specs. Each of tsc and
# eslint uses one core, and lint and the specs' type-check need nothing the build makes
# (eslint reads sources; tsconfig.test.json maps @scan2print/* to their src), so they run
# beside the build instead of after it: on a 2-core machine the build chain keeps one core
# busy and the two checks the other (CPU s on a 2-core VM: build ~60, lint ~24, type-check ~29).
# Every step runs to its end; each one's output is printed whole, in this order, once all are
# done; the script fails when any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

names=(build lint typecheck-tests)
npm run build >"$logs/build" 2>&1 &
pids=($!)
npm run lint >"$logs/lint" 2>&1 &
pids+=($!)
npx tsc -p tsconfig.test.json --noEmit >"$logs/typecheck-tests" 2>&1 &
pids+=($!)

failed=()
for i in "${!names[@]}"; do
  if wait "${pids[$i]}"; then status=ok; else status=FAILED; failed+=("${names[$i]}"); fi
  echo "=== ${names[$i]}: $status"
  cat "$logs/${names[$i]}"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
