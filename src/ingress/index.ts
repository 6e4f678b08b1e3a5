export { isStreamingEdit, relationsOf, toAdmissions } from './admission.js';
export type { AdmissionPolicy, EventRelations } from './admission.js';
export { DEFAULT_STANDBY_INTERVAL_MS, SyncLoop } from './sync-loop.js';
export type { IngressSink, SyncCoverage, SyncLoopOptions } from './sync-loop.js';
