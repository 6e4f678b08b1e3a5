#!/usr/bin/env node
/**
 * `quorum`: the only place that reads process.env and argv, installs signal handlers and
 * calls process.exit.
 */
import { readFileSync } from 'node:fs';
import { diffConfigFiles, resolvePaths, validateConfigFile } from '../config/index.js';
import {
  AbortReason,
  createLogger,
  parseLogLevel,
  SecretScrubber,
  type Logger,
} from '../shared/index.js';
import { USAGE, parseArgv } from './argv.js';
import { environmentSecrets } from './env-secrets.js';
import { CliError, runDaemon } from './run-daemon.js';

const EXIT_OK = 0;
const EXIT_USAGE = 64;

async function main(): Promise<number> {
  const parsed = parseArgv(process.argv.slice(2));
  if (!parsed.ok) {
    console.error(`quorum: ${parsed.error}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { command } = parsed;
  const env = process.env;
  // Known before anything is printed or logged: the environment's secrets.
  const scrubber = new SecretScrubber();
  scrubber.setSecrets('env', environmentSecrets(env));
  switch (command.kind) {
    case 'help':
      console.log(USAGE);
      return EXIT_OK;
    case 'version': {
      const pkg = JSON.parse(
        readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
      ) as { version: string };
      console.log(pkg.version);
      return EXIT_OK;
    }
    case 'validate': {
      const path = command.path ?? resolvePaths({ env, cwd: process.cwd() }).configPath;
      const outcome = await validateConfigFile(path, env);
      console.log(scrubber.scrub(outcome.output));
      return outcome.exitCode;
    }
    case 'diff': {
      const outcome = await diffConfigFiles(
        command.oldPath,
        command.newPath,
        env,
        command.serverName,
      );
      console.log(scrubber.scrub(outcome.output));
      return outcome.exitCode;
    }
    case 'run':
      return runUntilSignalled(command, env, scrubber);
  }
}

async function runUntilSignalled(
  command: Parameters<typeof runDaemon>[0],
  env: NodeJS.ProcessEnv,
  scrubber: SecretScrubber,
): Promise<number> {
  const log: Logger = createLogger({
    level: parseLogLevel(env['LOG_LEVEL']),
    format: env['LOG_FORMAT'] === 'pretty' ? 'pretty' : 'json',
    scrubber,
  });
  process.on('unhandledRejection', (reason) => {
    log.error('unhandled rejection', { error: reason });
  });
  let signals = 0;
  let stop: (() => Promise<void>) | undefined;
  // The root of every signal in the daemon: SIGTERM and SIGINT abort it.
  const root = new AbortController();
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals > 1) {
        log.warn('second signal: exiting now', { signal });
        process.exit(130);
      }
      log.info('shutting down', { signal });
      root.abort(new AbortReason('shutdown', `received ${signal}`));
      const deadline = setTimeout(() => {
        log.error('shutdown deadline passed: exiting now');
        process.exit(1);
      }, 30_000);
      deadline.unref();
      void (stop?.() ?? Promise.resolve()).then(
        () => {
          resolve(EXIT_OK);
        },
        (error: unknown) => {
          log.error('shutdown failed', { error });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  try {
    const daemon = await runDaemon(command, env, { log, signal: root.signal, scrubber });
    stop = () => daemon.shutdown();
    process.on('SIGHUP', () => {
      log.info('SIGHUP: reloading the config');
      daemon.reload();
    });
    if (signals > 0) await daemon.shutdown();
  } catch (error: unknown) {
    if (error instanceof CliError) {
      console.error(`quorum: ${scrubber.scrub(error.message)}`);
      return error.exitCode;
    }
    log.error('could not start', { error });
    return 1;
  }
  return stopped;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Let pending writes flush, then leave even if a library holds a handle open.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
