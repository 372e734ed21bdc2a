// One Lambda function as a deploy sees it: its calls (each failure explained), where its alias
// stands, and the `previous=<n>` record in the alias description.
import {
  type AliasConfiguration,
  type FunctionConfiguration,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import type { Clock } from './canary.js';
import { DeployError, explain, STEPS, type Step } from './deploy-errors.js';

export const LATEST = '$LATEST';
const MAX_DESCRIPTION = 256;
const PREVIOUS_TAG = /(?:^|\s)previous=\S*/g;
const PREVIOUS = /(?:^|\s)previous=(\d+)(?=\s|$)/;

/** The version `live` pointed at before its last move, as the alias description records it. */
export function previousVersionOf(description: string | undefined): string | undefined {
  return PREVIOUS.exec(description ?? '')?.[1];
}

/** The description with `previous=<version>` in place of any earlier one; other text is kept. */
export function withPrevious(description: string | undefined, version: string | undefined): string {
  const rest = (description ?? '').replace(PREVIOUS_TAG, '').trim();
  if (version === undefined || !/^\d+$/.test(version)) return rest;
  const tag = `previous=${version}`;
  return rest ? `${rest.slice(0, MAX_DESCRIPTION - tag.length - 1)} ${tag}` : tag;
}

/** Ready to publish or invoke: the last update applied, the version no longer pending. */
export function ready(config: FunctionConfiguration): boolean {
  return (config.LastUpdateStatus ?? 'Successful') === 'Successful' && config.State !== 'Pending';
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

export function weightsOf(alias: AliasConfiguration): Record<string, number> {
  return { ...(alias.RoutingConfig?.AdditionalVersionWeights ?? {}) };
}

/** One function's Lambda calls, each explained in words when it fails. */
export class FunctionSession {
  constructor(
    readonly lambda: LambdaClient,
    readonly functionName: string,
    readonly alias: string,
    readonly clock: Clock,
    readonly signal?: AbortSignal,
  ) {}

  /** Runs one AWS call; `steady` calls are not aborted (they put the alias back in order). */
  async call<T>(
    step: Step,
    run: (options: { abortSignal?: AbortSignal }) => Promise<T>,
    options: { qualifier?: string; steady?: boolean } = {},
  ): Promise<T> {
    try {
      return await run(options.steady ? {} : { abortSignal: this.signal });
    } catch (error) {
      throw explain(error, step, {
        functionName: this.functionName,
        alias: this.alias,
        qualifier: options.qualifier,
      });
    }
  }

  async pause(ms: number): Promise<void> {
    try {
      await this.clock.sleep(ms, this.signal);
    } catch (error) {
      if (isAbort(error))
        throw new DeployError(`interrupted: run again to resume the deploy of ${this.functionName}`);
      throw error;
    }
  }

  configuration(qualifier?: string, step: Step = STEPS.readFunction): Promise<FunctionConfiguration> {
    return this.call(
      step,
      (options) =>
        this.lambda.send(
          new GetFunctionConfigurationCommand({ FunctionName: this.functionName, Qualifier: qualifier }),
          options,
        ),
      { qualifier },
    );
  }

  readAlias(): Promise<AliasConfiguration> {
    return this.call(STEPS.readAlias, (options) =>
      this.lambda.send(new GetAliasCommand({ FunctionName: this.functionName, Name: this.alias }), options),
    );
  }

  moveAlias(
    move: {
      version: string;
      weights?: Readonly<Record<string, number>>;
      description?: string;
      revisionId?: string;
    },
    steady = false,
  ): Promise<AliasConfiguration> {
    return this.call(
      STEPS.moveAlias,
      (options) =>
        this.lambda.send(
          new UpdateAliasCommand({
            FunctionName: this.functionName,
            Name: this.alias,
            FunctionVersion: move.version,
            // An empty map clears a canary's routing.
            RoutingConfig: { AdditionalVersionWeights: { ...(move.weights ?? {}) } },
            Description: move.description,
            RevisionId: move.revisionId,
          }),
          options,
        ),
      { steady },
    );
  }

  /** Polls (bounded) until Lambda has applied the last update of `$LATEST` or a version. */
  async waitUntilReady(
    qualifier: string | undefined,
    polling: { pollMs: number; maxPolls: number },
  ): Promise<FunctionConfiguration> {
    for (let poll = 0; ; poll++) {
      const config = await this.configuration(qualifier);
      if (config.LastUpdateStatus === 'Failed' || config.State === 'Failed') {
        const reason = config.LastUpdateStatusReasonCode ?? config.StateReasonCode ?? 'failed';
        throw new DeployError(`Lambda could not apply the code of ${this.functionName}: ${reason}`);
      }
      if (ready(config)) return config;
      if (poll >= polling.maxPolls) {
        throw new DeployError(
          `${this.functionName} is still updating after ${polling.maxPolls} checks: run again later to resume`,
        );
      }
      await this.pause(polling.pollMs);
    }
  }
}

/** Where `live` stands: `$LATEST`, the alias, and the configuration of the version it runs. */
export interface LiveState {
  readonly latest: FunctionConfiguration;
  readonly alias: AliasConfiguration;
  readonly aliasVersion: string;
  readonly live: FunctionConfiguration;
  readonly weights: Readonly<Record<string, number>>;
}

export async function readState(session: FunctionSession): Promise<LiveState> {
  const latest = await session.configuration();
  const alias = await session.readAlias();
  const aliasVersion = alias.FunctionVersion ?? LATEST;
  const live =
    aliasVersion === LATEST ? latest : await session.configuration(aliasVersion, STEPS.readVersion);
  return { latest, alias, aliasVersion, live, weights: weightsOf(alias) };
}
