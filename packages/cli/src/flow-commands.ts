import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  type Flow,
  FlowFormatError,
  type FlowReference,
  FlowSimulator,
  flowGraph,
  type LambdaHandler,
  type LintOptions,
  lintFlow,
  parseFlow,
  placeholders,
  RenderError,
  renderFlow,
  unwrapFlow,
} from '@flowguard/flow-sim';
import { FLOW_FUNCTIONS } from '@flowguard/functions/registry';
import { encryptLikeConnect } from '@flowguard/secure-input/connect-encrypt';
import type { Context } from './context.js';
import { CommandError, UsageError } from './errors.js';
import {
  localModuleArn,
  modulePlaceholder,
  startLocalContactCenter,
  usesLocalContactCenter,
} from './local-environment.js';

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

async function loadFlow(file: string): Promise<{ raw: unknown; document: unknown; flow: Flow }> {
  const raw = await readJson(file);
  try {
    // What Connect hands out (DescribeContactFlow output, a {Name, Type, Content} envelope) holds
    // the flow language; rendering and every command work on that.
    const document = unwrapFlow(raw);
    return { raw, document, flow: parseFlow(document) };
  } catch (error) {
    throw new CommandError(`${file}: ${error instanceof FlowFormatError ? error.message : 'not a flow'}`);
  }
}

/** A function's contract as `lintFlow` takes it. */
type FunctionContract = Exclude<NonNullable<LintOptions['contracts']>[string], readonly string[]>;

/**
 * Contracts by the ARN strings a flow may hold: the placeholder, or a rendered ARN naming the
 * function (`...:function:<prefix><name>[:alias]`), from the function registry.
 */
function contractsFor(flow: Flow): Record<string, FunctionContract> {
  const contract = (f: (typeof FLOW_FUNCTIONS)[number]): FunctionContract => ({
    outputs: f.outputs,
    sensitiveOutputs: f.sensitiveOutputs,
  });
  const contracts: Record<string, FunctionContract> = {};
  for (const f of FLOW_FUNCTIONS) contracts[`\${${f.placeholder}}`] = contract(f);
  for (const action of flow.Actions) {
    const target = String(action.Parameters.LambdaFunctionARN ?? '');
    const f = FLOW_FUNCTIONS.find((candidate) => target.includes(`flowguard-${candidate.name}`));
    if (f) contracts[target] = contract(f);
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
  let infos = 0;
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
    const fileInfos = findings.length - fileErrors - fileWarnings;
    errors += fileErrors;
    warnings += fileWarnings;
    infos += fileInfos;
    all.push({ file, findings });
    if (!ctx.json) {
      for (const f of findings)
        ctx.out(`${file}: ${f.severity} ${f.rule} at ${f.action || '(flow)'}: ${f.message}\n`);
      if (findings.length === 0) ctx.out(`${file}: ok\n`);
      else
        ctx.out(
          `${file}: ${plural(fileErrors, 'error')}, ${plural(fileWarnings, 'warning')}, ${fileInfos} info\n`,
        );
    }
  }
  if (ctx.json) ctx.out(`${JSON.stringify(all)}\n`);
  else if (files.length > 1)
    ctx.out(
      `${plural(files.length, 'flow')}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}, ${infos} info\n`,
    );
  return errors > 0 || warnings > maxWarnings ? 1 : 0;
}

/** Placeholder values from `--values` (a JSON object of names to strings) and `--set Name=value`. */
async function placeholderValues(options: { set?: readonly string[]; values?: string }) {
  const values: Record<string, string> = {};
  if (options.values) {
    const loaded = await readJson(options.values);
    if (typeof loaded !== 'object' || loaded === null || Array.isArray(loaded))
      throw new CommandError(`${options.values} must hold a JSON object of names to values`);
    for (const [key, value] of Object.entries(loaded)) if (typeof value === 'string') values[key] = value;
  }
  for (const [name, value] of pairs(options.set, '--set', 'Name=value')) values[name] = value;
  return values;
}

