// Every command id the extension registers, in one place. package.json `contributes.commands` must list
// exactly these (a unit test checks both directions); the internal ones are hidden from the palette with
// `when: false` and exist for tests and scripting.

export const Commands = {
  showUsage: 'contextGc.showUsage',
  runGc: 'contextGc.runGc',
  undoGc: 'contextGc.undoGc',
  stashSelection: 'contextGc.stashSelection',
  stashFile: 'contextGc.stashFile',
  stashSegment: 'contextGc.stashSegment',
  searchStash: 'contextGc.searchStash',
  restore: 'contextGc.restore',
  pin: 'contextGc.pin',
  unpin: 'contextGc.unpin',
  addNote: 'contextGc.addNote',
  addDecision: 'contextGc.addDecision',
  addSelection: 'contextGc.addSelection',
  setCurrentTask: 'contextGc.setCurrentTask',
  showTaskContext: 'contextGc.showTaskContext',
  snapshotTask: 'contextGc.snapshotTask',
  switchBudget: 'contextGc.switchBudget',
  openPanel: 'contextGc.openPanel',
  showLog: 'contextGc.showLog',
  showMcpConfig: 'contextGc.showMcpConfig',
} as const;

export const InternalCommands = {
  /** The status bar item's text, tooltip, band and colour. */
  statusBar: 'contextGc.internal.statusBar',
  /** Host state: ready, store location and kind, timings. */
  state: 'contextGc.internal.state',
  /** Resolves once pending editor bindings and stashes have reached the engine. */
  idle: 'contextGc.internal.idle',
  /** Calls one engine method in the worker: (method, ...args). */
  engine: 'contextGc.internal.engine',
  /** Closes the store and opens it again from disk (a new worker), like a window reload does. */
  restart: 'contextGc.internal.restart',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];
export type InternalCommandId = (typeof InternalCommands)[keyof typeof InternalCommands];

export const ALL_COMMAND_IDS: readonly string[] = [...Object.values(Commands), ...Object.values(InternalCommands)];

/** The panel view (a later issue); Open Panel focuses it when it exists. */
export const PANEL_VIEW_ID = 'contextGc.panel';
