import { randomInt } from 'node:crypto';
import type { Clock, Logger } from '../shared/index.js';
import { linkSignal } from '../shared/index.js';
import type { ScheduleRecord, ScheduleStore, StoredTiming } from '../storage/index.js';
import {
  checkMentions,
  checkTiming,
  refuse,
  type ScheduleEntity,
  type ScheduleReply,
  type ScheduleScope,
  type ScheduleSettings,
  type Step,
} from './schedule-checks.js';
import { extractHistory, type HistoryChoice } from './history-phrases.js';
import type { ParsedTiming } from './parse-types.js';
import { MAX_MESSAGE_CHARS, type ScheduleInterpreter } from './schedule-interpreter.js';
import { parseScheduleRequest } from './schedule-parser.js';
import { cadenceText, listLine, preview, receiptLines } from './schedule-texts.js';
import { describeInstant, type TimeStyle } from './schedule-wording.js';

/** Options of {@link ScheduleService.schedule} and {@link ScheduleService.edit}. */
export interface ScheduleOptions {
  /** Post each fire as a new room-level thread (the tool's `new_thread`). */
  readonly newThread?: boolean;
  /** An explicit history limit (the tool's `history_limit`); wins over a phrase in the text. */
  readonly historyLimit?: number;
  /** Cancels a model call; the service's lifetime signal applies as well. */
  readonly signal?: AbortSignal;
}

/** Dependencies of {@link ScheduleService}. */
export interface ScheduleServiceDeps {
  readonly store: ScheduleStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly settings: () => ScheduleSettings;
  /** The authorization predicate: whether `userId` may talk to the agents in `roomId`. */
  readonly mayUse: (userId: string, roomId: string) => boolean;
  /** Whether `userId` may cancel and edit other people's schedules in `roomId` (global users). */
  readonly isAdmin: (userId: string, roomId: string) => boolean;
  /** The agents and teams of the config, with whether each is in `roomId`. */
  readonly entities: (roomId: string) => readonly ScheduleEntity[];
  /** Reads what the rules do not understand; `undefined`: rules only. */
  readonly interpreter: ScheduleInterpreter | undefined;
  /** Called after every change, so the scheduler re-arms (`Scheduler.changed`). */
  readonly onChange: () => void;
  /** The daemon's lifetime: aborts model calls on shutdown. */
  readonly lifetime: AbortSignal;
}

const ID_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const ID_LENGTH = 8;
const EXAMPLES =
  'For example: `in 20 minutes @calc check the build`, `tomorrow at 3pm send the report`, `every weekday at 9am @analyst market report`, `weekly on Friday, summarize the week`, `cron 0 9 * * 1-5 stand-up`.';

const COMMAND_REFUSAL =
  'A scheduled message cannot be a `!` command: when it fires it is a request for the agents. Say what they should do instead.';

/** Whether a scheduled message would read as a `!` command (fires never run commands). */
function isCommand(message: string): boolean {
  return message.trimStart().startsWith('!');
}

/** A new random schedule id: 8 characters without look-alikes (no 0/o, 1/l/i). */
export function newScheduleId(): string {
  let id = '';
  for (let i = 0; i < ID_LENGTH; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)] ?? 'a';
  return id;
}

interface Understood {
  readonly timing: ParsedTiming;
  readonly message: string;
  readonly history: HistoryChoice;
  readonly timeStyle: TimeStyle;
  readonly parsedBy: 'rules' | 'model';
}

/**
 * What `!schedule`, `!list_schedules`, `!cancel_schedule`, `!edit_schedule` and the scheduler
 * tool do. Requests are read by the rules, else by the router's model; the timing is checked
 * (ahead, within the horizon, not more often than the minimum interval), mentions must name
 * agents or teams in the room, the person must be allowed to use the agents there, and the
 * per-person and per-room limits hold. Every reply says what was understood: the next due time
 * in the person's time zone and clock style. Never throws for a person's mistake.
 */
