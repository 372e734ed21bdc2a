// flag-caller: an agent blocks the current caller (or a given number) with a reason.
import {
  DynamoScreeningStore,
  flagCaller,
  readScreeningConfig,
  Screener,
  screeningDynamoClient,
} from '@flowguard/caller-screening';
import { flowHandler } from '@flowguard/contact';
import { tableName } from '@flowguard/table';

const config = readScreeningConfig();
const store = new DynamoScreeningStore({ client: screeningDynamoClient(config), tableName: tableName() });

export const handler = flowHandler(flagCaller(new Screener({ store, config })));
