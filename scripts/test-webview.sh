#!/usr/bin/env bash
# Webview browser tests (run by scripts/test.sh, or alone): the Context GC panel's real bundle and HTML in
# headless Debian Chromium (driven by playwright-core from devDependencies), against the real host
# controller over a real engine. Installs what it needs on a fresh machine (apt chromium, npm deps),
# builds, type-checks the bench, runs test/webview/*.test.ts, writes screenshots to docs/screenshots/
# (WEBVIEW_SCREENSHOTS overrides), and ends with `webview: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
export DEBIAN_FRONTEND=noninteractive
exec < /dev/null
PASS=0; FAIL=0
finish() { echo "webview: $PASS passed, $FAIL failed"; [ "$FAIL" = 0 ]; exit $?; }

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "=== installing chromium (apt)"
  if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium > /dev/null; }; then
    echo "test-webview: could not install chromium with apt-get; install Debian's chromium or set CHROMIUM_PATH."
    FAIL=1; finish
  fi
fi
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@vscode/codicons ]; then
  echo "=== npm ci"
  npm ci --no-fund --no-audit || { FAIL=1; finish; }
fi
echo "=== build"
node esbuild.mjs || { FAIL=1; finish; }
echo "webview bundle: $(wc -c < dist/webview.js) bytes (unminified), codicons: $(cat dist/codicons/codicon.ttf dist/codicons/codicon.css | wc -c) bytes"
echo "=== typecheck (webview bundle + browser bench)"
if npx tsc -p tsconfig.webview.json --noEmit && npx tsc -p test/webview/tsconfig.json --noEmit; then PASS=$((PASS + 1)); else FAIL=$((FAIL + 1)); fi

echo "=== browser tests"
TAP=$(mktemp)
timeout 900 node --import tsx --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$TAP" \
  test/webview/*.test.ts
p=$(grep -E '^# pass ' "$TAP" | awk '{print $3}'); f=$(grep -E '^# fail ' "$TAP" | awk '{print $3}')
rm -f "$TAP"
if [ -z "$p" ]; then FAIL=$((FAIL + 1)); else PASS=$((PASS + p)); FAIL=$((FAIL + ${f:-0})); fi
finish
