import { readAggregateConfig } from '@flowguard/caller-screening';
import { Token } from 'aws-cdk-lib';

/**
 * screen-caller's aggregate velocity and surge mode (docs/screening.md, "Aggregate velocity and
 * surge mode"), as props: each sets one variable. Any other aggregate variable
 * (`FLOWGUARD_SURGE_HOLD`, `FLOWGUARD_SURGE_OFF_PERCENT`, ...) goes in the `environment` prop; all
 * of them are checked at synth.
 */
export interface SurgeProps {
  /** `FLOWGUARD_SURGE_THRESHOLDS`: `all:60/10s,withheld:20/1m,prefix:30/1m`; empty or `none`: manual surges only. */
  readonly thresholds?: string;
  /** `FLOWGUARD_SURGE_MONITOR`: surge decisions are reported (`WouldChallenge`), never enforced. */
  readonly monitor?: boolean;
  /** `FLOWGUARD_AGGREGATE_SHARDS`, 1 to 16: one per 250 concurrent screen-caller instances. */
  readonly aggregateShards?: number;
}

/** The variable each surge prop sets. */
export const SURGE_VARIABLES = {
  thresholds: 'FLOWGUARD_SURGE_THRESHOLDS',
  monitor: 'FLOWGUARD_SURGE_MONITOR',
  aggregateShards: 'FLOWGUARD_AGGREGATE_SHARDS',
} as const satisfies Record<keyof SurgeProps, string>;

/**
 * screen-caller's environment: `environment` with the surge props' variables added, checked as
 * screen-caller reads them at init (`readAggregateConfig`), so a bad value fails the synth rather
 * than every cold start. A variable given both ways, or a bad value, throws naming it.
 */
export function screenCallerEnvironment(
  surge: SurgeProps | undefined,
  environment: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  const added: Record<string, string> = {};
  if (surge?.thresholds !== undefined) added[SURGE_VARIABLES.thresholds] = surge.thresholds;
  if (surge?.monitor !== undefined) added[SURGE_VARIABLES.monitor] = String(surge.monitor);
  if (surge?.aggregateShards !== undefined)
    added[SURGE_VARIABLES.aggregateShards] = Token.isUnresolved(surge.aggregateShards)
      ? Token.asString(surge.aggregateShards)
      : String(surge.aggregateShards);
  for (const name of Object.keys(added)) {
    if (environment?.[name] !== undefined)
      throw new Error(
        `screen-caller: ${name} is given twice, as a surge prop and in environment: give it once`,
      );
  }
  const merged = { ...environment, ...added };
  // A deploy-time value (a parameter's) is checked by screen-caller at init instead.
  const known = Object.fromEntries(Object.entries(merged).filter(([, value]) => !Token.isUnresolved(value)));
  try {
    readAggregateConfig(known);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`screen-caller: ${message}`);
  }
  return Object.keys(merged).length > 0 ? merged : undefined;
}
