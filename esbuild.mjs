// Bundles every entry point that exists. `node esbuild.mjs [--watch] [--minify]`.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const minify = process.argv.includes('--minify') || process.env.NODE_ENV === 'production';

const node = [
  { in: 'src/host/extension.ts', out: 'extension', external: ['vscode'] },
  { in: 'src/host/engineWorker.ts', out: 'engineWorker' },
  { in: 'src/cli/main.ts', out: 'cli', banner: '#!/usr/bin/env node' },
  { in: 'src/mcp/server.ts', out: 'mcp', banner: '#!/usr/bin/env node' },
  // The store's background compaction worker (src/engine/store/compaction.ts looks for it beside the bundle).
  { in: 'src/engine/store/compactor.ts', out: 'storeCompactor' },
].filter((e) => existsSync(e.in));
const browser = [{ in: 'src/webview/main.ts', out: 'webview' }].filter((e) => existsSync(e.in));

mkdirSync('dist', { recursive: true });
// sql.js loads its wasm next to the bundle.
copyFileSync('node_modules/sql.js/dist/sql-wasm.wasm', 'dist/sql-wasm.wasm');
// The panel's icons: the codicon font and stylesheet, loaded by the webview from dist/codicons/.
mkdirSync('dist/codicons', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/codicons/${f}`);

// js-tiktoken's rank tables are megabytes each: ship one copy in dist/ranks/, shared by every node bundle
// (worker, CLI, MCP server), instead of one copy inside each bundle.
mkdirSync('dist/ranks', { recursive: true });
for (const r of ['o200k_base', 'cl100k_base']) copyFileSync(`node_modules/js-tiktoken/dist/ranks/${r}.cjs`, `dist/ranks/${r}.cjs`);
const sharedRanks = {
  name: 'shared-ranks',
  setup(build) {
    build.onResolve({ filter: /^js-tiktoken\/ranks\/(o200k_base|cl100k_base)$/ }, (args) => ({ path: `./ranks/${args.path.split('/').pop()}.cjs`, external: true }));
  },
};

const common = { bundle: true, sourcemap: 'linked', minify, logLevel: 'warning', legalComments: 'none' };
const builds = [
  ...node.map((e) => ({ ...common, entryPoints: { [e.out]: e.in }, outdir: 'dist', platform: 'node', target: 'node20', format: 'cjs',
    external: e.external ?? [], banner: e.banner ? { js: e.banner } : undefined, plugins: [sharedRanks] })),
  ...browser.map((e) => ({ ...common, entryPoints: { [e.out]: e.in }, outdir: 'dist', platform: 'browser', target: 'chrome120', format: 'iife' })),
];
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
