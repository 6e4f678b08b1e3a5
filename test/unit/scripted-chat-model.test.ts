import { describe, expect, it } from 'vitest';
import { collectChatStream } from '../../src/llm/index.js';
import type { ChatRequest } from '../../src/llm/index.js';
import { AbortReason } from '../../src/shared/index.js';
import { FakeClock, flushMicrotasks } from '../support/fake-clock.js';
import { ScriptedChatModel, step } from '../support/scripted-chat-model.js';

const request: ChatRequest = { messages: [{ role: 'user', content: 'hi' }] };

describe('ScriptedChatModel', () => {
  it('replays steps in order and records each request', async () => {
    const model = new ScriptedChatModel({
      steps: [step.text('one'), step.toolCalls([{ name: 'f', arguments: { a: 1 } }])],
    });
    expect((await model.complete(request)).text).toBe('one');
    const second = await collectChatStream(model.stream(request));
    expect(second.toolCalls[0]).toMatchObject({ id: 'call_0', name: 'f', arguments: { a: 1 } });
    expect(second.finishReason).toBe('tool_calls');
    expect(model.calls.map((c) => c.method)).toEqual(['complete', 'stream']);
    model.assertDone();
  });

  it('fails a call it has no step for, and reports it in assertDone', async () => {
    const model = new ScriptedChatModel();
    await expect(model.complete(request)).rejects.toThrow(/unexpected complete call #1/);
    expect(() => {
      model.assertDone();
    }).toThrow(/unexpected complete call #1/);
  });

  it('reports steps left unconsumed', () => {
    const model = new ScriptedChatModel({ steps: [step.text('never asked')] });
    expect(() => {
      model.assertDone();
    }).toThrow(/1 scripted step\(s\) never consumed/);
  });

  it('paces chunks through the injected clock', async () => {
    const clock = new FakeClock();
    const model = new ScriptedChatModel({
      clock,
      steps: [step.chunks(['a', 'b'], { delayMs: 100, chunkDelayMs: 50 })],
    });
    const seen: string[] = [];
    const done = (async () => {
      for await (const event of model.stream(request)) {
        if (event.type === 'text_delta') seen.push(event.text);
      }
    })();
    await flushMicrotasks();
    await clock.advance(99);
    expect(seen).toEqual([]);
    await clock.advance(1);
    expect(seen).toEqual(['a']);
    await clock.advance(50);
    await done;
    expect(seen).toEqual(['a', 'b']);
  });

  it('hangs until the signal aborts, then rejects with its reason', async () => {
    const model = new ScriptedChatModel({ steps: [step.hang()] });
    const controller = new AbortController();
    const pending = model.complete(request, { signal: controller.signal });
    const reason = new AbortReason('shutdown');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('fails the call when a step expectation does not hold', async () => {
    const model = new ScriptedChatModel({
      steps: [
        step.text('x', {
          expect: (req) => {
            expect(req.system).toBe('be brief');
          },
        }),
      ],
    });
    await expect(model.complete(request)).rejects.toThrow(/be brief/);
  });
});
