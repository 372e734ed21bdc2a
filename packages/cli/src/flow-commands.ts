import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  type Flow,
  FlowFormatError,
  FlowSimulator,
  flowGraph,
  lintFlow,
  parseFlow,
  RenderError,
  renderFlow,
  unwrapFlow,
} from '@flowguard/flow-sim';
import type { Context } from './context.js';
import { CommandError, UsageError } from './errors.js';
import { FUNCTION_CONTRACTS, startLocalContactCenter } from './local-environment.js';

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new CommandError(`cannot read ${file}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CommandError(`${file} is not valid JSON`);
  }
}

async function loadFlow(file: string): Promise<{ document: unknown; flow: Flow }> {
  const raw = await readJson(file);
  try {
    // What Connect hands out (DescribeContactFlow output, a {Name, Type, Content} envelope) holds
    // the flow language; rendering and every command work on that.
    const document = unwrapFlow(raw);
    return { document, flow: parseFlow(document) };
  } catch (error) {
    throw new CommandError(`${file}: ${error instanceof FlowFormatError ? error.message : 'not a flow'}`);
  }
}

/** Contracts by the ARN strings a flow may hold: the placeholder, or a rendered ARN naming the function. */
function contractsFor(flow: Flow): Record<string, readonly string[]> {
  const contracts: Record<string, readonly string[]> = {};
  for (const [placeholder, outputs] of Object.entries(FUNCTION_CONTRACTS))
    contracts[`\${${placeholder}}`] = outputs;
  const byName: Record<string, string> = {
    'screen-caller': 'ScreenCallerFunctionArn',
    'flag-caller': 'FlagCallerFunctionArn',
    'validate-input': 'ValidateInputFunctionArn',
    'secure-input': 'SecureInputFunctionArn',
    'encrypt-input': 'EncryptInputFunctionArn',
  };
  for (const action of flow.Actions) {
    const target = String(action.Parameters.LambdaFunctionARN ?? '');
    const name = Object.keys(byName).find((n) => target.includes(`flowguard-${n}`));
    const outputs = name ? FUNCTION_CONTRACTS[byName[name] ?? ''] : undefined;
    if (outputs) contracts[target] = outputs;
  }
  return contracts;
}

/**
 * Files named by the arguments: a pattern with `*` or `?` in its last part (`flows/*.json`, when
 * the shell did not expand it) matches the files of that directory; anything else is a file.
 */
async function expandFiles(args: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const name = basename(arg);
    if (!/[*?]/.test(name)) {
      files.push(arg);
      continue;
    }
    const dir = arg.slice(0, arg.length - name.length) || './';
    const pattern = new RegExp(
      `^${name
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    const entries = await readdir(dir).catch(() => {
      throw new CommandError(`cannot read ${dir}`);
    });
    const matched = entries.filter((entry) => pattern.test(entry)).sort();
    if (matched.length === 0) throw new CommandError(`${arg}: no file matches`);
    files.push(...matched.map((entry) => `${dir}${entry}`));
  }
  return files;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * `flowguard flows lint <flow...> [--max-warnings N]`: findings with their severity, rule and
 * action, a summary per file; exit 1 on any error, or on more than N warnings (like ESLint).
 */
export async function lintFlows(
  ctx: Context,
  args: readonly string[],
  options: { maxWarnings?: string } = {},
): Promise<number> {
  if (args.length === 0) throw new UsageError('name the flow files to lint');
  const maxWarnings =
    options.maxWarnings === undefined ? Number.POSITIVE_INFINITY : Number(options.maxWarnings);
  if (!Number.isInteger(maxWarnings) && maxWarnings !== Number.POSITIVE_INFINITY)
    throw new UsageError('--max-warnings takes a whole number');
  const files = await expandFiles(args);
  let errors = 0;
  let warnings = 0;
  const all = [];
  for (const file of files) {
    const { flow } = await loadFlow(file);
    const secureInputArns = [
      '${SecureInputFunctionArn}',
      ...flow.Actions.map((a) => String(a.Parameters.LambdaFunctionARN ?? '')).filter((a) =>
        a.includes('flowguard-secure-input'),
      ),
    ];
    const findings = lintFlow(flow, { contracts: contractsFor(flow), secureInputArns });
    const fileErrors = findings.filter((f) => f.severity === 'error').length;
    const fileWarnings = findings.filter((f) => f.severity === 'warning').length;
    errors += fileErrors;
    warnings += fileWarnings;
    all.push({ file, findings });
    if (!ctx.json) {
      for (const f of findings)
        ctx.out(`${file}: ${f.severity} ${f.rule} at ${f.action || '(flow)'}: ${f.message}\n`);
      if (findings.length === 0) ctx.out(`${file}: ok\n`);
      else ctx.out(`${file}: ${plural(fileErrors, 'error')}, ${plural(fileWarnings, 'warning')}\n`);
    }
  }
  if (ctx.json) ctx.out(`${JSON.stringify(all)}\n`);
  else if (files.length > 1)
    ctx.out(`${plural(files.length, 'flow')}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);
  return errors > 0 || warnings > maxWarnings ? 1 : 0;
}

/** `flowguard flows render <flow> --set Name=value ... [--values file.json] [--out file]`. */
export async function renderFlowFile(
  ctx: Context,
  file: string,
  options: { set?: readonly string[]; values?: string; out?: string },
): Promise<number> {
  const { document } = await loadFlow(file);
  const values: Record<string, string> = {};
  if (options.values) {
    const loaded = await readJson(options.values);
    if (typeof loaded !== 'object' || loaded === null)
      throw new CommandError(`${options.values} must hold a JSON object of names to values`);
    for (const [key, value] of Object.entries(loaded)) if (typeof value === 'string') values[key] = value;
  }
  for (const pair of options.set ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--set takes Name=value (got a value without a name)`);
    values[pair.slice(0, at)] = pair.slice(at + 1);
  }
  let rendered: unknown;
  try {
    rendered = renderFlow(document, values);
  } catch (error) {
    if (error instanceof RenderError) throw new CommandError(`${file}: ${error.message}`);
    throw error;
  }
  const text = `${JSON.stringify(rendered, null, 2)}\n`;
  if (options.out) {
    await writeFile(options.out, text);
    ctx.err(`wrote ${options.out}\n`);
  } else ctx.out(text);
  return 0;
}

/** `flowguard flows graph <flow> [--out file]`: a Mermaid diagram. */
export async function graphFlow(ctx: Context, file: string, options: { out?: string }): Promise<number> {
  const { flow } = await loadFlow(file);
  const graph = flowGraph(flow);
  if (options.out) await writeFile(options.out, graph);
  else ctx.out(graph);
  return 0;
}

/**
 * `flowguard flows simulate <flow> --caller +1... [--keys 4111...#] [--keys ...]`: one scripted
 * call through flow-sim with every function running locally. Typed keys are never printed.
 */
export async function simulateFlow(
  ctx: Context,
  file: string,
  options: { caller?: string; keys?: readonly string[]; channel?: string },
): Promise<number> {
  const { document } = await loadFlow(file);
  const center = await startLocalContactCenter();
  try {
    const flow = parseFlow(renderFlow(document, center.values));
    const trace = await new FlowSimulator(flow).run({
      contact: {
        caller: options.caller ?? '+14155550123',
        dialed: '+18005550100',
        channel: options.channel ?? 'VOICE',
      },
      functions: center.functions,
      inputs: [...(options.keys ?? [])],
      encrypt: center.encrypt,
    });
    if (ctx.json) {
      ctx.out(`${JSON.stringify(trace)}\n`);
      return 0;
    }
    ctx.out(`${basename(file)} for caller ${options.caller ?? '+14155550123'}\n`);
    for (const step of trace.steps)
      ctx.out(
        `  ${step.action.padEnd(24)} ${step.type.padEnd(26)} → ${step.branch}${step.note ? ` (${step.note})` : ''}\n`,
      );
    for (const line of trace.heard) ctx.out(`  caller hears: "${line}"\n`);
    for (const call of trace.invocations) {
      const answer = call.response
        ? Object.entries(call.response)
            .map(([k, v]) => `${k}=${String(v).length > 40 ? `${String(v).slice(0, 12)}…` : String(v)}`)
            .join(' ')
        : call.error;
      ctx.out(`  ${call.arn.split(':').at(-1)}: ${answer}\n`);
    }
    ctx.out(
      `  agent sees: ${
        Object.entries(trace.attributes)
          .map(([k, v]) => `${k}=${v.length > 40 ? `${v.slice(0, 12)}…` : v}`)
          .join(', ') || '(nothing)'
      }\n`,
    );
    ctx.out(
      `  ending: ${trace.ending.kind}${trace.ending.queue ? ` ${trace.ending.queue}` : ''}${trace.ending.flow ? ` ${trace.ending.flow}` : ''}${trace.ending.note ? ` (${trace.ending.note})` : ''}\n`,
    );
    return trace.ending.kind === 'error' || trace.ending.kind === 'step_limit' ? 1 : 0;
  } finally {
    await center.stop();
  }
}
