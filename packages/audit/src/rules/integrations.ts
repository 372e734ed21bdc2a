import type { FlowFacts, FlowInventory } from '../facts.js';
import { type Finding, GUIDANCE, type Rule, value } from '../rule.js';

const approvedOrigins: Rule = {
  id: 'approved-origins',
  summary: 'an approved origin with a wildcard or plain http://',
  severity: 'high',
  guidance: [GUIDANCE.approvedOrigins, GUIDANCE.designPrinciples],
  needs: ['approvedOrigins'],
  check(facts) {
    return value(facts, 'approvedOrigins').flatMap((origin): Finding[] => {
      const wildcard = origin.includes('*');
      const plain = /^http:\/\//i.test(origin.trim());
      if (!wildcard && !plain) return [];
      const what = [wildcard ? 'a wildcard' : '', plain ? 'plain http://' : ''].filter(Boolean).join(' and ');
      return [
        {
          id: 'approved-origins',
          severity: 'high',
          title: `approved origin ${origin} uses ${what}`,
          why: 'every page on an approved origin can embed the softphone and chat of this instance; a wildcard lets in domains nobody reviewed, and plain http lets anyone on the network change the page',
          fix: 'list each domain that embeds the instance exactly, with https://, and remove the ones no longer used',
          subjects: [origin],
        },
      ];
    });
  },
};

/** What the published flows reach, through the modules they invoke. */
interface Reach {
  readonly lambdas: ReadonlySet<string>;
  readonly lexV2: ReadonlySet<string>;
  readonly lexV1: readonly { readonly name: string; readonly region: string | undefined }[];
  /** Why the reach may be wider than listed (a reference given as an attribute, content unread). */
  readonly uncertain: readonly string[];
}

function reach(inventory: FlowInventory): Reach {
  const modules = new Map(inventory.items.filter((f) => f.kind === 'module').map((m) => [m.id, m]));
  const uncertain = new Set<string>();
  if (!inventory.modulesListed) uncertain.add('the flow modules could not be listed');
  const visited = new Set<FlowFacts>();
  const queue = inventory.items.filter((item) => item.kind === 'flow');
  for (let item = queue.shift(); item; item = queue.shift()) {
    if (visited.has(item)) continue;
    visited.add(item);
    const refs = item.references;
    if (!refs) {
      uncertain.add(`the content of ${item.kind} ${item.name} could not be read`);
      continue;
    }
    if (refs.dynamic.lambda || refs.dynamic.lex)
      uncertain.add(`${item.kind} ${item.name} names a target by attribute`);
    if (refs.dynamic.module) queue.push(...modules.values());
    for (const id of refs.modules) {
      const module = modules.get(id);
      if (module) queue.push(module);
    }
  }
  const reached = [...visited].flatMap((item) => (item.references ? [item.references] : []));
  return {
    lambdas: new Set(reached.flatMap((r) => r.lambdas)),
    lexV2: new Set(reached.flatMap((r) => r.lexV2)),
    lexV1: reached.flatMap((r) => r.lexV1),
    uncertain: [...uncertain],
  };
}

const caveat = (uncertain: readonly string[]) =>
  uncertain.length > 0 ? ` (low: ${uncertain.slice(0, 3).join('; ')}, so it may be used after all)` : '';

const unusedLambda: Rule = {
  id: 'unused-lambda-function',
  summary: 'a Lambda function associated with the instance that no published flow or module invokes',
  severity: 'medium',
  guidance: [GUIDANCE.designPrinciples, GUIDANCE.securityBestPractices],
  needs: ['lambdaFunctions', 'flows'],
  check(facts) {
    const reached = reach(value(facts, 'flows'));
    return value(facts, 'lambdaFunctions')
      .filter((arn) => !reached.lambdas.has(arn))
      .map((arn) => ({
        id: 'unused-lambda-function',
        severity: reached.uncertain.length > 0 ? 'low' : 'medium',
        title: `Lambda function ${arn} is associated but no published flow or module invokes it${caveat(reached.uncertain)}`,
        why: 'an association is a standing permission for the instance to invoke the function; unused ones widen what a flow edit can reach',
        fix: 'remove the association (DisassociateLambdaFunction) once nothing needs it',
        subjects: [arn],
      }));
  },
};

