#!/usr/bin/env bash
# The steps before the tests (`npm test`): build, lint, type-check the specs. Each of tsc and
# eslint uses one core, and the two checks need little of what the build makes, so they run
# beside the build instead of after it: on a 2-core machine the build chain keeps one core
# busy and the two checks the other (CPU s on a 2-core VM: build ~60, lint ~24, type-check ~29).
# eslint reads sources only. tsconfig.test.json maps @scan2print/core and /server to their src,
# but packages/cli's pool imports @scan2print/core/worker, whose types are core's dist: the
# type-check starts once core is built (the first step of the build chain).
# Every step runs to its end; each one's output is printed whole, in this order, once all are
# done; the script fails when any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

names=(build lint typecheck-tests)
# `npm run build` builds core again with tsc -b: up to date by then, so it only checks that.
{ npx tsc -b packages/core && touch "$logs/core-built" && npm run build; } >"$logs/build" 2>&1 &
pids=($!)
npm run lint >"$logs/lint" 2>&1 &
pids+=($!)
{
  # Until core's dist is there, or the build chain has ended without it (then the check says what is missing).
  while [ ! -e "$logs/core-built" ] && kill -0 "${pids[0]}" 2>/dev/null; do sleep 0.2; done
  npx tsc -p tsconfig.test.json --noEmit
} >"$logs/typecheck-tests" 2>&1 &
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
