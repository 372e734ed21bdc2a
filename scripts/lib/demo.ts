import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalContactCenter } from '@flowguard/cli';
import { type Flow, FlowSimulator, parseFlow, renderFlow, type Trace } from '@flowguard/flow-sim';
import { REPO_ROOT } from './bundle.js';

export interface DemoOptions {
  write: (text: string) => void;
}

interface Row {
  scenario: string;
  outcome: string;
  ending: string;
  agentSees: string;
}

function endingOf(trace: Trace): string {
  if (trace.ending.kind === 'queue') return 'queued for an agent';
  if (trace.ending.kind === 'disconnect') return 'disconnected';
  return `${trace.ending.kind}${trace.ending.note ? ` (${trace.ending.note})` : ''}`;
}

/** What the agent's contact panel shows: the contact attributes the flow set. */
function agentView(trace: Trace): string {
  const shown = Object.entries(trace.attributes).filter(
    ([key, value]) => value !== '' && key !== 'cardToken' && key !== 'cardFingerprint',
  );
  const hidden = ['cardToken', 'cardFingerprint'].filter((key) => trace.attributes[key]);
  const text = shown.map(([key, value]) => `${key}=${value}`).join(', ');
  return hidden.length > 0
    ? `${text}${text ? ', ' : ''}${hidden.join(' and ')} (for the back office)`
    : text || '(nothing)';
}

/**
 * The demo: local DynamoDB, keys made the way `flowguard keys create` makes them, rules and a
 * blocklist entry, and scripted calls through the shipped flows with the real functions. What
 * it prints never contains a digit string the caller typed.
 */
export async function runDemo({ write }: DemoOptions): Promise<number> {
  const started = performance.now();
  const say = (line = '') => write(`${line}\n`);
  say('flowguard demo: scripted calls through the real flows, on local AWS (no account needed)');
  say();

  const center = await startLocalContactCenter({
    env: { FLOWGUARD_LIMITS: '2/10m,10/1d', FLOWGUARD_AUTO_BLOCK_FACTOR: '2' },
  });
  try {
    const { store, functions, values, encrypt } = center;
    say(`local DynamoDB (dynalite) on ${center.local.endpoint}, table ${center.local.tableName}`);
    say(
      `local Secrets Manager on ${center.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '?'} (the Connect keys, the fingerprint key), local KMS on ${center.env.AWS_ENDPOINT_URL_KMS ?? '?'} (the token key)`,
    );
    say('made an RSA-4096 Connect key with a self-signed certificate (what flowguard keys create does)');
    const now = Math.floor(Date.now() / 1000);
    const rule = { note: 'premium-rate numbers', createdBy: 'demo', createdAt: now, expiresAt: 0 };
    await store.putRule({ ...rule, type: 'prefix', value: '+1900', action: 'BLOCK' });
    await store.block({
      key: 'tel:+14155550666',
      untilSeconds: now + 7 * 86_400,
      reason: 'reported fraud',
      by: 'fraud-team',
      nowSeconds: now,
      action: 'block',
    });
    say(
      'rules: block +1900 (premium rate); blocklist: +14155550666 for 7 days; limits 2 calls per 10 minutes',
    );
    say();

    const flow = (name: string): Flow =>
      renderFlow(
        parseFlow(JSON.parse(readFileSync(join(REPO_ROOT, 'flows', `${name}.json`), 'utf8'))),
        values,
      );

    const rows: Row[] = [];
    let scenario = 0;
    const call = async (
      title: string,
      name: string,
      contact: { caller: string | null; attributes?: Record<string, string> },
      inputs: string[] = [],
      listener = 'caller',
    ) => {
      const trace = await new FlowSimulator(flow(name)).run({
        contact: { ...contact, dialed: '+18005550100' },
        functions,
        inputs,
        encrypt,
      });
      const decision = trace.invocations
        .map((i) => i.response)
        .filter((r): r is Record<string, unknown> => r !== undefined)
        .map((r) =>
          r.decision
            ? `${String(r.decision)} (${String(r.reason)})`
            : r.flagged
              ? `flagged=${String(r.flagged)}`
              : `valid=${String(r.valid)}${r.errorCode ? ` (${String(r.errorCode)})` : ''}`,
        );
      say(`  ${title}`);
      for (const line of trace.heard) say(`    ${`${listener} hears:`.padEnd(14)}"${line}"`);
      if (inputs.length > 0)
        say(
          `    caller keys:  ${inputs.map((keys) => `${keys.replace(/#$/, '').length} digits`).join(', then ')} (encrypted by Connect when the flow asks)`,
        );
      say(`    functions:    ${decision.join(' → ') || '(none)'}`);
      say(`    ending:       ${endingOf(trace)}`);
      say(`    agent sees:   ${agentView(trace)}`);
      say();
      return { trace, outcome: decision.at(-1) ?? '' };
    };
    const scene = (title: string) => {
      scenario++;
      say(`${scenario}. ${title}`);
    };
    const record = (title: string, result: { trace: Trace; outcome: string }) =>
      rows.push({
        scenario: title,
        outcome: result.outcome,
        ending: endingOf(result.trace),
        agentSees: agentView(result.trace),
      });

    scene('An ordinary caller');
    record(
      'ordinary caller',
      await call('call from +14155550101', 'caller-screening', { caller: '+14155550101' }),
    );

    scene('A repeat caller: throttled, then auto-blocked');
    for (let i = 1; i <= 4; i++) {
      const result = await call(`call ${i} from +14155550102`, 'caller-screening', {
        caller: '+14155550102',
      });
      if (i >= 3) record(`repeat caller, call ${i}`, result);
    }

    scene('A blocklisted number');
    record(
      'blocklisted caller',
      await call('call from +14155550666', 'caller-screening', { caller: '+14155550666' }),
    );

    scene('A premium-rate number (rule)');
    record(
      'premium-rate caller',
      await call('call from +19005550123', 'caller-screening', { caller: '+19005550123' }),
    );

    scene('A withheld caller (their own class: no shared bucket)');
    record(
      'withheld caller',
      await call('call from "anonymous"', 'caller-screening', { caller: 'anonymous' }),
    );

    scene('A card payment: an invalid number, then a valid one');
    record(
      'card payment',
      await call('payment call from +14155550103', 'secure-payment', { caller: '+14155550103' }, [
        '4111111111111112#',
        '4111111111111111#',
      ]),
    );

    scene('An agent flags an abusive caller; the caller is turned away next time');
    await call(
      'agent quick connect during a call from +14155550104',
      'agent-flag-caller',
      { caller: '+14155550104', attributes: { agentLogin: 'agent-7' } },
      [],
      'agent',
    );
    record(
      'flagged caller calls again',
      await call('next call from +14155550104', 'caller-screening', { caller: '+14155550104' }),
    );

    say('Summary');
    const header: Row = {
      scenario: 'scenario',
      outcome: 'last answer',
      ending: 'ending',
      agentSees: 'agent sees',
    };
    const widths = (['scenario', 'outcome', 'ending'] as const).map((k) =>
      Math.max(...[header, ...rows].map((r) => r[k].length)),
    );
    for (const row of [header, ...rows]) {
      say(
        `  ${row.scenario.padEnd(widths[0] ?? 0)}  ${row.outcome.padEnd(widths[1] ?? 0)}  ${row.ending.padEnd(widths[2] ?? 0)}  ${row.agentSees}`,
      );
    }
    say();
    say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s; local servers stopped`);
    return 0;
  } finally {
    await center.stop();
  }
}
