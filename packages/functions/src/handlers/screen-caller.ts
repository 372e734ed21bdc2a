// screen-caller: ALLOW / THROTTLE / BLOCK for the caller (docs/screening.md).
import {
  DynamoScreeningStore,
  readScreeningConfig,
  Screener,
  screenCaller,
  screeningDynamoClient,
} from '@flowguard/caller-screening';
import { flowHandler } from '@flowguard/contact';
import { tableName } from '@flowguard/table';

const config = readScreeningConfig();
const store = new DynamoScreeningStore({ client: screeningDynamoClient(config), tableName: tableName() });

export const handler = flowHandler(screenCaller(new Screener({ store, config })));
