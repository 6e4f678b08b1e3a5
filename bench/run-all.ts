/**
 * `npm run bench`: runs every benchmark in sequence against one homeserver (started once here
 * unless `MATRIX_HOMESERVER` is set) and passes each one's JSON line through, so stdout holds
 * one JSON object per benchmark. Progress and failures go to stderr; the exit code is 1 when
 * any benchmark failed.
 *
 *   npm run bench            # all of them
 *   npm run bench -- stream  # only the named ones
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { acquireBenchHomeserver } from './support/bench-homeserver.js';

const BENCHMARKS = [
  'latency',
  'stream',
  'reload',
  'routing',
  'schedule',
  'schedule-daemon',
  'mcp',
  'crypto-store',
  'abuse',
] as const;

const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.join(', ')}\n`,
  );
  process.exit(2);
}

const acquired = await acquireBenchHomeserver();
const release = (): void => {
  void acquired.release().finally(() => process.exit(130));
};
process.once('SIGINT', release);
process.once('SIGTERM', release);
let failed = 0;
try {
  for (const name of chosen.length > 0 ? chosen : BENCHMARKS) {
    const code = await runScript(name, {
      ...process.env,
      MATRIX_HOMESERVER: acquired.homeserver.url,
      MATRIX_SERVER_NAME: acquired.homeserver.serverName,
      MATRIX_REGISTRATION_SHARED_SECRET: acquired.homeserver.registrationSharedSecret,
    });
    if (code !== 0) {
      failed += 1;
      process.stderr.write(`[bench] ${name} failed (exit ${code})\n`);
    }
  }
} finally {
  await acquired.release();
}
process.exitCode = failed > 0 ? 1 : 0;

/** Runs `bench/<name>.ts` with stdout passed through; resolves with its exit code. */
function runScript(name: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolveCode, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(import.meta.dirname, `${name}.ts`)],
      { env, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      resolveCode(code ?? (signal === null ? 1 : 128));
    });
  });
}
