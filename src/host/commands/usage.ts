// Usage, budget, panel and log commands.

import * as vscode from 'vscode';
import { SECTION, LIMITS } from '../config';
import { Commands } from '../commandIds';
import { count, plural } from '../format';
import { Settings } from '../settings';
import { usageMarkdown, type Reports } from '../reports';
import { argsOf, done, UserError, type CommandDef } from './base';
import { mcpConfigFor, showMcpConfiguration } from '../tools/mcpConfig';

/** Common model context windows, offered by Switch Token Budget next to the models VS Code knows. */
export const BUDGET_PRESETS: { tokens: number; label: string }[] = [
  { tokens: 128_000, label: '128k (GPT-4o, many open models)' },
  { tokens: 200_000, label: '200k (Claude)' },
  { tokens: 400_000, label: '400k (GPT-5)' },
  { tokens: 1_000_000, label: '1M (Gemini, Claude with 1M context) — the default' },
  { tokens: 2_000_000, label: '2M' },
];

interface BudgetItem extends vscode.QuickPickItem {
  tokens?: number;
  /** Set when the budget comes from a language model VS Code offers. */
  model?: string;
}

/** workspaceState key: the model whose input limit became the budget (the panel says where the budget comes from). */
export const BUDGET_MODEL_KEY = 'budgetModel';

/** The chat models VS Code offers and their input limits (empty when none or the API is missing). */
async function modelBudgets(): Promise<BudgetItem[]> {
  try {
    const lm = (vscode as { lm?: typeof vscode.lm }).lm;
    if (!lm?.selectChatModels) return [];
    const models = await Promise.race([lm.selectChatModels({}), new Promise<vscode.LanguageModelChat[]>((r) => setTimeout(() => r([]), 1500))]);
    return models
      .filter((m) => m.maxInputTokens > 0)
      .map((m) => ({ label: `$(hubot) ${m.name}`, description: `${count(m.maxInputTokens)} tokens (from ${m.vendor})`, tokens: m.maxInputTokens, model: m.name }));
  } catch {
    return [];
  }
}

export function usageCommands(reports: Reports): CommandDef[] {
  return [
    {
      id: Commands.showUsage,
      async run(s, raw) {
        const a = argsOf<{ details: boolean }>(raw);
        const engine = await s.host.engine();
        const u = await engine.usage();
        const rec = u.recommendations.find((r) => r.action !== 'none');
        const msg =
          `Context: ${count(u.workingTokens)} / ${count(u.budget)} tokens (${u.percent}%) in ${plural(u.workingSegments, 'segment')}; ` +
          `stashed ${plural(u.stashedSegments, 'segment')} (${count(u.stashedTokens)} tokens); pinned ${count(u.pinnedTokens)} tokens; health ${u.health.score}/100.` +
          (rec ? ` ${rec.detail}` : '');
        if (a.details) await reports.show('Context GC usage', usageMarkdown(u));
        else {
          const buttons = ['Details', ...(rec?.action === 'run_gc' ? ['Run GC'] : [])];
          void vscode.window.showInformationMessage(msg, ...buttons).then((pick) => {
            if (pick === 'Details') void reports.show('Context GC usage', usageMarkdown(u));
            else if (pick === 'Run GC') void vscode.commands.executeCommand(Commands.runGc);
          });
        }
        return { message: msg, usage: u };
      },
    },
    {
      id: Commands.switchBudget,
      async run(s, raw) {
        let budget = argsOf<{ budget: number }>(raw).budget;
        let model: string | undefined;
        const current = s.settings.current.tokenBudget;
        if (budget === undefined) {
          const items: BudgetItem[] = [
            ...(await modelBudgets()),
            ...BUDGET_PRESETS.map((p) => ({ label: p.label, description: p.tokens === current ? 'current' : `${count(p.tokens)} tokens`, tokens: p.tokens })),
            { label: '$(edit) Custom…' },
          ];
          const pick = await vscode.window.showQuickPick(items, { title: `Context GC: token budget (now ${count(current)})` });
          if (!pick) return undefined;
          budget = pick.tokens;
          model = pick.model;
          if (budget === undefined) {
            const typed = await vscode.window.showInputBox({
              title: 'Context GC: custom token budget',
              value: String(current),
              validateInput: (v) => {
                const n = Number(v.replace(/[_,\s]/g, ''));
                return Number.isInteger(n) && n >= LIMITS.tokenBudget.min && n <= LIMITS.tokenBudget.max ? undefined : `A whole number from ${count(LIMITS.tokenBudget.min)} to ${count(LIMITS.tokenBudget.max)}.`;
              },
            });
            if (typed === undefined) return undefined;
            budget = Number(typed.replace(/[_,\s]/g, ''));
          }
        }
        if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < LIMITS.tokenBudget.min || budget > LIMITS.tokenBudget.max) {
          throw new UserError(`The budget must be a whole number of tokens from ${count(LIMITS.tokenBudget.min)} to ${count(LIMITS.tokenBudget.max)} (got ${JSON.stringify(budget)}).`);
        }
        await s.context.workspaceState.update(BUDGET_MODEL_KEY, model ? { model, budget } : undefined);
        await vscode.workspace.getConfiguration(SECTION).update('tokenBudget', budget, Settings.target());
        await s.settingsApplied();
        const t = s.host.currentTotals();
        return done(`Token budget: ${count(budget)} (was ${count(current)}); the context is now at ${t.percent}% (${count(t.workingTokens)} tokens).`, { budget, previous: current, percent: t.percent });
      },
    },
    {
      id: Commands.openPanel,
      async run(s, raw) {
        const tab = argsOf<{ tab: 'overview' | 'working' | 'gc' | 'stash' }>(raw).tab ?? 'overview';
        if (s.panel) {
          await s.panel.show(tab);
          return { message: `Opened the Context GC panel (${tab}).`, panel: true };
        }
        const out = await vscode.commands.executeCommand<{ message: string } | undefined>(Commands.showUsage);
        const msg = 'The Context GC panel is not part of this build; the usage summary is shown instead.';
        void vscode.window.showInformationMessage(msg);
        return { message: msg, panel: false, usage: out };
      },
    },
    {
      id: Commands.showLog,
      run(s) {
        s.log.show();
        return { message: 'Showed the Context GC log.' };
      },
    },
    {
      id: Commands.showMcpConfig,
      async run(s, raw) {
        const open = argsOf<{ open: boolean }>(raw).open ?? true;
        const input = mcpConfigFor(s.context, s.host.location.dir, { project: vscode.workspace.name ?? 'no-folder', budget: s.settings.current.tokenBudget });
        const text = await showMcpConfiguration(input, open);
        return { message: 'Opened the MCP server configuration for this workspace: agents outside VS Code share this store through it.', text };
      },
    },
  ];
}
