// Bundles the benchmarks the way esbuild.mjs bundles the extension (node20, CommonJS, not minified), so
// `npm run bench` measures the code users run. Run from source (tsx) the hot loops measured about 2x
// slower: tsx transforms every file separately, and the numbers would describe the dev loop, not the
// product. The store's compaction worker and sql.js's wasm go beside the bundle, as in dist/.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const out = 'out/bench';
mkdirSync(out, { recursive: true });
copyFileSync('node_modules/sql.js/dist/sql-wasm.wasm', `${out}/sql-wasm.wasm`);
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'linked', logLevel: 'warning', outdir: out };
await Promise.all([
  esbuild.build({ ...common, entryPoints: { run: 'bench/run.ts' } }),
  esbuild.build({ ...common, entryPoints: { storeCompactor: 'src/engine/store/compactor.ts' } }),
]);
