#!/usr/bin/env bash
# VS Code end-to-end tests (run by scripts/test.sh, or alone): installs code-server + chromium (cached in
# ~/.cache/context-gc-e2e; see scripts/e2e/setup.sh), then runs scripts/e2e/run.ts: the .vsix installs, UI tests in the
# workbench, the mocha suite inside the real extension host. Ends with `vscode: N passed, N failed`.
#
# Knobs: E2E_TIMEOUT_S (harness deadline, default 840 s; this script kills everything 60 s after it),
# E2E_LOCK_WAIT_S (wait for another run in this tree, default 600 s), CONTEXT_GC_E2E_DIR (default .e2e:
# env.sh, results/), CONTEXT_GC_E2E_CACHE (installs, default ~/.cache/context-gc-e2e), E2E_KEEP=1 (keep
# temp dirs), E2E_SKIP_APT=1. See scripts/e2e/README.md.
set -uo pipefail
cd "$(dirname "$0")/.."
E2E_DIR=${CONTEXT_GC_E2E_DIR:-$PWD/.e2e}
mkdir -p "$E2E_DIR"

if ! bash scripts/e2e/setup.sh; then
  echo "vscode: 0 passed, 1 failed"
  exit 1
fi
# shellcheck disable=SC1091
. "$E2E_DIR/env.sh"

# The harness and the code-server it starts each lead a process group; whatever way this script ends, both
# groups are killed (the harness kills code-server itself, this is the backstop for a harness that hangs or dies).
export E2E_TIMEOUT_S=${E2E_TIMEOUT_S:-840}
# One run at a time per working tree: runs share .e2e/results and out/vscode-suite. Nothing started below
# keeps fd 8 open (8>&-), so the lock is free the moment this script ends.
LOCK_WAIT=${E2E_LOCK_WAIT_S:-600}
exec 8> "$E2E_DIR/run.lock"
if ! flock -w "$LOCK_WAIT" 8; then
  echo "test-vscode: another e2e run in $E2E_DIR held the lock for ${LOCK_WAIT}s"
  echo "vscode: 0 passed, 1 failed"
  exit 1
fi
export E2E_PGID_FILE="$E2E_DIR/server.pgid.$$"
rm -f "$E2E_PGID_FILE"
HARNESS=
OUT=$(mktemp)
cleanup() {
  [ -n "$HARNESS" ] && kill -- "-$HARNESS" 2> /dev/null
  if [ -s "$E2E_PGID_FILE" ]; then
    while read -r pgid; do [ -n "$pgid" ] && kill -KILL -- "-$pgid" 2> /dev/null; done < "$E2E_PGID_FILE"
  fi
  rm -f "$E2E_PGID_FILE"
  # a harness killed from outside could not print its summary: count the run as one failure
  grep -qE '^vscode: [0-9]+ passed, [0-9]+ failed' "$OUT" 2> /dev/null || echo "vscode: 0 passed, 1 failed"
  rm -f "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LIMIT=$(( E2E_TIMEOUT_S + 60 ))
set -m   # the background job gets its own process group (pgid == pid), which `timeout` signals as a whole
timeout -k 20 "$LIMIT" node --import tsx scripts/e2e/run.ts > >(tee "$OUT" 8>&-) 2>&1 8>&- &
HARNESS=$!
set +m
wait "$HARNESS"; CODE=$?
HARNESS=
[ "$CODE" = 124 ] || [ "$CODE" = 137 ] && echo "test-vscode: the harness was still running after ${LIMIT}s and was killed"
sleep 0.2   # let tee flush
grep -qE '^vscode: [0-9]+ passed, [0-9]+ failed' "$OUT" || { [ "$CODE" = 0 ] && CODE=1; }
exit "$CODE"
