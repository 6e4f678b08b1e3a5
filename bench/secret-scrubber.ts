/**
 * Issue 12: what scrubbing every outgoing text for known secret values costs.
 *
 * Compares, on the same texts and secrets in one run:
 * - `SecretScrubber` (Aho–Corasick, one pass, built once per secret set);
 * - the baseline a first implementation would use: one combined regex of escaped values;
 * - the naive loop: `replaceAll` once per secret (and per encoded form).
 *
 * Prints JSON: MB/s per method for (secrets × text size), with and without a secret in the
 * text, and the build time of the automaton.
 *
 *   npx tsx bench/secret-scrubber.ts
 */
import { randomBytes } from 'node:crypto';
import { SecretScrubber } from '../src/shared/index.js';

const SECRET_COUNTS = [10, 100, 1000];
const TEXT_SIZES = [1_000, 100_000, 2_000_000];

function secrets(count: number): string[] {
  return Array.from({ length: count }, () => randomBytes(24).toString('base64url'));
}

function text(size: number, secret: string | undefined): string {
  const words = 'the quick brown fox jumps over a lazy dog and answers the question { "json": 1 } ';
  let out = '';
  while (out.length < size) out += words;
  out = out.slice(0, size);
  return secret === undefined ? out : `${out.slice(0, size / 2)}${secret}${out.slice(size / 2)}`;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function forms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  return [...new Set([value, json, JSON.stringify(json).slice(1, -1), encodeURIComponent(value)])];
}

/** Median throughput (MB/s of input) of `run` over enough repetitions to take ~200 ms. */
function throughput(input: string, run: (input: string) => string): number {
  const samples: number[] = [];
  const deadline = performance.now() + 200;
  do {
    const start = performance.now();
    run(input);
    samples.push(performance.now() - start);
  } while (performance.now() < deadline || samples.length < 5);
  samples.sort((a, b) => a - b);
  const medianMs = samples[Math.floor(samples.length / 2)] ?? 1;
  return Math.round((input.length / 1e6 / (medianMs / 1000)) * 10) / 10;
}

const results: Record<string, unknown>[] = [];
for (const count of SECRET_COUNTS) {
  const values = secrets(count);
  const scrubber = new SecretScrubber();
  const buildStart = performance.now();
  scrubber.setSecrets('bench', values);
  scrubber.scrub('warm');
  const buildMs = Math.round((performance.now() - buildStart) * 100) / 100;
  const allForms = values.flatMap(forms).sort((a, b) => b.length - a.length);
  const combined = new RegExp(allForms.map(escapeRegExp).join('|'), 'g');
  for (const size of TEXT_SIZES) {
    for (const withSecret of [false, true]) {
      const input = text(size, withSecret ? values[count - 1] : undefined);
      const ours = scrubber.scrub(input);
      const regexOut = input.replace(combined, '[redacted]');
      if (ours !== regexOut) throw new Error('scrubber and regex baseline disagree');
      results.push({
        secrets: count,
        textBytes: size,
        withSecret,
        automatonBuildMs: buildMs,
        scrubberMBps: throughput(input, (t) => scrubber.scrub(t)),
        combinedRegexMBps: throughput(input, (t) => t.replace(combined, '[redacted]')),
        replaceAllLoopMBps:
          size > 100_000 && count > 100
            ? null
            : throughput(input, (t) => allForms.reduce((out, f) => out.replaceAll(f, 'x'), t)),
      });
    }
  }
}
process.stdout.write(`${JSON.stringify({ bench: 'secret-scrubber', results }, null, 2)}\n`);
