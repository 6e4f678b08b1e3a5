import { afterEach, describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../test/support/fake-clock.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { ModelError } from '../llm/index.js';
import { AbortReason } from '../shared/index.js';
import {
  runCollaborateTeam,
  synthesizeContributions,
  type CollaborateTeamInput,
} from './collaborate-team.js';
import type { AnsweredContribution, MemberResult, TeamMember } from './team-member.js';

const research: TeamMember = { name: 'research', displayName: 'Research', role: 'finds sources' };
const writer: TeamMember = { name: 'writer', displayName: 'Writer', role: 'writes' };
const critic: TeamMember = { name: 'critic', displayName: 'Critic', role: 'reviews' };

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const models: ScriptedChatModel[] = [];
afterEach(() => {
  for (const model of models.splice(0)) model.assertDone();
});

function input(overrides: Partial<CollaborateTeamInput> = {}): CollaborateTeamInput {
  return {
    teamName: 'Editorial',
    members: [research, writer],
    request: 'Alice: write a note on tides',
    runMember: (member) => Promise.resolve({ text: `${member.name} says hi`, outputTokens: 10 }),
    synthesize: (contributions) =>
      Promise.resolve({
        text: `combined ${contributions.map((c) => c.member.name).join('+')}`,
        outputTokens: 5,
      }),
    budget: { maxTurns: 8, maxTokens: 1_000 },
    signal: new AbortController().signal,
    ...overrides,
  };
}

describe('runCollaborateTeam', () => {
  it('runs every member in parallel, then synthesises their answers', async () => {
    const pending = new Map<string, Deferred<MemberResult>>();
    const run = runCollaborateTeam(
      input({
        runMember: (member) => {
          const answer = deferred<MemberResult>();
          pending.set(member.name, answer);
          return answer.promise;
        },
      }),
    );
    await flushMicrotasks();
    // Both members started before either finished.
    expect([...pending.keys()]).toEqual(['research', 'writer']);
    pending.get('writer')?.resolve({ text: 'draft', outputTokens: 20 });
    pending.get('research')?.resolve({ text: 'sources', outputTokens: 30 });
    const result = await run;
    expect(result.synthesis).toBe('combined research+writer');
    expect(result.budgetHit).toBeUndefined();
    expect(result.outputTokens).toBe(55);
    expect(result.contributions.map((c) => c.kind === 'answered' && c.text)).toEqual([
      'sources',
      'draft',
    ]);
  });

  it('tells each member the request, the team and who else works on it', async () => {
    const prompts: string[] = [];
    await runCollaborateTeam(
      input({
        runMember: (member, prompt) => {
          prompts.push(prompt);
          return Promise.resolve({ text: member.name, outputTokens: 0 });
        },
      }),
    );
    expect(prompts[0]).toContain('Alice: write a note on tides');
    expect(prompts[0]).toContain('part of Editorial together with Writer');
    expect(prompts[1]).toContain('together with Research');
  });

  it('runs only as many members as the turn budget allows and says so', async () => {
    const ran: string[] = [];
    const result = await runCollaborateTeam(
      input({
        members: [research, writer, critic],
        budget: { maxTurns: 2, maxTokens: 1_000 },
        runMember: (member) => {
          ran.push(member.name);
          return Promise.resolve({ text: member.name, outputTokens: 1 });
        },
      }),
    );
    expect(ran).toEqual(['research', 'writer']);
    expect(result.budgetHit).toBe('turns');
    expect(result.synthesis).toBe(
      'combined research+writer\n\n_⚠️ Team budget reached: 2 of 2 member turns used. This answer is based on the work done so far._',
    );
  });

  it('skips the synthesis when the members spent the token budget, and says so', async () => {
    let synthesised = false;
    const result = await runCollaborateTeam(
      input({
        budget: { maxTurns: 8, maxTokens: 100 },
        runMember: () => Promise.resolve({ text: 'long', outputTokens: 60 }),
        synthesize: () => {
          synthesised = true;
          return Promise.resolve({ text: 'x', outputTokens: 0 });
        },
      }),
    );
    expect(synthesised).toBe(false);
    expect(result.budgetHit).toBe('tokens');
    expect(result.synthesis).toContain("The members' answers above are the team's answer.");
    expect(result.synthesis).toContain('120 of 100 tokens used');
  });

  it('leaves a failed member out of the synthesis', async () => {
    let seen: readonly AnsweredContribution[] = [];
    const result = await runCollaborateTeam(
      input({
        runMember: (member) =>
          member.name === 'writer'
            ? Promise.reject(new ModelError('server_error', 'down'))
            : Promise.resolve({ text: 'sources', outputTokens: 1 }),
        synthesize: (contributions) => {
          seen = contributions;
          return Promise.resolve({ text: 'only research', outputTokens: 1 });
        },
      }),
    );
    expect(seen.map((c) => c.member.name)).toEqual(['research']);
    expect(result.contributions[1]).toMatchObject({ kind: 'failed', member: writer });
    expect(result.synthesis).toBe('only research');
  });

  it('says so, without a synthesis, when every member failed', async () => {
    let synthesised = false;
    const result = await runCollaborateTeam(
      input({
        runMember: () => Promise.reject(new Error('nope')),
        synthesize: () => {
          synthesised = true;
          return Promise.resolve({ text: 'x', outputTokens: 0 });
        },
      }),
    );
    expect(synthesised).toBe(false);
    expect(result.synthesis).toBe("⚠️ None of the team's members could answer this time.");
  });

  it('keeps the members’ answers standing when the synthesis fails', async () => {
    const result = await runCollaborateTeam(
      input({ synthesize: () => Promise.reject(new ModelError('server_error', 'boom')) }),
    );
    expect(result.synthesis).toBe(
      "⚠️ The team could not combine the answers; the members' answers above stand on their own.",
    );
    expect(result.synthesisError).toMatch(/boom/);
  });

  it('rejects with the abort reason when stopped while members run', async () => {
    const controller = new AbortController();
    const run = runCollaborateTeam(
      input({
        signal: controller.signal,
        runMember: (_member, _prompt, signal) =>
          new Promise<MemberResult>((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              reject(signal.reason as Error);
            });
          }),
      }),
    );
    await flushMicrotasks();
    controller.abort(new AbortReason('stopped'));
    await expect(run).rejects.toMatchObject({ kind: 'stopped' });
  });
});

