import type { QuorumConfig } from '../config/index.js';
import type { ScheduleSettings } from './schedule-checks.js';

/**
 * The schedule settings of a config: `timezone` and the `quorum.schedule_*` / `max_schedules_*`
 * keys, in milliseconds, plus the scheduler's catch-up window.
 */
export function scheduleSettingsOf(
  config: Pick<QuorumConfig, 'timezone' | 'quorum'>,
): ScheduleSettings & { readonly catchUpWindowMs: number } {
  const q = config.quorum;
  return {
    timezone: config.timezone,
    maxPerPerson: q.max_schedules_per_user,
    maxPerRoom: q.max_schedules_per_room,
    minIntervalMs: q.schedule_min_interval_seconds * 1_000,
    maxHorizonMs: q.schedule_max_days_ahead * 86_400_000,
    catchUpWindowMs: q.schedule_catch_up_minutes * 60_000,
  };
}
