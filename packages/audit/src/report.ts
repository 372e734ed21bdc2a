import type { AuditReport, Finding } from './audit.js';

const LABEL = { high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFO' } as const;

function subjects(finding: Finding, limit = 8): string {
  const shown = finding.subjects.slice(0, limit).join(', ');
  return finding.subjects.length > limit ? `${shown}, and ${finding.subjects.length - limit} more` : shown;
}

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}${l}`).join('\n');
}

/** A readable terminal report: one block per finding, worst first, then a summary. */
export function formatTable(report: AuditReport): string {
  const out = [
    `flowguard audit of instance ${report.instanceId}: ${report.profiles} security profiles, ${report.users} users`,
    '',
  ];
  for (const warning of report.warnings) out.push(`WARNING  ${warning}`);
  if (report.warnings.length > 0) out.push('');
  if (report.findings.length === 0) out.push('No findings.');
  for (const f of report.findings) {
    out.push(`${LABEL[f.severity].padEnd(7)} ${f.title}`);
    if (f.subjects.length > 0) out.push(wrap(`who: ${subjects(f)}`, 96, '        '));
    out.push(wrap(`why: ${f.why}`, 96, '        '));
    out.push(wrap(`fix: ${f.fix}`, 96, '        '));
    out.push('');
  }
  const count = (s: Finding['severity']) => report.findings.filter((f) => f.severity === s).length;
  out.push(
    `${count('high')} high, ${count('medium')} medium, ${count('low')} low, ${count('info')} info${report.warnings.length ? ' (partial report)' : ''}`,
  );
  return `${out.join('\n')}\n`;
}

export function formatMarkdown(report: AuditReport): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = report.findings.map(
    (f) =>
      `| ${LABEL[f.severity]} | ${cell(f.title)} | ${cell(subjects(f))} | ${cell(f.why)} | ${cell(f.fix)} |`,
  );
  return [
    `# flowguard audit: ${report.instanceId}`,
    '',
    `${report.profiles} security profiles, ${report.users} users.`,
    '',
    ...report.warnings.map((w) => `> **Warning:** ${w}`),
    ...(report.warnings.length ? [''] : []),
    '| severity | finding | who | why it matters | how to fix |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export function formatJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
