import { isIP } from 'node:net';

/**
 * Whether binding `host` keeps the API on this machine: `localhost`, `127.0.0.0/8`, `::1`
 * (also IPv4-mapped). Anything else (`0.0.0.0`, `::`, an interface address, a name) may be
 * reachable from other machines.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  if (bare === 'localhost' || bare === 'ip6-localhost') return true;
  const mapped = bare.startsWith('::ffff:') ? bare.slice('::ffff:'.length) : bare;
  if (isIP(mapped) === 4) return mapped.startsWith('127.');
  return isIP(bare) === 6 && bare === '::1';
}
