import { matchesPattern, parsePattern } from '../event-pattern.js';
import type { Facts, StorageConfigFacts, StorageKind, TrailFacts } from '../facts.js';
import { type Finding, GUIDANCE, type Rule, value } from '../rule.js';
import { coversObjectEvent, logsManagementWrites, type ObjectEvent } from '../trail-coverage.js';
import { WATCHED_EVENTS } from '../watched.js';

const logging = (trails: readonly TrailFacts[]) =>
  trails.filter((trail) => trail.logging === true && trail.selectors !== undefined);

const managementEvents: Rule = {
  id: 'cloudtrail-management-events',
  summary: 'no logging CloudTrail trail records write management events',
  severity: 'high',
  guidance: [GUIDANCE.cloudtrail, GUIDANCE.securityBestPractices, GUIDANCE.profileBestPractices],
  needs: ['trails'],
  check(facts) {
    const trails = logging(value(facts, 'trails'));
    if (trails.some((trail) => trail.selectors && logsManagementWrites(trail.selectors))) return [];
    return [
      {
        id: 'cloudtrail-management-events',
        severity: 'high',
        title: `no logging CloudTrail trail records Connect's write management events${facts.region ? ` in ${facts.region}` : ''}`,
        why: 'without it nobody can tell who changed a user, a security profile or a flow, and EventBridge receives no API events to alert on',
        fix: 'create a multi-region trail with management events (read and write), log file validation on',
        subjects: [],
      },
    ];
  },
};

/** The recordings whose readers are tracked; call recordings are stored as .wav files. */
const RECORDING_KINDS: ReadonlyMap<StorageKind, { name: string; suffix: string | undefined }> = new Map([
  ['CALL_RECORDINGS', { name: 'call recordings', suffix: '.wav' }],
  ['SCREEN_RECORDINGS', { name: 'screen recordings', suffix: undefined }],
]);

function recordingsCovered(
  trails: readonly TrailFacts[],
  config: StorageConfigFacts,
  eventName: ObjectEvent['eventName'],
) {
  const kind = RECORDING_KINDS.get(config.kind);
  const event: ObjectEvent = {
    eventName,
    readOnly: eventName === 'GetObject',
    objectArnPrefix: config.objectArnPrefix ?? '',
    objectSuffix: kind?.suffix,
  };
  return trails
    .filter((trail) => trail.selectors && coversObjectEvent(trail.selectors, event))
    .map((t) => t.name);
}

const recordingsAccessTrail: Rule = {
  id: 'recordings-access-trail',
  summary: 'no CloudTrail data events for who reads (GetObject) or deletes the recordings',
  severity: 'high',
  guidance: [GUIDANCE.profileBestPractices, GUIDANCE.trackRecordings, GUIDANCE.dataEvents],
  needs: ['trails', 'storage'],
  check(facts) {
    const trails = logging(value(facts, 'trails'));
    const buckets = value(facts, 'storage').filter(
      (config) => RECORDING_KINDS.has(config.kind) && config.objectArnPrefix,
    );
    return buckets.flatMap((config): Finding[] => {
      const reads = recordingsCovered(trails, config, 'GetObject');
      const deletes = recordingsCovered(trails, config, 'DeleteObject');
      if (reads.length > 0 && deletes.length > 0) return [];
      const name = RECORDING_KINDS.get(config.kind)?.name ?? config.kind;
      const missing = [
        reads.length === 0 ? 'GetObject (who listened or downloaded)' : '',
        deletes.length === 0 ? 'DeleteObject (who deleted)' : '',
      ]
        .filter(Boolean)
        .join(' and ');
      return [
        {
          id: 'recordings-access-trail',
          severity: reads.length === 0 ? 'high' : 'medium',
          title: `no logging trail records ${missing} for the ${name} under ${config.objectArnPrefix}`,
          why: 'the download permission is not a control: anyone with access to a recording can download it, so the only record of who took one is a CloudTrail data event on the bucket',
          fix: 'add S3 data events (read and write) for the recordings prefix to a trail, for example an advanced selector with eventCategory = Data, resources.type = AWS::S3::Object, resources.ARN starts with the prefix',
          subjects: [config.destination],
        },
      ];
    });
  },
};

/** The event EventBridge receives when CloudTrail records the call (detail-type "AWS API Call via CloudTrail"). */
export function connectApiEvent(facts: Facts, eventName: string) {
  const arn = facts.instance.ok ? facts.instance.value.arn : undefined;
  const account = arn?.split(':')[4];
  const region = facts.region ?? arn?.split(':')[3];
  return {
    version: '0',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.connect',
    ...(account ? { account } : {}),
    ...(region ? { region } : {}),
    resources: [],
    detail: {
      eventVersion: '1.08',
      eventSource: 'connect.amazonaws.com',
      eventName,
      eventType: 'AwsApiCall',
      eventCategory: 'Management',
      managementEvent: true,
      readOnly: false,
      ...(region ? { awsRegion: region } : {}),
      requestParameters: { InstanceId: facts.instanceId },
    },
  };
}

const changeAlerts: Rule = {
  id: 'change-alerts',
  summary: 'a watched Connect change that no enabled EventBridge rule with a target matches',
  severity: 'medium',
  guidance: [GUIDANCE.profileBestPractices, GUIDANCE.securityBestPractices, GUIDANCE.eventPatterns],
  needs: ['eventRules'],
  reads: ['instance'],
  check(facts) {
    const active = value(facts, 'eventRules').flatMap((rule) => {
      const pattern = parsePattern(rule.pattern);
      return rule.state.startsWith('ENABLED') && (rule.targets ?? 0) > 0 && pattern ? [pattern] : [];
    });
    const missing = WATCHED_EVENTS.filter(
      (eventName) => !active.some((pattern) => matchesPattern(pattern, connectApiEvent(facts, eventName))),
    );
    if (missing.length === 0) return [];
    return [
      {
        id: 'change-alerts',
        severity: 'medium',
        title: `no enabled EventBridge rule with a target matches ${missing.join(', ')}`,
        why: "an attacker who can change a user's e-mail can reset that user's password, and new users, profiles, keys, storage, origins and functions change who reaches customer data; each should raise an alert",
        fix: 'deploy the flowguard stack (it ships the rule) or add an enabled rule on source aws.connect, detail-type "AWS API Call via CloudTrail", with these eventName values and a target',
        subjects: [...missing],
      },
    ];
  },
};

export const DETECTIVE_RULES: readonly Rule[] = [managementEvents, recordingsAccessTrail, changeAlerts];
