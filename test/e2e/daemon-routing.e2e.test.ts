/**
 * The router and teams on a real Synapse: routed questions, the several-people rule, ad-hoc
 * and configured teams, handoffs and a failing router model.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DaemonProcess } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import { isInThread, type MatrixEvent } from '../support/matrix-events.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { MatrixTestUser } from '../support/matrix-test-user.js';
import { fleetNames, latestBody, messagesFrom, streamStatus } from '../support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../support/scripted-llm-server.js';

describeE2e('daemon: router and teams on a real homeserver', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const solo = `solo${suffix}`;
  const calc = { userId: names.userId('calc'), displayName: 'Calculator' };
  const scribe = { userId: names.userId('scribe'), displayName: 'Scribe' };
  const crew = { userId: names.userId('crew'), displayName: 'Crew' };
  let llm: ScriptedLlmServer;
  let daemon: DaemonProcess;
  let alice: MatrixTestUser;
  let bob: MatrixTestUser;
  let lobby: string;
  let soloRoom: string;

  const finalFrom = async (
    roomId: string,
    sender: string,
    rootId: string,
    timeoutMs = 20_000,
  ): Promise<MatrixEvent> => {
    const reply = await alice.waitFor(
      (e) => e.sender === sender && isInThread(e, rootId) && e.type === 'm.room.message',
      { timeoutMs },
    );
    await alice.waitFor(() => streamStatus(alice.eventsIn(roomId), reply.event_id) === 'final', {
      timeoutMs,
    });
    return reply;
  };
  const routerCalls = (): number => llm.requests.filter((r) => r.model === 'e2e-router').length;

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('ok') });
    [alice, bob] = await Promise.all([
      MatrixTestUser.register(homeserver, { localpart: `alice${suffix}`, displayName: 'Alice' }),
      MatrixTestUser.register(homeserver, { localpart: `bob${suffix}`, displayName: 'Bob' }),
    ]);
    await Promise.all([alice.startSync(), bob.startSync()]);
    const config = `
models:
  default:
    provider: openai
    id: e2e-model
  router:
    provider: openai
    id: e2e-router
  calc_model:
    provider: openai
    id: e2e-calc
  scribe_model:
    provider: openai
    id: e2e-scribe
  crew_model:
    provider: openai
    id: e2e-crew
router:
  model: router
agents:
  calc:
    display_name: Calculator
    role: Does arithmetic.
    model: calc_model
    rooms: [${names.room}, ${solo}]
  scribe:
    display_name: Scribe
    role: Writes summaries.
    model: scribe_model
    rooms: [${names.room}]
teams:
  crew:
    display_name: Crew
    role: Calculator and Scribe together.
    agents: [calc, scribe]
    mode: coordinate
    model: crew_model
    rooms: [${names.room}]
authorization:
  global_users: ["${alice.userId}", "${bob.userId}"]
quorum:
  localpart_prefix: ${names.prefix}
`;
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: config,
      env: { OPENAI_BASE_URL: llm.openAiBaseUrl, OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000' },
    });
    lobby = await alice.joinRoom(names.alias);
    soloRoom = await alice.joinRoom(`#${solo}:${homeserver.serverName}`);
    await bob.joinRoom(names.alias);
  });

  afterAll(async () => {
    await daemon.close();
    await Promise.all([alice.close(), bob.close()]);
    await llm.close();
  });

  it('answers an unmentioned question exactly once, by the agent the router model chose', async () => {
    llm.when(
      { model: 'e2e-router', lastUserMessageIncludes: 'summary of the plan' },
      llmReply.json({ agent: 'scribe', reason: 'summaries' }),
    );
    llm.when(
      { model: 'e2e-scribe', lastUserMessageIncludes: 'summary of the plan' },
      llmReply.text('The plan, in short.'),
    );
    const rootId = await alice.sendText(lobby, 'Could I get a summary of the plan?');
    const reply = await finalFrom(lobby, scribe.userId, rootId);
    expect(latestBody(alice.eventsIn(lobby), reply.event_id)).toBe('The plan, in short.');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const answers = alice
      .eventsIn(lobby)
      .filter(
        (e) => isInThread(e, rootId) && e.type === 'm.room.message' && e.sender !== alice.userId,
      );
    expect(
      answers.filter(
        (e) => (e.content['m.relates_to'] as { rel_type?: string }).rel_type !== 'm.replace',
      ),
    ).toHaveLength(1);
  });

  it('lets the only agent of a room answer without any router model call', async () => {
    llm.when(
      { model: 'e2e-calc', lastUserMessageIncludes: 'solo sum' },
      llmReply.text('solo answer'),
    );
    const before = routerCalls();
    const rootId = await alice.sendText(soloRoom, 'a solo sum please');
    const reply = await finalFrom(soloRoom, calc.userId, rootId);
    expect(latestBody(alice.eventsIn(soloRoom), reply.event_id)).toBe('solo answer');
    expect(routerCalls()).toBe(before);
  });

  it('answers nobody in a thread with two people unless someone is mentioned', async () => {
    llm.when(
      { model: 'e2e-calc', lastUserMessageIncludes: 'first of two' },
      llmReply.text('first answer'),
    );
    llm.when(
      { model: 'e2e-calc', lastUserMessageIncludes: 'mention now' },
      llmReply.text('mentioned answer'),
    );
    const rootId = await alice.sendMention(lobby, calc, 'Calculator, first of two');
    await finalFrom(lobby, calc.userId, rootId);
    await bob.sendThreadReply(lobby, rootId, 'bob chimes in');
    await alice.sendThreadReply(lobby, rootId, 'and what now?');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(
      messagesFrom(alice.eventsIn(lobby), lobby, calc.userId).filter((e) => isInThread(e, rootId)),
    ).toHaveLength(1);
    await alice.sendThreadReply(lobby, rootId, 'Calculator, mention now', { mentions: [calc] });
    await alice.waitFor(
      () =>
        messagesFrom(alice.eventsIn(lobby), lobby, calc.userId).filter((e) => isInThread(e, rootId))
          .length === 2,
      {
        timeoutMs: 20_000,
      },
    );
  });

  it('lets two mentioned agents both answer, then posts a synthesis', async () => {
    llm.when(
      { model: 'e2e-calc', lastUserMessageIncludes: 'both of you' },
      llmReply.text('calc part'),
    );
    llm.when(
      { model: 'e2e-scribe', lastUserMessageIncludes: 'both of you' },
      llmReply.text('scribe part'),
    );
    llm.when(
      { model: 'e2e-router', when: (r) => JSON.stringify(r.messages).includes('calc part') },
      llmReply.text('combined answer'),
    );
    const rootId = await alice.sendText(lobby, 'both of you: thoughts?', {
      mentions: [calc, scribe],
    });
    await finalFrom(lobby, calc.userId, rootId);
    await finalFrom(lobby, scribe.userId, rootId);
    const synthesis = await finalFrom(lobby, names.userId('router'), rootId);
    expect(latestBody(alice.eventsIn(lobby), synthesis.event_id)).toContain('combined answer');
  });

  it('lets a coordinate team delegate to its members and post the synthesis', async () => {
    llm.when(
      { model: 'e2e-crew', lastUserMessageIncludes: 'crew task' },
      llmReply.toolCalls([
        { name: 'delegate_to_member', arguments: { member: 'calc', task: 'compute 9*9' } },
      ]),
      { times: 1 },
    );
    llm.when({ model: 'e2e-calc', lastUserMessageIncludes: 'compute 9*9' }, llmReply.text('81'));
    llm.when(
      { model: 'e2e-crew', when: (r) => JSON.stringify(r.messages).includes('81') },
      llmReply.text('The crew found 81.'),
    );
    const rootId = await alice.sendMention(lobby, crew, 'Crew, a crew task for you');
    await finalFrom(lobby, calc.userId, rootId);
    const synthesis = await finalFrom(lobby, crew.userId, rootId);
    expect(latestBody(alice.eventsIn(lobby), synthesis.event_id)).toContain('The crew found 81.');
  });

  it('asks the person to mention someone when the router model fails', async () => {
    llm.when(
      { model: 'e2e-router', lastUserMessageIncludes: 'router breaks' },
      llmReply.failure(500),
    );
    const rootId = await alice.sendText(lobby, 'hello, the router breaks now');
    const notice = await alice.waitFor(
      (e) => e.sender === names.userId('router') && isInThread(e, rootId),
      { timeoutMs: 30_000 },
    );
    expect(notice.content['msgtype']).toBe('m.notice');
    expect(String(notice.content['body'])).toContain(`@calc`);
  });
});

describeE2e('daemon: handoffs on a real homeserver', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const chain = ['ann', 'ben', 'cat', 'dan'];
  let llm: ScriptedLlmServer;
  let daemon: DaemonProcess;
  let alice: MatrixTestUser;
  let lobby: string;

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('ok') });
    alice = await MatrixTestUser.register(homeserver, {
      localpart: `alice${suffix}`,
      displayName: 'Alice',
    });
    await alice.startSync();
    const config = `
models:
  default:
    provider: openai
    id: e2e-model
${chain.map((name) => `  m_${name}:\n    provider: openai\n    id: e2e-${name}`).join('\n')}
agents:
${chain.map((name) => `  ${name}:\n    display_name: ${name.toUpperCase()}\n    role: Agent ${name}.\n    model: m_${name}\n    rooms: [${names.room}]`).join('\n')}
authorization:
  global_users: ["${alice.userId}"]
quorum:
  localpart_prefix: ${names.prefix}
`;
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: config,
      env: { OPENAI_BASE_URL: llm.openAiBaseUrl, OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000' },
    });
    lobby = await alice.joinRoom(names.alias);
  });

  afterAll(async () => {
    await daemon.close();
    await alice.close();
    await llm.close();
  });

  it('passes the conversation along a chain that stops at depth 3', async () => {
    for (const [index, name] of chain.slice(0, 3).entries()) {
      const next = chain[index + 1] ?? '';
      llm.when(
        {
          model: `e2e-${name}`,
          when: (r) => !JSON.stringify(r.messages).includes('"role":"tool"'),
        },
        llmReply.toolCalls([
          { name: 'handoff_to_agent', arguments: { target: next, reason: `${next} knows` } },
        ]),
      );
      llm.when({ model: `e2e-${name}` }, llmReply.text(`Passing to ${next.toUpperCase()}.`));
    }
    llm.when({ model: 'e2e-dan' }, llmReply.text('DAN answers.'));
    const rootId = await alice.sendMention(
      lobby,
      { userId: names.userId('ann'), displayName: 'ANN' },
      'ANN, who can answer?',
    );
    const last = await alice.waitFor(
      (e) => e.sender === names.userId('dan') && isInThread(e, rootId),
      { timeoutMs: 30_000 },
    );
    await alice.waitFor(() => streamStatus(alice.eventsIn(lobby), last.event_id) === 'final', {
      timeoutMs: 20_000,
    });
    expect(latestBody(alice.eventsIn(lobby), last.event_id)).toContain('DAN answers.');
    const danRequest = llm.requests.find((r) => r.model === 'e2e-dan');
    expect(JSON.stringify(danRequest?.tools ?? [])).not.toContain('handoff_to_agent');
    for (const name of chain) {
      expect(
        messagesFrom(alice.eventsIn(lobby), lobby, names.userId(name)).filter((e) =>
          isInThread(e, rootId),
        ),
      ).toHaveLength(1);
    }
  });
});
