import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import { parseConfig, type ToolApprovalConfig } from '../config/index.js';
import { silentLogger } from '../shared/index.js';
import { QuorumStore } from '../storage/index.js';
import type {
  ApprovalSubject,
  ToolCallContext,
  ToolCallRequest,
  ToolResult,
  ToolSpec,
} from '../tools/index.js';
import { withApprovals, type ApprovableRunner } from './approval-gate.js';
import type { CardPlace, CardPoster } from './interaction-ports.js';
import { InteractionService } from './interaction-service.js';
import { APPROVE_KEY } from './option-keys.js';

const ALICE = '@alice:hs';
const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

class RecordingCards implements CardPoster {
  readonly posts: string[] = [];
  post(_place: CardPlace, markdown: string): Promise<string> {
    this.posts.push(markdown);
    return Promise.resolve(`$card${this.posts.length}`);
  }
  react(): Promise<string> {
    return Promise.resolve('$reaction');
  }
}

function rules(yaml: string): ToolApprovalConfig {
  const parsed = parseConfig(`models:\n  default: {provider: openai, id: m}\n${yaml}`, { env: {} });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config.tool_approval;
}

/** A runner with one tool per name; `implicit` is its own approval rule, `aliases` its MCP ids. */
function runner(
  tools: Record<string, { implicit?: string; aliases?: string[]; throws?: boolean }>,
): ApprovableRunner & { ran: string[]; definitions: ToolSpec[] } {
  const ran: string[] = [];
  const definitions: ToolSpec[] = Object.keys(tools).map((name) => ({
    name,
    description: name,
    parameters: { type: 'object' },
  }));
  return {
    ran,
    definitions,
    run: (call: ToolCallRequest): Promise<ToolResult> => {
      ran.push(call.name);
      return Promise.resolve({ content: `ran ${call.name}`, isError: false });
    },
    approvalSubject: (call: ToolCallRequest): Promise<ApprovalSubject> => {
      const tool = tools[call.name];
      if (tool?.throws === true) return Promise.reject(new Error('homeserver down'));
      return Promise.resolve({
        name: call.name,
        aliases: tool?.aliases ?? [],
        implicit: tool?.implicit === undefined ? undefined : { reason: tool.implicit },
      });
    },
  };
}

function setup(config: ToolApprovalConfig, base: ApprovableRunner) {
  const clock = new FakeClock();
  const store = new QuorumStore(':memory:', () => clock.now());
  stores.push(store);
  const cards = new RecordingCards();
  const service = new InteractionService({
    store: store.interactions,
    cards,
    configEditor: undefined,
    timeouts: () => ({ questionMs: 60_000, configConfirmationMs: 60_000 }),
    clock,
    log: silentLogger,
  });
  const gated = withApprovals(base, { rules: config, service, interactions: store.interactions });
  if (gated === undefined) throw new Error('no runner');
  return { gated, cards, service, store, clock };
}

const context: ToolCallContext = {
  agentName: 'calc',
  roomId: '!room:hs',
  threadRoot: '$root',
  requester: ALICE,
  sourceEventId: '$m',
  signal: new AbortController().signal,
};

const call = (name: string): ToolCallRequest => ({
  id: 'c1',
  name,
  arguments: {},
  argumentsJson: '{}',
});

const NO_RULES = rules('');

describe('withApprovals', () => {
  it('asks for a tool’s own requirement even without any tool_approval rule, saying why', async () => {
    const base = runner({
      run_shell_command: { implicit: 'runs a shell command on the Quorum host' },
    });
    const { gated, cards, service, store, clock } = setup(NO_RULES, base);
    const pending = gated.run(call('run_shell_command'), context);
    await flushMicrotasks();
    expect(base.ran).toEqual([]);
    expect(cards.posts[0]).toContain('wants to run `run_shell_command`');
    expect(cards.posts[0]).toContain(
      'It needs approval because it runs a shell command on the Quorum host.',
    );
    const record = store.interactions.getByCard('$card1');
    await service.onReaction(record!, ALICE, APPROVE_KEY, '$ok', clock.now());
    expect(await pending).toEqual({ content: 'ran run_shell_command', isError: false });
    expect(base.ran).toEqual(['run_shell_command']);
  });

  it('lets a configured rule decide first: an operator may auto-approve a tool with its own rule', async () => {
    const base = runner({ run_shell_command: { implicit: 'runs a shell command' } });
    const { gated, cards } = setup(
      rules('tool_approval:\n  rules:\n    - {match: run_shell_command, action: auto_approve}\n'),
      base,
    );
    expect(await gated.run(call('run_shell_command'), context)).toMatchObject({ isError: false });
    expect(cards.posts).toEqual([]);
  });

  it('matches rules on an MCP tool’s server alias', async () => {
    const base = runner({ gh_create_issue: { aliases: ['mcp_github'] }, calculator: {} });
    const { gated, cards } = setup(
      rules('tool_approval:\n  rules:\n    - {match: "mcp_*", action: require_approval}\n'),
      base,
    );
    expect(await gated.run(call('calculator'), context)).toMatchObject({ isError: false });
    void gated.run(call('gh_create_issue'), context);
    await flushMicrotasks();
    expect(cards.posts).toHaveLength(1);
    expect(cards.posts[0]).toContain('gh_create_issue');
    expect(cards.posts[0]).not.toContain('needs approval because');
    expect(base.ran).toEqual(['calculator']);
  });

  it('asks when the tool’s own rule cannot be checked (fails closed)', async () => {
    const base = runner({ matrix_message: { throws: true } });
    const { gated, cards } = setup(NO_RULES, base);
    void gated.run(call('matrix_message'), context);
    await flushMicrotasks();
    expect(cards.posts[0]).toContain(
      'It needs approval because it could not be checked against its own approval rule.',
    );
    expect(base.ran).toEqual([]);
  });

  it('runs calls that need no approval as they are, and shows the runner’s current tools', async () => {
    const base = runner({ calculator: {} });
    const { gated, cards } = setup(NO_RULES, base);
    expect(await gated.run(call('calculator'), context)).toMatchObject({ isError: false });
    expect(cards.posts).toEqual([]);
    // An MCP catalogue changes under the gate: the definitions are read live.
    base.definitions.push({ name: 'late_tool', description: 'late', parameters: {} });
    expect(gated.definitions.map((tool) => tool.name)).toEqual(['calculator', 'late_tool']);
  });
});
