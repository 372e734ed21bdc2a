import { AUDIT_APIS } from '../apis.js';
import type { Failure } from '../facts.js';
import { type Finding, plural, type Rule } from '../rule.js';
import { DETECTIVE_RULES } from './detective.js';
import { INSTANCE_RULES } from './instance.js';
import { INTEGRATION_RULES } from './integrations.js';
import { KEY_RULES } from './keys.js';
import { PERMISSION_RULES } from './permissions.js';

export const NOT_CHECKED = 'not-checked';

const CHECKS: readonly Rule[] = [
  ...PERMISSION_RULES,
  ...INTEGRATION_RULES,
  ...KEY_RULES,
  ...INSTANCE_RULES,
  ...DETECTIVE_RULES,
];

const REASONS: Readonly<Record<Failure['reason'], (actions: string, error: string) => string>> = {
  denied: (actions) => `was denied: the auditing role lacks ${actions}`,
  throttled: () => "was still throttled after the SDK's retries",
  unavailable: () => 'is not available here (region, account or endpoint)',
  'not-found': (_, error) => `answered ${error} (is the instance id right?)`,
  unreadable: () => 'returned content that is not the flow language',
  error: (_, error) => `failed with ${error}`,
};

/** The checks that read a fact: the ones a failure collecting it leaves undone. */
const affected = (failure: Failure) =>
  CHECKS.filter((rule) => [...rule.needs, ...(rule.reads ?? [])].includes(failure.fact)).map((r) => r.id);

/** Fail closed: every call that did not answer is a finding of its own, naming what it stopped. */
const notChecked: Rule = {
  id: NOT_CHECKED,
  summary: 'a check that could not run (access denied, throttled, unavailable, unreadable)',
  severity: 'high',
  guidance: [],
  needs: [],
  check(facts, options) {
    const groups = new Map<string, Failure[]>();
    for (const failure of facts.failures) {
      const key = `${failure.api}|${failure.reason}|${failure.error}`;
      groups.set(key, [...(groups.get(key) ?? []), failure]);
    }
    return [...groups.values()].map((failures): Finding => {
      const [first] = failures as [Failure, ...Failure[]];
      const actions = AUDIT_APIS[first.api].join(' and ');
      const about = [...new Set(failures.flatMap((f) => (f.about ? [f.about] : [])))];
      const rules = [...new Set(failures.flatMap(affected))];
      return {
        id: NOT_CHECKED,
        severity: options.notCheckedSeverity,
        title: `not checked: ${first.api} ${REASONS[first.reason](actions, first.error)}${about.length > 0 ? ` (${plural(about.length, 'call')})` : ''}`,
        why: `until it answers, these checks did not run or saw only part of the instance: ${rules.join(', ')}`,
        fix:
          first.reason === 'denied'
            ? `grant ${actions} to the auditing role (packages/audit/iam-policy.json lists every action the audit needs)`
            : 'run the audit again; if it repeats, check the region and the instance id',
        subjects: about,
      };
    });
  },
};

/** Every rule, in report order; ids are stable and documented in docs/audit.md. */
export const RULES: readonly Rule[] = [notChecked, ...CHECKS];
