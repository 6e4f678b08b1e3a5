/**
 * Reactions and commands on a real Synapse: !help and !agents without a model, an ask_user
 * question answered across a daemon restart, config changes confirmed with ✅ and applied
 * live, and tools behind require_approval.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DaemonProcess } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import { isInThread, type MatrixEvent } from '../support/matrix-events.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { MatrixTestUser } from '../support/matrix-test-user.js';
import { fleetNames, latestBody } from '../support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../support/scripted-llm-server.js';

describeE2e('daemon: reactions and commands on a real homeserver', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const calc = { userId: names.userId('calc'), displayName: 'Calculator' };
  const router = names.userId('router');
  let llm: ScriptedLlmServer;
  let daemon: DaemonProcess;
  let alice: MatrixTestUser;
  let bob: MatrixTestUser;
  let lobby: string;
  let config: string;
  const env = (): Record<string, string> => ({
    OPENAI_BASE_URL: llm.openAiBaseUrl,
    OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000',
  });

  /** Waits until `from` has a message in `rootId`'s thread whose latest text contains `text`. */
  const replyContaining = (
    from: string,
    rootId: string | undefined,
    text: string,
  ): Promise<unknown> =>
    alice.waitFor(
      () =>
        alice
          .eventsIn(lobby)
          .some(
            (e) =>
              e.sender === from &&
              (rootId === undefined || isInThread(e, rootId)) &&
              latestBody(alice.eventsIn(lobby), e.event_id)?.includes(text) === true,
          ),
      { timeoutMs: 30_000 },
    );
  const notice =
    (from: string, text: string) =>
    (e: MatrixEvent): boolean =>
      e.room_id === lobby &&
      e.sender === from &&
      e.content['msgtype'] === 'm.notice' &&
      String(e.content['body']).includes(text);

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('ok') });
    [alice, bob] = await Promise.all([
      MatrixTestUser.register(homeserver, { localpart: `alice${suffix}`, displayName: 'Alice' }),
      MatrixTestUser.register(homeserver, { localpart: `bob${suffix}`, displayName: 'Bob' }),
    ]);
    await Promise.all([alice.startSync(), bob.startSync()]);
    config = `# Quorum e2e config: this comment must survive edits.
models:
  default:
    provider: openai
    id: e2e-model
  fast:
    provider: openai
    id: e2e-fast # the cheaper one
agents:
  calc:
    display_name: Calculator
    role: Does arithmetic.
    tools: [ask_user, calculator]
    rooms: [${names.room}]
tool_approval:
  rules:
    - match: calculator
      action: require_approval
authorization:
  global_users: ["${alice.userId}"]
  default_room_access: true
  config_command_enabled: true
quorum:
  localpart_prefix: ${names.prefix}
`;
    daemon = await DaemonProcess.start({ homeserver, configYaml: config, env: env() });
    lobby = await alice.joinRoom(names.alias);
    await alice.invite(lobby, bob.userId);
    await bob.joinRoom(lobby);
  });

  afterAll(async () => {
    await daemon.close();
    await Promise.all([alice.close(), bob.close()]);
    await llm.close();
  });

  it('answers !help and !agents without any model call', async () => {
    const before = llm.requests.length;
    await alice.sendText(lobby, '!help');
    await alice.waitFor(notice(router, '!agents'), { timeoutMs: 15_000 });
    await alice.sendText(lobby, '!agents');
    await alice.waitFor(notice(router, 'Calculator'), { timeoutMs: 15_000 });
    expect(llm.requests.length).toBe(before);
  });

  it('resumes an ask_user question with the reacted option, across a daemon restart', async () => {
    llm.when(
      {
        lastUserMessageIncludes: 'choose a size',
        when: (r) => !JSON.stringify(r.messages).includes('"role":"tool"'),
      },
      llmReply.toolCalls([
        { name: 'ask_user', arguments: { question: 'Which size?', options: ['small', 'large'] } },
      ]),
    );
    llm.when(
      {
        when: (r) =>
          JSON.stringify(r.messages).includes('large') &&
          JSON.stringify(r.messages).includes('Which size?'),
      },
      llmReply.text('Large it is.'),
    );
    const rootId = await alice.sendMention(lobby, calc, 'Calculator, choose a size with me');
    const question = await alice.waitFor(notice(calc.userId, 'Which size?'), { timeoutMs: 20_000 });
    await alice.waitFor(
      (e) =>
        e.type === 'm.reaction' &&
        e.sender === calc.userId &&
        String((e.content['m.relates_to'] as { key?: string }).key).startsWith('2'),
      {
        timeoutMs: 15_000,
      },
    );
    await daemon.terminate();
    await alice.react(lobby, question.event_id, '2️⃣');
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: config,
      env: env(),
      dataDir: daemon.dataDir,
    });
    await replyContaining(calc.userId, rootId, 'Large it is.');
    const cards = alice.eventsIn(lobby).filter(notice(calc.userId, 'Which size?'));
    expect(cards).toHaveLength(1);
  });

  it('runs an approved tool only after the requester’s ✅; another user’s ✅ does nothing; a reply denies', async () => {
    llm.when(
      {
        lastUserMessageIncludes: 'approve 6*7',
        when: (r) => !JSON.stringify(r.messages).includes('"role":"tool"'),
      },
      llmReply.toolCalls([{ name: 'calculator', arguments: { expression: '6*7' } }]),
    );
    llm.when(
      {
        lastUserMessageIncludes: 'approve 6*7',
        when: (r) => JSON.stringify(r.messages).includes('"42"'),
      },
      llmReply.text('It is 42.'),
    );
    await alice.sendMention(lobby, calc, 'Calculator, approve 6*7');
    const card = await alice.waitFor(notice(calc.userId, 'calculator'), { timeoutMs: 20_000 });
    const before = llm.requests.length;
    await bob.react(lobby, card.event_id, '✅');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(llm.requests.length).toBe(before);
    await alice.react(lobby, card.event_id, '✅');
    await replyContaining(calc.userId, undefined, 'It is 42.');

    llm.when(
      {
        lastUserMessageIncludes: 'deny 1/3',
        when: (r) => !JSON.stringify(r.messages).includes('"role":"tool"'),
      },
      llmReply.toolCalls([{ name: 'calculator', arguments: { expression: '1/3' } }]),
    );
    llm.when(
      {
        lastUserMessageIncludes: 'deny 1/3',
        when: (r) => JSON.stringify(r.messages).includes('denied'),
      },
      llmReply.text('Not computed then.'),
    );
    const rootId = await alice.sendMention(lobby, calc, 'Calculator, deny 1/3');
    const denyCard = await alice.waitFor(
      (e) => notice(calc.userId, 'calculator')(e) && isInThread(e, rootId),
      { timeoutMs: 20_000 },
    );
    await alice.sendThreadReply(lobby, rootId, 'no thanks', { replyToEventId: denyCard.event_id });
    await replyContaining(calc.userId, rootId, 'Not computed then.');
  });

  it('posts shortened arguments in full before ✅ approves; denies at once what is too long to show', async () => {
    // 333 ones, one per line: valid for the calculator, too long for the card's preview.
    const longSum = Array.from({ length: 333 }, () => '1').join('+\n');
    llm.when(
      {
        lastUserMessageIncludes: 'long sum',
        when: (r) => !JSON.stringify(r.messages).includes('"role":"tool"'),
      },
      llmReply.toolCalls([{ name: 'calculator', arguments: { expression: longSum } }]),
    );
    llm.when(
      {
        lastUserMessageIncludes: 'long sum',
        when: (r) => JSON.stringify(r.messages).includes('"333"'),
      },
      llmReply.text('It is 333.'),
    );
    const rootId = await alice.sendMention(lobby, calc, 'Calculator, the long sum please');
    const card = await alice.waitFor(
      (e) => notice(calc.userId, 'follow in full below')(e) && isInThread(e, rootId),
      { timeoutMs: 20_000 },
    );
    const full = await alice.waitFor(
      (e) => notice(calc.userId, 'Arguments in full (1/1)')(e) && isInThread(e, rootId),
      { timeoutMs: 20_000 },
    );
    expect(String(full.content['body'])).toContain('1+\\n1+\\n1');
    await alice.react(lobby, card.event_id, '✅');
    await replyContaining(calc.userId, rootId, 'It is 333.');

    llm.when(
      {
        lastUserMessageIncludes: 'huge sum',
        when: (r) => !JSON.stringify(r.messages).includes('"role":"tool"'),
      },
      llmReply.toolCalls([{ name: 'calculator', arguments: { expression: '1+'.repeat(40_000) } }]),
    );
    llm.when(
      {
        lastUserMessageIncludes: 'huge sum',
        when: (r) => JSON.stringify(r.messages).includes('too long for a person to review'),
      },
      llmReply.text('I will split it up.'),
    );
    const hugeRoot = await alice.sendMention(lobby, calc, 'Calculator, the huge sum please');
    await alice.waitFor(
      (e) => notice(calc.userId, 'too long to review')(e) && isInThread(e, hugeRoot),
      { timeoutMs: 20_000 },
    );
    await replyContaining(calc.userId, hugeRoot, 'I will split it up.');
  });

  it('changes the config only after ✅, keeping comments, and the agent uses the new model', async () => {
    await bob.sendText(lobby, '!config set agents.calc.model fast');
    await alice.waitFor(notice(router, 'Only config admins'), { timeoutMs: 15_000 });
    await alice.sendText(lobby, '!config set agents.calc.model fast');
    const proposal = await alice.waitFor(notice(router, 'agents.calc.model'), {
      timeoutMs: 15_000,
    });
    expect(readFileSync(daemon.configPath, 'utf8')).toBe(config);
    const generation = (await daemon.readiness())?.config_generation ?? 0;
    await alice.react(lobby, proposal.event_id, '✅');
    await alice.waitFor(notice(router, 'Applied'), { timeoutMs: 15_000 });
    const written = readFileSync(daemon.configPath, 'utf8');
    expect(written).toContain('# Quorum e2e config: this comment must survive edits.');
    expect(written).toContain('id: e2e-fast # the cheaper one');
    await daemon.waitUntil(
      (report) => report.config_generation > generation,
      20_000,
      'the config change to apply',
    );
    llm.when(
      { model: 'e2e-fast', lastUserMessageIncludes: 'which model now' },
      llmReply.text('the fast one'),
    );
    const rootId = await alice.sendMention(lobby, calc, 'Calculator, which model now?');
    await replyContaining(calc.userId, rootId, 'the fast one');
  });

  it('ignores the ✅ of a person removed from the config since the card was posted', async () => {
    llm.when(
      {
        lastUserMessageIncludes: 'approve 2*21',
        when: (r) => !JSON.stringify(r.messages).includes('"role":"tool"'),
      },
      llmReply.toolCalls([{ name: 'calculator', arguments: { expression: '2*21' } }]),
    );
    const rootId = await alice.sendMention(lobby, calc, 'Calculator, approve 2*21');
    const card = await alice.waitFor(
      (e) => notice(calc.userId, 'calculator')(e) && isInThread(e, rootId),
      { timeoutMs: 20_000 },
    );
    // The operator takes alice out of the config (bob stays).
    const generation = (await daemon.readiness())?.config_generation ?? 0;
    daemon.writeConfig(
      readFileSync(daemon.configPath, 'utf8')
        .replace(`global_users: ["${alice.userId}"]`, `global_users: ["${bob.userId}"]`)
        .replace('default_room_access: true', 'default_room_access: false'),
    );
    await daemon.waitUntil(
      (report) => report.config_generation > generation,
      20_000,
      'alice to be removed',
    );
    const before = llm.requests.length;
    await alice.react(lobby, card.event_id, '✅');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(llm.requests.length).toBe(before);
    expect(
      alice
        .eventsIn(lobby)
        .some((e) => notice(calc.userId, 'Approved')(e) && isInThread(e, rootId)),
    ).toBe(false);
  });
});
