import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Runs the AWS Solutions and NIST 800-53 rev 5 rule packs over `scope` at synthesis: a finding
 * not acknowledged (with its reason, next to the resource it concerns) fails the synth.
 */
export function flowguardChecks(scope: IConstruct): void {
  Validations.of(scope).addPlugins(new AwsSolutionsChecks(scope), new NIST80053R5Checks(scope));
}

/** The logical id of a construct's resource, as cdk-nag names it in a finding (`<id.Arn>`). */
export function logicalId(construct: IConstruct): string {
  const resource = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(resource);
}
