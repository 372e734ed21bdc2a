// forward-contact-records: each contact record a policy matches goes out minimised (docs/data-minimisation.md).
import { forwardContactRecords, readForwardingConfig } from '@flowguard/forwarding';

export const handler = forwardContactRecords({ config: readForwardingConfig() });