export class ScheduleService {
  constructor(private readonly deps: ScheduleServiceDeps) {}

  /** `!schedule <request>`: understands, checks and keeps a new schedule. */
  async schedule(
    request: string,
    scope: ScheduleScope,
    options: ScheduleOptions = {},
  ): Promise<ScheduleReply> {
    if (!this.deps.mayUse(scope.requester, scope.roomId)) {
      return refuse('You may not use the agents in this room, so you cannot schedule tasks here.')
        .reply;
    }
    const understood = await this.understand(request, scope, undefined, options);
    if (!understood.ok) return understood.reply;
    const { timing, message, history, timeStyle, parsedBy } = understood.value;
    if (message === '') {
      return refuse(`Say what should happen when it fires. ${EXAMPLES}`).reply;
    }
    if (isCommand(message)) return refuse(COMMAND_REFUSAL).reply;
    const settings = this.deps.settings();
    const checked = checkTiming(timing, settings, timeStyle, this.deps.clock.now());
    if (!checked.ok) return checked.reply;
    const mentions = checkMentions(message, scope, this.deps.entities(scope.roomId));
    if (!mentions.ok) return mentions.reply;
    const newThread = options.newThread === true;
    for (let attempt = 0; attempt < 5; attempt++) {
      const outcome = this.deps.store.insert(
        {
          id: newScheduleId(),
          roomId: scope.roomId,
          threadRoot: newThread ? undefined : scope.threadRoot,
          newThread,
          createdBy: scope.requester,
          timing: toStored(timing),
          timezone: settings.timezone,
          message,
          description: checked.value.description,
          mentions: mentions.value,
          historyLimit:
            options.historyLimit ?? (history.kind === 'limit' ? history.messages : undefined),
          timeStyle,
          parsedBy,
          nextDueAt: checked.value.nextDueAt,
        },
        { perPerson: settings.maxPerPerson, perRoom: settings.maxPerRoom },
      );
      if (outcome.kind === 'duplicate_id') continue;
      if (outcome.kind === 'limit') {
        return refuse(
          outcome.scope === 'person'
            ? `You already have ${outcome.limit} active schedules, the most allowed. Cancel one with \`!cancel_schedule <id>\` first.`
            : `This room already has ${outcome.limit} active schedules, the most allowed. Cancel one with \`!cancel_schedule <id>\` first.`,
        ).reply;
      }
      this.deps.onChange();
      this.deps.log.info('schedule created', {
        scheduleId: outcome.record.id,
        roomId: scope.roomId,
        kind: timing.kind,
        parsedBy,
        nextDueAt: checked.value.nextDueAt,
      });
      return {
        ok: true,
        markdown: this.receipt(outcome.record, parsedBy),
        scheduleId: outcome.record.id,
      };
    }
    throw new Error('could not find a free schedule id');
  }

  /** `!list_schedules`: the room's active schedules, soonest first. */
  list(scope: ScheduleScope): ScheduleReply {
    const records = this.deps.store.listActive(scope.roomId);
    if (records.length === 0) return { ok: true, markdown: 'No scheduled tasks in this room.' };
    const now = this.deps.clock.now();
    const shown = records.slice(0, 50).map((record) => listLine(record, now, scope.threadRoot));
    const more =
      records.length > shown.length ? [`…and ${records.length - shown.length} more.`] : [];
    const zone = this.deps.settings().timezone;
    return {
      ok: true,
      markdown: [
        `**Scheduled tasks** (${zone})`,
        ...shown,
        ...more,
        '',
        'Cancel one with `!cancel_schedule <id>`, or all of yours with `!cancel_schedule all`.',
      ].join('\n'),
    };
  }

