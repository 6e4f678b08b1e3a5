export { Supervisor } from './supervisor.js';
export type {
  SupervisedRun,
  SupervisedState,
  SupervisedStatus,
  SupervisorOptions,
} from './supervisor.js';
export type { MatrixConnector, ProvisionRequest } from './matrix-connector.js';
export { MultiAgentOrchestrator } from './multi-agent-orchestrator.js';
export type { ModelCatalog } from './model-provider.js';
export type { OrchestratorDeps } from './multi-agent-orchestrator.js';
export { TurnCoordinator } from './turn-coordinator.js';
export { txnPrefixFor } from './txn-ids.js';
export type { ReloadOutcome } from './fleet-reloader.js';
