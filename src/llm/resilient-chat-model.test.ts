import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { AbortReason, silentLogger } from '../shared/index.js';
import type { ChatModel, ChatRequest, ChatStreamEvent } from './chat-model.js';
import { collectChatStream } from './collect-stream.js';
import { ModelError } from './errors.js';
import { ResilientChatModel } from './resilient-chat-model.js';
import type { RetryPolicy } from './resilient-chat-model.js';

const request: ChatRequest = { messages: [{ role: 'user', content: 'hello' }] };

/** A FakeClock that remembers every sleep it was asked for. */
class RecordingClock extends FakeClock {
  readonly sleeps: number[] = [];
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return super.sleep(ms, signal);
  }
}

function resilient(
  models: readonly ChatModel[],
  clock: FakeClock,
  policy: Partial<RetryPolicy> = {},
): ResilientChatModel {
  const [first, ...rest] = models.map((model, index) => ({ name: `m${index}`, model }));
  return new ResilientChatModel({
    chain: [first!, ...rest],
    clock,
    log: silentLogger,
    policy: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 8_000, ...policy },
    random: () => 1, // the top of the jitter range: delays are exactly base × 2^(n-1)
  });
}

/** Advances the fake clock whenever the work sleeps, until the work settles. */
async function drive<T>(clock: FakeClock, work: Promise<T>): Promise<T> {
  let isSettled = false;
  work.then(
    () => (isSettled = true),
    () => (isSettled = true),
  );
  while (!isSettled) {
    await flushMicrotasks();
    if (clock.pendingSleeps > 0) await clock.advance(120_000);
  }
  return work;
}

const unavailable = (): ModelError =>
  new ModelError('server_error', 'model request failed with HTTP 503: overloaded', { status: 503 });

