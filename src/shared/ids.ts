/**
 * Branded Matrix identifiers. A plain string must pass through one of the `as*` helpers
 * (which check the sigil) before it can be used where an id is expected.
 */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type RoomId = Brand<string, 'RoomId'>;
export type UserId = Brand<string, 'UserId'>;
export type EventId = Brand<string, 'EventId'>;
export type RoomAlias = Brand<string, 'RoomAlias'>;

function checkSigil(value: string, sigil: string, what: string): void {
  if (!value.startsWith(sigil) || value.length < 2) {
    throw new TypeError(`not a Matrix ${what}: ${JSON.stringify(value)}`);
  }
}

export function asRoomId(value: string): RoomId {
  checkSigil(value, '!', 'room id');
  return value as RoomId;
}

export function asUserId(value: string): UserId {
  checkSigil(value, '@', 'user id');
  if (!value.includes(':')) throw new TypeError(`not a Matrix user id: ${JSON.stringify(value)}`);
  return value as UserId;
}

export function asEventId(value: string): EventId {
  checkSigil(value, '$', 'event id');
  return value as EventId;
}

export function asRoomAlias(value: string): RoomAlias {
  checkSigil(value, '#', 'room alias');
  if (!value.includes(':'))
    throw new TypeError(`not a Matrix room alias: ${JSON.stringify(value)}`);
  return value as RoomAlias;
}

/** `@alice:example.org` → `alice`. */
export function localpartOf(userId: UserId | string): string {
  const colon = userId.indexOf(':');
  return userId.slice(1, colon === -1 ? undefined : colon);
}

/** `@alice:example.org` → `example.org`; also works for room aliases. */
export function serverNameOf(id: UserId | RoomAlias | string): string {
  const colon = id.indexOf(':');
  return colon === -1 ? '' : id.slice(colon + 1);
}
