/**
 * Conversions between Quorum's values and the wasm crypto's: decrypted events, encryption
 * settings, history visibility, and the machine's log lines into Quorum's logger.
 */
import type * as Wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import type { Logger } from '../shared/index.js';
import type { RoomEncryption } from './room-encryption-directory.js';
import type { RawEvent } from './types.js';

/** The wasm module, loaded (see crypto-context.ts). */
export type WasmCrypto = typeof Wasm;

/** The decrypted event: the encrypted event's envelope with the clear type and content. */
export function clearEventOf(encrypted: RawEvent, clearJson: string): RawEvent {
  const clear = parse(clearJson);
  const clearContent = isRecord(clear['content']) ? clear['content'] : {};
  // Relations travel in the clear next to the ciphertext (spec "End-to-end encryption",
  // "Encrypted event relations"); keep them when the clear content has none.
  const relation = encrypted.content['m.relates_to'];
  const content =
    clearContent['m.relates_to'] === undefined && isRecord(relation)
      ? { ...clearContent, 'm.relates_to': relation }
      : clearContent;
  const type = typeof clear['type'] === 'string' ? clear['type'] : 'm.room.message';
  return { ...encrypted, type, content };
}

export function encryptionSettings(
  wasm: WasmCrypto,
  encryption: RoomEncryption,
): Wasm.EncryptionSettings {
  const settings = new wasm.EncryptionSettings();
  settings.algorithm = wasm.EncryptionAlgorithm.MegolmV1AesSha2;
  settings.historyVisibility = historyVisibilityOf(wasm, encryption.historyVisibility);
  settings.sharingStrategy = wasm.CollectStrategy.allDevices();
  if (encryption.rotationPeriodMs !== undefined) {
    // The machine counts this period in microseconds.
    settings.rotationPeriod = BigInt(encryption.rotationPeriodMs) * 1000n;
  }
  if (encryption.rotationPeriodMessages !== undefined) {
    settings.rotationPeriodMessages = BigInt(encryption.rotationPeriodMessages);
  }
  return settings;
}

function historyVisibilityOf(wasm: WasmCrypto, value: string): Wasm.HistoryVisibility {
  switch (value) {
    case 'invited':
      return wasm.HistoryVisibility.Invited;
    case 'joined':
      return wasm.HistoryVisibility.Joined;
    case 'world_readable':
      return wasm.HistoryVisibility.WorldReadable;
    default:
      return wasm.HistoryVisibility.Shared;
  }
}

/** The machine's log lines, into ours (its info level is per-event chatter: debug here). */
export function machineLogger(log: Logger): {
  debug(data: unknown): void;
  info(data: unknown): void;
  warn(data: unknown): void;
  error(data: unknown): void;
} {
  const child = log.child({ component: 'rust-crypto' });
  const text = (data: unknown): string => (typeof data === 'string' ? data : String(data));
  return {
    debug: (data) => {
      child.debug(text(data));
    },
    info: (data) => {
      child.debug(text(data));
    },
    warn: (data) => {
      child.warn('crypto warning', { detail: text(data) });
    },
    error: (data) => {
      child.error('crypto error', { detail: text(data) });
    },
  };
}

export function parse(json: string): Record<string, unknown> {
  const value: unknown = JSON.parse(json);
  return isRecord(value) ? value : {};
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
