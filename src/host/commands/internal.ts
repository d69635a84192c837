// Internal commands (hidden from the palette): what tests and scripts need to observe and drive the
// extension without reaching into its modules.

import { ContextGcError } from '../../engine/model';
import { ENGINE_METHODS } from '../../protocol/engineApi';
import { InternalCommands } from '../commandIds';
import type { CommandDef, Services } from './base';

export interface HostTimings {
  /** Time spent inside activate(). */
  activateMs: number;
  /** Where that time went, in ms. */
  phases: Record<string, number>;
  /** The engine's phase when activate() returned: 'starting' (the store was not waited for). */
  phaseAtReturn: string;
}

export function internalCommands(timings: HostTimings): CommandDef[] {
  const state = (s: Services) => ({
    message: `Context GC is ${s.host.phase}.`,
    phase: s.host.phase,
    failure: s.host.error ? { message: s.host.error.message, reason: (s.host.error as { reason?: string }).reason } : undefined,
    location: s.host.location,
    info: s.host.info,
    readyMs: s.host.readyMs,
    activateMs: timings.activateMs,
    activatePhases: timings.phases,
    phaseAtReturn: timings.phaseAtReturn,
    totals: s.host.totals,
    settings: s.settings.current,
    settingsProblems: s.settings.problems,
  });
  return [
    {
      id: InternalCommands.statusBar,
      run: (s) => ({ message: s.statusBar.view.text, ...s.statusBar.view, warnings: [...s.statusBar.warnings] }),
    },
    { id: InternalCommands.state, run: (s) => state(s) },
    {
      id: InternalCommands.idle,
      async run(s) {
        await s.settingsApplied();
        await s.binder.idle();
        if (s.host.phase === 'ready') await s.host.call('totals');
        return { message: 'idle' };
      },
    },
    {
      id: InternalCommands.engine,
      async run(s, method, ...args) {
        if (typeof method !== 'string' || !(ENGINE_METHODS as readonly string[]).includes(method)) {
          throw new ContextGcError('invalid_argument', `Unknown engine method ${JSON.stringify(method)}; use one of ${ENGINE_METHODS.join(', ')}.`);
        }
        const engine = (await s.host.engine()) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
        return { message: `engine.${method}`, result: await engine[method](...args) };
      },
    },
    {
      id: InternalCommands.restart,
      async run(s) {
        s.statusBar.resetBand();
        await s.host.restart();
        return state(s);
      },
    },
  ];
}
