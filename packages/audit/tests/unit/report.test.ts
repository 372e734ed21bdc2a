import { describe, expect, it } from 'vitest';
import type { AuditReport } from '../../src/audit.js';
import { formatJson, formatMarkdown, formatTable } from '../../src/report.js';

const report: AuditReport = {
  instanceId: '9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa',
  region: 'us-east-1',
  generatedAt: '2027-03-01T12:00:00.000Z',
  profiles: undefined,
  users: 4,
  ran: ['not-checked'],
  skipped: ['unredacted-content'],
  findings: [
    {
      id: 'not-checked',
      severity: 'high',
      title:
        'not checked: ListSecurityProfiles was denied: the auditing role lacks connect:ListSecurityProfiles',
      why: 'until it answers, these checks did not run or saw only part of the instance: unredacted-content',
      fix: 'grant connect:ListSecurityProfiles',
      subjects: [],
    },
    {
      id: 'approved-origins',
      severity: 'high',
      title: 'approved origin http://a|b.example.com uses plain http://',
      why: 'w',
      fix: 'f',
      subjects: ['http://a|b.example.com'],
    },
  ],
};

describe('formatTable', () => {
  it('prints each finding with its rule, and says the report is partial', () => {
    const text = formatTable(report);

    expect(text).toMatch(/^flowguard audit of instance 9308c2a1-.*: \? security profiles, 4 users$/m);
    expect(text).toMatch(/^HIGH {4}not checked: ListSecurityProfiles was denied/m);
    expect(text).toContain('rule: not-checked');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      '2 high, 0 medium, 0 low, 0 info (partial: 1 not_checked, see above)',
    );
  });
});

describe('formatMarkdown', () => {
  it('is one table row per finding, pipes escaped', () => {
    const text = formatMarkdown(report);

    expect(text).toContain('| severity | rule | finding | who/what | why it matters | how to fix |');
    expect(text).toContain(
      '| HIGH | `approved-origins` | approved origin http://a\\|b.example.com uses plain http:// |',
    );
  });
});

describe('formatJson', () => {
  it('is the report itself', () => {
    expect(JSON.parse(formatJson(report))).toEqual(report);
  });
});
