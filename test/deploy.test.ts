import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { DeployError, deployFunction } from '@flowguard/scripts/deploy';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const handlersDir = join(import.meta.dirname, 'fixtures/handlers');
const lambda = mockClient(LambdaClient);
const client = new LambdaClient({ region: 'us-east-1' });
const sdkError = (name: string) => Object.assign(new Error(`${name} from the service`), { name });

describe('deployFunction', () => {
  let outDir: string;
  const log: string[] = [];
  const options = () => ({
    name: 'echo-caller',
    bundle: { handlersDir, outDir },
    pollMs: 1,
    log: (line: string) => log.push(line),
  });

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'flowguard-deploy-'));
  });

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    lambda.reset();
    log.length = 0;
  });

  it('updates the code, waits, publishes a version and moves the alias, in that order', async () => {
    lambda.on(GetFunctionCommand).resolves({ Configuration: { CodeSha256: 'old' } });
    lambda.on(UpdateFunctionCodeCommand).resolves({});
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce({ LastUpdateStatus: 'InProgress' })
      .resolves({ LastUpdateStatus: 'Successful' });
    lambda.on(PublishVersionCommand).resolves({ Version: '7' });
    lambda.on(UpdateAliasCommand).resolves({});

    const result = await deployFunction(client, { ...options(), alias: 'live' });
    const calls = lambda.calls().map((call) => call.args[0].constructor.name);

    expect(calls).toEqual([
      'GetFunctionCommand',
      'UpdateFunctionCodeCommand',
      'GetFunctionConfigurationCommand',
      'GetFunctionConfigurationCommand',
      'PublishVersionCommand',
      'UpdateAliasCommand',
    ]);
    expect(result).toMatchObject({
      functionName: 'flowguard-echo-caller',
      action: 'deployed',
      version: '7',
      alias: 'live',
    });
    expect(lambda.commandCalls(PublishVersionCommand)[0]?.args[0].input.CodeSha256).toBe(result.codeSha256);
    expect(lambda.commandCalls(UpdateAliasCommand)[0]?.args[0].input).toEqual({
      FunctionName: 'flowguard-echo-caller',
      Name: 'live',
      FunctionVersion: '7',
    });
  });

  it('creates the alias when it does not exist yet', async () => {
    lambda.on(GetFunctionCommand).resolves({ Configuration: { CodeSha256: 'old' } });
    lambda.on(GetFunctionConfigurationCommand).resolves({ LastUpdateStatus: 'Successful' });
    lambda.on(PublishVersionCommand).resolves({ Version: '1' });
    lambda.on(UpdateAliasCommand).rejects(sdkError('ResourceNotFoundException'));
    lambda.on(CreateAliasCommand).resolves({});

    await deployFunction(client, { ...options(), alias: 'canary' });

    expect(lambda.commandCalls(CreateAliasCommand)[0]?.args[0].input).toMatchObject({
      Name: 'canary',
      FunctionVersion: '1',
    });
  });

  it('sends nothing when the deployed code has the same hash (deterministic zips)', async () => {
    const planned = await deployFunction(undefined, { ...options(), dryRun: true });
    lambda.on(GetFunctionCommand).resolves({ Configuration: { CodeSha256: planned.codeSha256 } });

    const result = await deployFunction(client, options());

    expect(result.action).toBe('unchanged');
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(0);
  });

  it('prints the plan on a dry run and calls no AWS API', async () => {
    const result = await deployFunction(client, { ...options(), dryRun: true });

    expect(result.action).toBe('dry-run');
    expect(lambda.calls()).toHaveLength(0);
    expect(log.join('\n')).toMatch(/would update the code of flowguard-echo-caller/);
    expect(log.join('\n')).toMatch(/point alias live at it/);
  });

  it.each([
    ['an unknown function', { name: 'nope' }, /unknown function 'nope'; functions: echo-caller/],
    ['a bad alias', { alias: 'no spaces' }, /alias/],
  ])('refuses %s before building anything', async (_, override, message) => {
    await expect(deployFunction(client, { ...options(), ...override })).rejects.toThrow(message);
    expect(lambda.calls()).toHaveLength(0);
  });

  it.each([
    ['ResourceNotFoundException', /does not exist yet: deploy the stack first/],
    ['CredentialsProviderError', /no AWS credentials found/],
    ['AccessDeniedException', /not allowed to update flowguard-echo-caller/],
  ])('explains %s', async (name, message) => {
    lambda.on(GetFunctionCommand).rejects(sdkError(name));

    const error = await deployFunction(client, options()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DeployError);
    expect((error as Error).message).toMatch(message);
  });

  it('stops when Lambda reports the update failed, without publishing', async () => {
    lambda.on(GetFunctionCommand).resolves({ Configuration: { CodeSha256: 'old' } });
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves({ LastUpdateStatus: 'Failed', LastUpdateStatusReasonCode: 'InvalidZipFileException' });

    await expect(deployFunction(client, options())).rejects.toThrow(/InvalidZipFileException/);
    expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(0);
  });

  it('gives up waiting after a bounded number of checks', async () => {
    lambda.on(GetFunctionCommand).resolves({ Configuration: { CodeSha256: 'old' } });
    lambda.on(GetFunctionConfigurationCommand).resolves({ LastUpdateStatus: 'InProgress' });

    await expect(deployFunction(client, { ...options(), maxPolls: 3 })).rejects.toThrow(
      /still updating after 3 checks/,
    );
    expect(lambda.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(4);
  });
});
