import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import type { ConfigEditProposal, ConfigWriteResult } from '../config/index.js';
import { silentLogger } from '../shared/index.js';
import { QuorumStore } from '../storage/index.js';
import type { CardPlace, CardPoster, ConfigEditor } from './interaction-ports.js';
import {
  InteractionService,
  type InteractionScope,
  type InteractionServiceDeps,
} from './interaction-service.js';
import { TOO_LONG_TO_REVIEW_REASON } from './approval-review.js';
import { NOT_SHOWN_IN_FULL_REASON } from './resolve-response.js';
import { APPROVE_KEY, DENY_KEY, OPTION_KEYS } from './option-keys.js';

const ALICE = '@alice:hs';
const BOB = '@bob:hs';
const MINUTE = 60_000;
const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

/** Records cards and reactions; cards get `$card<n>` ids. */
class RecordingCards implements CardPoster {
  readonly posts: { place: CardPlace; markdown: string; txnId: string }[] = [];
  readonly reactions: { cardEventId: string; key: string }[] = [];

  post(place: CardPlace, markdown: string, txnId: string): Promise<string> {
    this.posts.push({ place, markdown, txnId });
    return Promise.resolve(`$card${this.posts.length}`);
  }

  react(_place: CardPlace, cardEventId: string, key: string): Promise<string> {
    this.reactions.push({ cardEventId, key });
    return Promise.resolve(`$reaction${this.reactions.length}`);
  }
}

function setup(configEditor?: ConfigEditor, configAccess?: InteractionServiceDeps['configAccess']) {
  const clock = new FakeClock();
  const store = new QuorumStore(':memory:', () => clock.now());
  stores.push(store);
  const cards = new RecordingCards();
  const service = new InteractionService({
    store: store.interactions,
    cards,
    configEditor,
    ...(configAccess === undefined ? {} : { configAccess }),
    timeouts: () => ({ questionMs: 10 * MINUTE, configConfirmationMs: 5 * MINUTE }),
    clock,
    log: silentLogger,
  });
  return { clock, store, cards, service };
}

const scope: InteractionScope = {
  roomId: '!room:hs',
  threadRoot: '$root',
  requester: ALICE,
  responder: 'calc',
  sourceEventId: '$m',
};

/** The interaction a card was posted for. */
function recordOfCard(store: QuorumStore, cardId: string) {
  const record = store.interactions.getByCard(cardId);
  if (record === undefined) throw new Error(`no interaction for ${cardId}`);
  return record;
}

