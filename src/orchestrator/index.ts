export { BotSupervisor } from './bot-supervisor.js';
export type { BotRunner, BotState, BotStatus, BotSupervisorOptions } from './bot-supervisor.js';
export type { MatrixConnector, ProvisionRequest } from './matrix-connector.js';
export { MultiAgentOrchestrator } from './multi-agent-orchestrator.js';
export type { ModelCatalog, OrchestratorDeps } from './multi-agent-orchestrator.js';
export { TurnCoordinator } from './turn-coordinator.js';
export { txnPrefixFor } from './txn-ids.js';
export type { ReloadOutcome } from './fleet-reloader.js';
