import {
  CfnCondition,
  type CfnResource,
  aws_connect as connect,
  Fn,
  type ICfnConditionExpression,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { jsonSafePem } from './flows.js';

/** One of the instance's two security-key slots: the public key Connect holds, and its certificate. */
export interface ConnectKeySlot {
  /** PEM public key registered with the instance; empty (e.g. a parameter left empty) for no key. */
  readonly publicKey: string;
  /** PEM certificate of the same key, written into the flows' InputEncryption. */
  readonly certificate: string;
}

/**
 * The stack owns the instance's security keys: Connect allows two, so the stack has two slots.
 * A rotation fills the empty slot, switches `active` to it, then empties the old one; no step
 * ever needs a third key.
 */
export interface ManagedConnectKeys {
  readonly kind: 'managed';
  readonly slotA?: ConnectKeySlot;
  readonly slotB?: ConnectKeySlot;
  /** `A` or `B` (or a parameter's value holding one): the slot the flows encrypt with. */
  readonly active: string;
}

/** The security key is registered outside this stack: the flows use its id and certificate. */
export interface ExternalConnectKey {
  readonly kind: 'external';
  readonly keyId: string;
  readonly certificate: string;
}

export type ConnectKeyHandling = ManagedConnectKeys | ExternalConnectKey;

/** The key the flows encrypt with: deploy-time values, and what a flow must wait for. */
export interface ActiveConnectKey {
  readonly keyId: string;
  /** The certificate, already safe inside a JSON string. */
  readonly certificate: string;
  /** Key resources created unconditionally (those under a condition are reached through Fn::If). */
  readonly dependencies: readonly CfnResource[];
}

type When = 'always' | 'never' | CfnCondition;

const SLOTS = ['A', 'B'] as const;

/**
 * The instance's security keys and the one the flows use. A slot whose public key is a deploy-time
 * value exists only when that value is not empty (a condition); the flows pick the active slot's
 * AssociationId and certificate with Fn::If, which is also how they come to depend on it.
 */
export class ConnectKeys extends Construct {
  /** The security keys by slot (a slot given a deploy-time key carries its condition). */
  readonly slots = new Map<'A' | 'B', connect.CfnSecurityKey>();
  readonly active: ActiveConnectKey | undefined;

  constructor(scope: Construct, id: string, props: { instanceArn: string; handling: ConnectKeyHandling }) {
    super(scope, id);
    const { handling } = props;
    if (handling.kind === 'external') {
      this.active = {
        keyId: handling.keyId,
        certificate: jsonSafePem(handling.certificate),
        dependencies: [],
      };
      return;
    }

    const chosen: {
      when: Exclude<When, 'never'>;
      keyId: string;
      certificate: string;
      resource: connect.CfnSecurityKey;
    }[] = [];
    for (const name of SLOTS) {
      const slot = name === 'A' ? handling.slotA : handling.slotB;
      const exists = this.existence(name, slot);
      if (!slot || exists === 'never') continue;
      const key = new connect.CfnSecurityKey(this, `Slot${name}`, {
        instanceId: props.instanceArn,
        key: slot.publicKey,
      });
      if (exists !== 'always') {
        key.cfnOptions.condition = exists;
        Validations.of(key).acknowledge({
          id: 'CloudFormation-Validate::W1030',
          reason:
            'An empty public key is how a slot is left free: the key resource exists only when its value is not empty (condition)',
        });
      }
      this.slots.set(name, key);
      const when = this.and(`Use${name}`, exists, this.isActive(name, handling.active));
      if (when !== 'never') {
        chosen.push({ when, keyId: key.attrAssociationId, certificate: slot.certificate, resource: key });
      }
    }
    if (chosen.length === 0) return;

    const pick = (value: (c: (typeof chosen)[number]) => string) =>
      chosen.reduceRight<string>(
        (otherwise, c) =>
          c.when === 'always' ? value(c) : Fn.conditionIf(c.when.logicalId, value(c), otherwise).toString(),
        '',
      );
    this.active = {
      keyId: pick((c) => c.keyId),
      certificate: jsonSafePem(pick((c) => c.certificate)),
      dependencies: chosen.filter((c) => c.when === 'always').map((c) => c.resource),
    };
  }

  /** Whether a slot's key exists: a deploy-time public key exists only when it is not empty. */
  private existence(name: string, slot: ConnectKeySlot | undefined): When {
    if (!slot) return 'never';
    if (!Token.isUnresolved(slot.publicKey)) return slot.publicKey.trim() === '' ? 'never' : 'always';
    return new CfnCondition(this, `Has${name}`, {
      expression: Fn.conditionNot(Fn.conditionEquals(slot.publicKey, '')),
    });
  }

  private isActive(name: string, active: string): When {
    if (!Token.isUnresolved(active)) return active === name ? 'always' : 'never';
    return new CfnCondition(this, `Active${name}`, { expression: Fn.conditionEquals(active, name) });
  }

  private and(id: string, a: When, b: When): When {
    if (a === 'never' || b === 'never') return 'never';
    if (a === 'always') return b;
    if (b === 'always') return a;
    const both: ICfnConditionExpression = Fn.conditionAnd(a, b);
    return new CfnCondition(this, id, { expression: both });
  }
}