/** `name=value` arguments of an option, split at the first `=`; a pair without a name is refused. */
function pairs(args: readonly string[] | undefined, option: string, form: string): [string, string][] {
  return (args ?? []).map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`${option} takes ${form} (got ${at === 0 ? 'no name' : 'no ='})`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  });
}

/** The flow with its placeholders filled; a missing one is named with how to give it. */
function render(file: string, document: unknown, values: Readonly<Record<string, string>>): unknown {
  try {
    return renderFlow(document, values);
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    const first = error.missing[0] ?? 'Name';
    throw new CommandError(
      `${file}: ${error.message}: give ${error.missing.length === 1 ? 'it' : 'each'} with --set ${first}=<value> or in a --values file`,
    );
  }
}

/** `flowguard flows render <flow> --set Name=value ... [--values file.json] [--out file]`. */
export async function renderFlowFile(
  ctx: Context,
  file: string,
  options: { set?: readonly string[]; values?: string; out?: string },
): Promise<number> {
  const { document } = await loadFlow(file);
  const rendered = render(file, document, await placeholderValues(options));
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

/** Where a flow is kept in a flows directory, and every name a block may call it by. */
interface KnownFlow {
  readonly file: string;
  /** The flow language as read; placeholders are filled when a run first goes there. */
  readonly document: unknown;
  readonly flow: Flow;
  /** File name without `.json`, the envelope's Name, Id and ARN, and Metadata.name. */
  readonly names: readonly string[];
}

function namesOf(file: string, raw: unknown, flow: Flow): string[] {
  const envelope = (raw ?? {}) as Record<string, unknown>;
  const described = (envelope.ContactFlow ?? envelope.ContactFlowModule ?? envelope) as Record<
    string,
    unknown
  >;
  const metadata = (flow.Metadata ?? {}) as Record<string, unknown>;
  return [
    basename(file).replace(/\.json$/i, ''),
    described.Name,
    described.Id,
    described.Arn,
    metadata.name,
  ].filter((n): n is string => typeof n === 'string' && n !== '');
}

/**
 * Every flow in a directory (`*.json`); a file that is not a flow is reported and left out.
 */
async function flowsIn(ctx: Context, dir: string): Promise<KnownFlow[]> {
  const entries = await readdir(dir).catch(() => {
    throw new CommandError(`--flows-dir: cannot read ${dir}`);
  });
  const known: KnownFlow[] = [];
  for (const entry of entries.filter((e) => e.toLowerCase().endsWith('.json')).sort()) {
    const file = join(dir, entry);
    const raw = await readJson(file);
    let document: unknown;
    let flow: Flow;
    try {
      document = unwrapFlow(raw);
      flow = parseFlow(document);
    } catch (error) {
      ctx.err(
        `flowguard: ${file} left out: ${error instanceof FlowFormatError ? error.message : 'not a flow'}\n`,
      );
      continue;
    }
    known.push({ file, document, flow, names: namesOf(file, raw, flow) });
  }
  return known;
}

/** A placeholder naming a flow module of the stack: `${<Name>ModuleArn}`. */
const MODULE_PLACEHOLDER = /^[A-Za-z][A-Za-z0-9_]*ModuleArn$/;

/**
 * The flow modules the documents name by `${<Name>ModuleArn}` (as the CDK stack does) and the
 * values given leave unfilled: each is `<name>.json` in the first of `dirs` that holds it (and the
 * modules it names, in turn), filled with its local ARN, by which the run then finds it. A module
 * not found stays unfilled, and rendering names it.
 */
async function localModules(
  documents: readonly unknown[],
  dirs: readonly string[],
  given: Readonly<Record<string, string>>,
): Promise<{ known: KnownFlow[]; values: Record<string, string> }> {
  const values: Record<string, string> = {};
  const known: KnownFlow[] = [];
  const listings = new Map<string, string[]>();
  const wanted = (document: unknown) => placeholders(document).filter((p) => MODULE_PLACEHOLDER.test(p));
  const pending = documents.flatMap(wanted);
  for (let placeholder = pending.shift(); placeholder !== undefined; placeholder = pending.shift()) {
    if (given[placeholder] || Object.hasOwn(values, placeholder)) continue;
    for (const dir of dirs) {
      const entries = listings.get(dir) ?? (await readdir(dir).catch(() => []));
      listings.set(dir, entries);
      const entry = entries.find(
        (e) => /\.json$/i.test(e) && modulePlaceholder(e.replace(/\.json$/i, '')) === placeholder,
      );
      if (!entry) continue;
      const file = join(dir, entry);
      const { raw, document, flow } = await loadFlow(file);
      const arn = localModuleArn(entry.replace(/\.json$/i, ''));
      values[placeholder] = arn;
      known.push({ file, document, flow, names: [arn, ...namesOf(file, raw, flow)] });
      pending.push(...wanted(document));
      break;
    }
  }
  return { known, values };
}

/**
 * A resolver for Transfer to flow / Invoke module over `known` (placeholders filled when a run first
 * goes there): a block's target is found by ARN or id (the ARN's last part), or by the name the
 * designer shows for it.
 */
function resolverOf(
  known: readonly KnownFlow[],
  values: Readonly<Record<string, string>>,
): (reference: FlowReference) => Flow | undefined {
  const rendered = new Map<KnownFlow, Flow>();
  const ready = (target: KnownFlow): Flow => {
    // A placeholder left unfilled in a flow the run goes to is named, as for the first flow.
    const flow = rendered.get(target) ?? parseFlow(render(target.file, target.document, values));
    rendered.set(target, flow);
    return flow;
  };
  return (reference) => {
    const id = reference.id;
    const tail = id.split('/').at(-1) ?? id;
    const wanted = [id, tail, reference.name].filter((n): n is string => typeof n === 'string' && n !== '');
    const exact = known.find((k) => k.names.some((n) => wanted.includes(n) || n.split('/').at(-1) === tail));
    const lower = wanted.map((w) => w.toLowerCase());
    const found = exact ?? known.find((k) => k.names.some((n) => lower.includes(n.toLowerCase())));
    return found ? ready(found) : undefined;
  };
}

/** `--lambda name=<json>` and `--stubs file`: scripted answers for functions with no stand-in here. */
async function stubbedFunctions(options: {
  lambda?: readonly string[];
  stubs?: string;
}): Promise<Record<string, LambdaHandler>> {
  const answers: Record<string, unknown> = {};
  if (options.stubs) {
    const loaded = await readJson(options.stubs);
    if (typeof loaded !== 'object' || loaded === null || Array.isArray(loaded))
      throw new CommandError(`${options.stubs} must hold a JSON object of function names or ARNs to answers`);
    Object.assign(answers, loaded);
  }
  for (const [name, text] of pairs(options.lambda, '--lambda', '<arn-or-name>=<json object>')) {
    try {
      answers[name] = JSON.parse(text) as unknown;
    } catch {
      throw new UsageError(`--lambda ${name}: the answer is not valid JSON`);
    }
  }
  const handlers: Record<string, LambdaHandler> = {};
  for (const [name, answer] of Object.entries(answers)) {
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer))
      throw new UsageError(`the answer for ${name} must be a JSON object, as a function returns to Connect`);
    handlers[name] = async () => answer;
  }
  return handlers;
}

