import { describe, expect, it } from 'vitest';
import type { AuditReport } from '../../src/audit.js';
import { RULES } from '../../src/rules/index.js';
import { formatSarif } from '../../src/sarif.js';

const report: AuditReport = {
  instanceId: '9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa',
  region: 'us-east-1',
  generatedAt: '2027-03-01T12:00:00.000Z',
  profiles: 2,
  users: 5,
  ran: RULES.map((r) => r.id),
  skipped: [],
  findings: [
    {
      id: 'unredacted-content',
      severity: 'high',
      title: 'profile Reviewer grants ListenCallRecordings, held by 1 user',
      why: 'why',
      fix: 'fix',
      subjects: ['Reviewer', 'reviewer0'],
    },
    {
      id: 'contact-flow-logs',
      severity: 'medium',
      title: 'flow logs are off',
      why: 'w',
      fix: 'f',
      subjects: [],
    },
    {
      id: 'unknown-permission',
      severity: 'low',
      title: 'unknown',
      why: 'w',
      fix: 'f',
      subjects: ['Reviewer'],
    },
  ],
};

describe('formatSarif', () => {
  const log = JSON.parse(formatSarif(report, { toolVersion: '0.1.0' }));
  const run = log.runs[0];

  it('is a SARIF 2.1.0 log with one run', () => {
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.runs).toHaveLength(1);
    expect(run.tool.driver).toMatchObject({ name: 'flowguard audit', version: '0.1.0' });
  });

  it('describes every rule: id, short description, help URI to its docs/audit.md anchor', () => {
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(RULES.map((r) => r.id));
    for (const rule of run.tool.driver.rules) {
      expect(rule.shortDescription.text.length).toBeGreaterThan(10);
      expect(rule.helpUri).toBe(`docs/audit.md#${rule.id}`);
      expect(['error', 'warning', 'note']).toContain(rule.defaultConfiguration.level);
      expect(Number(rule.properties['security-severity'])).toBeGreaterThanOrEqual(0);
    }
  });

  it('gives each result its level from the severity, its rule index, a location and a stable fingerprint', () => {
    expect(run.results.map((r: { level: string }) => r.level)).toEqual(['error', 'warning', 'note']);
    const [first] = run.results;
    expect(run.tool.driver.rules[first.ruleIndex].id).toBe('unredacted-content');
    expect(first.locations[0].physicalLocation.artifactLocation.uri).toBe(
      'aws/connect/instance/9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa',
    );
    expect(first.locations[0].logicalLocations.map((l: { name: string }) => l.name)).toEqual([
      report.instanceId,
      'Reviewer',
      'reviewer0',
    ]);
    expect(first.partialFingerprints['flowguardAudit/v1']).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(formatSarif(report)).runs[0].results[0].partialFingerprints).toEqual(
      first.partialFingerprints,
    );
  });

  it('takes an absolute docs URL for dashboards that need one', () => {
    const absolute = JSON.parse(
      formatSarif(report, { docsUrl: 'https://example.com/flowguard/docs/audit.md' }),
    );

    expect(absolute.runs[0].tool.driver.rules[0].helpUri).toBe(
      'https://example.com/flowguard/docs/audit.md#not-checked',
    );
  });
});
