import { describe, expect, it } from 'vitest';
import { collectChatStream } from './collect-stream.js';
import type { ChatStreamEvent } from './chat-model.js';
import { toolCallFromJson } from './tool-arguments.js';

describe('toolCallFromJson', () => {
  it('parses a JSON object', () => {
    expect(toolCallFromJson('c1', 'f', '{"a":1}')).toEqual({
      id: 'c1',
      name: 'f',
      arguments: { a: 1 },
      argumentsJson: '{"a":1}',
    });
  });

  it('treats empty argument text as no arguments', () => {
    expect(toolCallFromJson('c1', 'f', '').arguments).toEqual({});
    expect(toolCallFromJson('c1', 'f', '').argumentsError).toBeUndefined();
  });

  it('flags JSON that is not an object', () => {
    expect(toolCallFromJson('c1', 'f', '[1,2]').argumentsError).toBe(
      'arguments are not a JSON object',
    );
  });
});

describe('collectChatStream', () => {
  it('refuses a stream that ended without its done event', async () => {
    const cut: ChatStreamEvent[] = [{ type: 'text_delta', text: 'partial' }];
    const events = (async function* () {
      yield* cut;
      await Promise.resolve();
    })();
    await expect(collectChatStream(events)).rejects.toMatchObject({ code: 'invalid_response' });
  });
});
