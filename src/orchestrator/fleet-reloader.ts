import {
  formatPlan,
  planReload,
  resolveEntitySpecs,
  type EntityPlan,
  type QuorumConfig,
  type ReloadPlan,
} from '../config/index.js';
import { AbortReason, type Logger } from '../shared/index.js';
import type { EntityBot } from './entity-bot.js';
import { Fleet } from './fleet.js';
import type { TurnCoordinator } from '../agents/index.js';

/** What applying a plan needs from the orchestrator. */
export interface ReloadTarget {
  readonly fleet: Fleet;
  readonly coordinator: TurnCoordinator;
  bot(name: string): EntityBot | undefined;
  /** Creates and starts a bot for a spec of the new fleet (not waiting for it to settle). */
  startBot(plan: EntityPlan): EntityBot;
  /**
   * Forgets a stopped bot; a removed entity's room memberships too. A restarting one keeps
   * them, so messages that arrive while it restarts are still its own: their turns wait
   * open and run once it is back (turn recovery).
   */
  removeBot(name: string, options: { readonly isRemoved: boolean }): void;
  /** Installs the new fleet (and its model catalog) for everything that reads it. */
  install(fleet: Fleet): void;
  /** The router creates missing rooms and invites members (after the new fleet is installed). */
  provisionRooms(): Promise<void>;
  readonly log: Logger;
}

/** The result of one reload, for logs and `/api/ready`. */
export interface ReloadOutcome {
  readonly plan: ReloadPlan;
  readonly generation: number;
}

/**
 * Applies a new config snapshot to the running fleet, entity by entity: removed entities stop
 * and leave their rooms (their accounts are kept), changed ones are stopped (their in-flight
 * replies are cut cleanly) and started again with the new spec, added ones are provisioned and
 * started, and entities whose only change is their rooms join and leave without a restart.
 * Unchanged entities are not touched: their sync loops and in-flight replies carry on.
 */
export async function applyReload(
  config: QuorumConfig,
  target: ReloadTarget,
): Promise<ReloadOutcome> {
  const current = target.fleet;
  const specs = resolveEntitySpecs(config, { serverName: current.serverName });
  const plan = planReload(current.specs, specs);
  if (!plan.hasChanges) {
    target.log.info('config reloaded: nothing changed');
    target.install(new Fleet(config, specs, current.serverName, current.generation));
    return { plan, generation: current.generation };
  }
  const generation = current.generation + 1;
  for (const line of formatPlan(plan).split('\n'))
    target.log.info('reload plan', { generation, step: line });

  // Stop removed and changed bots first, while the old fleet (and its rooms) is still installed.
  const leaving = plan.entities.filter(
    (entity) => entity.action === 'stop' || entity.action === 'restart',
  );
  await Promise.all(leaving.map((entity) => stopEntity(entity, target)));

  target.install(new Fleet(config, specs, current.serverName, generation));
  if (
    plan.entities.some((entity) => entity.kind === 'router' && entity.action !== 'unchanged') ||
    plan.createRooms.length > 0
  ) {
    const router = target.bot('router');
    if (
      router !== undefined &&
      plan.entities.find((entity) => entity.kind === 'router')?.action !== 'restart'
    ) {
      await target.provisionRooms();
    }
  }

  const started: EntityBot[] = [];
  for (const kind of ['router', 'agent', 'team'] as const) {
    const batch: Promise<void>[] = [];
    for (const entity of plan.entities.filter((candidate) => candidate.kind === kind)) {
      if (entity.action === 'start' || entity.action === 'restart') {
        const bot = target.startBot(entity);
        started.push(bot);
        batch.push(bot.whenSettled());
      } else if (entity.action === 'update' && entity.spec !== undefined) {
        const bot = target.bot(entity.name);
        if (bot === undefined) continue;
        bot.updateSpec(entity.spec);
        batch.push(
          (async () => {
            await bot.leaveRooms(entity.leave);
            await bot.joinRooms(entity.join);
          })(),
        );
      }
    }
    // The router must have created and invited before agents join; agents before teams.
    await Promise.all(batch);
  }
  target.log.info('config reloaded', { generation, restarted: started.map((bot) => bot.name) });
  return { plan, generation };
}

async function stopEntity(entity: EntityPlan, target: ReloadTarget): Promise<void> {
  const bot = target.bot(entity.name);
  if (bot === undefined) return;
  const keys = new Set(target.coordinator.keysFor(entity.name));
  await target.coordinator.abortAll(
    new AbortReason('reload', `${entity.name} is being reconfigured`),
    (key) => keys.has(key),
  );
  await bot.stop(new AbortReason('reload'));
  if (entity.action === 'stop') {
    await bot.leaveRooms(entity.leave.length > 0 ? entity.leave : (entity.previous?.rooms ?? []));
  }
  await bot.close();
  target.removeBot(entity.name, { isRemoved: entity.action === 'stop' });
}