function outcomesOf(args: readonly string[] | undefined): Record<string, string> {
  const outcomes: Record<string, string> = {};
  for (const [target, branch] of pairs(args, '--outcome', '<action-id-or-type>=<branch>')) {
    if (branch === '') throw new UsageError(`--outcome ${target}: name the branch`);
    outcomes[target] = branch;
  }
  return outcomes;
}

export interface SimulateOptions {
  caller?: string;
  keys?: readonly string[];
  channel?: string;
  outcome?: readonly string[];
  lambda?: readonly string[];
  stubs?: string;
  flowsDir?: string;
  set?: readonly string[];
  values?: string;
}

const short = (value: unknown) => {
  const text = String(value);
  return text.length > 40 ? `${text.slice(0, 12)}…` : text;
};

/**
 * `flowguard flows simulate <flow> --caller +1... [--keys 4111...#] [--outcome id=branch]
 * [--lambda name=json] [--flows-dir dir]`: one scripted call through flow-sim with flowguard's
 * functions running locally and scripted answers for the others. Typed keys are never printed.
 */
export async function simulateFlow(ctx: Context, file: string, options: SimulateOptions): Promise<number> {
  const { document } = await loadFlow(file);
  const outcomes = outcomesOf(options.outcome);
  const stubs = await stubbedFunctions(options);
  const given = await placeholderValues(options);
  const others = options.flowsDir ? await flowsIn(ctx, options.flowsDir) : [];
  // The modules named by `${<Name>ModuleArn}`, from --flows-dir or beside the flow
  // (flows/challenge.json for flows/caller-screening.json), with their local ARNs.
  const dirs = [...new Set([...(options.flowsDir ? [options.flowsDir] : []), dirname(file)])];
  const modules = await localModules([document, ...others.map((k) => k.document)], dirs, given);
  // The local contact centre (local AWS, a fresh Connect key) starts only for flows that call
  // flowguard's functions or name its key; a flow of the team's own runs on scripted answers alone.
  const needed = [document, ...others.map((k) => k.document), ...modules.known.map((k) => k.document)].some(
    usesLocalContactCenter,
  );
  const center = needed ? await startLocalContactCenter() : undefined;
  try {
    const values = { ...center?.values, ...modules.values, ...given };
    const flow = parseFlow(render(file, document, values));
    const known = [...modules.known, ...others];
    const resolveFlow = known.length > 0 ? resolverOf(known, values) : undefined;
    const trace = await new FlowSimulator(flow).run({
      contact: {
        caller: options.caller ?? '+14155550123',
        dialed: '+18005550100',
        channel: options.channel ?? 'VOICE',
      },
      functions: { ...center?.functions, ...stubs },
      inputs: [...(options.keys ?? [])],
      encrypt: (digits, keyId, certificate) => encryptLikeConnect(digits, { keyId, publicKey: certificate }),
      outcomes,
      ...(resolveFlow ? { resolveFlow } : {}),
    });
    if (ctx.json) {
      ctx.out(`${JSON.stringify(trace)}\n`);
      return trace.ending.kind === 'error' || trace.ending.kind === 'step_limit' ? 1 : 0;
    }
    ctx.out(`${basename(file)} for caller ${options.caller ?? '+14155550123'}\n`);
    for (const step of trace.steps) {
      const where = step.flow ? `${step.flow} › ` : '';
      ctx.out(
        `  ${`${where}${step.action}`.padEnd(24)} ${step.type.padEnd(26)} → ${step.branch}${step.note ? ` (${step.note})` : ''}\n`,
      );
    }
    for (const line of trace.heard) ctx.out(`  caller hears: "${line}"\n`);
    for (const call of trace.invocations) {
      const answer = call.response
        ? Object.entries(call.response)
            .map(([k, v]) => `${k}=${short(typeof v === 'object' ? JSON.stringify(v) : v)}`)
            .join(' ')
        : call.error;
      ctx.out(`  ${call.arn.split(':').at(-1)}: ${answer}\n`);
    }
    ctx.out(
      `  agent sees: ${
        Object.entries(trace.attributes)
          .map(([k, v]) => `${k}=${short(v)}`)
          .join(', ') || '(nothing)'
      }\n`,
    );
    const ending = trace.ending;
    ctx.out(
      `  ending: ${ending.kind}${ending.queue ? ` ${ending.queue}` : ''}${ending.flow ? ` ${ending.flow}` : ''} at ${ending.action}${ending.note ? ` (${ending.note})` : ''}\n`,
    );
    return ending.kind === 'error' || ending.kind === 'step_limit' ? 1 : 0;
  } finally {
    await center?.stop();
  }
}
