import { X509Certificate } from 'node:crypto';
import { type Finding, GUIDANCE, plural, type Rule, value } from '../rule.js';

const DAY_MS = 86_400_000;

/** Key ids the published flows encrypt with. */
function keysInUse(flows: {
  items: readonly { references?: { encryption: readonly { keyId: string }[] } | undefined }[];
}) {
  return new Set(flows.items.flatMap((item) => item.references?.encryption.map((e) => e.keyId) ?? []));
}

const keyRotation: Rule = {
  id: 'security-key-rotation',
  summary: 'two security keys active past the rotation window',
  severity: 'medium',
  guidance: [GUIDANCE.encryptInput],
  needs: ['securityKeys'],
  reads: ['flows'],
  check(facts, options) {
    const keys = value(facts, 'securityKeys');
    if (keys.length < 2) return [];
    const newest = Math.max(...keys.map((key) => key.created?.getTime() ?? options.now.getTime()));
    const days = Math.floor((options.now.getTime() - newest) / DAY_MS);
    if (days <= options.keyRotationDays) return [];
    const used = facts.flows.ok ? keysInUse(facts.flows.value) : undefined;
    const idle = used
      ? keys.filter((key) => !used.has(key.associationId)).map((key) => key.associationId)
      : [];
    return [
      {
        id: 'security-key-rotation',
        severity: 'medium',
        title: `${plural(keys.length, 'security key')} active, the newer added ${plural(days, 'day')} ago (window ${options.keyRotationDays})${idle.length > 0 ? `; no published flow uses ${idle.join(', ')}` : ''}`,
        why: 'a second key belongs to a rotation in progress; left in place, the old key (and whoever still holds its private half) keeps working, and the next rotation has no free slot',
        fix: 'finish the rotation: once no contact started before the switch is still in a flow, remove the old key and its private key',
        subjects: keys.map((key) => key.associationId),
      },
    ];
  },
};

const certificateExpiry: Rule = {
  id: 'flow-certificate-expiry',
  summary: 'a certificate in a flow’s encrypted input expired or about to',
  severity: 'high',
  guidance: [GUIDANCE.encryptInput],
  needs: ['flows'],
  check(facts, options) {
    return value(facts, 'flows').items.flatMap((item) =>
      (item.references?.encryption ?? []).flatMap((input): Finding[] => {
        const where = `${item.kind} ${item.name}, block ${input.action}`;
        let validTo: Date;
        try {
          validTo = new Date(new X509Certificate(input.certificate).validTo);
        } catch {
          return [
            {
              id: 'flow-certificate-expiry',
              severity: 'medium',
              title: `${where}: the encryption certificate is not a readable X.509 certificate`,
              why: 'Connect encrypts the input with the certificate in the block; one it cannot use sends callers down the Error branch',
              fix: 'put the PEM certificate of the instance’s current security key into the block',
              subjects: [item.name],
            },
          ];
        }
        const days = Math.floor((validTo.getTime() - options.now.getTime()) / DAY_MS);
        if (days > options.certificateExpiryDays) return [];
        const expired = days < 0;
        return [
          {
            id: 'flow-certificate-expiry',
            severity: expired ? 'high' : 'medium',
            title: expired
              ? `${where}: the encryption certificate expired ${validTo.toISOString().slice(0, 10)}`
              : `${where}: the encryption certificate expires ${validTo.toISOString().slice(0, 10)} (in ${plural(days, 'day')})`,
            why: 'when the certificate in the flow expires, encrypted input stops working and callers cannot complete secure entry',
            fix: 'rotate the key: add a new key and certificate, switch the flows to it, then remove the old key',
            subjects: [item.name],
          },
        ];
      }),
    );
  },
};

const encryptionKeyKnown: Rule = {
  id: 'flow-encryption-key',
  summary: 'a flow encrypts input under a key id the instance does not list',
  severity: 'medium',
  guidance: [GUIDANCE.encryptInput],
  needs: ['flows', 'securityKeys'],
  check(facts) {
    const known = new Set(value(facts, 'securityKeys').map((key) => key.associationId));
    return value(facts, 'flows').items.flatMap((item) =>
      (item.references?.encryption ?? [])
        .filter((input) => !known.has(input.keyId))
        .map((input) => ({
          id: 'flow-encryption-key',
          severity: 'medium' as const,
          title: `${item.kind} ${item.name}, block ${input.action}: key id ${input.keyId || '(none)'} is not one of the instance's security keys`,
          why: 'the function that decrypts picks its private key by this id; an id the instance no longer lists means a rotation removed the key before the flow moved on',
          fix: 'point the block at the current security key (id and certificate), or restore the key until the flow is updated',
          subjects: [item.name],
        })),
    );
  },
};

export const KEY_RULES: readonly Rule[] = [keyRotation, certificateExpiry, encryptionKeyKnown];
