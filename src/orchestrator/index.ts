export type { MatrixConnector, ProvisionRequest } from './matrix-connector.js';
export { MultiAgentOrchestrator } from './multi-agent-orchestrator.js';
export type { OrchestratorDeps } from './multi-agent-orchestrator.js';
export type { ReloadOutcome } from './fleet-reloader.js';
