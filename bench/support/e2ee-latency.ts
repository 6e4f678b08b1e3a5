/**
 * Issue 16: what end-to-end encryption costs a person waiting for an answer, and what it
 * costs the daemon's start.
 *
 * One agent in two rooms of the same fleet, one plain and one created encrypted from
 * config.yaml. A person with a real encrypting client (matrix-js-sdk with its Rust crypto,
 * test/support/e2ee-test-user.ts) mentions the agent in each room in turn; mention → the
 * reply's final text as that client sees it (decrypted, for the encrypted room). Samples
 * alternate between the rooms so machine load hits both alike; goal: encrypted p50 ≤ 1.3 ×
 * plain p50. Also spawn → `/api/ready` with encryption on, from a fresh data dir (accounts
 * registered, device keys and cross-signing uploaded) and on the same dir again (crypto
 * stores restored), and the size of the crypto stores on disk after the samples.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { E2eeTestUser, type SeenEvent } from '../../test/support/e2ee-test-user.js';
import type { HomeserverInfo } from '../../test/support/matrix-registration.js';
import { uniqueSuffix } from '../../test/support/matrix-registration.js';
import { fleetConfig, fleetNames } from '../../test/support/quorum-e2e.js';
import type { ScriptedLlmServer } from '../../test/support/scripted-llm-server.js';
import {
  BENCH_LIMITS,
  agentTarget,
  keepDaemonLog,
  pause,
  startBenchDaemon,
} from './bench-fleet.js';
import { round, summarize } from './stats.js';

const WARMUP = 3;
const GAP_MS = 300;
const GOAL_RATIO_P50 = 1.3;
const STREAM_STATUS_KEY = 'io.quorum.stream_status';

/** Runs the encrypted-room measurements; `progress` reports on stderr. */
export async function measureEncryptedLatency(options: {
  readonly homeserver: HomeserverInfo;
  readonly llm: ScriptedLlmServer;
  readonly samples: number;
  readonly progress: (message: string) => void;
  readonly defer: (cleanup: () => Promise<unknown>) => void;
}) {
  const { homeserver, llm, progress } = options;
  // The person's client (matrix-js-sdk and its Rust tracing) logs to the console, and a
  // benchmark's stdout carries only its JSON line.
  options.defer(muteConsole());
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const secretRoom = `${names.room}e`;
  const person = await E2eeTestUser.register(homeserver, { localpart: `carol${suffix}` });
  options.defer(() => person.close());
  const configYaml = fleetConfig(names, {
    agents: `  a1:\n    display_name: Agent a1\n    role: Answers benchmark questions.\n    rooms: [ROOM, ${secretRoom}]`,
    globalUsers: [person.userId],
    extra: `rooms:\n  ${secretRoom}:\n    encrypted: true\n`,
    // One person sends ~70 mentions in two minutes: no rate limit, no queueing.
    quorum: BENCH_LIMITS,
  });

  progress('e2ee: fresh start with encryption on');
  const fresh = await startBenchDaemon({ homeserver, llm, configYaml });
  options.defer(() => fresh.daemon.close());
  await fresh.daemon.terminate();
  keepDaemonLog(fresh.daemon);
  progress('e2ee: restart on the same data dir');
  const again = await startBenchDaemon({
    homeserver,
    llm,
    configYaml,
    dataDir: fresh.daemon.dataDir,
  });
  options.defer(async () => {
    await again.daemon.close();
    keepDaemonLog(again.daemon);
  });

  const agent = agentTarget(names, 'a1');
  const plainId = await person.joinRoom(names.alias);
  const secretId = await person.joinRoom(`#${secretRoom}:${homeserver.serverName}`);
  await person.waitForJoin(secretId, agent.userId);
  const ask = (roomId: string, tag: string): Promise<number> =>
    timeMention(person, roomId, agent, `${tag}-${randomUUID().slice(0, 8)}`);

  progress(`e2ee: ${options.samples} samples per room`);
  for (let i = 0; i < WARMUP; i++) {
    await ask(plainId, 'warm');
    await ask(secretId, 'warm');
  }
  const plain: number[] = [];
  const encrypted: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    // Alternate which room goes first, so neither always follows the other's trailing work.
    const order = i % 2 === 0 ? [plainId, secretId] : [secretId, plainId];
    for (const roomId of order) {
      const ms = await ask(roomId, 's');
      (roomId === plainId ? plain : encrypted).push(ms);
      await pause(GAP_MS);
    }
  }
  const plainSummary = summarize(plain);
  const encryptedSummary = summarize(encrypted);
  return {
    samples: options.samples,
    client: 'matrix-js-sdk with Rust crypto (wasm)',
    plain_room: plainSummary,
    encrypted_room: encryptedSummary,
    ratio_p50: round(encryptedSummary.p50_ms / plainSummary.p50_ms, 2),
    goal_ratio_p50: GOAL_RATIO_P50,
    startup_ms: {
      encryption_on_fresh: round(fresh.startupMs),
      encryption_on_restart: round(again.startupMs),
    },
    crypto_store_bytes: storeSizes(join(again.daemon.dataDir, 'crypto')),
  };
}

/** Mention → the reply's final version, as the person's client has it in the clear. */
async function timeMention(
  person: E2eeTestUser,
  roomId: string,
  agent: { userId: string; displayName: string },
  marker: string,
): Promise<number> {
  const sentAt = performance.now();
  const questionId = await person.sendText(roomId, `ping ${marker}`, { mention: agent });
  const reply = await person.waitFor(
    (e) => e.roomId === roomId && e.sender === agent.userId && inReplyTo(e) === questionId,
    30_000,
    `the reply to ${marker}`,
  );
  const final = await person.waitFor(
    (e) =>
      e.clearAtMs !== undefined &&
      ((e.eventId === reply.eventId && e.content[STREAM_STATUS_KEY] === 'final') ||
        (relationOf(e)?.['event_id'] === reply.eventId &&
          newContentOf(e)?.[STREAM_STATUS_KEY] === 'final')),
    30_000,
    `the final reply to ${marker}`,
  );
  return (final.clearAtMs ?? Number.NaN) - sentAt;
}

/** Silences `console.*` until the returned cleanup runs. */
function muteConsole(): () => Promise<void> {
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const saved = methods.map((method) => [method, console[method]] as const);
  for (const method of methods) console[method] = () => undefined;
  return () => {
    for (const [method, original] of saved) console[method] = original;
    return Promise.resolve();
  };
}

function storeSizes(dir: string): { files: number; total: number; largest: number } {
  const sizes = readdirSync(dir)
    .filter((name) => name.endsWith('.cryptostore'))
    .map((name) => statSync(join(dir, name)).size);
  return {
    files: sizes.length,
    total: sizes.reduce((a, b) => a + b, 0),
    largest: Math.max(0, ...sizes),
  };
}

function relationOf(event: SeenEvent): Record<string, unknown> | undefined {
  const relation = event.content['m.relates_to'];
  return typeof relation === 'object' && relation !== null
    ? (relation as Record<string, unknown>)
    : undefined;
}

function inReplyTo(event: SeenEvent): unknown {
  const reply = relationOf(event)?.['m.in_reply_to'];
  return typeof reply === 'object' && reply !== null
    ? (reply as Record<string, unknown>)['event_id']
    : undefined;
}

function newContentOf(event: SeenEvent): Record<string, unknown> | undefined {
  const content = event.content['m.new_content'];
  return typeof content === 'object' && content !== null
    ? (content as Record<string, unknown>)
    : undefined;
}
