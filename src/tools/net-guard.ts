/**
 * Which addresses `fetch_url` may connect to. Checked on every resolved address of every hop
 * (the check runs in the connection's own DNS lookup, so the address checked is the address
 * connected to: no rebinding window), and on IP literals before any connection.
 */
import { BlockList, isIP } from 'node:net';

/** Private, loopback, link-local, CGNAT, multicast and reserved ranges (RFC 6890 and friends). */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo and more)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // old site-local
  ['ff00::', 8], // multicast
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

/** Cloud metadata endpoints: blocked even where private networks are allowed. */
const METADATA = new BlockList();
for (const address of ['169.254.169.254', '169.254.170.2', '100.100.100.200']) {
  METADATA.addAddress(address, 'ipv4');
}
METADATA.addAddress('fd00:ec2::254', 'ipv6');

/** What an address check allows. */
export interface AddressPolicy {
  /** Private, loopback, link-local and CGNAT addresses are allowed (metadata never is). */
  readonly allowPrivateNetworks: boolean;
}

/**
 * Why `fetch_url` must not connect to `address` (an IP literal), or `undefined` when it may.
 * IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 */
export function addressProblem(address: string, policy: AddressPolicy): string | undefined {
  const family = isIP(address);
  if (family === 0) return `'${address}' is not an IP address`;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (METADATA.check(address, type)) return `${address} is a cloud metadata address`;
  if (!policy.allowPrivateNetworks && PRIVATE.check(address, type)) {
    return `${address} is a private, loopback, link-local or reserved address`;
  }
  return undefined;
}
