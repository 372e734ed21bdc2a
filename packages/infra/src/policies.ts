import { aws_iam as iam } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * A role whose permissions live in one customer-managed policy attached to it (no inline policy),
 * so the role, and whatever uses it, is created only once the policy is in place.
 */
export function roleWithPolicy(
  scope: Construct,
  id: string,
  props: { assumedBy: iam.IPrincipal; description: string },
): { role: iam.Role; policy: iam.ManagedPolicy } {
  const policy = new iam.ManagedPolicy(scope, `${id}-policy`, { description: props.description });
  const role = new iam.Role(scope, id, { ...props, managedPolicies: [policy] });
  return { role, policy };
}
