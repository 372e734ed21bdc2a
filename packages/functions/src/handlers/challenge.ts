// challenge: the IVR challenge a flow plays to callers in surge mode (docs/screening.md, "The IVR
// challenge"): `issue` digits bound to the contact, `verify` what the caller pressed, once.
import {
  challengeFunction,
  DynamoScreeningStore,
  readChallengeConfig,
  readScreeningConfig,
  Screener,
  SigningKeys,
  screeningDynamoClient,
} from '@flowguard/caller-screening';
import { flowHandler } from '@flowguard/contact';
import { SecretCache } from '@flowguard/secrets';
import { tableName } from '@flowguard/table';

const config = readScreeningConfig();
const challenge = readChallengeConfig();
const store = new DynamoScreeningStore({ client: screeningDynamoClient(config), tableName: tableName() });

export const handler = flowHandler(
  challengeFunction({
    screener: new Screener({ store, config }),
    store,
    keys:
      challenge.secretId === undefined ? undefined : new SigningKeys(new SecretCache(), challenge.secretId),
    config: challenge,
  }),
);
