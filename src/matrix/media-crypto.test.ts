import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptAttachment, encryptAttachment, mediaSourceOf } from './media-crypto.js';

beforeAll(async () => {
  await wasm.initAsync();
});

describe('encrypted attachments', () => {
  it('round-trips, and the Rust crypto reads what Quorum encrypts', () => {
    const clear = Buffer.from('a picture worth a thousand words');
    const sealed = encryptAttachment(clear);
    expect(sealed.ciphertext.equals(clear)).toBe(false);
    const file = sealed.fileContent('mxc://hs/abc');
    const source = mediaSourceOf({
      msgtype: 'm.image',
      body: 'p.png',
      file,
      info: { mimetype: 'image/png' },
    });
    expect(source).toMatchObject({ mxcUrl: 'mxc://hs/abc', mimetype: 'image/png' });
    expect(decryptAttachment(sealed.ciphertext, source?.encryption ?? fail())).toEqual(clear);
    const { url: _url, ...info } = file;
    const byRust = wasm.Attachment.decrypt(
      new wasm.EncryptedAttachment(new Uint8Array(sealed.ciphertext), JSON.stringify(info)),
    );
    expect(Buffer.from(byRust)).toEqual(clear);
  });

  it('decrypts what the Rust crypto encrypts', () => {
    const clear = Buffer.from('from another client');
    const encrypted = wasm.Attachment.encrypt(new Uint8Array(clear));
    const info = JSON.parse(encrypted.mediaEncryptionInfo ?? '{}') as Record<string, unknown>;
    const source = mediaSourceOf({ file: { ...info, url: 'mxc://hs/x' } });
    expect(
      decryptAttachment(Buffer.from(encrypted.encryptedData), source?.encryption ?? fail()),
    ).toEqual(clear);
  });

  it('refuses tampered ciphertext and malformed keys', () => {
    const sealed = encryptAttachment(Buffer.from('secret'));
    const file = sealed.fileContent('mxc://hs/abc');
    const key = mediaSourceOf({ file })?.encryption ?? fail();
    const tampered = Buffer.from(sealed.ciphertext);
    tampered[0] = (tampered[0] ?? 0) ^ 1;
    expect(() => decryptAttachment(tampered, key)).toThrow(/SHA-256/);
    expect(mediaSourceOf({ file: { ...file, iv: 'short' } })).toBeUndefined();
    expect(
      mediaSourceOf({ file: { ...file, key: { ...file.key, alg: 'A128CTR' } } }),
    ).toBeUndefined();
    expect(mediaSourceOf({ file: { ...file, url: 'https://evil.example/x' } })).toBeUndefined();
    expect(mediaSourceOf({ url: 'mxc://hs/plain' })).toEqual({ mxcUrl: 'mxc://hs/plain' });
    expect(mediaSourceOf({ body: 'no media' })).toBeUndefined();
  });
});

function fail(): never {
  throw new Error('expected a media source');
}
