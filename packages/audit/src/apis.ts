/**
 * Every AWS API the audit calls and the IAM actions each one needs (Service Authorization
 * Reference; DescribeInstance also needs `ds:DescribeDirectories`, its dependent action). The
 * collectors name their calls from this table, a not_checked finding names the actions from it, and
 * `iam-policy.json` is generated from it (a test holds the file and the calls to the table).
 */
export const AUDIT_APIS = {
  DescribeInstance: ['connect:DescribeInstance', 'ds:DescribeDirectories'],
  DescribeInstanceAttribute: ['connect:DescribeInstanceAttribute'],
  ListSecurityProfiles: ['connect:ListSecurityProfiles'],
  ListSecurityProfilePermissions: ['connect:ListSecurityProfilePermissions'],
  DescribeSecurityProfile: ['connect:DescribeSecurityProfile'],
  SearchUsers: ['connect:SearchUsers'],
  ListApprovedOrigins: ['connect:ListApprovedOrigins'],
  ListLambdaFunctions: ['connect:ListLambdaFunctions'],
  ListBots: ['connect:ListBots'],
  ListSecurityKeys: ['connect:ListSecurityKeys'],
  ListInstanceStorageConfigs: ['connect:ListInstanceStorageConfigs'],
  ListContactFlows: ['connect:ListContactFlows'],
  DescribeContactFlow: ['connect:DescribeContactFlow'],
  ListContactFlowModules: ['connect:ListContactFlowModules'],
  DescribeContactFlowModule: ['connect:DescribeContactFlowModule'],
  DescribeKey: ['kms:DescribeKey'],
  DescribeStreamSummary: ['kinesis:DescribeStreamSummary'],
  DescribeDeliveryStream: ['firehose:DescribeDeliveryStream'],
  DescribeTrails: ['cloudtrail:DescribeTrails'],
  GetTrailStatus: ['cloudtrail:GetTrailStatus'],
  GetEventSelectors: ['cloudtrail:GetEventSelectors'],
  ListRules: ['events:ListRules'],
  ListTargetsByRule: ['events:ListTargetsByRule'],
} as const satisfies Record<string, readonly string[]>;

export type AuditApi = keyof typeof AUDIT_APIS;

/** Every IAM action the audit needs, sorted. */
export function auditActions(): string[] {
  return [...new Set(Object.values(AUDIT_APIS).flat())].sort();
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly {
    readonly Sid: string;
    readonly Effect: 'Allow';
    readonly Action: readonly string[];
    readonly Resource: '*';
  }[];
}

/**
 * The read-only policy the auditing role needs: list and describe calls only, nothing that reads
 * recordings, transcripts or contact data. `Resource` is `*` because several of these list calls
 * take no resource; narrow the Connect statement to the instance ARN (`.../instance/<id>` and
 * `.../instance/<id>/*`) if your policy tooling knows which ones accept it.
 */
export function auditPolicy(): PolicyDocument {
  const actions = auditActions();
  const service = (prefix: string) => actions.filter((action) => action.startsWith(`${prefix}:`));
  const statement = (Sid: string, prefixes: readonly string[]) => ({
    Sid,
    Effect: 'Allow' as const,
    Action: prefixes.flatMap(service),
    Resource: '*' as const,
  });
  return {
    Version: '2012-10-17',
    Statement: [
      statement('FlowguardAuditConnect', ['connect', 'ds']),
      statement('FlowguardAuditStorage', ['kms', 'kinesis', 'firehose']),
      statement('FlowguardAuditDetective', ['cloudtrail', 'events']),
    ],
  };
}
