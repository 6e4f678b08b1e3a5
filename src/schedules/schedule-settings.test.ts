import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { scheduleSettingsOf } from './schedule-settings.js';

describe('scheduleSettingsOf', () => {
  it('reads the timezone and the quorum schedule keys, in milliseconds', () => {
    const parsed = parseConfig(
      [
        'models:',
        '  default:',
        '    provider: openai',
        '    id: gpt-test',
        'timezone: Europe/Paris',
        'quorum:',
        '  schedule_catch_up_minutes: 30',
        '  schedule_min_interval_seconds: 5',
        '',
      ].join('\n'),
      { env: {} },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    expect(scheduleSettingsOf(parsed.config)).toEqual({
      timezone: 'Europe/Paris',
      maxPerPerson: 50,
      maxPerRoom: 100,
      minIntervalMs: 5_000,
      maxHorizonMs: 731 * 86_400_000,
      catchUpWindowMs: 30 * 60_000,
    });
  });
});
