import { createHash } from 'node:crypto';
import type { AuditReport } from './audit.js';
import type { Rule, Severity } from './rule.js';
import { RULES } from './rules/index.js';

/**
 * SARIF 2.1.0 (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html) for code
 * scanning dashboards. Findings are about an AWS resource, not a file: each result's location is a
 * stable path-like name for the instance (`aws/connect/instance/<id>`), which code scanning accepts
 * as a repository-relative path, and the subjects are its logical locations.
 */
export interface SarifOptions {
  /** Where docs/audit.md is read; each rule's helpUri is this plus `#<rule id>`. */
  readonly docsUrl?: string;
  readonly toolVersion?: string;
}

export const DEFAULT_DOCS_URL = 'docs/audit.md';

const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub's `security-severity` scale (0-10) for the rule's worst finding. */
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

function descriptor(rule: Rule, docsUrl: string) {
  const links = rule.guidance.map((g) => `- [${g.title}](${g.url})`).join('\n');
  return {
    id: rule.id,
    name: rule.id.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase()),
    shortDescription: { text: rule.summary },
    helpUri: `${docsUrl}#${rule.id}`,
    help: {
      text: `${rule.summary}. See ${docsUrl}#${rule.id}.`,
      markdown: `${rule.summary}.\n\n[flowguard audit: ${rule.id}](${docsUrl}#${rule.id})${links ? `\n\nGuidance:\n${links}` : ''}`,
    },
    defaultConfiguration: { level: LEVEL[rule.severity] },
    properties: {
      tags: ['security', 'amazon-connect'],
      'security-severity': SECURITY_SEVERITY[rule.severity],
    },
  };
}

export function formatSarif(report: AuditReport, options: SarifOptions = {}): string {
  const docsUrl = options.docsUrl ?? DEFAULT_DOCS_URL;
  const index = new Map(RULES.map((rule, i) => [rule.id, i]));
  const artifact = `aws/connect/instance/${report.instanceId}`;
  const results = report.findings.map((finding) => ({
    ruleId: finding.id,
    ruleIndex: index.get(finding.id) ?? -1,
    level: LEVEL[finding.severity],
    message: { text: `${finding.title}. Why: ${finding.why}. Fix: ${finding.fix}.` },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: artifact } },
        logicalLocations: [
          { name: report.instanceId, kind: 'resource', fullyQualifiedName: artifact },
          ...finding.subjects.slice(0, 20).map((subject) => ({ name: subject, kind: 'object' })),
        ],
      },
    ],
    partialFingerprints: {
      'flowguardAudit/v1': createHash('sha256')
        .update([report.instanceId, finding.id, finding.subjects[0] ?? finding.title].join('\n'))
        .digest('hex'),
    },
    properties: { severity: finding.severity, subjects: finding.subjects },
  }));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'flowguard audit',
            informationUri: docsUrl,
            ...(options.toolVersion ? { version: options.toolVersion } : {}),
            rules: RULES.map((rule) => descriptor(rule, docsUrl)),
          },
        },
        automationDetails: { id: `flowguard-audit/${report.instanceId}/` },
        invocations: [{ executionSuccessful: true, endTimeUtc: report.generatedAt }],
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
