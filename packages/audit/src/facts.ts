import type { AuditApi } from './apis.js';
import type { FlowReferences } from './flow-references.js';

/** What the collectors read from AWS, once; the rules only read these. */
export interface Facts {
  readonly instanceId: string;
  readonly region: string | undefined;
  readonly instance: Fact<InstanceFacts>;
  /** `CONTACTFLOW_LOGS`: whether flow logs go to CloudWatch. */
  readonly flowLogs: Fact<boolean>;
  readonly profiles: Fact<readonly ProfileFacts[]>;
  readonly users: Fact<readonly UserFacts[]>;
  readonly approvedOrigins: Fact<readonly string[]>;
  readonly lambdaFunctions: Fact<readonly string[]>;
  readonly lexBots: Fact<readonly LexBotFacts[]>;
  readonly securityKeys: Fact<readonly SecurityKeyFacts[]>;
  readonly flows: Fact<FlowInventory>;
  readonly storage: Fact<readonly StorageConfigFacts[]>;
  readonly trails: Fact<readonly TrailFacts[]>;
  readonly eventRules: Fact<readonly EventRuleFacts[]>;
  /** Every call that failed, whole facts and parts of them alike. */
  readonly failures: readonly Failure[];
}

export type FactKey = Exclude<keyof Facts, 'instanceId' | 'region' | 'failures'>;

/** A fact read whole, or not at all (its failure is in `Facts.failures`). */
export type Fact<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

export type FailureReason = 'denied' | 'throttled' | 'unavailable' | 'not-found' | 'unreadable' | 'error';

/** A call that did not answer: the reason a check could not run. */
export interface Failure {
  readonly api: AuditApi;
  /** The fact it was collecting (the rules that need it are the ones that could not run fully). */
  readonly fact: FactKey;
  readonly reason: FailureReason;
  /** The SDK error's name (never its message: messages can carry account ids and ARNs). */
  readonly error: string;
  /** What the call was about when it was one of many: a profile, a flow, a trail. */
  readonly about?: string;
}

export interface InstanceFacts {
  readonly arn: string | undefined;
  readonly identityManagementType: string | undefined;
}

export interface ProfileFacts {
  readonly id: string;
  readonly name: string;
  /** Undefined when they could not be read. */
  readonly permissions: readonly string[] | undefined;
  /** Undefined when the profile could not be described. */
  readonly tags:
    | { readonly allowed: Readonly<Record<string, string>>; readonly restricted: readonly string[] }
    | undefined;
}

export interface UserFacts {
  readonly id: string;
  readonly username: string;
  readonly profileIds: readonly string[];
}

/** An associated bot: Lex V2 by alias ARN, Lex V1 by name and region. */
export type LexBotFacts =
  | { readonly version: 'V2'; readonly aliasArn: string }
  | { readonly version: 'V1'; readonly name: string; readonly region: string };

export interface SecurityKeyFacts {
  readonly associationId: string;
  readonly created: Date | undefined;
}

export interface FlowFacts {
  readonly id: string;
  readonly name: string;
  readonly kind: 'flow' | 'module';
  /** Undefined when the content could not be read. */
  readonly references: FlowReferences | undefined;
}

export interface FlowInventory {
  /** Published flows and modules. */
  readonly items: readonly FlowFacts[];
  /** False when modules could not be listed: references through modules are then unknown. */
  readonly modulesListed: boolean;
}

export type StorageKind =
  | 'CALL_RECORDINGS'
  | 'CHAT_TRANSCRIPTS'
  | 'SCREEN_RECORDINGS'
  | 'CONTACT_TRACE_RECORDS';
export const STORAGE_KINDS: readonly StorageKind[] = [
  'CALL_RECORDINGS',
  'CHAT_TRANSCRIPTS',
  'SCREEN_RECORDINGS',
  'CONTACT_TRACE_RECORDS',
];

/** How a destination is encrypted; undefined pieces could not be read. */
export type Encryption =
  | { readonly kind: 'none' }
  | { readonly kind: 'kms'; readonly keyId: string; readonly manager: 'AWS' | 'CUSTOMER' | undefined }
  | { readonly kind: 'unknown' };

export interface StorageConfigFacts {
  readonly kind: StorageKind;
  readonly storageType: string;
  /** The bucket, stream or delivery stream. */
  readonly destination: string;
  /** For S3: the objects' ARN prefix, `arn:<partition>:s3:::<bucket>/<prefix>/`. */
  readonly objectArnPrefix?: string;
  readonly encryption: Encryption;
}

export interface TrailFacts {
  readonly name: string;
  readonly arn: string;
  /** Undefined when the status could not be read. */
  readonly logging: boolean | undefined;
  /** Undefined when the selectors could not be read. */
  readonly selectors: TrailSelectors | undefined;
}

export interface TrailSelectors {
  readonly basic: readonly BasicSelector[];
  readonly advanced: readonly AdvancedSelector[];
}

export interface BasicSelector {
  readonly readWriteType: 'ReadOnly' | 'WriteOnly' | 'All';
  readonly includeManagementEvents: boolean;
  readonly excludedManagementSources: readonly string[];
  readonly dataResources: readonly { readonly type: string; readonly values: readonly string[] }[];
}

export interface AdvancedSelector {
  readonly fieldSelectors: readonly FieldSelector[];
}

export interface FieldSelector {
  readonly field: string;
  readonly equals?: readonly string[];
  readonly startsWith?: readonly string[];
  readonly endsWith?: readonly string[];
  readonly notEquals?: readonly string[];
  readonly notStartsWith?: readonly string[];
  readonly notEndsWith?: readonly string[];
}

export interface EventRuleFacts {
  readonly name: string;
  readonly state: string;
  /** The pattern as EventBridge returns it: JSON text. */
  readonly pattern: string | undefined;
  /** Undefined when the targets could not be listed. */
  readonly targets: number | undefined;
}
