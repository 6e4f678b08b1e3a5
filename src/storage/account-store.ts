import type { Db } from './database.js';

/** Stored credentials of one bot account. */
export interface StoredAccount {
  readonly entity: string;
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
  readonly password: string;
}

interface AccountRow {
  entity: string;
  user_id: string;
  access_token: string;
  device_id: string;
  password: string;
}

/**
 * Bot account credentials, keyed by entity name. Rows outlive the entity's removal from the
 * config so re-adding it reuses the account and its device.
 */
export class AccountStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  get(entity: string): StoredAccount | undefined {
    const row = this.db
      .prepare<[string], AccountRow>('SELECT * FROM accounts WHERE entity = ?')
      .get(entity);
    return row === undefined
      ? undefined
      : {
          entity: row.entity,
          userId: row.user_id,
          accessToken: row.access_token,
          deviceId: row.device_id,
          password: row.password,
        };
  }

  save(account: StoredAccount): void {
    this.db
      .prepare(
        `INSERT INTO accounts (entity, user_id, access_token, device_id, password, updated_at)
         VALUES (@entity, @userId, @accessToken, @deviceId, @password, @now)
         ON CONFLICT(entity) DO UPDATE SET user_id = excluded.user_id, access_token = excluded.access_token,
           device_id = excluded.device_id, password = excluded.password, updated_at = excluded.updated_at`,
      )
      .run({ ...account, now: this.now() });
  }
}
