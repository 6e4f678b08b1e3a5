import { describe, expect, it } from 'vitest';
import { registrationMac, uniqueSuffix } from './matrix-registration.js';

describe('registrationMac', () => {
  // Vectors computed with Python's hmac module, independently of node:crypto.
  it('signs nonce, user, password and notadmin with HMAC-SHA1', () => {
    expect(registrationMac('shared-secret', 'abcnonce', 'alice', 'pw', false)).toBe(
      '2d6b48ced10d1d8105036df1ba5cbc21ba1c432d',
    );
  });

  it('signs admin registrations with the admin marker', () => {
    expect(registrationMac('shared-secret', 'abcnonce', 'alice', 'pw', true)).toBe(
      '1cb5ee0ce1083caad1b632a733179962c5c9e231',
    );
  });
});

describe('uniqueSuffix', () => {
  it('makes distinct suffixes valid in localparts and aliases', () => {
    const suffixes = new Set(Array.from({ length: 50 }, () => uniqueSuffix()));
    expect(suffixes.size).toBe(50);
    for (const suffix of suffixes) expect(suffix).toMatch(/^[a-z0-9]+$/);
  });
});