describe('InteractionService', () => {
  it("posts a question with option keys and resolves with the requester's choice only", async () => {
    const { store, cards, service, clock } = setup();
    const asked = service.ask(
      { question: 'Which unit?', options: ['metric', 'imperial'] },
      scope,
      new AbortController().signal,
    );
    await flushMicrotasks();
    expect(cards.posts[0]?.markdown).toContain('Which unit?');
    expect(cards.reactions.map((reaction) => reaction.key)).toEqual([
      OPTION_KEYS[0],
      OPTION_KEYS[1],
    ]);

    const record = recordOfCard(store, '$card1');
    expect(
      await service.onReaction(record, BOB, OPTION_KEYS[1] ?? '', '$bob', clock.now()),
    ).toBeUndefined();
    expect(
      await service.onReaction(record, ALICE, OPTION_KEYS[1] ?? '', '$alice', clock.now()),
    ).toBeUndefined();
    expect(await asked).toEqual({ kind: 'answered', index: 1, option: 'imperial' });
  });

  it('hands back a continuation when an answer arrives with no turn waiting (after a restart)', async () => {
    const { store, service, clock } = setup();
    // The turn that asked was cut by a restart: the record exists, nothing waits on it.
    const record = store.interactions.create({
      kind: 'question',
      payload: { question: 'Go on?', options: ['yes', 'no'] },
      roomId: scope.roomId,
      threadRoot: scope.threadRoot,
      requester: ALICE,
      responder: 'calc',
      sourceEventId: '$m',
      expiresAt: clock.now() + MINUTE,
    });
    expect(await service.onReply(record, BOB, 'no', '$bob', clock.now())).toBeUndefined();
    const continuation = await service.onReply(record, ALICE, 'no', '$no', clock.now());
    expect(continuation?.record).toMatchObject({
      id: record.id,
      state: 'answered',
      decidingEventId: '$no',
    });
  });

  it('approves with ✅, denies with a reply (reason kept), and expires with a visible note', async () => {
    const { store, cards, service, clock } = setup();
    const signal = new AbortController().signal;

    const approved = service.approve('shell', { command: 'ls' }, scope, MINUTE, signal);
    await flushMicrotasks();
    expect(cards.reactions.map((reaction) => reaction.key)).toEqual([APPROVE_KEY, DENY_KEY]);
    await service.onReaction(recordOfCard(store, '$card1'), ALICE, APPROVE_KEY, '$ok', clock.now());
    expect(await approved).toMatchObject({ kind: 'approved' });

    const denied = service.approve('shell', { command: 'rm -rf /' }, scope, MINUTE, signal);
    await flushMicrotasks();
    await service.onReply(
      recordOfCard(store, '$card2'),
      ALICE,
      'no, too risky',
      '$no',
      clock.now(),
    );
    expect(await denied).toEqual({ kind: 'denied', reason: 'no, too risky' });

    service.start(signal);
    const expiring = service.approve('shell', { command: 'uptime' }, scope, MINUTE, signal);
    await flushMicrotasks();
    await clock.advance(2 * MINUTE);
    expect(await expiring).toEqual({ kind: 'expired' });
    expect(cards.posts.at(-1)?.txnId).toMatch(/\.expired$/);
  });

  it('gives a decision made while the card is still being posted to the waiting turn, never to a new one', async () => {
    const { store, cards, service, clock } = setup();
    const signal = new AbortController().signal;
    // The homeserver is slow to take the bot's own reactions: the person is quicker.
    let letReactionsThrough = (): void => undefined;
    const reactionsHeld = new Promise<void>((resolve) => {
      letReactionsThrough = resolve;
    });
    const react = cards.react.bind(cards);
    cards.react = async (place, cardEventId, key) => {
      await reactionsHeld;
      return react(place, cardEventId, key);
    };

    const approved = service.approve('shell', { command: 'ls' }, scope, MINUTE, signal);
    const asked = service.ask({ question: 'Which?', options: ['a', 'b'] }, scope, signal);
    await flushMicrotasks();
    expect(cards.reactions).toEqual([]);
    const approval = recordOfCard(store, '$card1');
    const question = recordOfCard(store, '$card2');
    expect(
      await service.onReaction(approval, ALICE, APPROVE_KEY, '$ok', clock.now()),
    ).toBeUndefined();
    expect(
      await service.onReaction(question, ALICE, OPTION_KEYS[1] ?? '', '$b', clock.now()),
    ).toBeUndefined();
    letReactionsThrough();
    expect(await approved).toMatchObject({ kind: 'approved' });
    expect(await asked).toEqual({ kind: 'answered', index: 1, option: 'b' });

    // Once nobody waits any more, a decision on another record hands back a continuation.
    const orphan = store.interactions.create({
      kind: 'question',
      payload: { question: 'Go on?', options: ['yes', 'no'] },
      roomId: scope.roomId,
      threadRoot: scope.threadRoot,
      requester: ALICE,
      responder: 'calc',
      sourceEventId: '$other',
      expiresAt: clock.now() + MINUTE,
    });
    expect(
      await service.onReaction(orphan, ALICE, OPTION_KEYS[0] ?? '', '$y', clock.now()),
    ).toMatchObject({ record: { id: orphan.id, state: 'answered' } });
  });

  it('wakes a waiting question as cancelled when its turn is stopped', async () => {
    const { service } = setup();
    const asked = service.ask(
      { question: 'Which?', options: ['a', 'b'] },
      scope,
      new AbortController().signal,
    );
    await flushMicrotasks();
    service.cancelForTurn('calc', '$m');
    expect(await asked).toEqual({ kind: 'cancelled' });
  });

  it('offers a config change only with an editor, posts invalid ones without offering, applies on ✅', async () => {
    expect(
      await setup().service.offerConfigChange(
        { path: 'agents.calc.role', value: 'x', reason: undefined },
        scope,
      ),
    ).toEqual({ kind: 'refused', message: 'This Quorum runs without a config file to edit.' });

    const applied: string[] = [];
    const proposal = (isValid: boolean): ConfigEditProposal => ({
      ok: true,
      operation: 'set',
      path: 'agents.calc.role',
      newText: 'new text',
      oldHash: 'old',
      newHash: isValid ? 'new' : 'bad',
      diff: '-role: a\n+role: b',
      validation: {
        isValid,
        issues: isValid
          ? []
          : [{ path: 'agents.calc.role', message: 'must be a string', line: 3, column: 5 }],
        warnings: [],
      },
      isReformatted: false,
    });
    let isValid = false;
    const editor: ConfigEditor = {
      propose: () => Promise.resolve(proposal(isValid)),
      apply: (oldHash, newText): Promise<ConfigWriteResult> => {
        applied.push(`${oldHash}→${newText}`);
        return Promise.resolve({ ok: true, newHash: 'new' });
      },
    };
    const { store, cards, service, clock } = setup(editor);
    const request = { path: 'agents.calc.role', value: 'b', reason: undefined };
    expect(await service.offerConfigChange(request, scope)).toMatchObject({ kind: 'refused' });
    expect(cards.posts).toHaveLength(1);

    isValid = true;
    const offer = await service.offerConfigChange(request, scope);
    expect(offer.kind).toBe('offered');
    await service.onReaction(recordOfCard(store, '$card2'), ALICE, APPROVE_KEY, '$ok', clock.now());
    expect(applied).toEqual(['old→new text']);
    expect(cards.posts.at(-1)?.markdown).toContain('✅ Applied');
  });

  it('posts the arguments in full under a shortened card; only then does ✅ approve', async () => {
    const { store, cards, service, clock } = setup();
    const signal = new AbortController().signal;
    const script = `echo ${'x'.repeat(3_000)} END-OF-SCRIPT`;
    const approved = service.approve('shell', { command: script }, scope, MINUTE, signal);
    await flushMicrotasks();
    expect(cards.posts[0]?.markdown).toContain('follow in full below');
    const full = cards.posts.slice(1).map((post) => post.markdown);
    expect(full.join('')).toContain('END-OF-SCRIPT');
    expect(full[0]).toContain('Arguments in full (1/1)');
    expect(cards.posts.slice(1).map((post) => post.txnId)).toEqual([
      expect.stringMatching(/\.full0$/),
    ]);
    const record = recordOfCard(store, '$card1');
    expect(record.kind === 'approval' && record.payload.isShownInFull).toBe(true);
    await service.onReaction(record, ALICE, APPROVE_KEY, '$ok', clock.now());
    expect(await approved).toMatchObject({ kind: 'approved' });
  });

  it('denies at once a call whose arguments are too long to show, without reaction keys', async () => {
    const { cards, service } = setup();
    const outcome = await service.approve(
      'file',
      { content: 'y'.repeat(80_000) },
      scope,
      MINUTE,
      new AbortController().signal,
    );
    expect(outcome).toEqual({ kind: 'denied', reason: TOO_LONG_TO_REVIEW_REASON });
    expect(cards.reactions).toEqual([]);
    expect(cards.posts.at(-1)?.markdown).toContain('too long to review');
  });

  it('keeps ✅ from approving a shortened card whose full arguments could not be posted', async () => {
    const { store, cards, service, clock } = setup();
    let posts = 0;
    cards.post = (place, markdown, txnId) => {
      posts += 1;
      cards.posts.push({ place, markdown, txnId });
      return posts === 1 ? Promise.resolve('$card1') : Promise.reject(new Error('M_TOO_LARGE'));
    };
    const signal = new AbortController().signal;
    const approved = service.approve(
      'shell',
      { command: 'z'.repeat(3_000) },
      scope,
      MINUTE,
      signal,
    );
    await flushMicrotasks();
    await service.onReaction(recordOfCard(store, '$card1'), ALICE, APPROVE_KEY, '$ok', clock.now());
    expect(await approved).toEqual({ kind: 'denied', reason: NOT_SHOWN_IN_FULL_REASON });
  });

  it('cancels a confirmed config change when the person may no longer make it', async () => {
    const applied: string[] = [];
    const editor: ConfigEditor = {
      propose: () =>
        Promise.resolve({
          ok: true,
          operation: 'set',
          path: 'agents.calc.role',
          newText: 'new text',
          oldHash: 'old',
          newHash: 'new',
          diff: '-role: a\n+role: b',
          validation: { isValid: true, issues: [], warnings: [] },
          isReformatted: false,
        }),
      apply: (_oldHash, newText): Promise<ConfigWriteResult> => {
        applied.push(newText);
        return Promise.resolve({ ok: true, newHash: 'new' });
      },
    };
    let isAdmin = true;
    const { store, cards, service, clock } = setup(editor, {
      decideConfigEdit: () =>
        Promise.resolve(
          isAdmin
            ? { isAllowed: true }
            : { isAllowed: false, reason: 'not-admin', message: 'Only config admins may.' },
        ),
    });
    await service.offerConfigChange(
      { path: 'agents.calc.role', value: 'b', reason: undefined },
      scope,
    );
    // The operator removes alice from the config admins before she confirms.
    isAdmin = false;
    await service.onReaction(recordOfCard(store, '$card1'), ALICE, APPROVE_KEY, '$ok', clock.now());
    expect(applied).toEqual([]);
    expect(recordOfCard(store, '$card1').state).toBe('cancelled');
    expect(cards.posts.map((post) => post.markdown).join('\n')).toContain(
      '⛔ Not applied: Only config admins may.',
    );
  });
});
