/**
 * Attachments in encrypted rooms (spec "Sending encrypted attachments"): the file is
 * encrypted with AES-256-CTR under a fresh key, uploaded as opaque bytes, and the key, IV
 * and SHA-256 of the ciphertext travel in the (itself encrypted) event as `file` instead of
 * `url`. Done here with `node:crypto`: the scheme is a single cipher call, needs no crypto
 * backend, and keeps large files out of the WebAssembly heap.
 *
 * Code above `matrix/` takes a {@link MediaSource} from {@link mediaSourceOf} and hands it to
 * `MediaReader.downloadMedia`, without looking inside: encrypted or not is this folder's
 * business.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { MatrixRequestError } from './errors.js';

/** The key material of an encrypted attachment (the `file` object minus `url`). */
export interface AttachmentKey {
  /** 32-byte AES key. */
  readonly key: Buffer;
  /** 16-byte counter block. */
  readonly iv: Buffer;
  /** SHA-256 of the ciphertext, checked before decrypting. */
  readonly sha256: Buffer;
}

/** Where an attachment's bytes are: an `mxc://` URL, and its key when encrypted. */
export interface MediaSource {
  readonly mxcUrl: string;
  /** Present for attachments of encrypted rooms; opaque above `matrix/`. */
  readonly encryption?: AttachmentKey;
  /** `info.mimetype` of the event: the real type of an encrypted file's bytes. */
  readonly mimetype?: string;
}

/** The `file` content of an encrypted attachment, as the spec's `EncryptedFile`. */
export interface EncryptedFileContent {
  readonly url: string;
  readonly key: {
    readonly kty: 'oct';
    readonly key_ops: readonly string[];
    readonly alg: 'A256CTR';
    readonly k: string;
    readonly ext: true;
  };
  readonly iv: string;
  readonly hashes: { readonly sha256: string };
  readonly v: 'v2';
}

/**
 * The attachment of a message's content: `url` for a plain one, `file` for an encrypted one.
 * `undefined` when there is none, or when `file` is malformed (a bad key is never used).
 */
export function mediaSourceOf(content: Readonly<Record<string, unknown>>): MediaSource | undefined {
  const info = content['info'];
  const mimetype =
    typeof info === 'object' && info !== null
      ? (info as Record<string, unknown>)['mimetype']
      : undefined;
  const withType = typeof mimetype === 'string' && mimetype !== '' ? { mimetype } : {};
  const url = content['url'];
  if (typeof url === 'string' && url.startsWith('mxc://')) return { mxcUrl: url, ...withType };
  const file = content['file'];
  if (typeof file !== 'object' || file === null) return undefined;
  const parsed = parseEncryptedFile(file as Record<string, unknown>);
  return parsed === undefined ? undefined : { ...parsed, ...withType };
}

function parseEncryptedFile(
  file: Readonly<Record<string, unknown>>,
): { mxcUrl: string; encryption: AttachmentKey } | undefined {
  const { url, key, iv, hashes } = file;
  if (typeof url !== 'string' || !url.startsWith('mxc://') || typeof iv !== 'string') {
    return undefined;
  }
  const jwk = typeof key === 'object' && key !== null ? (key as Record<string, unknown>) : {};
  const sha256 =
    typeof hashes === 'object' && hashes !== null
      ? (hashes as Record<string, unknown>)['sha256']
      : undefined;
  if (jwk['alg'] !== 'A256CTR' || typeof jwk['k'] !== 'string' || typeof sha256 !== 'string') {
    return undefined;
  }
  const encryption = {
    key: Buffer.from(jwk['k'], 'base64url'),
    iv: Buffer.from(iv, 'base64'),
    sha256: Buffer.from(sha256, 'base64'),
  };
  if (encryption.key.length !== 32 || encryption.iv.length !== 16) return undefined;
  if (encryption.sha256.length !== 32) return undefined;
  return { mxcUrl: url, encryption };
}

/**
 * The clear bytes of an encrypted attachment.
 *
 * @throws MatrixRequestError `bad_request` when the ciphertext does not match its hash
 *   (tampered or truncated): nothing of it is returned.
 */
export function decryptAttachment(ciphertext: Buffer, key: AttachmentKey): Buffer {
  const actual = createHash('sha256').update(ciphertext).digest();
  if (!actual.equals(key.sha256)) {
    throw new MatrixRequestError(
      'bad_request',
      'the encrypted attachment does not match its SHA-256 (damaged or tampered)',
    );
  }
  const decipher = createDecipheriv('aes-256-ctr', key.key, key.iv);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

/**
 * Encrypts `plaintext` for upload: the ciphertext, and a function that builds the event's
 * `file` content once the upload returned its `mxc://` URL.
 */
export function encryptAttachment(plaintext: Buffer): {
  readonly ciphertext: Buffer;
  fileContent(mxcUrl: string): EncryptedFileContent;
} {
  const key = randomBytes(32);
  // The spec's counter block: 8 random bytes, then a zero counter (room for 2^64 blocks).
  const iv = Buffer.concat([randomBytes(8), Buffer.alloc(8)]);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const sha256 = createHash('sha256').update(ciphertext).digest();
  return {
    ciphertext,
    fileContent: (mxcUrl) => ({
      url: mxcUrl,
      key: {
        kty: 'oct',
        key_ops: ['encrypt', 'decrypt'],
        alg: 'A256CTR',
        k: key.toString('base64url'),
        ext: true,
      },
      iv: unpadded(iv.toString('base64')),
      hashes: { sha256: unpadded(sha256.toString('base64')) },
      v: 'v2',
    }),
  };
}

function unpadded(base64: string): string {
  return base64.replace(/=+$/, '');
}
