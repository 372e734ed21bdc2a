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
};

function label(action: Action): string {
  const p = action.Parameters;
  const kind = SHORT[action.Type] ?? action.Type;
  let detail = '';
  if (action.Type === 'InvokeLambdaFunction') {
    detail = String(p.LambdaFunctionARN ?? '').replace(/^\$\{(.*)FunctionArn\}$/, '$1');
    detail = detail.replace(/^arn:aws:lambda:[^:]+:\d+:function:/, '');
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
    if (t.NextAction) edge(t.NextAction);
    for (const c of t.Conditions ?? [])
      edge(c.NextAction, c.Condition.Operands[0] === '' ? '(empty)' : c.Condition.Operands[0]);
    for (const e of t.Errors ?? []) edge(e.NextAction, e.ErrorType);
  }
  return `${lines.join('\n')}\n`;
}
