/** The tables of docs/audit.md that are generated from the code, so they cannot drift from it. */
import { AUDIT_APIS, auditPolicy } from '../../../src/apis.js';
import { PERMISSION_CATALOGUE, PERMISSION_LIST_URL } from '../../../src/permissions.js';
import { RULES } from '../../../src/rules/index.js';

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function rulesTable(): string {
  return [
    '| rule | worst | looks for | guidance |',
    '| --- | --- | --- | --- |',
    ...RULES.map(
      (rule) =>
        `| [\`${rule.id}\`](#${rule.id}) | ${rule.severity} | ${cell(rule.summary)} | ${rule.guidance.map((g) => `[${g.title.replace(/^Amazon Connect: /, '')}](${g.url})`).join(', ') || '—'} |`,
    ),
  ].join('\n');
}

export function apisTable(): string {
  return [
    '| API | IAM actions |',
    '| --- | --- |',
    ...Object.entries(AUDIT_APIS).map(
      ([api, actions]) => `| \`${api}\` | ${actions.map((a) => `\`${a}\``).join(', ')} |`,
    ),
  ].join('\n');
}

export function policyBlock(): string {
  return ['```json', JSON.stringify(auditPolicy(), null, 2), '```'].join('\n');
}

export function permissionsTable(): string {
  const all = [...PERMISSION_CATALOGUE.values()];
  const rated = all.filter((p) => p.rating !== 'none');
  const note = (p: (typeof all)[number]) =>
    [p.legacy ? 'legacy' : '', p.unlisted ? 'not on the page' : '', p.also ?? ''].filter(Boolean).join('; ');
  return [
    `${all.length} names from [the permission list](${PERMISSION_LIST_URL}) (${all.filter((p) => p.legacy).length} legacy, ${all.filter((p) => p.unlisted).length} returned by Connect but not on the page); the ${rated.length} that carry a risk:`,
    '',
    '| permission | area | rating | rule | notes |',
    '| --- | --- | --- | --- | --- |',
    ...rated.map(
      (p) => `| \`${p.name}\` | ${p.area} | ${p.rating} | [\`${p.risk}\`](#${p.risk}) | ${cell(note(p))} |`,
    ),
  ].join('\n');
}

export const GENERATED = {
  rules: rulesTable,
  apis: apisTable,
  policy: policyBlock,
  permissions: permissionsTable,
} as const;
