export { Outbox } from './outbox.js';
export type { OutboxClient, OutboxOptions } from './outbox.js';
export { txnPrefixFor } from './txn-ids.js';
export { scrubOutgoingText, withScrubbedSends } from './scrubbing-client.js';
