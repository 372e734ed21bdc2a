import type { Flow } from '@flowguard/flow-sim';

/** What a flow or module reaches outside itself, as its published content names it. */
export interface FlowReferences {
  /** `InvokeLambdaFunction` `LambdaFunctionARN`s given as text. */
  readonly lambdas: readonly string[];
  /** `ConnectParticipantWithLexBot` `LexV2Bot.AliasArn`s given as text. */
  readonly lexV2: readonly string[];
  /** `ConnectParticipantWithLexBot` `LexBot` (Lex V1) by name and region. */
  readonly lexV1: readonly { readonly name: string; readonly region: string | undefined }[];
  /** `InvokeFlowModule` `FlowModuleId`s (an ARN is reduced to the module id). */
  readonly modules: readonly string[];
  /** A reference given as an attribute (`$.External.fn`): its target is known only at run time. */
  readonly dynamic: { readonly lambda: boolean; readonly lex: boolean; readonly module: boolean };
  /** Encrypted customer input: the key id and the certificate the block encrypts with. */
  readonly encryption: readonly {
    readonly action: string;
    readonly keyId: string;
    readonly certificate: string;
  }[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A value Connect resolves per contact (`$.Attributes.x`), or one the designer left non-text. */
const isDynamic = (value: unknown) => typeof value !== 'string' || value.trim().startsWith('$.');

const moduleId = (value: string) => value.split('/flow-module/').at(-1) ?? value;

export function flowReferences(flow: Flow): FlowReferences {
  const lambdas = new Set<string>();
  const lexV2 = new Set<string>();
  const lexV1 = new Map<string, { name: string; region: string | undefined }>();
  const modules = new Set<string>();
  const dynamic = { lambda: false, lex: false, module: false };
  const encryption: { action: string; keyId: string; certificate: string }[] = [];

  for (const action of flow.Actions) {
    const p = action.Parameters;
    if (action.Type === 'InvokeLambdaFunction') {
      if (isDynamic(p.LambdaFunctionARN)) dynamic.lambda = true;
      else lambdas.add(String(p.LambdaFunctionARN).trim());
    }
    if (action.Type === 'ConnectParticipantWithLexBot') {
      if (isObject(p.LexV2Bot)) {
        if (isDynamic(p.LexV2Bot.AliasArn)) dynamic.lex = true;
        else lexV2.add(String(p.LexV2Bot.AliasArn).trim());
      } else if (isObject(p.LexBot)) {
        if (isDynamic(p.LexBot.Name)) dynamic.lex = true;
        else {
          const name = String(p.LexBot.Name);
          const region = typeof p.LexBot.Region === 'string' ? p.LexBot.Region : undefined;
          lexV1.set(`${name}@${region}`, { name, region });
        }
      } else dynamic.lex = true;
    }
    if (action.Type === 'InvokeFlowModule') {
      if (isDynamic(p.FlowModuleId)) dynamic.module = true;
      else modules.add(moduleId(String(p.FlowModuleId).trim()));
    }
    if (isObject(p.InputEncryption)) {
      const { EncryptionKeyId, Key } = p.InputEncryption;
      encryption.push({
        action: action.Identifier,
        keyId: typeof EncryptionKeyId === 'string' ? EncryptionKeyId : '',
        certificate: typeof Key === 'string' ? Key : '',
      });
    }
  }
  return {
    lambdas: [...lambdas],
    lexV2: [...lexV2],
    lexV1: [...lexV1.values()],
    modules: [...modules],
    dynamic,
    encryption,
  };
}