  /**
   * `!cancel_schedule <id…|all>`: cancels schedules of this room. People cancel their own;
   * admins anyone's. `all` cancels every schedule the person may cancel here.
   */
  cancel(argument: string, scope: ScheduleScope): ScheduleReply {
    const words = argument.split(/[\s,]+/u).filter((word) => word !== '');
    if (words.length === 0)
      return refuse('Which one? `!cancel_schedule <id>` or `!cancel_schedule all`.').reply;
    const isAdmin = this.deps.isAdmin(scope.requester, scope.roomId);
    const reason = `cancelled by ${scope.requester}`;
    if (words.length === 1 && words[0]?.toLowerCase() === 'all') {
      const ids = this.deps.store.cancelAllInRoom(
        scope.roomId,
        isAdmin ? undefined : scope.requester,
        reason,
      );
      if (ids.length > 0) this.deps.onChange();
      return {
        ok: true,
        markdown:
          ids.length === 0
            ? 'No scheduled tasks of yours to cancel in this room.'
            : `✅ Cancelled ${ids.length} scheduled task${ids.length === 1 ? '' : 's'}: ${ids.map((id) => `\`${id}\``).join(', ')}.`,
      };
    }
    const lines: string[] = [];
    let cancelled = 0;
    for (const id of words.slice(0, 20)) {
      const found = this.findOwn(id, scope, isAdmin);
      if (!found.ok) {
        lines.push(found.reply.markdown);
        continue;
      }
      if (this.deps.store.end(found.value.id, 'cancelled', reason)) {
        cancelled += 1;
        lines.push(
          `✅ Cancelled \`${found.value.id}\` (${cadenceText(found.value)}: “${preview(found.value.message)}”).`,
        );
      }
    }
    if (cancelled > 0) this.deps.onChange();
    return { ok: cancelled > 0, markdown: lines.join('\n') };
  }

  /** `!edit_schedule <id> <request>`: re-reads the timing and message; what the edit leaves out stays. */
  async edit(
    id: string,
    request: string,
    scope: ScheduleScope,
    options: ScheduleOptions = {},
  ): Promise<ScheduleReply> {
    const found = this.findOwn(id, scope, this.deps.isAdmin(scope.requester, scope.roomId));
    if (!found.ok) return found.reply;
    const existing = found.value;
    if (!this.deps.mayUse(scope.requester, scope.roomId)) {
      return refuse('You may not use the agents in this room, so you cannot change schedules here.')
        .reply;
    }
    const understood = await this.understand(request, scope, existing, options);
    if (!understood.ok) return understood.reply;
    const { timing, history, timeStyle, parsedBy } = understood.value;
    const message = understood.value.message === '' ? existing.message : understood.value.message;
    if (isCommand(message)) return refuse(COMMAND_REFUSAL).reply;
    const checked = checkTiming(
      timing,
      { ...this.deps.settings(), timezone: existing.timezone },
      timeStyle,
      this.deps.clock.now(),
    );
    if (!checked.ok) return checked.reply;
    const mentions = checkMentions(message, scope, this.deps.entities(scope.roomId));
    if (!mentions.ok) return mentions.reply;
    const historyLimit =
      options.historyLimit ??
      (history.kind === 'limit'
        ? history.messages
        : history.kind === 'full'
          ? undefined
          : existing.historyLimit);
    const updated = this.deps.store.update(existing.id, {
      timing: toStored(timing),
      message,
      description: checked.value.description,
      mentions: mentions.value,
      historyLimit,
      timeStyle,
      parsedBy,
      nextDueAt: checked.value.nextDueAt,
    });
    if (updated === undefined) return refuse(`Task \`${existing.id}\` is no longer active.`).reply;
    this.deps.onChange();
    this.deps.log.info('schedule edited', { scheduleId: updated.id, parsedBy });
    return {
      ok: true,
      markdown: `Updated \`${updated.id}\`.\n${this.receipt(updated, parsedBy)}`,
      scheduleId: updated.id,
    };
  }

  /** Reads `request` with the rules, else the model; `existing` for an edit. */
  private async understand(
    request: string,
    scope: ScheduleScope,
    existing: ScheduleRecord | undefined,
    options: ScheduleOptions,
  ): Promise<Step<Understood>> {
    const trimmed = request.trim();
    if (trimmed === '') return refuse(`Tell me when and what. ${EXAMPLES}`);
    if (trimmed.length > MAX_MESSAGE_CHARS)
      return refuse(`That request is too long (over ${MAX_MESSAGE_CHARS} characters).`);
    const timezone = existing?.timezone ?? this.deps.settings().timezone;
    const now = this.deps.clock.now();
    const { text, history } = extractHistory(trimmed);
    const rules = parseScheduleRequest(text, { nowMs: now, timezone });
    if (rules.kind === 'invalid') return refuse(`I can't schedule that: ${rules.reason}.`);
    if (rules.kind === 'parsed') {
      return { ok: true, value: { ...rules, history, parsedBy: 'rules' } };
    }
    const interpreter = this.deps.interpreter;
    const hint = rules.hint === undefined ? '' : ` (${rules.hint})`;
    if (interpreter === undefined)
      return refuse(`I couldn't read when that should happen${hint}. ${EXAMPLES}`);
    const linked = linkSignal(this.deps.lifetime, options.signal);
    try {
      const model = await interpreter.interpret(
        {
          text,
          nowMs: now,
          timezone,
          responders: this.deps
            .entities(scope.roomId)
            .filter((entity) => entity.isInRoom)
            .map((entity) => entity.name),
          ...(existing === undefined
            ? {}
            : { existing: { when: this.whenWords(existing, now), message: existing.message } }),
        },
        { signal: linked.signal },
      );
      if (model.kind === 'failed') {
        return refuse(
          `I couldn't read when that should happen: ${model.reason}${hint}. ${EXAMPLES}`,
        );
      }
      return { ok: true, value: { ...model, history, parsedBy: 'model' } };
    } finally {
      linked.cleanup();
    }
  }

  /** An active schedule of this room that `scope.requester` may change. */
  private findOwn(id: string, scope: ScheduleScope, isAdmin: boolean): Step<ScheduleRecord> {
    const clean = id.replace(/`/gu, '').trim().toLowerCase();
    const record = this.deps.store.get(clean);
    if (record?.roomId !== scope.roomId)
      return refuse(`No scheduled task \`${preview(clean, 20)}\` in this room.`);
    if (record.state !== 'active')
      return refuse(`Task \`${record.id}\` already ended (${record.endReason ?? record.state}).`);
    if (record.createdBy !== scope.requester && !isAdmin) {
      return refuse(
        `Task \`${record.id}\` was made by ${record.createdBy}; only they (or an admin) can change it.`,
      );
    }
    return { ok: true, value: record };
  }

  private whenWords(record: ScheduleRecord, now: number): string {
    return record.timing.kind === 'cron'
      ? `recurring ${record.description}, cron ${record.timing.cron}`
      : `once, ${record.nextDueAt === undefined ? 'ended' : describeInstant(record.nextDueAt, now, record.timezone, '24h')}`;
  }

  private receipt(record: ScheduleRecord, parsedBy: 'rules' | 'model'): string {
    const lines = receiptLines(record, this.deps.clock.now());
    if (parsedBy === 'model') {
      lines.push(
        `_Read by the router's model: if that is not what you meant, change it with \`!edit_schedule ${record.id} …\` or cancel it with \`!cancel_schedule ${record.id}\`._`,
      );
    } else {
      lines.push(`Cancel with \`!cancel_schedule ${record.id}\`.`);
    }
    return lines.join('\n');
  }
}

function toStored(timing: ParsedTiming): StoredTiming {
  return timing.kind === 'once'
    ? { kind: 'once', atMs: timing.atMs }
    : { kind: 'cron', cron: timing.cron };
}
