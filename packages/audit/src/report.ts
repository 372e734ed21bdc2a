import type { AuditReport } from './audit.js';
import type { Finding, Severity } from './rule.js';
import { NOT_CHECKED } from './rules/index.js';

const LABEL: Readonly<Record<Severity, string>> = {
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
  info: 'INFO',
};

function subjects(finding: Finding, limit = 8): string {
  const shown = finding.subjects.slice(0, limit).join(', ');
  return finding.subjects.length > limit ? `${shown}, and ${finding.subjects.length - limit} more` : shown;
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}${l}`).join('\n');
}

const count = (n: number | undefined) => (n === undefined ? '?' : String(n));

function heading(report: AuditReport): string {
  return `flowguard audit of instance ${report.instanceId}: ${count(report.profiles)} security profiles, ${count(report.users)} users`;
}

function summary(report: AuditReport): string {
  const of = (s: Severity) => report.findings.filter((f) => f.severity === s).length;
  const notChecked = report.findings.filter((f) => f.id === NOT_CHECKED).length;
  const partial = notChecked > 0 ? ` (partial: ${notChecked} not_checked, see above)` : '';
  return `${of('high')} high, ${of('medium')} medium, ${of('low')} low, ${of('info')} info${partial}`;
}

/** A readable terminal report: one block per finding, worst first, then a summary. */
export function formatTable(report: AuditReport): string {
  const out = [heading(report), ''];
  if (report.findings.length === 0) out.push('No findings.', '');
  for (const f of report.findings) {
    out.push(`${LABEL[f.severity].padEnd(7)} ${f.title}`);
    out.push(wrap(`rule: ${f.id}`, 96, '        '));
    if (f.subjects.length > 0) out.push(wrap(`who/what: ${subjects(f)}`, 96, '        '));
    out.push(wrap(`why: ${f.why}`, 96, '        '));
    out.push(wrap(`fix: ${f.fix}`, 96, '        '));
    out.push('');
  }
  out.push(summary(report));
  return `${out.join('\n')}\n`;
}

export function formatMarkdown(report: AuditReport): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = report.findings.map(
    (f) =>
      `| ${LABEL[f.severity]} | \`${f.id}\` | ${cell(f.title)} | ${cell(subjects(f))} | ${cell(f.why)} | ${cell(f.fix)} |`,
  );
  return [
    `# flowguard audit: ${report.instanceId}`,
    '',
    `${count(report.profiles)} security profiles, ${count(report.users)} users. ${summary(report)}.`,
    '',
    '| severity | rule | finding | who/what | why it matters | how to fix |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export function formatJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
