import {
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  type GetEventSelectorsCommandOutput,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  type ContactFlowModuleSummary,
  type ContactFlowSummary,
  DescribeContactFlowCommand,
  DescribeContactFlowModuleCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceCommand,
  DescribeSecurityProfileCommand,
  type InstanceStorageConfig,
  paginateListApprovedOrigins,
  paginateListBots,
  paginateListContactFlowModules,
  paginateListContactFlows,
  paginateListInstanceStorageConfigs,
  paginateListLambdaFunctions,
  paginateListSecurityKeys,
  paginateListSecurityProfilePermissions,
  paginateListSecurityProfiles,
  paginateSearchUsers,
  type SecurityProfileSummary,
} from '@aws-sdk/client-connect';
import { ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { FlowFormatError, parseFlow } from '@flowguard/flow-sim';
import type { AuditApi } from './apis.js';
import type { AuditClients } from './clients.js';
import type {
  Encryption,
  EventRuleFacts,
  Fact,
  FactKey,
  Facts,
  Failure,
  FailureReason,
  FlowFacts,
  FlowInventory,
  InstanceFacts,
  LexBotFacts,
  ProfileFacts,
  SecurityKeyFacts,
  StorageConfigFacts,
  StorageKind,
  TrailFacts,
  TrailSelectors,
  UserFacts,
} from './facts.js';
import { STORAGE_KINDS } from './facts.js';
import { flowReferences } from './flow-references.js';

export interface CollectOptions {
  readonly instanceId: string;
  readonly region?: string;
  readonly clients: AuditClients;
  readonly onProgress?: (message: string) => void;
  /** Calls in flight at once for per-item reads (profiles, flows, rules). Default 4. */
  readonly concurrency?: number;
}

/** Thrown inside a collector to abandon the fact; the failure is already recorded. */
class NotCollected extends Error {}

const FAILURE_NAMES: readonly [FailureReason, RegExp][] = [
  ['denied', /AccessDenied|UnauthorizedOperation|NotAuthorized|AuthorizationError|Forbidden/i],
  ['throttled', /Throttl|TooManyRequests|RequestLimitExceeded|LimitExceeded|SlowDown/i],
  [
    'unavailable',
    /UnknownOperation|UnsupportedOperation|InvalidAction|UnknownEndpoint|ENOTFOUND|EndpointError/i,
  ],
  ['not-found', /NotFound/i],
];

export function failureReason(error: unknown): FailureReason {
  const name = error instanceof Error ? error.name : '';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  if (status === 403) return 'denied';
  return FAILURE_NAMES.find(([, pattern]) => pattern.test(name))?.[0] ?? 'error';
}

/** Reads every fact the rules need, recording each call that fails instead of stopping. */
export async function collectFacts(options: CollectOptions): Promise<Facts> {
  const collector = new Collector(options);
  const instance = await collector.fact(() => collector.instance());
  const partition = instance.ok ? (instance.value.arn?.split(':')[1] ?? 'aws') : 'aws';
  const facts = {
    instance,
    flowLogs: await collector.fact(() => collector.flowLogs()),
    profiles: await collector.fact(() => collector.profiles()),
    users: await collector.fact(() => collector.users()),
    approvedOrigins: await collector.fact(() => collector.approvedOrigins()),
    lambdaFunctions: await collector.fact(() => collector.lambdaFunctions()),
    lexBots: await collector.fact(() => collector.lexBots()),
    securityKeys: await collector.fact(() => collector.securityKeys()),
    flows: await collector.fact(() => collector.flows()),
    storage: await collector.fact(() => collector.storage(partition)),
    trails: await collector.fact(() => collector.trails()),
    eventRules: await collector.fact(() => collector.eventRules()),
  };
  return { instanceId: options.instanceId, region: options.region, ...facts, failures: collector.failures };
}

class Collector {
  readonly failures: Failure[] = [];
  private readonly c: AuditClients;
  private readonly instanceId: string;
  private readonly progress: (message: string) => void;
  private readonly concurrency: number;
  private readonly keyManagers = new Map<string, Promise<'AWS' | 'CUSTOMER' | undefined>>();

  constructor(options: CollectOptions) {
    this.c = options.clients;
    this.instanceId = options.instanceId;
    this.progress = options.onProgress ?? (() => {});
    this.concurrency = options.concurrency ?? 4;
  }

  async fact<T>(collect: () => Promise<T>): Promise<Fact<T>> {
    try {
      return { ok: true, value: await collect() };
    } catch (error) {
      if (error instanceof NotCollected) return { ok: false };
      throw error;
    }
  }

  /** One call (or one paginated listing); a failure is recorded, and thrown on as NotCollected. */
  private async call<T>(api: AuditApi, fact: FactKey, run: () => Promise<T>, about?: string): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.fail(api, fact, failureReason(error), error instanceof Error ? error.name : 'Error', about);
      throw new NotCollected(api);
    }
  }

  /** The same, for a part of a fact: undefined instead of abandoning the whole fact. */
  private async part<T>(api: AuditApi, fact: FactKey, run: () => Promise<T>, about?: string) {
    try {
      return await this.call(api, fact, run, about);
    } catch (error) {
      if (error instanceof NotCollected) return undefined;
      throw error;
    }
  }

  private fail(api: AuditApi, fact: FactKey, reason: FailureReason, error: string, about?: string) {
    this.failures.push({ api, fact, reason, error, ...(about ? { about } : {}) });
  }

  private async each<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < items.length; index = next++) {
        results[index] = await run(items[index] as T);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, worker));
    return results;
  }

  private async all<P, T>(
    pages: AsyncIterable<P>,
    pick: (page: P) => readonly T[] | undefined,
  ): Promise<T[]> {
    const items: T[] = [];
    for await (const page of pages) items.push(...(pick(page) ?? []));
    return items;
  }

  async instance(): Promise<InstanceFacts> {
    const out = await this.call('DescribeInstance', 'instance', () =>
      this.c.connect.send(new DescribeInstanceCommand({ InstanceId: this.instanceId })),
    );
    return { arn: out.Instance?.Arn, identityManagementType: out.Instance?.IdentityManagementType };
  }

  async flowLogs(): Promise<boolean> {
    const out = await this.call('DescribeInstanceAttribute', 'flowLogs', () =>
      this.c.connect.send(
        new DescribeInstanceAttributeCommand({
          InstanceId: this.instanceId,
          AttributeType: 'CONTACTFLOW_LOGS',
        }),
      ),
    );
    return out.Attribute?.Value === 'true';
  }

  async profiles(): Promise<ProfileFacts[]> {
    const client = this.c.connect;
    const summaries = await this.call('ListSecurityProfiles', 'profiles', () =>
      this.all(
        paginateListSecurityProfiles({ client }, { InstanceId: this.instanceId }),
        (page) => page.SecurityProfileSummaryList,
      ),
    );
    this.progress(`${summaries.length} security profiles`);
    return this.each(summaries, (summary) => this.profile(summary));
  }

  private async profile(summary: SecurityProfileSummary): Promise<ProfileFacts> {
    const client = this.c.connect;
    const id = summary.Id ?? '';
    const name = summary.Name ?? id;
    const permissions = await this.part(
      'ListSecurityProfilePermissions',
      'profiles',
      () =>
        this.all(
          paginateListSecurityProfilePermissions(
            { client },
            { InstanceId: this.instanceId, SecurityProfileId: id },
          ),
          (page) => page.Permissions,
        ),
      `profile ${name}`,
    );
    const described = await this.part(
      'DescribeSecurityProfile',
      'profiles',
      () =>
        client.send(
          new DescribeSecurityProfileCommand({ InstanceId: this.instanceId, SecurityProfileId: id }),
        ),
      `profile ${name}`,
    );
    const profile = described?.SecurityProfile;
    return {
      id,
      name,
      permissions,
      tags: described
        ? {
            allowed: profile?.AllowedAccessControlTags ?? {},
            restricted: profile?.TagRestrictedResources ?? [],
          }
        : undefined,
    };
  }

  async users(): Promise<UserFacts[]> {
    const client = this.c.connect;
    const users = await this.call('SearchUsers', 'users', () =>
      this.all(paginateSearchUsers({ client }, { InstanceId: this.instanceId }), (page) => page.Users),
    );
    this.progress(`${users.length} users`);
    return users.map((user) => ({
      id: user.Id ?? '',
      username: user.Username ?? user.Id ?? '?',
      profileIds: user.SecurityProfileIds ?? [],
    }));
  }

  async approvedOrigins(): Promise<string[]> {
    const client = this.c.connect;
    return this.call('ListApprovedOrigins', 'approvedOrigins', () =>
      this.all(
        paginateListApprovedOrigins({ client }, { InstanceId: this.instanceId }),
        (page) => page.Origins,
      ),
    );
  }

  async lambdaFunctions(): Promise<string[]> {
    const client = this.c.connect;
    return this.call('ListLambdaFunctions', 'lambdaFunctions', () =>
      this.all(
        paginateListLambdaFunctions({ client }, { InstanceId: this.instanceId }),
        (page) => page.LambdaFunctions,
      ),
    );
  }

  async lexBots(): Promise<LexBotFacts[]> {
    const client = this.c.connect;
    const bots = [];
    for (const LexVersion of ['V2', 'V1'] as const) {
      bots.push(
        ...(await this.call(
          'ListBots',
          'lexBots',
          () =>
            this.all(
              paginateListBots({ client }, { InstanceId: this.instanceId, LexVersion }),
              (page) => page.LexBots,
            ),
          `Lex ${LexVersion}`,
        )),
      );
    }
    return bots.flatMap((bot): LexBotFacts[] => {
      if (bot.LexV2Bot?.AliasArn) return [{ version: 'V2', aliasArn: bot.LexV2Bot.AliasArn }];
      if (bot.LexBot?.Name)
        return [{ version: 'V1', name: bot.LexBot.Name, region: bot.LexBot.LexRegion ?? '' }];
      return [];
    });
  }

  async securityKeys(): Promise<SecurityKeyFacts[]> {
    const client = this.c.connect;
    const keys = await this.call('ListSecurityKeys', 'securityKeys', () =>
      this.all(
        paginateListSecurityKeys({ client }, { InstanceId: this.instanceId }),
        (page) => page.SecurityKeys,
      ),
    );
    return keys.map((key) => ({ associationId: key.AssociationId ?? '', created: key.CreationTime }));
  }

  async flows(): Promise<FlowInventory> {
    const client = this.c.connect;
    const summaries = await this.call('ListContactFlows', 'flows', () =>
      this.all(
        paginateListContactFlows({ client }, { InstanceId: this.instanceId }),
        (page) => page.ContactFlowSummaryList,
      ),
    );
    const active = summaries.filter((s) => s.ContactFlowState !== 'ARCHIVED');
    this.progress(`${active.length} flows`);
    const flows = await this.each(active, (summary) => this.flow(summary));
    const modules = await this.part('ListContactFlowModules', 'flows', () =>
      this.all(
        paginateListContactFlowModules(
          { client },
          { InstanceId: this.instanceId, ContactFlowModuleState: 'ACTIVE' },
        ),
        (page) => page.ContactFlowModulesSummaryList,
      ),
    );
    const described = await this.each(modules ?? [], (summary) => this.module(summary));
    return {
      items: [...flows, ...described].filter((item): item is FlowFacts => item !== undefined),
      modulesListed: modules !== undefined,
    };
  }

  /**
   * A published flow and its published content: without `$SAVED`, DescribeContactFlow returns what
   * is published, even while newer changes wait unpublished (Amazon Connect API reference). A flow
   * that could not be described is kept, its references unknown.
   */
  private async flow(summary: ContactFlowSummary): Promise<FlowFacts | undefined> {
    const id = summary.Id ?? '';
    const name = summary.Name ?? id;
    const out = await this.part(
      'DescribeContactFlow',
      'flows',
      () =>
        this.c.connect.send(
          new DescribeContactFlowCommand({ InstanceId: this.instanceId, ContactFlowId: id }),
        ),
      `flow ${name}`,
    );
    const published = summary.ContactFlowStatus === 'PUBLISHED' || out?.ContactFlow?.Status === 'PUBLISHED';
    if (out && !published) return undefined;
    return {
      id,
      name,
      kind: 'flow',
      references: out && this.references('DescribeContactFlow', out, `flow ${name}`),
    };
  }

  private async module(summary: ContactFlowModuleSummary): Promise<FlowFacts | undefined> {
    const id = summary.Id ?? '';
    const name = summary.Name ?? id;
    const out = await this.part(
      'DescribeContactFlowModule',
      'flows',
      () =>
        this.c.connect.send(
          new DescribeContactFlowModuleCommand({ InstanceId: this.instanceId, ContactFlowModuleId: id }),
        ),
      `module ${name}`,
    );
    if (out && out.ContactFlowModule?.Status !== 'PUBLISHED') return undefined;
    return {
      id,
      name,
      kind: 'module',
      references: out && this.references('DescribeContactFlowModule', out, `module ${name}`),
    };
  }

  /** References in a flow's published content; content that is not the flow language is a failure. */
  private references(api: AuditApi, described: unknown, about: string) {
    try {
      return flowReferences(parseFlow(described));
    } catch (error) {
      if (!(error instanceof FlowFormatError)) throw error;
      this.fail(api, 'flows', 'unreadable', 'FlowFormatError', about);
      return undefined;
    }
  }

  async storage(partition: string): Promise<StorageConfigFacts[]> {
    const client = this.c.connect;
    const configs: StorageConfigFacts[] = [];
    let read = 0;
    for (const kind of STORAGE_KINDS) {
      const listed = await this.part(
        'ListInstanceStorageConfigs',
        'storage',
        () =>
          this.all(
            paginateListInstanceStorageConfigs(
              { client },
              { InstanceId: this.instanceId, ResourceType: kind },
            ),
            (page) => page.StorageConfigs,
          ),
        kind,
      );
      if (!listed) continue;
      read++;
      for (const config of listed) configs.push(await this.storageConfig(kind, config, partition));
    }
    if (read === 0) throw new NotCollected('ListInstanceStorageConfigs');
    return configs;
  }

  private async storageConfig(
    kind: StorageKind,
    config: InstanceStorageConfig,
    partition: string,
  ): Promise<StorageConfigFacts> {
    const storageType = config.StorageType ?? 'UNKNOWN';
    if (config.S3Config) {
      const { BucketName = '', BucketPrefix = '', EncryptionConfig } = config.S3Config;
      const prefix = BucketPrefix.replace(/^\/+|\/+$/g, '');
      const keyId = EncryptionConfig?.KeyId;
      return {
        kind,
        storageType,
        destination: BucketName,
        objectArnPrefix: `arn:${partition}:s3:::${BucketName}/${prefix ? `${prefix}/` : ''}`,
        encryption: keyId ? await this.kms(keyId, kind) : { kind: 'none' },
      };
    }
    if (config.KinesisStreamConfig?.StreamArn) {
      const StreamARN = config.KinesisStreamConfig.StreamArn;
      return {
        kind,
        storageType,
        destination: StreamARN,
        encryption: await this.streamEncryption(StreamARN, kind),
      };
    }
    if (config.KinesisFirehoseConfig?.FirehoseArn) {
      const arn = config.KinesisFirehoseConfig.FirehoseArn;
      return { kind, storageType, destination: arn, encryption: await this.firehoseEncryption(arn, kind) };
    }
    return { kind, storageType, destination: '', encryption: { kind: 'unknown' } };
  }

  private async streamEncryption(StreamARN: string, kind: StorageKind): Promise<Encryption> {
    const out = await this.part(
      'DescribeStreamSummary',
      'storage',
      () => this.c.kinesis.send(new DescribeStreamSummaryCommand({ StreamARN })),
      kind,
    );
    if (!out) return { kind: 'unknown' };
    const { EncryptionType, KeyId } = out.StreamDescriptionSummary ?? {};
    return EncryptionType === 'KMS' && KeyId ? this.kms(KeyId, kind) : { kind: 'none' };
  }

  private async firehoseEncryption(arn: string, kind: StorageKind): Promise<Encryption> {
    const DeliveryStreamName = arn.split('/').at(-1) ?? arn;
    const out = await this.part(
      'DescribeDeliveryStream',
      'storage',
      () => this.c.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName })),
      kind,
    );
    if (!out) return { kind: 'unknown' };
    const encryption = out.DeliveryStreamDescription?.DeliveryStreamEncryptionConfiguration;
    if (encryption?.Status !== 'ENABLED') return { kind: 'none' };
    const manager = encryption.KeyType === 'CUSTOMER_MANAGED_CMK' ? 'CUSTOMER' : 'AWS';
    return { kind: 'kms', keyId: encryption.KeyARN ?? encryption.KeyType ?? '', manager };
  }

  /** Who manages a KMS key: an `alias/aws/...` is AWS's by name; anything else is asked of KMS. */
  private async kms(keyId: string, kind: StorageKind): Promise<Encryption> {
    if (/^(arn:[^:]+:kms:[^:]*:[^:]*:)?alias\/aws\//.test(keyId))
      return { kind: 'kms', keyId, manager: 'AWS' };
    let manager = this.keyManagers.get(keyId);
    if (!manager) {
      manager = this.part(
        'DescribeKey',
        'storage',
        () => this.c.kms.send(new DescribeKeyCommand({ KeyId: keyId })),
        kind,
      ).then((out) => out?.KeyMetadata?.KeyManager);
      this.keyManagers.set(keyId, manager);
    }
    return { kind: 'kms', keyId, manager: await manager };
  }

  async trails(): Promise<TrailFacts[]> {
    const { trailList = [] } = await this.call('DescribeTrails', 'trails', () =>
      this.c.cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true })),
    );
    return this.each(trailList, async (trail) => {
      const arn = trail.TrailARN ?? trail.Name ?? '';
      const name = trail.Name ?? arn;
      const status = await this.part(
        'GetTrailStatus',
        'trails',
        () => this.c.cloudtrail.send(new GetTrailStatusCommand({ Name: arn })),
        `trail ${name}`,
      );
      const selectors = await this.part(
        'GetEventSelectors',
        'trails',
        () => this.c.cloudtrail.send(new GetEventSelectorsCommand({ TrailName: arn })),
        `trail ${name}`,
      );
      return { name, arn, logging: status?.IsLogging, selectors: selectors && trailSelectors(selectors) };
    });
  }

  /** EventBridge's client ships no paginators: these two listings follow NextToken themselves. */
  async eventRules(): Promise<EventRuleFacts[]> {
    const bus = this.c.eventbridge;
    const rules = await this.call('ListRules', 'eventRules', () =>
      followTokens(
        (NextToken) => bus.send(new ListRulesCommand({ NextToken })),
        (page) => page.Rules,
      ),
    );
    return this.each(rules, async (rule) => {
      const name = rule.Name ?? '';
      const enabled = rule.State?.startsWith('ENABLED') ?? false;
      const targets =
        enabled && rule.EventPattern
          ? await this.part(
              'ListTargetsByRule',
              'eventRules',
              () =>
                followTokens(
                  (NextToken) => bus.send(new ListTargetsByRuleCommand({ Rule: name, NextToken })),
                  (page) => page.Targets,
                ),
              `rule ${name}`,
            )
          : [];
      return { name, state: rule.State ?? '', pattern: rule.EventPattern, targets: targets?.length };
    });
  }
}

