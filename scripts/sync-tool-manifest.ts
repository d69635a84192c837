// Writes package.json `contributes.languageModelTools` from the tool declarations in
// src/protocol/tools.ts (the single source), leaving every other key as it is. Run after changing a tool:
//   node --import tsx scripts/sync-tool-manifest.ts
// test/engine/tools-schema.test.ts fails while the manifest and the declarations differ.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { languageModelToolsContribution } from '../src/protocol/tools';

const file = path.join(__dirname, '..', 'package.json');
const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { contributes?: Record<string, unknown> };
pkg.contributes = { ...pkg.contributes, languageModelTools: languageModelToolsContribution() };
const tmp = `${file}.tmp-${process.pid}`;
fs.writeFileSync(tmp, JSON.stringify(pkg, null, 2) + '\n');
fs.renameSync(tmp, file);
console.log(`package.json: ${languageModelToolsContribution().length} languageModelTools`);