describe('synthesizeContributions', () => {
  const contributions: AnsweredContribution[] = [
    {
      kind: 'answered',
      member: research,
      task: 'q',
      text: 'Tides follow the moon.',
      outputTokens: 1,
    },
    { kind: 'answered', member: writer, task: 'q', text: 'A short draft.', outputTokens: 1 },
  ];

  it("asks the team's model to combine the answers and streams its text", async () => {
    const model = new ScriptedChatModel({
      steps: [
        {
          kind: 'reply',
          chunks: ['Tides ', 'rise.'],
          usage: { inputTokens: 50, outputTokens: 7 },
        },
      ],
    });
    models.push(model);
    const seen: string[] = [];
    const result = await synthesizeContributions({
      model,
      system: 'You are Editorial.',
      request: 'Alice: tides?',
      contributions,
      signal: new AbortController().signal,
      onText: (text) => seen.push(text),
    });
    expect(result).toEqual({ text: 'Tides rise.', outputTokens: 7 });
    expect(seen).toEqual(['Tides ', 'Tides rise.']);
    const request = model.requests[0];
    expect(request?.system).toMatch(/^You are Editorial\.\n\n## Your task/);
    expect(request?.messages[0]?.content).toContain(
      '### Research (research)\nTides follow the moon.',
    );
    expect(request?.messages[0]?.content).toContain('### Writer (writer)\nA short draft.');
  });

  it('calls the model without streaming when nobody listens to the text', async () => {
    const model = new ScriptedChatModel({ steps: [step.text('ok')] });
    models.push(model);
    await synthesizeContributions({
      model,
      request: 'q',
      contributions,
      signal: new AbortController().signal,
    });
    expect(model.calls[0]?.method).toBe('complete');
  });
});
