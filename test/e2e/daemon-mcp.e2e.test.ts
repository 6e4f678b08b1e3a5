/**
 * Issue 13 on a real Synapse, with the real MCP SDK on both sides: an agent calls tools of a
 * stdio MCP server (a child process of the daemon) and of a streamable-HTTP server; servers
 * that die are reconnected or reported with one clear error while the daemon keeps running;
 * config edits add and remove servers live (the removed child is gone); a `required` server
 * holds back only the agent that uses it; secrets reach only their server.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ReadinessReport } from '../../src/shared/index.js';
import { DaemonProcess } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import { isInThread, relationOf } from '../support/matrix-events.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { MatrixTestUser } from '../support/matrix-test-user.js';
import { startHttpTestServer, type HttpTestServer } from '../support/mcp/http-test-server.js';
import {
  TEST_TOOLS_SERVER,
  allToolResults,
  eventually,
  hasToolResult,
  isRunning,
  offeredTools,
  toolResultsIn,
} from '../support/mcp-e2e.js';
import { fleetConfig, fleetNames, latestBody, streamStatus } from '../support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../support/scripted-llm-server.js';

describeE2e('daemon: MCP tools on a real homeserver', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const tooly = { userId: names.userId('tooly'), displayName: 'Tooly' };
  const canary = `mcp-canary-${suffix}-9f3a7c`;
  let llm: ScriptedLlmServer;
  let web: HttpTestServer;
  let daemon: DaemonProcess;
  let alice: MatrixTestUser;
  let lobby: string;

  const stdioServer = (id: string, lines: readonly string[] = []): string =>
    [
      `  ${id}:`,
      '    transport: stdio',
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(TEST_TOOLS_SERVER)}]`,
      ...lines.map((line) => `    ${line}`),
    ].join('\n');

  /** The config: `tooly` with both servers, plus what a test adds. */
  const config = (options: { extra?: boolean; waiter?: boolean } = {}): string =>
    fleetConfig(names, {
      agents: [
        '  tooly:',
        '    display_name: Tooly',
        '    role: Uses tools from MCP servers.',
        '    rooms: [ROOM]',
        '    tools: [mcp_local, mcp_web' + (options.extra === true ? ', mcp_extra]' : ']'),
        ...(options.waiter === true
          ? ['  waiter:', '    display_name: Waiter', '    rooms: [ROOM]', '    tools: [mcp_slow]']
          : []),
      ].join('\n'),
      globalUsers: [alice.userId],
      extra: [
        'mcp_servers:',
        stdioServer('local', ["env: {CANARY: '${MCP_E2E_CANARY_TOKEN}'}"]),
        '  web:',
        '    transport: streamable-http',
        `    url: ${web.url}`,
        '    startup_timeout_seconds: 5',
        '    call_timeout_seconds: 5',
        ...(options.extra === true ? [stdioServer('extra')] : []),
        ...(options.waiter === true
          ? [
              stdioServer('slow', [
                'required: true',
                'startup_timeout_seconds: 60',
                "env: {MCP_TEST_STARTUP_DELAY_MS: '6000'}",
              ]),
            ]
          : []),
        '',
      ].join('\n'),
    });

  /** Mentions Tooly (or replies in `thread`) and resolves with its new reply's final text. */
  const ask = async (text: string, thread?: string): Promise<{ root: string; body: string }> => {
    const seen = new Set(alice.eventsIn(lobby).map((e) => e.event_id));
    const root = thread ?? (await alice.sendMention(lobby, tooly, `Tooly, ${text}`));
    if (thread !== undefined) await alice.sendThreadReply(lobby, thread, text);
    const reply = await alice.waitFor(
      (e) =>
        e.sender === tooly.userId &&
        isInThread(e, root) &&
        !seen.has(e.event_id) &&
        relationOf(e)?.relType !== 'm.replace',
      { timeoutMs: 30_000 },
    );
    await alice.waitFor(() => streamStatus(alice.eventsIn(lobby), reply.event_id) === 'final', {
      timeoutMs: 45_000,
    });
    return { root, body: latestBody(alice.eventsIn(lobby), reply.event_id) ?? '' };
  };

  /** Scripts one tool round for `marker`: the calls, then a final text once results came back. */
  const script = (marker: string, calls: { name: string; arguments: unknown }[], final: string) => {
    llm.when(
      { lastUserMessageIncludes: marker, when: (r) => !hasToolResult(r) },
      llmReply.toolCalls(calls),
    );
    llm.when({ lastUserMessageIncludes: marker, when: hasToolResult }, llmReply.text(final));
  };

  const mcpState = (report: ReadinessReport | undefined, id: string) => report?.mcp_servers?.[id];

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('ok') });
    web = await startHttpTestServer();
    alice = await MatrixTestUser.register(homeserver, {
      localpart: `alice${suffix}`,
      displayName: 'Alice',
    });
    await alice.startSync();
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: config(),
      env: {
        OPENAI_BASE_URL: llm.openAiBaseUrl,
        OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000',
        MCP_E2E_CANARY_TOKEN: canary,
      },
    });
    lobby = await alice.joinRoom(names.alias);
    await daemon.waitUntil(
      (report) =>
        mcpState(report, 'local')?.state === 'ready' && mcpState(report, 'web')?.state === 'ready',
      30_000,
      'both MCP servers to be ready',
    );
  });

  afterAll(async () => {
    await daemon.close();
    await alice.close();
    await web.stop();
    await llm.close();
  });

  it('a stdio server gives the agent a tool: the scripted call reaches it and its result reaches the reply', async () => {
    const marker = `stdio-echo-${suffix}`;
    script(
      marker,
      [{ name: 'local_echo', arguments: { text: `${marker}-result` } }],
      'Echoed via stdio.',
    );
    const { body } = await ask(`${marker} please`);
    expect(body).toContain('Echoed via stdio.');
    expect(body).toContain(`local_echo`);
    expect(body).toContain(`→ ${marker}-result`);
    const first = llm.requests.find((r) => r.lastUserText.includes(marker));
    expect(offeredTools(first!)).toEqual(
      expect.arrayContaining(['local_echo', 'local_pid', 'web_echo']),
    );
    const second = llm.requests.filter((r) => r.lastUserText.includes(marker)).at(-1);
    expect(toolResultsIn(second!)).toEqual([`${marker}-result`]);
  });

  it('the same through streamable HTTP against a server built with the SDK', async () => {
    const marker = `http-echo-${suffix}`;
    const requestsBefore = web.requestHeaders.length;
    script(
      marker,
      [{ name: 'web_echo', arguments: { text: `${marker}-result` } }],
      'Echoed via HTTP.',
    );
    const { body } = await ask(`${marker} please`);
    expect(body).toContain('Echoed via HTTP.');
    expect(body).toContain(`→ ${marker}-result`);
    expect(web.requestHeaders.length).toBeGreaterThan(requestsBefore);
  });

  it('shows each server in /api/ready and counts calls in /metrics', async () => {
    const report = await daemon.readiness();
    expect(report?.ready).toBe(true);
    expect(mcpState(report, 'local')).toMatchObject({ state: 'ready', last_error: null });
    expect(mcpState(report, 'local')?.tools).toBeGreaterThan(5);
    expect(mcpState(report, 'web')).toMatchObject({ state: 'ready', last_error: null });
    const metrics = await daemon.metrics();
    const line = (name: string, ...labels: string[]): string | undefined =>
      metrics
        .split('\n')
        .find(
          (text) => text.startsWith(`${name}{`) && labels.every((label) => text.includes(label)),
        );
    expect(line('quorum_mcp_calls_total', 'server="local"', 'outcome="ok"')).toMatch(/ [1-9]\d*$/);
    expect(line('quorum_mcp_server_up', 'server="web"')).toMatch(/ 1$/);
  });

  it('gives a stdio server its own secret and none of the daemon’s; the secret never reaches the room or the model', async () => {
    const marker = `env-${suffix}`;
    script(
      marker,
      [
        { name: 'local_env', arguments: { name: 'CANARY' } },
        { name: 'local_env_names', arguments: {} },
      ],
      'Checked the environment.',
    );
    const { body } = await ask(`${marker} check`);
    expect(body).toContain('Checked the environment.');
    const results = toolResultsIn(
      llm.requests.filter((r) => r.lastUserText.includes(marker)).at(-1)!,
    );
    expect(results).toHaveLength(2);
    // The server has its secret (the model and the room see it scrubbed)...
    expect(results[0]).not.toBe('(unset)');
    expect(results[0]).not.toContain(canary);
    // ...and a minimal environment: none of the daemon's variables.
    const variables = (results[1] ?? '').split(',');
    expect(variables).toContain('CANARY');
    expect(variables).toContain('PATH');
    for (const name of [
      'OPENAI_API_KEY',
      'MATRIX_REGISTRATION_SHARED_SECRET',
      'MCP_E2E_CANARY_TOKEN',
      'MATRIX_HOMESERVER',
    ]) {
      expect(variables).not.toContain(name);
    }
    expect(JSON.stringify(llm.requests)).not.toContain(canary);
    expect(JSON.stringify(alice.eventsIn(lobby))).not.toContain(canary);
  });

  it('killing the stdio server mid-conversation: the next call reconnects, the daemon keeps running', async () => {
    const marker = `pid-${suffix}`;
    script(marker, [{ name: 'local_pid', arguments: {} }], 'Got the pid.');
    const { root } = await ask(`${marker} which process`);
    const pid = Number(
      allToolResults(llm)
        .filter((text) => /^\d+$/.test(text))
        .at(-1),
    );
    expect(isRunning(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
    await eventually(() => !isRunning(pid), 5_000, 'the server process to die');

    const again = `after-kill-${suffix}`;
    script(again, [{ name: 'local_echo', arguments: { text: `${again}-result` } }], 'Still works.');
    const { body } = await ask(`${again} once more`, root);
    expect(body).toContain('Still works.');
    expect(body).toContain(`→ ${again}-result`);
    const report = await daemon.readiness();
    expect(mcpState(report, 'local')).toMatchObject({ state: 'ready' });
    expect(mcpState(report, 'local')?.restarts).toBeGreaterThanOrEqual(1);
    expect(report?.ready).toBe(true);
  });

  it('a server that went away: one clear error in the reply, its state in /api/ready, back when it returns', async () => {
    const port = web.port;
    await web.stop();
    const marker = `web-down-${suffix}`;
    script(marker, [{ name: 'web_echo', arguments: { text: 'x' } }], 'The web tool failed.');
    const { body } = await ask(`${marker} try`);
    expect(body).toContain('The web tool failed.');
    const results = toolResultsIn(
      llm.requests.filter((r) => r.lastUserText.includes(marker)).at(-1)!,
    );
    expect(results).toHaveLength(1);
    expect(results[0]).toMatch(/^Error: .*MCP server 'web'/);
    const down = await daemon.waitUntil(
      (report) => ['backoff', 'starting'].includes(mcpState(report, 'web')?.state ?? ''),
      15_000,
      'the web server to be reported down',
    );
    expect(down.ready).toBe(true);
    web = await startHttpTestServer(port);
    await daemon.waitUntil(
      (report) => mcpState(report, 'web')?.state === 'ready',
      30_000,
      'the web server to be back',
    );
    const back = `web-back-${suffix}`;
    script(back, [{ name: 'web_echo', arguments: { text: `${back}-result` } }], 'Back online.');
    expect((await ask(`${back} try`)).body).toContain(`→ ${back}-result`);
  });

  it('adding a server in config.yaml makes its tool usable without a restart; removing it stops the child', async () => {
    daemon.writeConfig(config({ extra: true }));
    await daemon.waitUntil(
      (report) =>
        mcpState(report, 'extra')?.state === 'ready' &&
        report.entities.find((entity) => entity.name === 'tooly')?.state === 'syncing',
      30_000,
      'the added server and the reconfigured agent',
    );
    const marker = `extra-${suffix}`;
    script(marker, [{ name: 'extra_pid', arguments: {} }], 'Extra answered.');
    const { body } = await ask(`${marker} go`);
    expect(body).toContain('Extra answered.');
    const pid = Number(
      toolResultsIn(llm.requests.filter((r) => r.lastUserText.includes(marker)).at(-1)!)[0],
    );
    expect(isRunning(pid)).toBe(true);

    daemon.writeConfig(config());
    await daemon.waitUntil(
      (report) => mcpState(report, 'extra') === undefined,
      30_000,
      'the removed server to go',
    );
    await eventually(() => !isRunning(pid), 10_000, `the removed server's process ${pid} to end`);
    await daemon.waitUntil((report) => report.ready, 30_000, 'the fleet to be ready again');
  });

  it('a required server holds back only the agent that uses it', async () => {
    daemon.writeConfig(config({ waiter: true }));
    const held = await daemon.waitUntil(
      (report) =>
        report.entities.some((entity) => entity.name === 'waiter' && entity.last_error !== null),
      20_000,
      'the new agent to be held back',
    );
    const waiter = held.entities.find((entity) => entity.name === 'waiter');
    expect(waiter).toMatchObject({ state: 'starting' });
    expect(waiter?.last_error).toContain('waiting for required MCP server slow');
    expect(mcpState(held, 'slow')?.state).toBe('starting');
    // Meanwhile the rest of the fleet answers as usual.
    const marker = `meanwhile-${suffix}`;
    script(marker, [{ name: 'local_echo', arguments: { text: `${marker}-result` } }], 'Not held.');
    expect((await ask(`${marker} now`)).body).toContain('Not held.');
    await daemon.waitUntil(
      (report) =>
        mcpState(report, 'slow')?.state === 'ready' &&
        report.entities.find((entity) => entity.name === 'waiter')?.state === 'syncing',
      45_000,
      'the held agent to start once its server is ready',
    );
  });

  it('stops its stdio servers with it: no child outlives the daemon', async () => {
    const marker = `last-pid-${suffix}`;
    script(marker, [{ name: 'local_pid', arguments: {} }], 'Last pid.');
    await ask(`${marker} go`);
    const pid = Number(
      allToolResults(llm)
        .filter((text) => /^\d+$/.test(text))
        .at(-1),
    );
    expect(isRunning(pid)).toBe(true);
    const { code } = await daemon.terminate();
    expect(code).toBe(0);
    expect(isRunning(pid)).toBe(false);
    expect(daemon.output.join('')).toContain('fleet stopped');
  });
});
