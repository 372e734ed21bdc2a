// screen-caller: ALLOW / THROTTLE / BLOCK for the caller (docs/screening.md).
import {
  DynamoScreeningStore,
  readScreeningConfig,
  readSignedIdentityConfig,
  Screener,
  type SignedIdentityKeys,
  SigningKeys,
  screenCaller,
  screeningDynamoClient,
} from '@flowguard/caller-screening';
import { flowHandler } from '@flowguard/contact';
import { tableName } from '@flowguard/table';

const config = readScreeningConfig();
const signed = readSignedIdentityConfig();
const store = new DynamoScreeningStore({ client: screeningDynamoClient(config), tableName: tableName() });

/**
 * The edge's signing key, only where it is configured: the Secrets Manager client is loaded then,
 * so a deployment without start-contact starts as fast as before.
 */
async function signing(secretId: string | undefined): Promise<SignedIdentityKeys | undefined> {
  if (secretId === undefined) return undefined;
  const { SecretCache } = await import('@flowguard/secrets');
  return { keys: new SigningKeys(new SecretCache(), secretId), maxAgeSeconds: signed.maxAgeSeconds };
}

export const handler = flowHandler(
  screenCaller(new Screener({ store, config }), await signing(signed.secretId)),
);
