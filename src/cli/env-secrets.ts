/**
 * The secret values in the process environment, for the secret scrubber: every variable
 * Quorum reads as a credential, every variable whose name says it is secret (KEY, TOKEN,
 * SECRET, PASSWORD, …) and those the config declares (`quorum.secret_env`), each also through
 * its `NAME_FILE`.
 */
import { readFileSync } from 'node:fs';
import { CREDENTIAL_ENV_NAMES, isSecretEnvName } from '../config/index.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Values shorter than this, from variables found only by their name, are not treated as secrets. */
const MIN_GUESSED_SECRET_LENGTH = 8;

/**
 * The secret values of `env`. A variable found only by its name must hold at least 8
 * characters that are not a plain number or boolean (`USE_TOKEN_AUTH=true` is not a secret);
 * credentials Quorum reads and `declared` names are taken as they are. `NAME_FILE` contents
 * are read (unreadable files are skipped: the code that uses the secret reports them).
 */
export function environmentSecrets(
  env: Env,
  declared: Iterable<string> = [],
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): string[] {
  const explicit = new Set<string>([...CREDENTIAL_ENV_NAMES, ...declared]);
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.trim() === '') continue;
    const base = name.endsWith('_FILE') ? name.slice(0, -'_FILE'.length) : undefined;
    if (base !== undefined && (explicit.has(base) || isSecretEnvName(base, explicit))) {
      const content = readQuietly(readFile, value);
      if (content !== undefined) values.add(content);
      continue;
    }
    if (explicit.has(name)) values.add(value.trim());
    else if (isSecretEnvName(name) && looksSecret(value)) values.add(value.trim());
  }
  return [...values];
}

function looksSecret(value: string): boolean {
  const trimmed = value.trim();
  return (
    trimmed.length >= MIN_GUESSED_SECRET_LENGTH &&
    !/^(?:true|false|yes|no|on|off|\d+)$/i.test(trimmed)
  );
}

function readQuietly(readFile: (path: string) => string, path: string): string | undefined {
  try {
    const content = readFile(path).trim();
    return content === '' ? undefined : content;
  } catch {
    return undefined;
  }
}
