import { describe, expect, it } from 'vitest';
import { SecretScrubber, type ReadinessReport } from '../shared/index.js';
import { createHttpApp } from './app.js';

describe('/api/ready: MCP servers', () => {
  it('shows each server’s state, never a secret in its last error, and never gates readiness', async () => {
    const canary = `mcp-header-${Math.random().toString(36).slice(2)}-secret`;
    const scrubber = new SecretScrubber();
    scrubber.setSecrets('config', [canary]);
    const report: ReadinessReport = {
      ready: true,
      config_generation: 3,
      entities: [],
      mcp_servers: {
        github: {
          state: 'backoff',
          tools: 0,
          last_error: `connection: 401 for Authorization: Bearer ${canary}`,
          restarts: 2,
        },
        files: { state: 'ready', tools: 14, last_error: null, restarts: 0 },
      },
    };
    const app = createHttpApp({ readiness: () => report, metricsText: () => '' }, { scrubber });
    const response = await app.request('/api/ready');
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain(canary);
    const body = JSON.parse(text) as ReadinessReport;
    expect(body.mcp_servers?.['files']).toEqual({
      state: 'ready',
      tools: 14,
      last_error: null,
      restarts: 0,
    });
    expect(body.mcp_servers?.['github']).toMatchObject({ state: 'backoff', restarts: 2 });
  });
});
