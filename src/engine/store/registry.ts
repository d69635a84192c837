// The cross-project registry: a small JSON file listing the stores this user has opened, so search
// and inspection can reach every project (each store opened read-only). Default location
// ~/.context-gc/projects.json. Replaced whole on each change (temp file, fsync, rename), so a crash
// leaves the old list or the new one. Keyed by storeDir: one entry per store.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextGcError } from '../model';
import { fsyncDir } from './journal';

export interface ProjectEntry {
  /** Display name (usually the workspace folder's name). */
  name: string;
  /** Directory of the project's store. */
  storeDir: string;
  /** Workspace folder the store belongs to. */
  workspacePath: string;
  /** Epoch ms of the last open. */
  lastOpened: number;
}

interface RegistryFile {
  version: 1;
  projects: ProjectEntry[];
}

export function defaultRegistryPath(): string {
  return path.join(os.homedir(), '.context-gc', 'projects.json');
}

export class ProjectRegistry {
  constructor(readonly file: string = defaultRegistryPath()) {}

  /** Known projects, most recently opened first. A missing file is an empty registry. */
  list(): ProjectEntry[] {
    return [...this.read().projects].sort((a, b) => b.lastOpened - a.lastOpened || a.name.localeCompare(b.name));
  }

  /** Adds a project or updates the entry with the same storeDir. */
  register(entry: ProjectEntry): void {
    const reg = this.read();
    const storeDir = path.resolve(entry.storeDir);
    const next = { ...entry, storeDir };
    const i = reg.projects.findIndex((p) => p.storeDir === storeDir);
    if (i >= 0) reg.projects[i] = next;
    else reg.projects.push(next);
    this.write(reg);
  }

  /** Removes the entry for `storeDir`; returns whether there was one. The store itself is left alone. */
  unregister(storeDir: string): boolean {
    const reg = this.read();
    const dir = path.resolve(storeDir);
    const kept = reg.projects.filter((p) => p.storeDir !== dir);
    if (kept.length === reg.projects.length) return false;
    this.write({ ...reg, projects: kept });
    return true;
  }

  private read(): RegistryFile {
    let raw: string;
    try {
      raw = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, projects: [] };
      throw new ContextGcError('io_error', `Cannot read the project registry ${this.file}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ContextGcError('store_corrupt', `The project registry ${this.file} is not valid JSON. Fix or delete it; ` +
        'projects are added back as they are opened.');
    }
    const projects = (parsed as Partial<RegistryFile>)?.projects;
    if (!Array.isArray(projects)) {
      throw new ContextGcError('store_corrupt', `The project registry ${this.file} has no "projects" list. Fix or delete it; ` +
        'projects are added back as they are opened.');
    }
    return {
      version: 1,
      projects: projects.filter(
        (p): p is ProjectEntry => !!p && typeof p.name === 'string' && typeof p.storeDir === 'string' &&
          typeof p.workspacePath === 'string' && typeof p.lastOpened === 'number',
      ),
    };
  }

  private write(reg: RegistryFile): void {
    const dir = path.dirname(this.file);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(reg, null, 2) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    fsyncDir(dir);
  }
}
