import { segment } from './matrix-http.js';
import type { HomeserverInfo } from './matrix-registration.js';
import { MatrixTestUser } from './matrix-test-user.js';

/** A per-user message rate limit. Synapse's admin API takes whole numbers only. */
export interface MessageRatelimit {
  /** Whole messages per second, at least 1 (0 would mean "unlimited" to Synapse). */
  readonly messagesPerSecond: number;
  readonly burstCount: number;
}

/**
 * The closest the admin API can come to Synapse's default `rc_message` (0.2 per second,
 * burst 10): the same burst, refilled at 1 per second, because the override endpoint rejects
 * fractional rates ("parameter must be a positive int", synapse/rest/admin/users.py in 1.160).
 * A user under it is refused (`M_LIMIT_EXCEEDED`, `retry_after_ms`) after 10 quick messages,
 * like a user of an untuned homeserver, and a retry succeeds after about a second.
 */
export const DEFAULT_LIKE_MESSAGE_RATELIMIT: MessageRatelimit = {
  messagesPerSecond: 1,
  burstCount: 10,
};

/**
 * A Synapse server admin for e2e tests: the test homeserver raises all rate limits, and a test
 * that needs real limits sets them for one user with {@link MatrixAdmin.overrideRatelimit}.
 */
export class MatrixAdmin {
  /** The admin account itself (it can also act as an ordinary test user). */
  readonly user: MatrixTestUser;

  private constructor(user: MatrixTestUser) {
    this.user = user;
  }

  /** Registers a new server admin `admin-<suffix>`. */
  static async create(homeserver: HomeserverInfo, suffix: string): Promise<MatrixAdmin> {
    const user = await MatrixTestUser.register(homeserver, {
      localpart: `admin-${suffix}`,
      isAdmin: true,
    });
    return new MatrixAdmin(user);
  }

  /**
   * Sets the message rate limit of `userId`, replacing the server's `rc_message` for that user
   * (`POST /_synapse/admin/v1/users/<user_id>/override_ratelimit`). Throws before sending when
   * the limit is not whole numbers with a rate of at least 1 (see {@link MessageRatelimit}).
   */
  async overrideRatelimit(userId: string, limit: MessageRatelimit): Promise<void> {
    const { messagesPerSecond, burstCount } = limit;
    if (
      !Number.isInteger(messagesPerSecond) ||
      messagesPerSecond < 1 ||
      !Number.isInteger(burstCount)
    ) {
      throw new Error(
        `Synapse takes whole rate limits of at least 1/s (0 means unlimited), not ${messagesPerSecond}/s burst ${burstCount}`,
      );
    }
    await this.user.request('POST', ratelimitPath(userId), {
      messages_per_second: limit.messagesPerSecond,
      burst_count: limit.burstCount,
    });
  }

  /** Removes the override of `userId`: the server's (raised) `rc_message` applies again. */
  async removeRatelimitOverride(userId: string): Promise<void> {
    await this.user.request('DELETE', ratelimitPath(userId));
  }
}

function ratelimitPath(userId: string): string {
  return `/_synapse/admin/v1/users/${segment(userId)}/override_ratelimit`;
}
