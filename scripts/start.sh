#!/usr/bin/env bash
# npm start: installs and builds everything, packages the extension (.vsix), and opens it in a real VS Code.
#   - when the `code` CLI is on PATH: installs the .vsix into it and opens this folder;
#   - otherwise: starts a local VS Code server (code-server from npm, installed by scripts/e2e/setup.sh)
#     on 127.0.0.1 with the extension installed, and prints the URL. Ctrl-C stops it.
# Knobs: PORT (default 8080), WORKSPACE (folder to open, default this repo), CONTEXT_GC_NO_OPEN=1 (package only).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
say() { echo "[context-gc] $*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies (npm ci)"; npm ci --no-fund --no-audit
fi
say "building"; NODE_ENV=production npm run -s build
VERSION=$(node -p "require('./package.json').version")
VSIX="$ROOT/context-gc-$VERSION.vsix"
say "packaging $VSIX"
npx vsce package --no-dependencies --allow-missing-repository --no-rewrite-relative-links --skip-license -o "$VSIX" > /dev/null
say "packaged $(du -h "$VSIX" | cut -f1) — CLI: node dist/cli.js --help"
[ "${CONTEXT_GC_NO_OPEN:-0}" = 1 ] && exit 0

WORKSPACE=${WORKSPACE:-$ROOT}
if command -v code > /dev/null 2>&1; then
  say "installing into VS Code"; code --install-extension "$VSIX" --force
  code "$WORKSPACE"
  exit 0
fi

say "no 'code' on PATH: starting a local VS Code server (code-server)"
bash scripts/e2e/setup.sh
# shellcheck disable=SC1091
source .e2e/env.sh
export PATH="$E2E_NODE_BIN:$PATH"
DATA="$ROOT/.e2e/start"
mkdir -p "$DATA/user-data/User" "$DATA/extensions"
[ -f "$DATA/user-data/User/settings.json" ] || echo '{ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "security.workspace.trust.enabled": false }' > "$DATA/user-data/User/settings.json"
PORT=${PORT:-8080}
ARGS=(--auth none --bind-addr "127.0.0.1:$PORT" --user-data-dir "$DATA/user-data" --extensions-dir "$DATA/extensions" --disable-telemetry --disable-update-check)
"$E2E_CODE_SERVER" "${ARGS[@]}" --install-extension "$VSIX" --force > "$DATA/install.log" 2>&1 || { cat "$DATA/install.log"; exit 1; }
say "VS Code with Context GC: http://127.0.0.1:$PORT/?folder=$WORKSPACE   (Ctrl-C to stop)"
exec "$E2E_CODE_SERVER" "${ARGS[@]}" "$WORKSPACE"
