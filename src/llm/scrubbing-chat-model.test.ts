import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { SecretScrubber, silentLogger, systemClock } from '../shared/index.js';
import type { ChatRequest } from './chat-model.js';
import { collectChatStream } from './collect-stream.js';
import { ModelRegistry } from './model-registry.js';
import { ScrubbingChatModel } from './scrubbing-chat-model.js';

const canary = `CANARY-${randomBytes(8).toString('hex')}`;

function scrubber(): SecretScrubber {
  const s = new SecretScrubber();
  s.setSecrets('env', [canary]);
  return s;
}

const request: ChatRequest = {
  system: `You know ${canary}.`,
  messages: [
    { role: 'user', content: `alice: my token is ${canary}` },
    {
      role: 'user',
      content: [
        { type: 'text', text: `see ${canary}` },
        { type: 'attachment', name: `${canary}.txt`, mediaType: 'text/plain', text: canary },
        { type: 'image', url: 'https://example.org/x.png' },
      ],
    },
    {
      role: 'assistant',
      content: `I will look up ${canary}`,
      toolCalls: [
        {
          id: 'c1',
          name: 'lookup',
          arguments: { q: canary, nested: [{ [canary]: canary }] },
          argumentsJson: JSON.stringify({ q: canary }),
        },
      ],
    },
    { role: 'tool', toolCallId: 'c1', content: `env: SECRET=${canary}` },
  ],
  tools: [
    {
      name: 'lookup',
      description: `Looks up ${canary}`,
      parameters: { type: 'object', properties: { q: { description: canary } } },
    },
  ],
};

describe('ScrubbingChatModel', () => {
  it('removes every known secret from what the provider receives, streamed or not', async () => {
    const inner = new ScriptedChatModel({ steps: [step.text('ok'), step.text('ok')] });
    const model = new ScrubbingChatModel(inner, scrubber());
    await model.complete(request);
    await collectChatStream(model.stream(request));
    expect(inner.requests).toHaveLength(2);
    for (const sent of inner.requests) {
      expect(JSON.stringify(sent)).not.toContain(canary);
      expect(JSON.stringify(sent)).toContain('[redacted]');
    }
    expect(JSON.stringify(inner.requests[0]?.messages[1])).toContain('https://example.org/x.png');
    expect(model.modelId).toBe(inner.modelId);
  });

  it('is what the model registry hands out when given a scrubber', () => {
    const registry = new ModelRegistry({
      models: { default: { provider: 'openai', id: 'x' } },
      env: { OPENAI_API_KEY: 'sk-test-not-real-000000000000' },
      clock: systemClock,
      log: silentLogger,
      scrubber: scrubber(),
    });
    expect(registry.get('default')).toBeInstanceOf(ScrubbingChatModel);
  });
});
