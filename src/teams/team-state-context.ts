import type { ContextProvider } from '../agents/index.js';
import type { TeamStateSnapshot } from '../storage/index.js';
import {
  EMPTY_TEAM_STATE,
  TEAM_STATE_PROMPT_TITLE,
  formatTeamStateForPrompt,
} from './team-state.js';

/**
 * The thread's team state (topic, decisions, open questions) as a prompt section, for every
 * turn in a thread a team worked in; no section while the thread has none.
 */
export function teamStateContext(store: {
  get(roomId: string, threadRoot: string): TeamStateSnapshot | undefined;
}): ContextProvider {
  return {
    name: 'team-state',
    sectionsFor: (request) => {
      const body = formatTeamStateForPrompt(
        store.get(request.roomId, request.threadRoot) ?? EMPTY_TEAM_STATE,
      );
      return Promise.resolve(body === undefined ? [] : [{ title: TEAM_STATE_PROMPT_TITLE, body }]);
    },
  };
}
