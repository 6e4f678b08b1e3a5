import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from './loopback.js';
import { checkApiExposure, checkBearer, parseApiKeys, parseEnvFlag } from './openai-auth.js';

const KEYS = { apiKeys: ['sk-one-aaaaaaaa', 'sk-two-bbbbbbbb'], allowUnauthenticated: false };

describe('checkBearer', () => {
  it('names the caller by a hash of its key, never by the key or its position', () => {
    const one = checkBearer('Bearer sk-one-aaaaaaaa', KEYS);
    const two = checkBearer('bearer   sk-two-bbbbbbbb ', KEYS);
    expect(one).toMatchObject({ ok: true, caller: expect.stringMatching(/^key-[0-9a-f]{8}$/u) });
    expect(two).toMatchObject({ ok: true, caller: expect.stringMatching(/^key-[0-9a-f]{8}$/u) });
    expect(JSON.stringify([one, two])).not.toContain('sk-');
    if (one.ok && two.ok) {
      expect(one.caller).not.toBe(two.caller);
      expect(one.namespace).not.toBe(two.namespace);
    }
    // Revoking the first key does not make the second one inherit its identity.
    const revoked = { apiKeys: ['sk-two-bbbbbbbb'], allowUnauthenticated: false };
    expect(checkBearer('Bearer sk-two-bbbbbbbb', revoked)).toEqual(two);
  });

  it('refuses missing, malformed and wrong keys, including prefixes and extensions of a key', () => {
    for (const header of [undefined, '', 'Bearer', 'Basic sk-one-aaaaaaaa', 'sk-one-aaaaaaaa']) {
      expect(checkBearer(header, KEYS)).toEqual({ ok: false, reason: 'missing' });
    }
    for (const key of [
      'sk-one-aaaaaaa',
      'sk-one-aaaaaaaaa',
      'SK-ONE-AAAAAAAA',
      'sk-one-aaaaaaaa,sk-two-bbbbbbbb',
    ]) {
      expect(checkBearer(`Bearer ${key}`, KEYS)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('is locked without keys unless unauthenticated access is allowed', () => {
    expect(checkBearer('Bearer x', { apiKeys: [], allowUnauthenticated: false })).toEqual({
      ok: false,
      reason: 'locked',
    });
    expect(checkBearer(undefined, { apiKeys: [], allowUnauthenticated: true })).toMatchObject({
      ok: true,
      caller: 'unauthenticated',
    });
  });
});

describe('environment parsing', () => {
  it('splits OPENAI_COMPAT_API_KEYS on commas, trimming and dropping empties and repeats', () => {
    expect(parseApiKeys(' sk-a , sk-b,,sk-a, ')).toEqual(['sk-a', 'sk-b']);
    expect(parseApiKeys(undefined)).toEqual([]);
  });

  it('reads boolean flags', () => {
    for (const yes of ['true', 'TRUE', '1', 'yes', ' on ']) expect(parseEnvFlag(yes)).toBe(true);
    for (const no of [undefined, '', 'false', '0', 'no', 'truthy'])
      expect(parseEnvFlag(no)).toBe(false);
  });
});

describe('checkApiExposure', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    'localhost',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
  ])('lets %s listen without keys', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
    expect(checkApiExposure(host, { apiKeys: [], allowUnauthenticated: true })).toBeUndefined();
  });

  it.each([
    '0.0.0.0',
    '::',
    '192.168.1.10',
    '10.0.0.1',
    'example.org',
    '[2001:db8::1]',
    '128.0.0.1',
  ])('refuses %s without keys, and allows it with keys', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
    const problem = checkApiExposure(host, { apiKeys: [], allowUnauthenticated: false });
    expect(problem).toContain('OPENAI_COMPAT_API_KEYS');
    expect(checkApiExposure(host, { apiKeys: [], allowUnauthenticated: true })).toContain(
      'for local use only',
    );
    expect(
      checkApiExposure(host, { apiKeys: ['sk-x-12345678'], allowUnauthenticated: false }),
    ).toBeUndefined();
  });
});
