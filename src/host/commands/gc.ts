// Run GC: plan, preview the plan (every candidate checked, with its reason; uncheck what to keep), then
// stash what is left checked. Undo Last GC brings back what the last GC stashed.

import * as vscode from 'vscode';
import type { GcRequest } from '../../engine/engine';
import { Commands } from '../commandIds';
import { count, impact, plural, TYPE_ICON } from '../format';
import type { PlanView } from '../rpc/protocol';
import { argsOf, done, idsArg, type CommandDef, type SegmentItem, type Services } from './base';

interface RunGcArgs extends GcRequest {
  /** Skip the preview: 'all' applies the whole plan; ids apply those candidates. */
  apply: 'all' | number[];
}

async function planFor(s: Services, req: GcRequest): Promise<PlanView> {
  const view = await s.host.call('planView', req);
  if (view.plan.candidates.length > 0 || req.targetTokens !== undefined || req.targetPercent !== undefined) return view;
  // Under the target already: still offer what nothing refers to (unreachable), since the user asked.
  if (view.plan.unreachableTokens > 0) return s.host.call('planView', { targetTokens: view.plan.unreachableTokens, includeReachable: false });
  return view;
}

function previewItems(view: PlanView): SegmentItem[] {
  return view.plan.candidates.map((c) => {
    const it = view.items[c.id];
    const where = it?.filePath ? ` · ${it.filePath}` : '';
    return {
      id: c.id,
      label: `${TYPE_ICON[c.type]} #${c.id} ${it?.title || '(untitled)'}`,
      description: `${count(c.tokens)} tokens${where}`,
      detail: c.reason,
      picked: true,
    };
  });
}

export const gcCommands: CommandDef[] = [
  {
    id: Commands.runGc,
    async run(s, raw) {
      const a = argsOf<RunGcArgs>(raw);
      const req: GcRequest = { targetTokens: a.targetTokens, targetPercent: a.targetPercent, includeReachable: a.includeReachable };
      const view = await planFor(s, req);
      const plan = view.plan;
      if (plan.candidates.length === 0) {
        const why = plan.shortfall > 0 ? ` ${count(plan.shortfall)} tokens could not be freed: everything left is pinned or a root.` : '';
        return done(`Nothing to collect: the context is at ${plan.percentBefore}% of the ${count(plan.budget)}-token budget and everything in it is in use.${why}`, { ids: [], tokenDelta: 0, plan });
      }
      let ids: number[] | undefined;
      if (a.apply === 'all') ids = plan.candidates.map((c) => c.id);
      else if (a.apply !== undefined) ids = idsArg(a.apply);
      else {
        const picked = await vscode.window.showQuickPick(previewItems(view), {
          title: `Context GC: stash ${plural(plan.candidates.length, 'segment')}, ${count(plan.plannedTokens)} tokens (${plan.percentBefore}% → ${plan.percentAfter}%)? Uncheck what to keep.`,
          canPickMany: true,
          matchOnDescription: true,
          matchOnDetail: true,
          ignoreFocusOut: true,
        });
        if (!picked) return undefined;
        ids = picked.map((p) => p.id);
        if (ids.length === 0) return done('GC cancelled: every candidate was unchecked, nothing was stashed.', { ids: [], tokenDelta: 0, plan });
      }
      if (!ids) return undefined;
      const engine = await s.host.engine();
      const c = await engine.applyGc({ ids, mode: 'stash' });
      const msg = `GC stashed ${plural(c.ids.length, 'segment')} (${plan.percentBefore}% → ${c.percent}%): ${impact(c.tokenDelta, s.host.currentTotals())} Undo Last GC brings them back.`;
      s.log.info(`GC plan: ${plan.candidates.length} candidates, ${plan.plannedTokens} tokens; mark ${plan.timings.markMs} ms, score ${plan.timings.scoreMs} ms, select ${plan.timings.selectMs} ms.`);
      void vscode.window.showInformationMessage(msg, 'Undo').then((pick) => {
        if (pick === 'Undo') void vscode.commands.executeCommand(Commands.undoGc);
      });
      return { message: msg, ids: c.ids, tokenDelta: c.tokenDelta, plan };
    },
  },
  {
    id: Commands.undoGc,
    async run(s) {
      const engine = await s.host.engine();
      const c = await engine.undoLastGc();
      return done(`Undid the last GC: restored ${plural(c.ids.length, 'segment')}: ${impact(c.tokenDelta, s.host.currentTotals())}`, { ids: c.ids, tokenDelta: c.tokenDelta });
    },
  },
];
