// package.json against the code: every command id registered exists in `contributes.commands` and the
// other way round, internal commands are hidden from the palette, every command has the category, and the
// settings declared match the defaults and limits the host validates with.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ALL_COMMAND_IDS, Commands, InternalCommands } from '../../src/host/commandIds';
import { DEFAULT_SETTINGS, LIMITS, SECTION, SETTING_KEYS } from '../../src/host/config';

interface Manifest {
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string; category: string }[];
    menus: { commandPalette: { command: string; when: string }[] };
    configuration: { properties: Record<string, { default: unknown; minimum?: number; maximum?: number; enum?: string[]; description?: string; markdownDescription?: string }> };
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as Manifest;
const declared = manifest.contributes.commands.map((c) => c.command);

/** Command ids written as string literals anywhere in src/host (registrations, executeCommand calls). */
function idsInSource(): string[] {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/'(contextGc\.[A-Za-z.]+)'/g)) found.add(m[1]);
    }
  };
  walk(path.join(__dirname, '..', '..', 'src', 'host'));
  return [...found].sort();
}

describe('package.json commands', () => {
  test('declares exactly the command ids the code registers', () => {
    assert.deepEqual([...declared].sort(), [...ALL_COMMAND_IDS].sort());
  });

  test('every contextGc.* id written in src/host is declared (views aside)', () => {
    const viewIds = ['contextGc.panel', 'contextGc.usage'];
    assert.deepEqual(idsInSource().filter((id) => !declared.includes(id) && !viewIds.includes(id)), []);
  });

  test('every command is in the Context GC category, with a title', () => {
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, 'Context GC', c.command);
      assert.ok(c.title.length > 0, c.command);
    }
  });

  test('internal commands are hidden from the palette, public ones are not', () => {
    const hidden: string[] = manifest.contributes.menus.commandPalette.filter((m) => m.when === 'false').map((m) => m.command).sort();
    const publicHidden = Object.values(Commands).filter((id) => hidden.includes(id));
    assert.deepEqual(hidden, Object.values(InternalCommands).sort());
    assert.deepEqual(publicHidden, []);
  });

  test('activates after startup, not during it', () => {
    assert.deepEqual(manifest.activationEvents, ['onStartupFinished']);
  });
});

describe('package.json settings', () => {
  const props = manifest.contributes.configuration.properties;

  test('declares every setting the host reads, with its default and a description', () => {
    assert.deepEqual(Object.keys(props).sort(), SETTING_KEYS.map((k) => `${SECTION}.${k}`).sort());
    for (const key of SETTING_KEYS) {
      const p = props[`${SECTION}.${key}`];
      assert.deepEqual(p.default, DEFAULT_SETTINGS[key], key);
      assert.ok((p.description ?? p.markdownDescription ?? '').length > 20, key);
    }
  });

  test('declares the same limits the host validates', () => {
    for (const [key, lim] of Object.entries(LIMITS)) {
      assert.equal(props[`${SECTION}.${key}`].minimum, lim.min, key);
      assert.equal(props[`${SECTION}.${key}`].maximum, lim.max, key);
    }
    assert.deepEqual(props[`${SECTION}.encoding`].enum, ['o200k_base', 'cl100k_base']);
  });
});
