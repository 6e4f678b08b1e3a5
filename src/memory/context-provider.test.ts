import { describe, expect, it } from 'vitest';
import type { ContextProvider } from './context-provider.js';
import { clipBytes, combineContextProviders, oneLine } from './context-provider.js';

const signal = new AbortController().signal;
const request = {
  agentName: 'a',
  requester: '@u:x',
  roomId: '!r:x',
  threadRoot: undefined,
  text: 'hi',
};
const fixed = (title: string, body: string): ContextProvider => ({
  sectionsFor: () => Promise.resolve([{ title, body, sources: [] }]),
});

describe('combineContextProviders', () => {
  it('keeps sections in order while they fit, and survives a failing provider', async () => {
    const errors: unknown[] = [];
    const combined = combineContextProviders(
      [
        fixed('Memories', 'm'.repeat(50)),
        { sectionsFor: () => Promise.reject(new Error('index gone')) },
        fixed('Knowledge', 'k'.repeat(100)),
        fixed('Small', 's'),
      ],
      (error) => errors.push(error),
    );
    const sections = await combined.sectionsFor(request, { signal, maxBytes: 120 });
    expect(sections.map((s) => s.title)).toEqual(['Memories', 'Small']);
    expect(errors).toHaveLength(1);
  });

  it('rejects with the signal reason when the turn is aborted', async () => {
    const controller = new AbortController();
    const combined = combineContextProviders([
      {
        sectionsFor: (_r, options) =>
          new Promise((_resolve, reject) => {
            options.signal.addEventListener('abort', () => {
              reject(options.signal.reason as Error);
            });
          }),
      },
    ]);
    const pending = combined.sectionsFor(request, { signal: controller.signal });
    controller.abort(new Error('stopped'));
    await expect(pending).rejects.toThrow('stopped');
  });
});

describe('text helpers', () => {
  it('clip on character boundaries and flatten control characters', () => {
    expect(Buffer.byteLength(clipBytes('ééééé', 7))).toBeLessThanOrEqual(7);
    expect(clipBytes('ééééé', 7)).toBe('éé…');
    expect(oneLine('a\n\u0000b\u2028c', 10)).toBe('a b c');
  });
});
