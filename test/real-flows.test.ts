// Flows exported from real Connect instances and published by others (test/fixtures/real-flows,
// provenance and licences in SOURCES.md): what Connect really hands out must parse, lint without
// errors, graph and simulate to an ending.
import { readdirSync, readFileSync } from 'node:fs';
import {
  type Flow,
  FlowFormatError,
  type FlowReference,
  FlowSimulator,
  flowGraph,
  lintFlow,
  parseFlow,
  unwrapFlow,
} from '@flowguard/flow-sim';
import { describe, expect, it } from 'vitest';

const DIR = new URL('./fixtures/real-flows/', import.meta.url);
const FILES = readdirSync(DIR)
  .filter((file) => file.endsWith('.json'))
  .sort();
const read = (file: string, dir = DIR): unknown => JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
const flowOf = (file: string): Flow => parseFlow(read(file));

/** Every corpus flow by the names a Transfer to flow or Invoke module block may use for it. */
const BY_NAME = new Map<string, Flow>();
for (const file of FILES) {
  const raw = read(file) as Record<string, Record<string, unknown> | undefined>;
  const envelope = raw.ContactFlow ?? raw.ContactFlowModule ?? (raw as Record<string, unknown>);
  const flow = flowOf(file);
  const metadata = (flow.Metadata ?? {}) as { name?: unknown };
  for (const name of [envelope.Name, envelope.Id, metadata.name])
    if (typeof name === 'string' && name !== '') BY_NAME.set(name, flow);
}
const resolveFlow = (reference: FlowReference): Flow | undefined =>
  BY_NAME.get(reference.name ?? '') ?? BY_NAME.get(reference.id.split('/').at(-1) ?? '');

describe('real flows (test/fixtures/real-flows)', () => {
  it('holds at least 15 flows, each listed in SOURCES.md with its licence', () => {
    const sources = readFileSync(new URL('SOURCES.md', DIR), 'utf8');

    expect(FILES.length).toBeGreaterThanOrEqual(15);
    for (const file of FILES) expect(sources, file).toContain(file);
  });

  it.each(FILES)('%s parses, envelopes included', (file) => {
    const flow = flowOf(file);

    expect(flow.Version).toBe('2019-10-30');
    expect(flow.Actions.length).toBeGreaterThan(0);
    expect(flow.Actions.map((a) => a.Identifier)).toContain(flow.StartAction);
  });

  it.each(FILES)('%s lints without errors', (file) => {
    const errors = lintFlow(flowOf(file)).filter((f) => f.severity === 'error');

    expect(errors).toEqual([]);
  });

  it.each(FILES)('%s lints every block type as known', (file) => {
    const unknown = lintFlow(flowOf(file)).filter((f) => f.rule === 'unknown-type');

    expect(unknown).toEqual([]);
  });

  it.each(FILES)('%s graphs with a node for every action', (file) => {
    const flow = flowOf(file);
    const graph = flowGraph(flow);

    expect(graph.startsWith('flowchart TD\n')).toBe(true);
    for (let i = 0; i < flow.Actions.length; i++) expect(graph).toMatch(new RegExp(`\n  a${i}[[{]`));
  });

  it.each(FILES)('%s simulates to an ending', async (file) => {
    const trace = await new FlowSimulator(flowOf(file)).run({ contact: { caller: '+14155550123' } });

    expect(
      ['queue', 'disconnect', 'end', 'transfer-to-flow', 'hang-up'],
      JSON.stringify(trace.ending),
    ).toContain(trace.ending.kind);
  });

  it.each(FILES)('%s simulates to an ending following its transfers and modules', async (file) => {
    const trace = await new FlowSimulator(flowOf(file)).run({
      contact: { caller: '+14155550123' },
      resolveFlow,
      maxSteps: 2_000,
    });

    expect(
      ['queue', 'disconnect', 'end', 'transfer-to-flow', 'hang-up'],
      JSON.stringify(trace.ending),
    ).toContain(trace.ending.kind);
  });

  it('names the legacy format and says how to convert it', () => {
    for (const file of readdirSync(new URL('legacy/', DIR))) {
      expect(() => parseFlow(read(file, new URL('legacy/', DIR)))).toThrow(FlowFormatError);
      expect(() => unwrapFlow(read(file, new URL('legacy/', DIR)))).toThrow(
        /legacy flow format.*export it again/,
      );
    }
  });
});
