import type { ConfigAccessSource } from '../config/index.js';
import { describeError, type Logger } from '../shared/index.js';
import type { InteractionRecord } from '../storage/index.js';
import type { InteractionResponse } from './resolve-response.js';

/**
 * A config change is confirmed by the person who proposed it, who must still be allowed to
 * make it when they confirm (the config, and with it the list of config admins, may have
 * changed since): otherwise the confirmation cancels the change, with a note saying why.
 * Other responses pass unchanged.
 */
export async function recheckConfigAccess(
  record: InteractionRecord,
  response: InteractionResponse,
  deps: {
    readonly access: Pick<ConfigAccessSource, 'decideConfigEdit'> | undefined;
    /** Posts a notice in the record's thread from the asking entity. */
    readonly post: (markdown: string, txnId: string) => Promise<string>;
    readonly log: Logger;
  },
): Promise<InteractionResponse> {
  if (deps.access === undefined || record.kind !== 'config_change' || response.kind !== 'confirm') {
    return response;
  }
  const verdict = await deps.access.decideConfigEdit(
    record.requester,
    record.roomId,
    record.payload.path,
  );
  if (verdict.isAllowed) return response;
  deps.log.info('a config change confirmation was refused', {
    id: record.id,
    reason: verdict.reason,
  });
  await deps
    .post(`⛔ Not applied: ${verdict.message}`, `qi.${record.id}.refused`)
    .catch((error: unknown) => {
      deps.log.warn('could not post an interaction outcome', {
        id: record.id,
        error: describeError(error),
      });
    });
  return { kind: 'cancel' };
}
