/**
 * services/: features that live beside the fleet and plug into turns through the turn
 * runner's seams (prompt context, tool sources, commands, turn ends): memory and knowledge
 * bases today. The orchestrator wires each `FleetService` and decides nothing about it.
 */
export type { FleetService, FleetServiceFactory, FleetServiceHost } from './fleet-service.js';
export { journalConversations } from './conversation-source.js';
export { memoryAndKnowledgeService } from './memory-and-knowledge.js';
export type { MemoryAndKnowledgeDeps } from './memory-and-knowledge.js';
