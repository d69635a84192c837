// Lint enforces the layer rule of docs/ARCHITECTURE.md: each layer imports only the layers below it.
//   engine   -> nothing of ours but engine; no `vscode`, no DOM
//   protocol -> engine types only
//   host / cli / mcp -> protocol + engine
//   webview  -> protocol only (talks to the host through typed messages)
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'net']
  .flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', '.e2e/**', '.vscode-test/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The engine must not import vscode (layer rule).' }],
        patterns: [
          { group: ['**/host/**', '**/webview/**', '**/cli/**', '**/mcp/**', '**/protocol/**'], message: 'The engine imports only engine modules (layer rule).' },
        ],
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'HTMLElement', 'localStorage'],
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The protocol is shared with the webview: no vscode import.' },
          ...nodeBuiltins.map((name) => ({ name, message: 'The protocol is types and pure helpers only.' }))],
        patterns: [{ group: ['**/host/**', '**/webview/**', '**/cli/**', '**/mcp/**'], message: 'The protocol sits below host, cli, mcp and webview.' }],
      }],
    },
  },
  {
    files: ['src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The webview runs in a browser: talk to the host through the protocol.' },
          ...nodeBuiltins.map((name) => ({ name, message: 'The webview runs in a browser.' }))],
        patterns: [{ group: ['**/engine/**', '**/host/**', '**/cli/**', '**/mcp/**'], message: 'The webview imports only the protocol (layer rule).' }],
      }],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'src/mcp/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'CLI and MCP server run outside VS Code.' }],
        patterns: [{ group: ['**/host/**', '**/webview/**'], message: 'Layer rule.' }],
      }],
    },
  },
);
