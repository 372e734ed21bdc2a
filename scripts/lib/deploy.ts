import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  CreateAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { type BundleOptions, bundleFunction, listFunctions } from './bundle.js';

export class DeployError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'DeployError';
  }
}

export interface DeployOptions {
  readonly name: string;
  /** Alias moved to the new version (default `live`). */
  readonly alias?: string;
  readonly dryRun?: boolean;
  /** Deployed name = prefix + function name (`FLOWGUARD_FUNCTION_PREFIX`, default `flowguard-`). */
  readonly prefix?: string;
  readonly bundle?: BundleOptions;
  /** Polls while Lambda applies the code; bounded. */
  readonly pollMs?: number;
  readonly maxPolls?: number;
  readonly log?: (line: string) => void;
}

export interface DeployResult {
  readonly functionName: string;
  readonly codeSha256: string;
  readonly action: 'dry-run' | 'unchanged' | 'deployed';
  readonly version?: string;
  readonly alias: string;
}

const ALIAS = /^[A-Za-z0-9_-]{1,128}$/;

function sdkName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** Why the AWS call failed, in words an operator can act on. Never the credentials themselves. */
function explain(error: unknown, functionName: string): DeployError {
  const name = sdkName(error);
  if (
    name === 'CredentialsProviderError' ||
    /credential/i.test(error instanceof Error ? error.message : '')
  ) {
    return new DeployError(
      'no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  }
  if (name === 'ResourceNotFoundException') {
    return new DeployError(
      `function ${functionName} does not exist yet: deploy the stack first (docs/deploy.md), then deploy single functions`,
    );
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return new DeployError(
      `not allowed to update ${functionName}: the caller needs lambda:UpdateFunctionCode, PublishVersion and alias rights`,
    );
  }
  return new DeployError(`${name || 'error'} while deploying ${functionName}`);
}

/**
 * Builds one function's bundle and puts it live: update the code, wait until Lambda has applied
 * it, publish a version, move the alias. A zip whose hash matches the deployed code is not sent
 * again (bundles are deterministic). `dryRun` builds and prints the plan without calling AWS.
 */
export async function deployFunction(
  client: LambdaClient | undefined,
  options: DeployOptions,
): Promise<DeployResult> {
  const log = options.log ?? (() => {});
  const alias = options.alias ?? 'live';
  if (!ALIAS.test(alias)) throw new DeployError('an alias is 1 to 128 letters, digits, - or _', 2);
  const known = await listFunctions(options.bundle?.handlersDir);
  if (!known.includes(options.name)) {
    throw new DeployError(
      `unknown function '${options.name}'; functions: ${known.join(', ') || '(none)'}`,
      2,
    );
  }
  const functionName = `${options.prefix ?? 'flowguard-'}${options.name}`;
  const bundle = await bundleFunction(options.name, options.bundle);
  const zip = await readFile(bundle.zip);
  // Lambda reports CodeSha256 as base64 of the zip's SHA-256.
  const codeSha256 = createHash('sha256').update(zip).digest('base64');
  log(`built ${options.name}: ${(bundle.zipBytes / 1024).toFixed(1)} KiB zip, sha256 ${codeSha256}`);

  if (options.dryRun || !client) {
    log(`would update the code of ${functionName} (unless its CodeSha256 is already ${codeSha256})`);
    log(`would wait for the update, publish a version and point alias ${alias} at it`);
    return { functionName, codeSha256, action: 'dry-run', alias };
  }

  try {
    const current = await client.send(new GetFunctionCommand({ FunctionName: functionName }));
    if (current.Configuration?.CodeSha256 === codeSha256) {
      log(`${functionName} already runs this code: nothing to deploy`);
      return { functionName, codeSha256, action: 'unchanged', alias };
    }
    await client.send(new UpdateFunctionCodeCommand({ FunctionName: functionName, ZipFile: zip }));
    log(`uploaded the code of ${functionName}; waiting for Lambda to apply it`);
    const maxPolls = options.maxPolls ?? 60;
    for (let poll = 0; ; poll++) {
      const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
      if (config.LastUpdateStatus === 'Successful') break;
      if (config.LastUpdateStatus === 'Failed') {
        throw new DeployError(
          `Lambda could not apply the code of ${functionName}: ${config.LastUpdateStatusReasonCode ?? 'failed'}`,
        );
      }
      if (poll >= maxPolls)
        throw new DeployError(`${functionName} is still updating after ${maxPolls} checks`);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
    }
    const published = await client.send(
      new PublishVersionCommand({ FunctionName: functionName, CodeSha256: codeSha256 }),
    );
    const version = published.Version ?? '';
    try {
      await client.send(
        new UpdateAliasCommand({ FunctionName: functionName, Name: alias, FunctionVersion: version }),
      );
    } catch (error) {
      if (sdkName(error) !== 'ResourceNotFoundException') throw error;
      await client.send(
        new CreateAliasCommand({ FunctionName: functionName, Name: alias, FunctionVersion: version }),
      );
    }
    log(`${functionName} version ${version} is live as ${alias}`);
    return { functionName, codeSha256, action: 'deployed', version, alias };
  } catch (error) {
    throw error instanceof DeployError ? error : explain(error, functionName);
  }
}
