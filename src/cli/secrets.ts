import { readFileSync } from 'node:fs';

/**
 * A secret from the environment: `NAME`, else the trimmed contents of the file named by
 * `NAME_FILE` (container secrets), else undefined.
 */
export function readSecret(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return direct;
  const file = env[`${name}_FILE`];
  if (file === undefined || file === '') return undefined;
  return readFileSync(file, 'utf8').trim();
}