async function collectEvents(events: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const out: ChatStreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe('ResilientChatModel', () => {
  it('retries a server error with exponential backoff and then answers', async () => {
    const clock = new RecordingClock();
    const model = new ScriptedChatModel({
      steps: [step.error(unavailable()), step.error(unavailable()), step.text('finally')],
    });
    const response = await drive(clock, resilient([model], clock).complete(request));
    expect(response.text).toBe('finally');
    expect(clock.sleeps).toEqual([1_000, 2_000]);
    model.assertDone();
  });

  it('waits as long as the provider asks with retry-after, capped', async () => {
    const clock = new RecordingClock();
    const limited = (retryAfterMs: number): ModelError =>
      new ModelError('rate_limited', 'HTTP 429', { status: 429, retryAfterMs });
    const model = new ScriptedChatModel({
      steps: [step.error(limited(5_000)), step.error(limited(600_000)), step.text('ok')],
    });
    const response = await drive(
      clock,
      resilient([model], clock, { maxRetryAfterMs: 30_000 }).complete(request),
    );
    expect(response.text).toBe('ok');
    expect(clock.sleeps).toEqual([5_000, 30_000]);
  });

  it('does not call again before the retry delay has passed', async () => {
    const clock = new FakeClock();
    const model = new ScriptedChatModel({ steps: [step.error(unavailable()), step.text('ok')] });
    const pending = resilient([model], clock).complete(request);
    await flushMicrotasks();
    await clock.advance(999);
    expect(model.calls).toHaveLength(1);
    await clock.advance(1);
    await expect(pending).resolves.toMatchObject({ text: 'ok' });
    expect(model.calls).toHaveLength(2);
  });

  it('fails over to the next model once the retries are spent', async () => {
    const clock = new RecordingClock();
    const primary = new ScriptedChatModel({
      modelId: 'primary',
      steps: [step.error(unavailable()), step.error(unavailable()), step.error(unavailable())],
    });
    const backup = new ScriptedChatModel({ modelId: 'backup', steps: [step.text('from backup')] });
    const response = await drive(clock, resilient([primary, backup], clock).complete(request));
    expect(response).toMatchObject({ text: 'from backup', modelId: 'backup' });
    primary.assertDone();
    backup.assertDone();
  });

  it('fails over at once when the primary has no API key', async () => {
    const clock = new RecordingClock();
    const primary = new ScriptedChatModel({
      steps: [
        step.error(new ModelError('missing_api_key', 'no key', { envVar: 'OPENAI_API_KEY' })),
      ],
    });
    const backup = new ScriptedChatModel({ steps: [step.text('backup answer')] });
    const response = await drive(clock, resilient([primary, backup], clock).complete(request));
    expect(response.text).toBe('backup answer');
    expect(clock.sleeps).toEqual([]);
  });

  it('surfaces a bad request at once, without retry or failover', async () => {
    const clock = new RecordingClock();
    const primary = new ScriptedChatModel({
      steps: [step.error(new ModelError('bad_request', 'HTTP 400', { status: 400 }))],
    });
    const backup = new ScriptedChatModel();
    const failure = drive(clock, resilient([primary, backup], clock).complete(request));
    await expect(failure).rejects.toMatchObject({ code: 'bad_request', status: 400 });
    expect(backup.calls).toHaveLength(0);
    expect(clock.sleeps).toEqual([]);
  });

  it('ends with an error whose user message is short and names the status', async () => {
    const clock = new FakeClock();
    const model = new ScriptedChatModel({
      steps: [step.error(unavailable()), step.error(unavailable()), step.error(unavailable())],
    });
    const error = await drive(clock, resilient([model], clock).complete(request)).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ModelError);
    const modelError = error as ModelError;
    expect(modelError.code).toBe('server_error');
    expect(modelError.userMessage).toBe(
      'The model service is unavailable right now (HTTP 503). Please try again in a moment.',
    );
    expect(modelError.message).toContain('m0');
  });

  it('stops sleeping and rejects with the abort reason when the signal aborts', async () => {
    const clock = new FakeClock();
    const model = new ScriptedChatModel({ steps: [step.error(unavailable())] });
    const controller = new AbortController();
    const pending = resilient([model], clock).complete(request, { signal: controller.signal });
    await flushMicrotasks();
    expect(clock.pendingSleeps).toBe(1);
    const reason = new AbortReason('stopped');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(clock.pendingSleeps).toBe(0);
    expect(model.calls).toHaveLength(1);
  });

  it('passes errors that are not model errors through unchanged', async () => {
    const clock = new FakeClock();
    const bug = new TypeError('bug in a tool');
    const model = new ScriptedChatModel({ steps: [step.error(bug)] });
    await expect(resilient([model], clock).complete(request)).rejects.toBe(bug);
  });

  it('retries a stream that failed before yielding anything', async () => {
    const clock = new RecordingClock();
    const model = new ScriptedChatModel({
      steps: [step.error(unavailable()), step.chunks(['Hel', 'lo'])],
    });
    const events = await drive(clock, collectEvents(resilient([model], clock).stream(request)));
    expect(events.filter((e) => e.type === 'text_delta').map((e) => e.text)).toEqual(['Hel', 'lo']);
    expect(clock.sleeps).toEqual([1_000]);
  });

  it('surfaces a failure after partial output instead of replaying the reply', async () => {
    const clock = new RecordingClock();
    const model = new ScriptedChatModel({
      steps: [step.error(unavailable(), { chunksBefore: ['Partial '] })],
    });
    const backup = new ScriptedChatModel();
    const seen: string[] = [];
    const consume = async (): Promise<void> => {
      for await (const event of resilient([model, backup], clock).stream(request)) {
        if (event.type === 'text_delta') seen.push(event.text);
      }
    };
    const error = await drive(clock, consume()).catch((caught: unknown) => caught);
    expect(seen).toEqual(['Partial ']);
    expect(error).toMatchObject({
      code: 'server_error',
      userMessage:
        'The model service failed partway through the reply. Please try again in a moment.',
    });
    expect(backup.calls).toHaveLength(0);
    expect(clock.sleeps).toEqual([]);
  });

  it('fails a stream over to the next model when the first cannot start', async () => {
    const clock = new FakeClock();
    const primary = new ScriptedChatModel({
      steps: [step.error(new ModelError('auth', 'HTTP 401', { status: 401 }))],
    });
    const backup = new ScriptedChatModel({ modelId: 'backup', steps: [step.text('hi')] });
    const response = await drive(
      clock,
      collectChatStream(resilient([primary, backup], clock).stream(request)),
    );
    expect(response).toMatchObject({ text: 'hi', modelId: 'backup' });
  });
});
