#!/usr/bin/env bash
# The one test command (`npm test`): installs what the tests need, type-checks, lints, builds, then runs
# every suite. Ends with one line "N passed, N failed" covering every suite it ran.
set -uo pipefail
cd "$(dirname "$0")/.."
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
RESULTS=$(mktemp -d)
PASS=0; FAIL=0
add() { PASS=$((PASS + $1)); FAIL=$((FAIL + $2)); }
step() { echo; echo "=== $*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"; npm ci --no-fund --no-audit || { echo "0 passed, 1 failed"; exit 1; }
fi
step "typecheck"; if npm run -s typecheck; then add 1 0; else add 0 1; fi
step "lint";      if npm run -s lint; then add 1 0; else add 0 1; fi
step "build";     if npm run -s build; then add 1 0; else add 0 1; fi

step "unit tests (node --test)"
node --import tsx --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$RESULTS/unit.tap" \
  $(find test -name '*.test.ts' -not -path 'test/vscode/*' -not -path 'test/webview/*' | sort)
p=$(grep -E '^# pass ' "$RESULTS/unit.tap" | awk '{print $3}'); f=$(grep -E '^# fail ' "$RESULTS/unit.tap" | awk '{print $3}')
echo "unit: ${p:-0} passed, ${f:-0} failed"
add "${p:-0}" "${f:-1}"

for suite in scripts/test-*.sh; do
  [ -e "$suite" ] || continue
  step "$suite"
  out="$RESULTS/$(basename "$suite").out"
  bash "$suite" 2>&1 | tee "$out"
  line=$(grep -E '^[A-Za-z-]*:? ?[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
  if [ -n "$line" ]; then
    p=$(sed -E 's/^[^0-9]*([0-9]+) passed.*/\1/' <<< "$line"); f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<< "$line")
    add "$p" "$f"
  else add 0 1; fi
done

echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