async function followTokens<P extends { NextToken?: string | undefined }, T>(
  fetch: (token: string | undefined) => Promise<P>,
  pick: (page: P) => readonly T[] | undefined,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    items.push(...(pick(page) ?? []));
    token = page.NextToken && page.NextToken !== token ? page.NextToken : undefined;
  } while (token);
  return items;
}

function trailSelectors(out: GetEventSelectorsCommandOutput): TrailSelectors {
  return {
    basic: (out.EventSelectors ?? []).map((selector) => ({
      readWriteType: selector.ReadWriteType ?? 'All',
      includeManagementEvents: selector.IncludeManagementEvents ?? true,
      excludedManagementSources: selector.ExcludeManagementEventSources ?? [],
      dataResources: (selector.DataResources ?? []).map((resource) => ({
        type: resource.Type ?? '',
        values: resource.Values ?? [],
      })),
    })),
    advanced: (out.AdvancedEventSelectors ?? []).map((selector) => ({
      fieldSelectors: (selector.FieldSelectors ?? []).map((field) => ({
        field: field.Field ?? '',
        ...(field.Equals ? { equals: field.Equals } : {}),
        ...(field.StartsWith ? { startsWith: field.StartsWith } : {}),
        ...(field.EndsWith ? { endsWith: field.EndsWith } : {}),
        ...(field.NotEquals ? { notEquals: field.NotEquals } : {}),
        ...(field.NotStartsWith ? { notStartsWith: field.NotStartsWith } : {}),
        ...(field.NotEndsWith ? { notEndsWith: field.NotEndsWith } : {}),
      })),
    })),
  };
}
