import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { REDACTED_SECRET, SecretScrubber } from './secret-scrubber.js';

/** The obviously correct (quadratic) answer: mark every occurrence of every form, merge. */
function naiveScrub(text: string, patterns: readonly string[]): string {
  const covered = new Array<boolean>(text.length).fill(false);
  for (const pattern of patterns) {
    for (let at = text.indexOf(pattern); at !== -1; at = text.indexOf(pattern, at + 1)) {
      for (let i = at; i < at + pattern.length; i++) covered[i] = true;
    }
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (!covered[i]) out += text.charAt(i);
    else if (i === 0 || !covered[i - 1]) out += REDACTED_SECRET;
  }
  return out;
}

/** A deterministic pseudo-random generator (mulberry32), so failures can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('SecretScrubber', () => {
  it('replaces every occurrence of a known value, and nothing else', () => {
    const canary = `CANARY-${randomBytes(8).toString('hex')}`;
    const scrubber = new SecretScrubber();
    scrubber.setSecrets('env', [canary]);
    expect(scrubber.scrub(`a ${canary} b ${canary}${canary} c`)).toBe(
      'a [redacted] b [redacted] c',
    );
    expect(scrubber.scrub('nothing secret here')).toBe('nothing secret here');
    expect(scrubber.contains(`x${canary}`)).toBe(true);
    expect(scrubber.contains('x')).toBe(false);
  });

  it('finds values JSON-escaped (once and twice) and URL-encoded', () => {
    const secret = 'p@ss"word/with\\slash+plus';
    const scrubber = new SecretScrubber();
    scrubber.setSecrets('accounts', [secret]);
    const once = JSON.stringify({ password: secret });
    const twice = JSON.stringify({ body: once });
    const url = `https://hs/_matrix?access_token=${encodeURIComponent(secret)}&x=1`;
    for (const text of [once, twice, url]) {
      expect(scrubber.scrub(text)).not.toContain('with');
      expect(scrubber.scrub(text)).toContain(REDACTED_SECRET);
    }
    expect(scrubber.scrub(url)).toBe('https://hs/_matrix?access_token=[redacted]&x=1');
  });

  it('ignores values shorter than the minimum and trims whitespace', () => {
    const scrubber = new SecretScrubber({ minLength: 6 });
    scrubber.setSecrets('env', ['1', 'true', undefined, '  longsecret\n']);
    expect(scrubber.size).toBe(1);
    expect(scrubber.scrub('1 true longsecret')).toBe('1 true [redacted]');
  });

  it('merges overlapping and nested secrets so no fragment is left', () => {
    const scrubber = new SecretScrubber({ minLength: 2 });
    scrubber.setSecrets('a', ['bcdefg', 'cd', 'fg12', 'xx9abcdefg12yy']);
    expect(scrubber.scrub('__abcdefg12__')).toBe('__a[redacted]__');
    expect(scrubber.scrub('xx9abcdefg12yy!')).toBe('[redacted]!');
  });

  it('replaces a source and forgets one set to nothing', () => {
    const scrubber = new SecretScrubber();
    scrubber.setSecrets('accounts', ['token-one-aaaa']);
    scrubber.setSecrets('accounts', ['token-two-bbbb']);
    expect(scrubber.scrub('token-one-aaaa token-two-bbbb')).toBe('token-one-aaaa [redacted]');
    scrubber.addSecret('accounts', 'token-one-aaaa');
    expect(scrubber.scrub('token-one-aaaa token-two-bbbb')).toBe('[redacted] [redacted]');
    scrubber.setSecrets('accounts', []);
    expect(scrubber.size).toBe(0);
    expect(scrubber.scrub('token-two-bbbb')).toBe('token-two-bbbb');
  });

  it('handles secrets and text outside ASCII', () => {
    const scrubber = new SecretScrubber();
    scrubber.setSecrets('env', ['пароль-секрет', 'géheim-😀-key']);
    expect(scrubber.scrub('x пароль-секрет y géheim-😀-key z 😀')).toBe(
      'x [redacted] y [redacted] z 😀',
    );
  });

  it('scrubs keys and values of nested data', () => {
    const scrubber = new SecretScrubber();
    scrubber.setSecrets('env', ['supersecretvalue']);
    expect(
      scrubber.scrubValue({ a: ['supersecretvalue', 3, null], supersecretvalue: { b: 'x' } }),
    ).toEqual({ a: ['[redacted]', 3, null], '[redacted]': { b: 'x' } });
  });

  it('agrees with a naive scrub on random secrets and texts', () => {
    const seed = Date.now() % 1_000_000;
    const next = random(seed);
    const alphabet = ['a', 'b', 'c', 'a', 'b', '-', 'é', '😀', '"'];
    const word = (max: number): string => {
      let out = '';
      const length = 1 + Math.floor(next() * max);
      for (let i = 0; i < length; i++) out += alphabet[Math.floor(next() * alphabet.length)] ?? '';
      return out;
    };
    for (let round = 0; round < 300; round++) {
      const secrets = Array.from({ length: 1 + Math.floor(next() * 5) }, () => word(6));
      const scrubber = new SecretScrubber({ minLength: 1 });
      scrubber.setSecrets('s', secrets);
      const text = word(60);
      const forms = secrets.flatMap((secret) => {
        const json = JSON.stringify(secret).slice(1, -1);
        return [secret, json, JSON.stringify(json).slice(1, -1), encodeURIComponent(secret)];
      });
      expect(scrubber.scrub(text), `seed ${seed}, round ${round}`).toBe(naiveScrub(text, forms));
    }
  });
});

describe('SecretScrubber.stream', () => {
  const scrubber = new SecretScrubber();
  scrubber.setSecrets('test', ['sk-secret-123456', 'short', 'sk-secret-123456-longer']);

  it('replaces whole secrets, the longest covering the shorter; too short a value is none', () => {
    expect(scrubber.scrub('a sk-secret-123456-longer b sk-secret-123456 c shorts')).toBe(
      'a [redacted] b [redacted] c shorts',
    );
  });

  it('redacts a secret split across stream pieces without delaying ordinary text', () => {
    const stream = scrubber.stream();
    const out = [
      stream.push('hello '),
      stream.push('sk-sec'),
      stream.push('ret-12'),
      stream.push('3456 done'),
      stream.flush(),
    ];
    expect(out[0]).toBe('hello ');
    expect(out.join('')).toBe('hello [redacted] done');
    expect(out.join('')).not.toContain('sk-sec');
  });

  it('lets through a prefix that never completes, at the end', () => {
    const stream = scrubber.stream();
    expect(stream.push('ends with sk-sec')).toBe('ends with ');
    expect(stream.flush()).toBe('sk-sec');
  });
});
