// start-contact: a website's chat, web call or task, screened before Connect creates it (docs/screening.md).
import { startContactFromEnv } from '@flowguard/edge';

export const handler = startContactFromEnv();
