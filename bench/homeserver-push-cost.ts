/**
 * Why Quorum's bots turn their notifications off: what members with notifications on cost the
 * homeserver on every message. A person sends messages into three rooms of the same Synapse,
 * interleaved: one with 8 bot members on Synapse's default push rules, one with 8 bot members
 * whose master push rule is enabled (what Quorum does for its accounts), and one with a single
 * other member. No bot syncs, so only the send path differs. Prints p50/p90 of the send.
 *
 *   npx tsx bench/homeserver-push-cost.ts [messages=50]
 */
import { performance } from 'node:perf_hooks';
import { matrixRequest } from '../test/support/matrix-http.js';
import { uniqueSuffix } from '../test/support/matrix-registration.js';
import { MatrixTestUser } from '../test/support/matrix-test-user.js';
import { runBenchmark } from './support/bench-run.js';
import { round, summarize } from './support/stats.js';

const MESSAGES = Number(process.argv[2] ?? 50);
const WARMUP = 5;
const BOTS = 8;
const MASTER_RULE = '/_matrix/client/v3/pushrules/global/override/.m.rule.master/enabled';

await runBenchmark('homeserver-push-cost', async (scope) => {
  const { homeserver } = scope;
  const suffix = uniqueSuffix();
  const person = await MatrixTestUser.register(homeserver, { localpart: `pperson${suffix}` });
  const members = async (tag: string, silenced: boolean): Promise<MatrixTestUser[]> => {
    const users: MatrixTestUser[] = [];
    for (let i = 0; i < BOTS; i++) {
      const user = await MatrixTestUser.register(homeserver, { localpart: `p${tag}${i}${suffix}` });
      if (silenced) {
        await matrixRequest(homeserver.url, {
          method: 'PUT',
          path: MASTER_RULE,
          accessToken: user.accessToken,
          body: { enabled: true },
        });
      }
      users.push(user);
    }
    return users;
  };
  scope.progress(`registering ${2 * BOTS} members`);
  const notifying = await members('n', false);
  const silenced = await members('s', true);
  const rooms = {
    notifications_on: await person.createRoom({ invite: notifying.map((u) => u.userId) }),
    notifications_off: await person.createRoom({ invite: silenced.map((u) => u.userId) }),
    two_members: await person.createRoom({ invite: [notifying[0]!.userId] }),
  };
  for (const user of notifying) await user.joinRoom(rooms.notifications_on);
  for (const user of silenced) await user.joinRoom(rooms.notifications_off);
  await notifying[0]!.joinRoom(rooms.two_members);

  scope.progress(`${MESSAGES} messages per room`);
  const samples: Record<keyof typeof rooms, number[]> = {
    notifications_on: [],
    notifications_off: [],
    two_members: [],
  };
  for (let i = 0; i < WARMUP + MESSAGES; i++) {
    for (const key of Object.keys(rooms) as (keyof typeof rooms)[]) {
      const startedAt = performance.now();
      await matrixRequest(homeserver.url, {
        method: 'PUT',
        path: `/_matrix/client/v3/rooms/${encodeURIComponent(rooms[key])}/send/m.room.message/${key}-${i}-${suffix}`,
        accessToken: person.accessToken,
        body: { msgtype: 'm.text', body: `message ${i}` },
      });
      if (i >= WARMUP) samples[key].push(performance.now() - startedAt);
    }
  }
  const on = summarize(samples.notifications_on);
  const off = summarize(samples.notifications_off);
  return {
    messages: MESSAGES,
    bot_members: BOTS,
    send_ms: {
      notifications_on: on,
      notifications_off: off,
      two_members: summarize(samples.two_members),
    },
    saved_per_send_p50_ms: round(on.p50_ms - off.p50_ms),
  };
});
