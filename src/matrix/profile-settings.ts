/**
 * A {@link BotSdkClient}'s account settings: its display name (and reading others'), and
 * its notifications, switched through the master push rule.
 */
import type { UserId } from '../shared/index.js';
import { hasErrorCode } from '../shared/index.js';
import { asRecord, type ClientRequest } from './client-request.js';

/**
 * Spec "Push Rules": the server-default rule that matches every event with no actions;
 * enabling it silences the account.
 */
const MASTER_PUSH_RULE_PATH = '/_matrix/client/v3/pushrules/global/override/.m.rule.master';

/** Profile and push-rule calls for the account `userId`. */
export class ProfileSettings {
  constructor(
    private readonly request: ClientRequest,
    private readonly userId: UserId,
  ) {}

  async setDisplayName(displayName: string): Promise<void> {
    const path = `/_matrix/client/v3/profile/${encodeURIComponent(this.userId)}/displayname`;
    await this.request('PUT /displayname', 'PUT', path, { body: { displayname: displayName } });
  }

  /** `userId`'s display name, or `undefined` when the profile has none or is unknown. */
  async getDisplayName(userId: UserId): Promise<string | undefined> {
    try {
      const path = `/_matrix/client/v3/profile/${encodeURIComponent(userId)}/displayname`;
      const raw = await this.request('GET /displayname', 'GET', path);
      const name = asRecord(raw, 'GET /displayname')['displayname'];
      return typeof name === 'string' ? name : undefined;
    } catch (error) {
      if (hasErrorCode(error, 'not_found')) return undefined;
      throw error;
    }
  }

  /** True unless the master push rule (which silences everything) is enabled. */
  async getNotificationsEnabled(): Promise<boolean> {
    const raw = await this.request('GET /pushrules', 'GET', `${MASTER_PUSH_RULE_PATH}/enabled`);
    return asRecord(raw, 'GET /pushrules')['enabled'] !== true;
  }

  async setNotificationsEnabled(enabled: boolean): Promise<void> {
    await this.request('PUT /pushrules', 'PUT', `${MASTER_PUSH_RULE_PATH}/enabled`, {
      body: { enabled: !enabled },
    });
  }
}
