/**
 * Issue 12 on a real Synapse, as an attacker would try it: secrets never leave the daemon
 * (a canary in every credential variable Quorum reads; through `!config`, a failing model, a
 * failing homeserver quoting the bots' tokens, logs or the API), `!config` is off by default and
 * never reads the environment, a glob in a room's permission list admits exactly the right
 * people, and the daemon refuses an unprotected public API and a second daemon on its data
 * directory.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CREDENTIAL_ENV_NAMES } from '../../src/config/index.js';
import { DaemonProcess } from '../support/daemon-process.js';
import { HomeserverProxy } from '../support/homeserver-proxy.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import type { MatrixEvent } from '../support/matrix-events.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { MatrixTestUser } from '../support/matrix-test-user.js';
import { fleetNames } from '../support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../support/scripted-llm-server.js';

describeE2e('daemon: secrets, !config limits, authorization globs, API and data-dir safety', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const router = names.userId('router');
  const calc = names.userId('calc');
  const canary = (what: string): string => `CANARY-${what}-${randomBytes(8).toString('hex')}`;
  const apiKey = canary('openai-key');
  const extraToken = canary('extra-token');
  const apiToken = canary('api-token');
  /**
   * A canary in every other credential variable Quorum reads (provider keys, the registration
   * token: the shared secret wins, so it is read but unused), and in the API and MCP tokens.
   */
  const otherCredentials = Object.fromEntries(
    [
      ...CREDENTIAL_ENV_NAMES.filter(
        (name) =>
          !['MATRIX_REGISTRATION_SHARED_SECRET', 'OPENAI_API_KEY', 'QUORUM_API_TOKEN'].includes(
            name,
          ),
      ),
      'OPENAI_COMPAT_API_KEYS',
      'QUORUM_MCP_TOKEN',
    ].map((name) => [name, canary(name.toLowerCase())]),
  );
  /** Every secret the daemon knows that must never leave it (the bots' tokens are added). */
  const secrets = [
    homeserver.registrationSharedSecret,
    apiKey,
    extraToken,
    apiToken,
    ...Object.values(otherCredentials),
  ];
  /** The daemon's homeserver: Synapse behind a proxy that can fail quoting tokens. */
  let proxy: HomeserverProxy;
  let llm: ScriptedLlmServer;
  let daemon: DaemonProcess;
  let alice: MatrixTestUser;
  let bob: MatrixTestUser;
  let carol: MatrixTestUser;
  let lobby: string;

  const config = (authorization: string): string => `models:
  default:
    provider: openai
    id: \${E2E_MODEL_ID:-e2e-model}
    extra_kwargs:
      headers: {X-Extra-Token: "\${E2E_EXTRA_TOKEN}"}
agents:
  calc:
    display_name: Calculator
    role: Does arithmetic.
    rooms: [${names.room}]
authorization:
${authorization}
quorum:
  localpart_prefix: ${names.prefix}
`;
  /** Alice (and only alice) by a glob, in the lobby's permission list; carol is a global user. */
  const glob = `"@alice${suffix}*:${homeserver.serverName}"`;
  const locked = config(
    `  global_users: ["@carol${suffix}:${homeserver.serverName}"]\n  room_permissions:\n    ${names.room}: [${glob}]`,
  );
  const open = config(
    `  global_users: ["@alice${suffix}:${homeserver.serverName}"]\n  default_room_access: true\n  config_command_enabled: true`,
  );
  const env = (): Record<string, string> => ({
    OPENAI_BASE_URL: llm.openAiBaseUrl,
    OPENAI_API_KEY: apiKey,
    E2E_EXTRA_TOKEN: extraToken,
    QUORUM_API_TOKEN: apiToken,
    ...otherCredentials,
  });

  const noticeFrom =
    (roomId: string, from: string, text: string) =>
    (event: MatrixEvent): boolean =>
      event.room_id === roomId &&
      event.sender === from &&
      event.content['msgtype'] === 'm.notice' &&
      String(event.content['body']).includes(text);

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('ok') });
    [alice, bob, carol] = await Promise.all([
      MatrixTestUser.register(homeserver, { localpart: `alice${suffix}`, displayName: 'Alice' }),
      MatrixTestUser.register(homeserver, { localpart: `bob${suffix}`, displayName: 'Bob' }),
      MatrixTestUser.register(homeserver, { localpart: `carol${suffix}`, displayName: 'Carol' }),
    ]);
    await Promise.all([alice.startSync(), bob.startSync()]);
    proxy = await HomeserverProxy.start(homeserver.url);
    daemon = await DaemonProcess.start({
      homeserver: { ...homeserver, url: proxy.url },
      configYaml: locked,
      env: env(),
    });
    // Carol (a global user) is invited by the router; she brings alice and bob in.
    lobby = await carol.joinRoom(names.alias);
    await carol.invite(lobby, alice.userId);
    await carol.invite(lobby, bob.userId);
    await alice.joinRoom(lobby);
    await bob.joinRoom(lobby);
  });

  afterAll(async () => {
    // Whatever happened above: no secret in any room event, log line, API answer or prompt.
    try {
      const seen = JSON.stringify([...alice.timeline.all, ...bob.timeline.all]);
      const requests = JSON.stringify(llm.requests.map((request) => request.body));
      const logs = daemon.output.join('');
      const ready = await daemon.readiness();
      expect(proxy.tokensSeen.size).toBeGreaterThan(0);
      for (const secret of [...secrets, ...proxy.tokensSeen]) {
        expect(seen, 'room events').not.toContain(secret);
        expect(requests, 'model requests').not.toContain(secret);
        expect(logs, 'daemon output').not.toContain(secret);
        expect(JSON.stringify(ready), '/api/ready').not.toContain(secret);
      }
    } finally {
      await daemon.close();
      await Promise.all([alice.close(), bob.close(), carol.close()]);
      await llm.close();
      await proxy.close();
    }
  });

  it('admits the people a glob in room_permissions matches, and nobody else', async () => {
    const before = llm.requests.length;
    await bob.sendText(lobby, 'bob asks: what is 2+2?');
    await alice.sendText(lobby, 'alice asks: what is 3+3?');
    await alice.waitFor(
      (e) => e.room_id === lobby && e.sender === calc && e.type === 'm.room.message',
      { timeoutMs: 30_000 },
    );
    const asked = llm.requests.slice(before).map((request) => request.lastUserText);
    expect(asked.some((text) => text.includes('alice asks'))).toBe(true);
    expect(asked.some((text) => text.includes('bob asks'))).toBe(false);
  });

  it('keeps !config off by default, even for a global user, without reading the environment', async () => {
    // Carol is a global user, so by MindRoom's rule a config admin once !config is on.
    const after = alice.timeline.all.length;
    await carol.sendText(lobby, '!config show');
    await carol.sendText(
      lobby,
      '!config set agents.calc.role ${MATRIX_REGISTRATION_SHARED_SECRET}',
    );
    const answers = await alice.waitForEvents(
      (e) => e.room_id === lobby && e.sender === router && e.content['msgtype'] === 'm.notice',
      2,
      { timeoutMs: 20_000, after },
    );
    const bodies = answers.map((answer) => String(answer.content['body']));
    expect(bodies[0]).toContain('config_command_enabled');
    // The reference is refused before anything else is even looked at.
    expect(bodies[1]).toMatch(/config_command_enabled|environment references/);
    expect(readFileSync(daemon.configPath, 'utf8')).toBe(locked);
  });

  it('refuses ${NAME} from chat, as a global user, an outsider and a room admin', async () => {
    const generation = (await daemon.readiness())?.config_generation ?? 0;
    daemon.writeConfig(open);
    await daemon.waitUntil((report) => report.config_generation > generation, 30_000, 'reload');

    await alice.sendText(
      lobby,
      '!config set agents.calc.role "Knows ${MATRIX_REGISTRATION_SHARED_SECRET}"',
    );
    await alice.sendText(lobby, '!config set agents.calc.model ${OPENAI_API_KEY}');
    await alice.waitForEvents(noticeFrom(lobby, router, 'environment references'), 2, {
      timeoutMs: 20_000,
    });
    // An outsider admitted by default_room_access is no config admin.
    await bob.sendText(lobby, '!config set agents.calc.model ${E2E_EXTRA_TOKEN}');
    await bob.waitFor(noticeFrom(lobby, router, 'Only config admins'), { timeoutMs: 20_000 });
    // Bob creates his own room (he is its admin) and aims at its room_models entry.
    const own = await bob.createRoom({ invite: [router] });
    await bob.waitFor(
      (e) => e.room_id === own && e.sender === router && e.type === 'm.room.member',
      {
        timeoutMs: 20_000,
      },
    );
    await bob.sendText(
      own,
      `!config set room_models["${own}"] \${MATRIX_REGISTRATION_SHARED_SECRET}`,
    );
    // Refused one way or the other (not the admin of a configured room, or no `${…}` from chat).
    const refusal = await bob.waitFor(
      (e) => e.room_id === own && e.sender === router && e.content['msgtype'] === 'm.notice',
      { timeoutMs: 20_000 },
    );
    expect(String(refusal.content['body'])).toMatch(/environment references|Only config admins/);
    expect(readFileSync(daemon.configPath, 'utf8')).toBe(open);
  });

  it('shows ${NAME} as written in !config show', async () => {
    await alice.sendText(lobby, '!config show models');
    const shown = await alice.waitFor(noticeFrom(lobby, router, 'E2E_MODEL_ID'), {
      timeoutMs: 20_000,
    });
    expect(String(shown.content['body'])).toContain('${E2E_MODEL_ID:-e2e-model}');
    expect(String(shown.content['body'])).toContain('${E2E_EXTRA_TOKEN}');
  });

  it('keeps the API key out of the room and the logs when the model fails quoting it', async () => {
    llm.when(
      { lastUserMessageIncludes: 'fail with the key' },
      llmReply.failure(401, {
        body: {
          error: { message: `Incorrect API key provided: ${apiKey}`, code: 'invalid_api_key' },
        },
      }),
    );
    const after = alice.timeline.all.length;
    await alice.sendText(lobby, '@Calculator fail with the key');
    await alice.waitFor((e) => e.room_id === lobby && e.sender === calc, {
      timeoutMs: 30_000,
      after,
    });
    // The failure is logged with the provider's message, the key scrubbed out of it.
    await daemon.waitForOutput(/Incorrect API key provided: \[redacted\]/, 10_000);
  });

  it('keeps the bots’ tokens and the shared secret out when the homeserver fails quoting them', async () => {
    // Every request fails with an error quoting its access token and the registration secret.
    proxy.fail({
      status: 500,
      quote: `(registration_shared_secret=${homeserver.registrationSharedSecret})`,
    });
    try {
      // The homeserver's error text reaches /api/ready (a bot's last error), scrubbed.
      const failing = await daemon.waitUntil(
        (report) => JSON.stringify(report).includes('Internal server error'),
        60_000,
        'a bot to report the failing homeserver',
      );
      expect(proxy.failedRequests).toBeGreaterThan(0);
      expect(JSON.stringify(failing)).toContain('access_token=[redacted]');
      await daemon.waitForOutput(/Internal server error/, 10_000);
    } finally {
      proxy.pass();
    }
    // The daemon recovers and answers again; nothing above quoted a secret.
    await daemon.waitUntil((report) => report.ready, 90_000, 'recovery');
    const after = alice.timeline.all.length;
    await alice.sendText(lobby, '@Calculator back again?', {
      mentions: [{ userId: calc, displayName: 'Calculator' }],
    });
    await alice.waitFor((e) => e.room_id === lobby && e.sender === calc, {
      timeoutMs: 60_000,
      after,
    });
  });

  it('needs the bearer token for /api/ready and /metrics', async () => {
    const base = `http://127.0.0.1:${daemon.apiPort}`;
    expect((await fetch(`${base}/api/ready`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
    const metrics = await daemon.metrics();
    expect(metrics).toContain('quorum_');
  });

  it('refuses a second daemon on the same data directory, naming the first', async () => {
    const second = await DaemonProcess.runToExit({
      homeserver,
      configYaml: open,
      env: env(),
      dataDir: daemon.dataDir,
    });
    expect(second.code).toBe(2);
    expect(second.output).toContain('is using the data directory');
    expect(second.output).toContain(`pid ${daemon.pid ?? 0}`);
    // The running daemon is unaffected.
    expect((await daemon.readiness())?.ready).toBe(true);
    expect(readFileSync(daemon.configPath, 'utf8')).toBe(open);
  });

  it('refuses to listen beyond loopback without an API token', async () => {
    const { QUORUM_API_TOKEN: _unused, ...withoutToken } = env();
    const exit = await DaemonProcess.runToExit({
      homeserver,
      configYaml: locked,
      env: withoutToken,
      runArgs: ['--api-host', '0.0.0.0'],
    });
    expect(exit.code).toBe(2);
    expect(exit.output).toContain('QUORUM_API_TOKEN');
  });
});
