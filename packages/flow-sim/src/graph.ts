import { BLOCKS } from './blocks.js';
import type { Action, Flow } from './flow.js';

const SHORT: Readonly<Record<string, string>> = {
  InvokeLambdaFunction: 'λ',
  GetParticipantInput: 'input',
  MessageParticipant: 'say',
  UpdateContactAttributes: 'set',
  Compare: 'check',
  UpdateFlowLoggingBehavior: 'logging',
  UpdateContactTargetQueue: 'queue',
  TransferContactToQueue: 'to queue',
  DisconnectParticipant: 'disconnect',
  InvokeFlowModule: 'module',
};

function label(action: Action): string {
  const p = action.Parameters;
  const kind = SHORT[action.Type] ?? action.Type;
  let detail = '';
  if (action.Type === 'InvokeLambdaFunction') {
    detail = String(p.LambdaFunctionARN ?? '').replace(/^\$\{(.*)FunctionArn\}$/, '$1');
    detail = detail.replace(/^arn:aws:lambda:[^:]+:\d+:function:/, '');
  } else if (action.Type === 'InvokeFlowModule') {
    detail = String(p.FlowModuleId ?? '').replace(/^\$\{(.*)ModuleArn\}$/, '$1');
    detail = detail.replace(/^arn:aws[a-z-]*:connect:.*\/flow-module\//, '');
  } else if (action.Type === 'UpdateFlowLoggingBehavior') detail = String(p.FlowLoggingBehavior ?? '');
  else if (action.Type === 'Compare') detail = String(p.ComparisonValue ?? '');
  else if (action.Type === 'GetParticipantInput' && p.InputEncryption) detail = 'encrypted';
  const clean = (text: string) => text.replace(/"/g, "'").replace(/[<>]/g, ' ');
  return `${clean(action.Identifier)}<br/>${clean(`${kind}${detail ? `: ${detail}` : ''}`)}`;
}

/** A Mermaid flowchart of a flow: actions, their branches and the functions they call. */
export function flowGraph(flow: Flow): string {
  const ids = new Map(flow.Actions.map((action, i) => [action.Identifier, `a${i}`]));
  const lines = ['flowchart TD'];
  for (const action of flow.Actions) {
    const id = ids.get(action.Identifier) ?? '';
    const shape =
      action.Type === 'Compare'
        ? ['{"', '"}']
        : action.Type === 'InvokeLambdaFunction'
          ? ['[["', '"]]']
          : ['["', '"]'];
    lines.push(`  ${id}${shape[0]}${label(action)}${shape[1]}`);
  }
  const start = ids.get(flow.StartAction);
  if (start) lines.push(`  start(( )) --> ${start}`);
  for (const action of flow.Actions) {
    const from = ids.get(action.Identifier) ?? '';
    const t = action.Transitions;
    const edge = (to: string, text?: string) => {
      const target = ids.get(to);
      if (target) lines.push(`  ${from} -->${text ? `|${text.replace(/[|"]/g, ' ')}|` : ''} ${target}`);
    };
    // Exports give blocks that branch only on results (Compare, queue transfer, loops) a NextAction
    // that repeats one of their branches: drawn once, as that branch.
    const others = new Set([...(t.Conditions ?? []), ...(t.Errors ?? [])].map((b) => b.NextAction));
    if (t.NextAction && !(BLOCKS[action.Type]?.next === false && others.has(t.NextAction)))
      edge(t.NextAction);
    for (const c of t.Conditions ?? [])
      edge(c.NextAction, c.Condition.Operands[0] === '' ? '(empty)' : c.Condition.Operands[0]);
    for (const e of t.Errors ?? []) edge(e.NextAction, e.ErrorType);
  }
  return `${lines.join('\n')}\n`;
}

/** Where the flow designer draws a block: `Metadata.ActionMetadata.<id>.position`. */
export interface Position {
  readonly x: number;
  readonly y: number;
}

const COLUMN = 320;
const ROW = 200;

/**
 * Positions for the flow designer, in the shape its exports carry (`Metadata.entryPointPosition`
 * and `Metadata.ActionMetadata.<id>.position`): each block in the column of its distance from the
 * start (breadth first, branches in their written order), one row per block in a column, so a
 * flow imported into Connect lays out left to right instead of stacked at the origin.
 */
export function layoutFlow(flow: Flow): {
  entryPointPosition: Position;
  ActionMetadata: Record<string, { position: Position }>;
} {
  const byId = new Map(flow.Actions.map((action) => [action.Identifier, action]));
  const column = new Map<string, number>();
  const queue = [flow.StartAction];
  column.set(flow.StartAction, 0);
  while (queue.length > 0) {
    const id = queue.shift() ?? '';
    const t = byId.get(id)?.Transitions;
    const next = [
      t?.NextAction,
      ...(t?.Conditions ?? []).map((c) => c.NextAction),
      ...(t?.Errors ?? []).map((e) => e.NextAction),
    ];
    for (const to of next) {
      if (to && byId.has(to) && !column.has(to)) {
        column.set(to, (column.get(id) ?? 0) + 1);
        queue.push(to);
      }
    }
  }
  // Blocks no path reaches go in a column of their own, past the rest.
  const last = Math.max(0, ...column.values()) + 1;
  const rows = new Map<number, number>();
  const ActionMetadata: Record<string, { position: Position }> = {};
  for (const action of flow.Actions) {
    const x = column.get(action.Identifier) ?? last;
    const y = rows.get(x) ?? 0;
    rows.set(x, y + 1);
    ActionMetadata[action.Identifier] = { position: { x: 240 + x * COLUMN, y: 40 + y * ROW } };
  }
  return { entryPointPosition: { x: 40, y: 40 }, ActionMetadata };
}
