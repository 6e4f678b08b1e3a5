/**
 * Measures the scripted LLM server's own overhead: time to first SSE chunk over loopback,
 * seen by a raw fetch client and through the real adapters (openai and @anthropic-ai/sdk),
 * plus the server-side time from request arrival to the first token written.
 * The scripted reply has no delays, so every millisecond here is harness overhead that a
 * streaming benchmark built on this server should subtract.
 *
 *   npx tsx bench/scripted-llm-server-ttft.ts [iterations]
 */
import { performance } from 'node:perf_hooks';
import { AnthropicChatModel, OpenAiChatModel } from '../src/llm/index.js';
import type { ChatModel, ChatRequest } from '../src/llm/index.js';
import { llmReply, ScriptedLlmServer } from '../test/support/scripted-llm-server.js';

const iterations = Number(process.argv[2] ?? 300);
const warmup = 30;

interface Stats {
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly mean: number;
}

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return { min: sorted[0] ?? NaN, p50: at(0.5), p95: at(0.95), p99: at(0.99), mean };
}

function format(label: string, s: Stats): string {
  const ms = (v: number): string => v.toFixed(3).padStart(8);
  return `${label.padEnd(38)} min ${ms(s.min)}  p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  mean ${ms(s.mean)}  (ms)`;
}

async function rawFetchTtft(server: ScriptedLlmServer): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${server.openAiBaseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'bench',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let ttft = NaN;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (
      Number.isNaN(ttft) &&
      decoder.decode(value as Uint8Array, { stream: true }).includes('"content"')
    ) {
      ttft = performance.now() - started;
    }
  }
  return ttft;
}

async function adapterTtft(model: ChatModel, request: ChatRequest): Promise<number> {
  const started = performance.now();
  let ttft = NaN;
  for await (const event of model.stream(request)) {
    if (event.type === 'text_delta' && Number.isNaN(ttft)) ttft = performance.now() - started;
  }
  return ttft;
}

async function measure(label: string, run: () => Promise<number>): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) samples.push(await run());
  const result = stats(samples);
  console.log(format(label, result));
  return result;
}

async function main(): Promise<void> {
  const server = await ScriptedLlmServer.start({
    defaultReply: llmReply.text('Hello there, this is a scripted reply.', { chunkSize: 8 }),
  });
  const request: ChatRequest = { messages: [{ role: 'user', content: 'hi' }] };
  const openai = new OpenAiChatModel({
    modelId: 'bench',
    apiKey: 'k',
    baseUrl: server.openAiBaseUrl,
  });
  const anthropic = new AnthropicChatModel({
    modelId: 'bench',
    apiKey: 'k',
    baseUrl: server.anthropicBaseUrl,
  });
  console.log(
    `scripted LLM server, loopback, ${iterations} sequential streamed requests after ${warmup} warm-up`,
  );
  await measure('raw fetch → first content chunk', () => rawFetchTtft(server));
  await measure('OpenAiChatModel → first text_delta', () => adapterTtft(openai, request));
  await measure('AnthropicChatModel → first text_delta', () => adapterTtft(anthropic, request));
  const serverSide = server.requests
    .filter((r) => r.firstTokenAtMs !== undefined)
    .map((r) => r.firstTokenAtMs! - r.receivedAtMs);
  console.log(format('server: arrival → first token', stats(serverSide)));
  await server.close();
}

await main();
