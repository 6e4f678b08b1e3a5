import { isIP } from 'node:net';

/**
 * Whether binding `host` keeps the API on this machine: `localhost` (and `*.localhost`,
 * `ip6-localhost`), `127.0.0.0/8`, `::1` in any spelling, and IPv4-mapped `::ffff:127.x`.
 * Anything else (`0.0.0.0`, `::`, an interface address, another name) may be reachable from
 * other machines.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .replace(/^\[(.*)\]$/u, '$1')
    .toLowerCase();
  if (bare === 'localhost' || bare === 'ip6-localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) !== 6) return false;
  if (bare === '::1' || /^0{0,4}(?::0{0,4}){6}:0{0,3}1$/u.test(bare)) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/u.exec(bare);
  return mapped?.[1]?.startsWith('127.') === true;
}
