export { isStreamingEdit, relationsOf, toAdmissions } from './admission.js';
export type { AdmissionPolicy, EventRelations } from './admission.js';
export { DEFAULT_STANDBY_INTERVAL_MS, SyncLoop } from './sync-loop.js';
export type { IngressSink, SyncCoverage, SyncLoopOptions } from './sync-loop.js';
export { UNDECRYPTABLE_NOTE, UndecryptableNotifier } from './undecryptable-notifier.js';
export type { NoteSender, UndecryptableNotifierOptions } from './undecryptable-notifier.js';
export { RouterSyncCoverage } from './router-sync-coverage.js';
export type { RefreshableSync, RouterSyncCoverageDeps } from './router-sync-coverage.js';
