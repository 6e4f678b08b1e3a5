export { isStreamingEdit, relationsOf, toAdmissions } from './admission.js';
export type { AdmissionPolicy, EventRelations } from './admission.js';
export { SyncLoop } from './sync-loop.js';
export type { IngressSink, SyncLoopOptions } from './sync-loop.js';
