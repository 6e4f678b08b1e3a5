import { describe, expect, it } from 'vitest';
import type { DetachedRequest, DetachedResult } from '../agents/index.js';
import { parseConfig } from '../config/index.js';
import type { DetachedTurnSource } from '../http/index.js';
import { SecretScrubber } from '../shared/index.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import {
  detachedAsker,
  killMcpChildrenOnExit,
  quorumMcpSettings,
  warnMcpServerChange,
} from './daemon-mcp.js';
import { CliError } from './errors.js';

const SECRET = 'sk-live-canary-0123456789abcdef';

function turns(answer: string): DetachedTurnSource & { requests: DetachedRequest[] } {
  const requests: DetachedRequest[] = [];
  return {
    requests,
    entities: () => [
      { name: 'calc', displayName: 'Calculator', role: 'Does arithmetic.', kind: 'agent' },
      { name: 'plain', displayName: 'Plain', role: '', kind: 'agent' },
      { name: 'crew', displayName: 'Crew', role: 'A team.', kind: 'team' },
    ],
    run: (request): Promise<DetachedResult> => {
      requests.push(request);
      return Promise.resolve({
        text: answer,
        outcome: 'completed',
        inputTokens: 1,
        outputTokens: 1,
      });
    },
  };
}

describe('detachedAsker', () => {
  it('offers the agents and teams with what they do', () => {
    const asker = detachedAsker(turns('x'), new SecretScrubber());
    expect(asker.listAgents()).toEqual([
      { name: 'calc', description: 'Calculator: Does arithmetic.' },
      { name: 'plain', description: 'Plain' },
      { name: 'crew', description: 'Team Crew: A team.' },
    ]);
  });

  it('asks one detached turn per question, as caller mcp, and scrubs secrets from the answer', async () => {
    const source = turns(`the key is ${SECRET}`);
    const scrubber = new SecretScrubber();
    scrubber.setSecrets('env', [SECRET]);
    const asker = detachedAsker(source, scrubber);
    const signal = new AbortController().signal;
    const answer = await asker.ask('calc', 'what is the key?', { signal });
    expect(answer).not.toContain(SECRET);
    await asker.ask('calc', 'again', { signal });
    const [first, second] = source.requests;
    expect(first).toMatchObject({
      entity: 'calc',
      messages: [{ role: 'user', content: 'what is the key?' }],
      caller: 'mcp',
      signal,
    });
    expect(first?.channel).toContain('MCP');
    expect(first?.sessionId).not.toBe(second?.sessionId);
  });
});

describe('quorumMcpSettings', () => {
  const config = (quorum = '') => {
    const parsed = parseConfig(`models:\n  default: {provider: openai, id: m}\n${quorum}`, {
      env: {},
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.config;
  };

  it('is off unless --mcp or the config turns it on, and then needs a token (exit 2)', () => {
    expect(quorumMcpSettings(config(), false, {}).enabled).toBe(false);
    let thrown: unknown;
    try {
      quorumMcpSettings(config(), true, {});
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).exitCode).toBe(2);
    expect((thrown as CliError).message).toContain('QUORUM_MCP_TOKEN');
    const on = quorumMcpSettings(config('quorum:\n  mcp_server: {port: 9000}\n'), true, {
      QUORUM_MCP_TOKEN: 'a-token-of-enough-length',
    });
    expect(on).toMatchObject({ enabled: true, port: 9000, token: 'a-token-of-enough-length' });
  });
});

describe('killMcpChildrenOnExit', () => {
  it('registers one exit hook and removes it again', () => {
    const before = process.listenerCount('exit');
    const remove = killMcpChildrenOnExit({ childPids: () => [] });
    expect(process.listenerCount('exit')).toBe(before + 1);
    remove();
    expect(process.listenerCount('exit')).toBe(before);
  });
});

describe('warnMcpServerChange', () => {
  it('warns only when quorum.mcp_server changed', () => {
    const parse = (quorum: string) => {
      const parsed = parseConfig(`models:\n  default: {provider: openai, id: m}\n${quorum}`, {
        env: {},
      });
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      return parsed.config;
    };
    const log = new RecordingLogger();
    warnMcpServerChange(parse(''), parse('quorum:\n  catch_up_minutes: 3\n'), log);
    expect(log.lines).toEqual([]);
    warnMcpServerChange(parse(''), parse('quorum:\n  mcp_server: {port: 9001}\n'), log);
    expect(log.lines.map((line) => line.message)).toEqual([
      'quorum.mcp_server changed: Quorum’s MCP server keeps its settings until a restart',
    ]);
  });
});
