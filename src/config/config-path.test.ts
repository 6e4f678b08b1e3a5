import { describe, expect, it } from 'vitest';
import { configPathScope, parseConfigPath } from './config-path.js';

describe('parseConfigPath', () => {
  it('reads dotted names, bracketed indices and quoted keys', () => {
    expect(parseConfigPath('agents.calc.model')).toEqual({
      ok: true,
      segments: ['agents', 'calc', 'model'],
    });
    expect(parseConfigPath('tool_approval.rules[0].match')).toEqual({
      ok: true,
      segments: ['tool_approval', 'rules', 0, 'match'],
    });
    expect(parseConfigPath('authorization.room_permissions["#lobby:example.org"][1]')).toEqual({
      ok: true,
      segments: ['authorization', 'room_permissions', '#lobby:example.org', 1],
    });
    expect(parseConfigPath("room_models['!abc:x.org']")).toEqual({
      ok: true,
      segments: ['room_models', '!abc:x.org'],
    });
    expect(parseConfigPath('room_models[#lobby:example.org]')).toEqual({
      ok: true,
      segments: ['room_models', '#lobby:example.org'],
    });
  });

  it('keeps a dotted number as text for the editor to resolve', () => {
    expect(parseConfigPath('agents.calc.rooms.1')).toEqual({
      ok: true,
      segments: ['agents', 'calc', 'rooms', '1'],
    });
  });

  it('reads an empty path as the whole file', () => {
    expect(parseConfigPath('  ')).toEqual({ ok: true, segments: [] });
    expect(parseConfigPath('.')).toEqual({ ok: true, segments: [] });
  });

  it('rejects malformed paths with the reason', () => {
    for (const [text, reason] of [
      ['agents..calc', 'empty name'],
      ['agents.', 'ends with a dot'],
      ['rules[0', 'is not closed'],
      ['rules[]', 'empty brackets'],
      ['rules[0]x', "expected '.' or '['"],
      ['agents.my calc', "bad name 'my calc'"],
    ] as const) {
      const parsed = parseConfigPath(text);
      expect(parsed.ok).toBe(false);
      expect(parsed.ok ? '' : parsed.error).toContain(reason);
    }
  });
});

describe('configPathScope', () => {
  it('scopes per-room entries to their room', () => {
    expect(configPathScope('room_models.lobby')).toEqual({ kind: 'room', room: 'lobby' });
    expect(configPathScope('rooms.lobby.description')).toEqual({ kind: 'room', room: 'lobby' });
    expect(configPathScope(['room_models', '!abc:example.org'])).toEqual({
      kind: 'room',
      room: '!abc:example.org',
    });
  });

  it('keeps everything else, the maps as a whole, and bad paths global', () => {
    for (const path of [
      'room_models',
      'authorization.room_permissions',
      // Authorization is never changed from chat, not even a room's own list (issue 12).
      'authorization.room_permissions["#dev:example.org"][0]',
      'authorization.global_users',
      'agents.calc.rooms',
      'models.default.id',
      'room_models..x',
    ]) {
      expect(configPathScope(path)).toEqual({ kind: 'global' });
    }
  });
});
