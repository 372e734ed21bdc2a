// The Connect management calls worth an alert: one list, read by the audit (which requires an
// EventBridge rule on the first eight) and by the CDK stack (whose rule watches them all).
// Data only, so the stack imports it without the audit's SDK clients.

/**
 * Calls that lead to account takeover, data leaving the instance or the flows changing behind
 * flowguard's back (names as in the Amazon Connect API reference).
 */
export const WATCHED_CONNECT_CALLS = [
  // Identity: an e-mail changed (then a password reset), new users, users given more rights.
  'UpdateUserIdentityInfo',
  'UpdateUserSecurityProfiles',
  'CreateUser',
  // Security profiles themselves.
  'CreateSecurityProfile',
  'UpdateSecurityProfile',
  'DeleteSecurityProfile',
  // The keys Connect encrypts customer input with.
  'AssociateSecurityKey',
  'DisassociateSecurityKey',
  // Where recordings, transcripts and contact records go.
  'AssociateInstanceStorageConfig',
  'UpdateInstanceStorageConfig',
  // Which functions the flows may call, and the flows themselves.
  'AssociateLambdaFunction',
  'DisassociateLambdaFunction',
  'UpdateContactFlowContent',
  // Which web origins may embed the instance's chat and softphone.
  'AssociateApprovedOrigin',
] as const;

export type WatchedCall = (typeof WATCHED_CONNECT_CALLS)[number];

/**
 * The calls the audit requires an enabled EventBridge rule with a target for (rule
 * `change-alerts`): account takeover and data leaving the instance.
 */
export const WATCHED_EVENTS = [
  'UpdateUserIdentityInfo',
  'UpdateUserSecurityProfiles',
  'CreateUser',
  'UpdateSecurityProfile',
  'AssociateSecurityKey',
  'UpdateInstanceStorageConfig',
  'AssociateApprovedOrigin',
  'AssociateLambdaFunction',
] as const satisfies readonly WatchedCall[];