const unassociatedLambda: Rule = {
  id: 'unassociated-lambda-function',
  summary: 'a published flow invokes a Lambda function that is not associated with the instance',
  severity: 'medium',
  guidance: [GUIDANCE.designPrinciples],
  needs: ['lambdaFunctions', 'flows'],
  check(facts) {
    const associated = new Set(value(facts, 'lambdaFunctions'));
    return value(facts, 'flows').items.flatMap((item): Finding[] => {
      const missing = (item.references?.lambdas ?? []).filter((arn) => !associated.has(arn));
      return missing.map((arn) => ({
        id: 'unassociated-lambda-function',
        severity: 'medium',
        title: `${item.kind} ${item.name} invokes ${arn}, which is not associated with the instance`,
        why: 'Connect can only invoke associated functions: the block takes its Error branch, so the screening or validation it stands for does not happen',
        fix: 'associate the function (or its alias) the flow names, or correct the ARN in the flow',
        subjects: [item.name, arn],
      }));
    });
  },
};

/** A flow's Lex V1 reference names the bot, and its region unless it is the instance's. */
const sameV1 = (ref: { name: string; region: string | undefined }, bot: { name: string; region: string }) =>
  ref.name === bot.name && (ref.region === undefined || ref.region === bot.region);

const unusedLexBot: Rule = {
  id: 'unused-lex-bot',
  summary: 'a Lex bot associated with the instance that no published flow or module uses',
  severity: 'medium',
  guidance: [GUIDANCE.designPrinciples, GUIDANCE.securityBestPractices],
  needs: ['lexBots', 'flows'],
  check(facts) {
    const reached = reach(value(facts, 'flows'));
    return value(facts, 'lexBots').flatMap((bot): Finding[] => {
      const used =
        bot.version === 'V2'
          ? reached.lexV2.has(bot.aliasArn)
          : reached.lexV1.some((ref) => sameV1(ref, bot));
      if (used) return [];
      const name = bot.version === 'V2' ? bot.aliasArn : `${bot.name} (Lex V1, ${bot.region})`;
      return [
        {
          id: 'unused-lex-bot',
          severity: reached.uncertain.length > 0 ? 'low' : 'medium',
          title: `Lex bot ${name} is associated but no published flow or module uses it${caveat(reached.uncertain)}`,
          why: 'an associated bot can be put in front of callers by any flow edit, and it receives what callers say and type',
          fix: 'remove the association once nothing needs it',
          subjects: [name],
        },
      ];
    });
  },
};

const unassociatedLexBot: Rule = {
  id: 'unassociated-lex-bot',
  summary: 'a published flow uses a Lex bot that is not associated with the instance',
  severity: 'medium',
  guidance: [GUIDANCE.designPrinciples],
  needs: ['lexBots', 'flows'],
  check(facts) {
    const bots = value(facts, 'lexBots');
    const v2 = new Set(bots.flatMap((b) => (b.version === 'V2' ? [b.aliasArn] : [])));
    const v1 = bots.flatMap((b) => (b.version === 'V1' ? [b] : []));
    return value(facts, 'flows').items.flatMap((item): Finding[] => {
      const refs = item.references;
      if (!refs) return [];
      const missing = [
        ...refs.lexV2.filter((arn) => !v2.has(arn)),
        ...refs.lexV1
          .filter((ref) => !v1.some((bot) => sameV1(ref, bot)))
          .map((ref) => `${ref.name} (Lex V1${ref.region ? `, ${ref.region}` : ''})`),
      ];
      return missing.map((bot) => ({
        id: 'unassociated-lex-bot',
        severity: 'medium',
        title: `${item.kind} ${item.name} uses Lex bot ${bot}, which is not associated with the instance`,
        why: 'Connect can only use associated bots: the block takes its Error branch',
        fix: 'associate the bot alias the flow names, or correct the flow',
        subjects: [item.name, bot],
      }));
    });
  },
};

export const INTEGRATION_RULES: readonly Rule[] = [
  approvedOrigins,
  unusedLambda,
  unassociatedLambda,
  unusedLexBot,
  unassociatedLexBot,
];
