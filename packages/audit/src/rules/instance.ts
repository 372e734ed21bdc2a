import type { StorageConfigFacts, StorageKind } from '../facts.js';
import { type Finding, GUIDANCE, type Rule, value } from '../rule.js';

const identityManagement: Rule = {
  id: 'identity-management',
  summary: 'users are managed in Connect rather than through SAML single sign-on with MFA',
  severity: 'medium',
  guidance: [GUIDANCE.securityBestPractices],
  needs: ['instance'],
  check(facts) {
    if (value(facts, 'instance').identityManagementType !== 'CONNECT_MANAGED') return [];
    return [
      {
        id: 'identity-management',
        severity: 'medium',
        title: 'identity management is CONNECT_MANAGED: users sign in with passwords Connect stores',
        why: 'AWS recommends multi-factor authentication set up through a SAML 2.0 identity provider; Connect-managed users have no MFA and no central off-boarding',
        fix: 'use SAML 2.0 single sign-on with MFA at the identity provider (the identity type is chosen when the instance is created)',
        subjects: [],
      },
    ];
  },
};

const KIND_NAMES: Readonly<Record<StorageKind, string>> = {
  CALL_RECORDINGS: 'call recordings',
  CHAT_TRANSCRIPTS: 'chat transcripts',
  SCREEN_RECORDINGS: 'screen recordings',
  CONTACT_TRACE_RECORDS: 'contact trace records',
};

/** Why a destination's encryption falls short, or undefined when it uses a customer-managed key. */
function shortfall(config: StorageConfigFacts): string | undefined {
  const { encryption } = config;
  if (encryption.kind === 'none') return 'is not encrypted with a KMS key';
  if (encryption.kind === 'unknown') return undefined;
  if (encryption.manager === 'AWS') return `is encrypted with an AWS managed key (${encryption.keyId})`;
  return undefined;
}

const storageEncryption: Rule = {
  id: 'storage-encryption',
  summary: 'recordings, transcripts or contact records not encrypted with a customer-managed KMS key',
  severity: 'medium',
  guidance: [GUIDANCE.encryptionAtRest, GUIDANCE.designPrinciples],
  needs: ['storage'],
  check(facts) {
    return value(facts, 'storage').flatMap((config): Finding[] => {
      const problem = shortfall(config);
      if (!problem) return [];
      return [
        {
          id: 'storage-encryption',
          severity: 'medium',
          title: `${KIND_NAMES[config.kind]} (${config.storageType} ${config.destination}) ${problem}`,
          why: 'with a customer-managed key you decide who may decrypt (the key policy), you see every decrypt in CloudTrail, and you can revoke access; an AWS managed key allows every principal the storage allows',
          fix: 'encrypt the destination with a customer-managed KMS key and update the instance’s storage configuration',
          subjects: [config.destination],
        },
      ];
    });
  },
};

const flowLogs: Rule = {
  id: 'contact-flow-logs',
  summary: 'flow logs are off for the instance',
  severity: 'medium',
  guidance: [GUIDANCE.securityBestPractices, GUIDANCE.flowLogs],
  needs: ['flowLogs'],
  check(facts) {
    if (value(facts, 'flowLogs')) return [];
    return [
      {
        id: 'contact-flow-logs',
        severity: 'medium',
        title: 'flow logs are off (instance attribute CONTACTFLOW_LOGS)',
        why: 'without flow logs in CloudWatch nobody can reconstruct what a caller went through, and alarms on flow errors have nothing to read',
        fix: 'turn on "Enable flow logs" for the instance, and keep logging off only around sensitive input in the flows',
        subjects: [],
      },
    ];
  },
};

export const INSTANCE_RULES: readonly Rule[] = [identityManagement, storageEncryption, flowLogs];
