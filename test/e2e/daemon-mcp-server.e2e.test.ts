/**
 * Issue 13 on a real Synapse: tools that need a person's approval by themselves (`shell`,
 * `matrix_message` into a DM other than the current room) wait for the requester's ✅, and
 * Quorum as an MCP server answers `ask_<agent>` through a real SDK client (approval-gated calls
 * refused there). `quorum run` refuses a config naming an unknown tool.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DaemonProcess, freePort } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import { isInThread, relationOf, type MatrixEvent } from '../support/matrix-events.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { MatrixTestUser } from '../support/matrix-test-user.js';
import { hasToolResult, toolResultsIn } from '../support/mcp-e2e.js';
import { fleetConfig, fleetNames, latestBody, streamStatus } from '../support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../support/scripted-llm-server.js';

describeE2e('daemon: approvals of tools’ own rules and Quorum as an MCP server', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const tooly = { userId: names.userId('tooly'), displayName: 'Tooly' };
  const mcpToken = `mcp-e2e-token-${suffix}-0123456789`;
  let mcpUrl: string;
  let llm: ScriptedLlmServer;
  let daemon: DaemonProcess;
  let alice: MatrixTestUser;
  let lobby: string;

  const notice =
    (roomId: string, text: string) =>
    (e: MatrixEvent): boolean =>
      e.room_id === roomId &&
      e.sender === tooly.userId &&
      e.content['msgtype'] === 'm.notice' &&
      String(e.content['body']).includes(text);

  /** Waits for Tooly's final reply in `root`'s thread and returns its text. */
  const finalReplyIn = async (root: string): Promise<string> => {
    const reply = await alice.waitFor(
      (e) =>
        e.sender === tooly.userId &&
        isInThread(e, root) &&
        e.content['msgtype'] !== 'm.notice' &&
        relationOf(e)?.relType !== 'm.replace',
      { timeoutMs: 30_000 },
    );
    await alice.waitFor(() => streamStatus(alice.eventsIn(lobby), reply.event_id) === 'final', {
      timeoutMs: 45_000,
    });
    return latestBody(alice.eventsIn(lobby), reply.event_id) ?? '';
  };

  /**
   * Waits until Tooly has put its ✅ and ❌ under the card, as a person sees them before
   * choosing (the card is fully open then).
   */
  const optionsShownOn = async (card: MatrixEvent): Promise<void> => {
    const keys = new Set<string>();
    await alice.waitFor(
      (e) => {
        const relation = e.content['m.relates_to'] as
          { event_id?: string; key?: string } | undefined;
        if (
          e.type === 'm.reaction' &&
          e.sender === tooly.userId &&
          relation?.event_id === card.event_id
        )
          keys.add(relation.key ?? '');
        return keys.has('✅') && keys.has('❌');
      },
      { timeoutMs: 15_000 },
    );
  };

  const script = (marker: string, calls: { name: string; arguments: unknown }[], final: string) => {
    llm.when(
      { lastUserMessageIncludes: marker, when: (r) => !hasToolResult(r) },
      llmReply.toolCalls(calls),
    );
    llm.when({ lastUserMessageIncludes: marker, when: hasToolResult }, llmReply.text(final));
  };

  const lastRequestWith = (marker: string) =>
    llm.requests.filter((request) => request.lastUserText.includes(marker)).at(-1);

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('ok') });
    alice = await MatrixTestUser.register(homeserver, {
      localpart: `alice${suffix}`,
      displayName: 'Alice',
    });
    await alice.startSync();
    const mcpPort = await freePort();
    mcpUrl = `http://127.0.0.1:${mcpPort}/mcp`;
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: fleetConfig(names, {
        agents: `  tooly:
    display_name: Tooly
    role: Runs commands and posts messages.
    rooms: [ROOM]
    tools: [calculator, shell, {matrix_message: {allowed_rooms: ['*']}}]`,
        globalUsers: [alice.userId],
        quorum: [`mcp_server: {port: ${mcpPort}}`],
        extra: `teams:
  crew:
    display_name: Crew
    role: Tooly, as a team.
    agents: [tooly]
    mode: collaborate
`,
      }),
      env: {
        OPENAI_BASE_URL: llm.openAiBaseUrl,
        OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000',
        QUORUM_MCP_TOKEN: mcpToken,
      },
      runArgs: ['--mcp'],
    });
    lobby = await alice.joinRoom(names.alias);
  });

  afterAll(async () => {
    await daemon.close();
    await alice.close();
    await llm.close();
  });

  it('posts into a direct-message room other than the current one only after the requester’s ✅', async () => {
    const dm = await alice.createRoom({
      invite: [tooly.userId],
      isDirect: true,
      preset: 'trusted_private_chat',
    });
    await alice.waitFor(
      (e) =>
        e.room_id === dm &&
        e.type === 'm.room.member' &&
        e.state_key === tooly.userId &&
        e.content['membership'] === 'join',
      { timeoutMs: 20_000 },
    );
    const marker = `dm-post-${suffix}`;
    const text = `A note for your DM ${suffix}`;
    script(
      marker,
      [{ name: 'matrix_message', arguments: { action: 'send', room: dm, message: text } }],
      'Posted it to your DM.',
    );
    const root = await alice.sendMention(lobby, tooly, `Tooly, ${marker}: write to my DM`);
    const card = await alice.waitFor(notice(lobby, 'Approval needed'), { timeoutMs: 30_000 });
    expect(isInThread(card, root)).toBe(true);
    expect(String(card.content['body'])).toContain('matrix_message');
    expect(String(card.content['body'])).toContain(
      `It needs approval because it writes into a direct-message room (${dm})`,
    );
    await optionsShownOn(card);
    expect(
      alice.eventsIn(dm).some((e) => e.sender === tooly.userId && e.type === 'm.room.message'),
    ).toBe(false);

    await alice.react(lobby, card.event_id, '✅');
    const posted = await alice.waitFor(
      (e) => e.room_id === dm && e.sender === tooly.userId && e.content['body'] === text,
      { timeoutMs: 30_000 },
    );
    expect(posted.type).toBe('m.room.message');
    expect(await finalReplyIn(root)).toContain('Posted it to your DM.');
  });

  it('runs a shell command only after ✅, in the agent’s own workspace', async () => {
    const marker = `shell-${suffix}`;
    script(marker, [{ name: 'run_shell_command', arguments: { command: 'pwd' } }], 'Ran it.');
    const root = await alice.sendMention(lobby, tooly, `Tooly, ${marker}: where are you?`);
    const card = await alice.waitFor(
      (e) => notice(lobby, 'run_shell_command')(e) && isInThread(e, root),
      { timeoutMs: 30_000 },
    );
    expect(String(card.content['body'])).toContain(
      'It needs approval because it runs a shell command on the Quorum host',
    );
    await optionsShownOn(card);
    await alice.react(lobby, card.event_id, '✅');
    expect(await finalReplyIn(root)).toContain('Ran it.');
    const [output] = toolResultsIn(lastRequestWith(marker)!);
    expect(output).toContain(`${daemon.dataDir}/workspaces/tooly`);
  });

  it('answers ask_<agent> through a real MCP client, refusing calls that would need approval', async () => {
    const client = new Client({ name: 'e2e-editor', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
      }),
    );
    try {
      const listed = await client.listTools();
      expect(listed.tools.map((tool) => tool.name)).toEqual(['ask_tooly', 'ask_crew']);
      const marker = `mcp-ask-${suffix}`;
      script(
        marker,
        [
          { name: 'calculator', arguments: { expression: '6*7' } },
          { name: 'run_shell_command', arguments: { command: 'id' } },
        ],
        'Six times seven is 42; I could not run the command here.',
      );
      const result = await client.callTool({
        name: 'ask_tooly',
        arguments: { prompt: `${marker}: compute and run` },
      });
      expect(result.isError).not.toBe(true);
      expect(result.content).toEqual([
        { type: 'text', text: 'Six times seven is 42; I could not run the command here.' },
      ]);
      const [calculated, refused] = toolResultsIn(lastRequestWith(marker)!);
      expect(calculated).toBe('42');
      expect(refused).toContain("run_shell_command needs a person's approval");
      expect(lastRequestWith(marker)?.system).toContain('MCP');
    } finally {
      await client.close();
    }
  });

  it('answers ask_<team>: the members answer, the team synthesises', async () => {
    const client = new Client({ name: 'e2e-editor', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
      }),
    );
    try {
      const marker = `mcp-team-${suffix}`;
      llm.when({ lastUserMessageIncludes: marker }, llmReply.text(`crew answer ${suffix}`));
      const result = await client.callTool({
        name: 'ask_crew',
        arguments: { prompt: `${marker}: what do you all think?` },
      });
      expect(result.isError).not.toBe(true);
      expect(result.content).toEqual([{ type: 'text', text: `crew answer ${suffix}` }]);
      // The member's turn and the team's synthesis both reached a model.
      const asked = llm.requests.filter((r) => JSON.stringify(r.messages).includes(marker));
      expect(asked.length).toBeGreaterThanOrEqual(2);
      expect(asked.some((r) => r.system?.includes('Tooly, as a team.') === true)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('refuses MCP requests without the bearer token', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const missing = await fetch(mcpUrl, { method: 'POST', headers, body });
    expect(missing.status).toBe(401);
    const wrong = await fetch(mcpUrl, {
      method: 'POST',
      headers: { ...headers, authorization: 'Bearer not-the-token-at-all' },
      body,
    });
    expect(wrong.status).toBe(401);
  });

  it('quorum run refuses a config naming an unknown tool, with the agent and the line', async () => {
    const exit = await DaemonProcess.runToExit({
      homeserver,
      configYaml: fleetConfig(names, {
        agents: `  broken:
    display_name: Broken
    tools: [calculator, frobnicate]`,
        globalUsers: [alice.userId],
      }),
    });
    expect(exit.code).toBe(2);
    expect(exit.output).toMatch(
      /config\.yaml:\d+:\d+ agents\.broken\.tools\[1\]: unknown tool 'frobnicate' of agent 'broken'/,
    );
  });
});
