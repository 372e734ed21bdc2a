// forward-recordings: the recordings of the contacts a policy matches, copied server-side (docs/data-minimisation.md).
import { forwardRecordings, readRecordingsForwardingConfig } from '@flowguard/forwarding';

export const handler = forwardRecordings({ config: readRecordingsForwardingConfig() });
