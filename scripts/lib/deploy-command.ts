import { parseArgs } from 'node:util';
import type { CanarySettings } from './deploy.js';
import { DeployError } from './deploy-errors.js';

export const DEPLOY_USAGE = [
  'usage: pnpm deploy:function <name> [--canary <percent> --bake <duration>] [--dry-run]',
  '       pnpm deploy:function <name> --rollback [--dry-run]',
  'options: --alias <alias> (default live); --bake 2m to 24h, e.g. 10m, 1h, 1h30m',
  'exit codes: 0 deployed or unchanged, 1 failed or rolled back, 2 bad command line',
].join('\n');

export interface DeployCommand {
  readonly help: boolean;
  readonly name: string;
  readonly alias?: string;
  readonly dryRun: boolean;
  readonly rollback: boolean;
  readonly canary?: CanarySettings;
}

const DURATION = /^(?:(\d{1,2})h)?(?:(\d{1,4})m)?(?:(\d{1,5})s)?$/;

/** `90s`, `10m`, `1h`, `1h30m` in milliseconds; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim().toLowerCase());
  if (!match || text.trim() === '') return undefined;
  const [hours, minutes, seconds] = [match[1], match[2], match[3]].map((part) => Number(part ?? 0));
  return (((hours ?? 0) * 60 + (minutes ?? 0)) * 60 + (seconds ?? 0)) * 1000;
}

const usageError = (problem: string) => new DeployError(`${problem}\n${DEPLOY_USAGE}`, 2);

/** The command line of `deploy:function`; a mistake is a `DeployError` with exit code 2. */
export function parseDeployCommand(args: readonly string[]): DeployCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true, name: '', dryRun: false, rollback: false };
  const [name, ...extra] = positionals;
  if (!name) throw usageError('name the function to deploy');
  if (extra.length > 0) throw usageError(`one function at a time (also given: ${extra.join(' ')})`);
  const rollback = values.rollback === true;
  const hasCanary = values.canary !== undefined || values.bake !== undefined;
  if (rollback && hasCanary) throw usageError('--rollback takes no --canary or --bake');
  let canary: CanarySettings | undefined;
  if (hasCanary) {
    if (values.canary === undefined || values.bake === undefined) {
      throw usageError('--canary and --bake go together, e.g. --canary 10 --bake 10m');
    }
    const percent = /^\d{1,2}(\.\d{1,2})?$/.test(values.canary) ? Number(values.canary) : Number.NaN;
    if (!(percent > 0 && percent < 100))
      throw usageError('--canary is a percentage above 0 and below 100, e.g. 10');
    const bakeMs = parseDuration(values.bake);
    if (bakeMs === undefined || bakeMs < 120_000 || bakeMs > 24 * 3_600_000) {
      throw usageError('--bake is a duration from 2m to 24h, e.g. 10m');
    }
    canary = { percent, bakeMs };
  }
  return { help: false, name, alias: values.alias, dryRun: values['dry-run'] === true, rollback, canary };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: args.filter((arg) => arg !== '--'),
    options: {
      alias: { type: 'string' },
      canary: { type: 'string' },
      bake: { type: 'string' },
      rollback: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
}
