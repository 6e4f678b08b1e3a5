import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseToolOptions } from '../config/index.js';
import { systemClock } from '../shared/index.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { createFetchUrlTool, type HostResolver } from './fetch-url-tool.js';
import { addressProblem } from './net-guard.js';
import type { ToolContext, ToolResult } from './tool.js';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/page') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<html><head><style>p{}</style><script>alert(1)</script></head><body><h1>Title</h1><p>Hello <b>world</b>, see <a href="https://example.org/x">this</a>.</p><img src="x.png"></body></html>',
      );
    } else if (path === '/to-local') {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/page` });
      res.end();
    } else if (path === '/loop') {
      res.writeHead(302, { location: '/loop' });
      res.end();
    } else if (path === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('y'.repeat(50_000));
    } else if (path === '/binary') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.alloc(100));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('missing');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
});

/** Every name resolves to loopback, as a DNS rebinding attacker would arrange. */
const toLoopback: HostResolver = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);

function context(): ToolContext {
  return {
    agentName: 'a',
    roomId: '!r:x',
    threadRoot: undefined,
    requester: '@u:x',
    signal: AbortSignal.timeout(5_000),
    clock: systemClock,
    timezone: 'UTC',
    log: new RecordingLogger(),
  };
}

async function fetchWith(
  url: string,
  options: Record<string, unknown> = {},
  resolver: HostResolver = toLoopback,
): Promise<ToolResult> {
  const tool = createFetchUrlTool(parseToolOptions('fetch_url', options), resolver);
  const result = await tool.run({ url }, context());
  return typeof result === 'string' ? { content: result, isError: false } : result;
}

describe('fetch_url', () => {
  it('returns the readable text of a page, without scripts, styles or images', async () => {
    const result = await fetchWith(`http://127.0.0.1:${port}/page`, {
      allow_private_networks: true,
    });
    expect(result.isError).toBe(false);
    expect(result.content).toContain('Status: 200');
    expect(result.content).toContain('TITLE');
    expect(result.content).toContain('Hello world, see this [https://example.org/x].');
    expect(result.content).not.toContain('alert');
    expect(result.content).not.toContain('p{}');
  });

  it('refuses loopback and private addresses by default, literal or resolved', async () => {
    await expect(fetchWith(`http://127.0.0.1:${port}/page`)).rejects.toThrow(
      /127\.0\.0\.1 is a private, loopback, link-local or reserved address/,
    );
    await expect(fetchWith(`http://intranet.test:${port}/page`)).rejects.toThrow(
      /not fetching intranet\.test: 127\.0\.0\.1 is a private/,
    );
    await expect(fetchWith('http://[::ffff:10.0.0.1]/')).rejects.toThrow(/private/);
  });

  it('re-checks every redirect hop', async () => {
    await expect(
      fetchWith(`http://wiki.test:${port}/to-local`, { allowed_hosts: ['wiki.test'] }),
    ).rejects.toThrow(/not fetching 127\.0\.0\.1:\d+: 127\.0\.0\.1 is a private/);
  });

  it('lets allowed hosts through, but never metadata addresses', async () => {
    const result = await fetchWith(`http://wiki.test:${port}/page`, {
      allowed_hosts: ['WIKI.test'],
    });
    expect(result.content).toContain('Hello world');
    const metadata: HostResolver = () =>
      Promise.resolve([{ address: '169.254.169.254', family: 4 }]);
    await expect(
      fetchWith('http://metadata.test/', { allow_private_networks: true }, metadata),
    ).rejects.toThrow(/cloud metadata address/);
  });

  it('refuses other schemes and credentials in URLs', async () => {
    await expect(fetchWith('file:///etc/passwd')).rejects.toThrow(/only http and https/);
    await expect(fetchWith('http://user:pw@example.org/')).rejects.toThrow(/user name or password/);
  });

  it('stops after too many redirects', async () => {
    await expect(
      fetchWith(`http://127.0.0.1:${port}/loop`, { allow_private_networks: true }),
    ).rejects.toThrow(/more than 5 redirects/);
  });

  it('reads at most max_bytes and says so', async () => {
    const result = await fetchWith(`http://127.0.0.1:${port}/big`, {
      allow_private_networks: true,
      max_bytes: 1_000,
    });
    expect(result.content).toContain('[only the first 1000 bytes were read]');
    expect(result.content.endsWith(`\n\n${'y'.repeat(1_000)}`)).toBe(true);
  });

  it('describes binary content instead of returning it, and marks HTTP errors', async () => {
    const binary = await fetchWith(`http://127.0.0.1:${port}/binary`, {
      allow_private_networks: true,
    });
    expect(binary.content).toContain('[100 bytes of image/png content, not shown]');
    const missing = await fetchWith(`http://127.0.0.1:${port}/nope`, {
      allow_private_networks: true,
    });
    expect(missing).toMatchObject({ isError: true });
  });
});

describe('addressProblem', () => {
  it.each([
    ['10.1.2.3'],
    ['172.16.0.1'],
    ['192.168.1.1'],
    ['100.64.0.1'],
    ['169.254.1.1'],
    ['0.0.0.0'],
    ['::1'],
    ['fe80::1'],
    ['fd12::1'],
    ['::ffff:127.0.0.1'],
  ])('refuses %s by default', (address) => {
    expect(addressProblem(address, { allowPrivateNetworks: false })).toBeDefined();
    expect(addressProblem(address, { allowPrivateNetworks: true })).toBeUndefined();
  });

  it('allows public addresses and always refuses metadata ones', () => {
    expect(addressProblem('93.184.216.34', { allowPrivateNetworks: false })).toBeUndefined();
    expect(addressProblem('2606:4700::1', { allowPrivateNetworks: false })).toBeUndefined();
    expect(addressProblem('169.254.169.254', { allowPrivateNetworks: true })).toMatch(/metadata/);
    expect(addressProblem('fd00:ec2::254', { allowPrivateNetworks: true })).toMatch(/metadata/);
  });
});
