import type { Decision } from '../routing/index.js';

/** A decision as one short line, for the journal's `decision` column, logs and metrics. */
export function summarizeDecision(decision: Decision): string {
  switch (decision.kind) {
    case 'ignore':
      return `ignore:${decision.reason}`;
    case 'respond':
      return `respond:${decision.responders.join(',')}:${decision.via}`;
    case 'route':
      return `route:${decision.candidates.join(',')}`;
    case 'regenerate':
      return `regenerate:${decision.responders.join(',')}`;
    case 'stop':
      return `stop:${decision.turns.map((turn) => turn.responder).join(',')}`;
    case 'command':
      return `command:${decision.name}`;
    case 'join':
      return `join:${decision.entity}`;
    case 'team':
      return `team:${decision.members.join(',')}:${decision.via}`;
    case 'interaction':
      return `interaction:${decision.via}`;
  }
}
