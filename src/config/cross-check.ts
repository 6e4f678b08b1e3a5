/**
 * Checks that span blocks of a schema-valid config: names, references between blocks
 * (models, team members, knowledge bases, rooms), failover chains; tools and MCP servers in
 * check-tools.ts.
 */
import { checkTools } from './check-tools.js';
import type { ConfigIssue, ConfigWarning, PathSegment } from './issues.js';
import { PROVIDERS } from './providers.js';
import type { QuorumConfig } from './schema.js';
import {
  ENTITY_NAME,
  isRoomKey,
  isRoomRef,
  ROOM_REF_MESSAGE,
  ROUTER_NAME,
} from './schema-primitives.js';
import type { PositionTarget, YamlSource } from './yaml-source.js';
import { issueAt } from './yaml-source.js';

/** Errors (the config is rejected) and warnings (it is not) found across blocks. */
export interface CrossCheckResult {
  readonly issues: readonly ConfigIssue[];
  readonly warnings: readonly ConfigWarning[];
}

const MCP_SERVER_ID = /^[A-Za-z0-9_]+$/;
const USER_ID = /^@[^\s:]+:\S+$/;

/** Runs every cross-block check; `config` must already be schema-valid. */
export function crossCheck(config: QuorumConfig, source: YamlSource): CrossCheckResult {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigWarning[] = [];
  const fail = (path: PathSegment[], message: string, target: PositionTarget = 'value'): void => {
    issues.push(issueAt(source, path, message, target));
  };

  checkEntityNames(config, fail);
  checkModelReferences(config, fail);
  checkFailover(config, fail);
  checkProviders(config, fail, (path, message) => warnings.push(issueAt(source, path, message)));
  checkTeams(config, fail);
  checkAgentReferences(config, fail);
  checkRoomKeys(config, fail);
  checkAuthorization(config, fail);
  checkBlockIds(config, fail);
  const tools = checkTools(config, source);
  issues.push(...tools.issues);
  warnings.push(...tools.warnings);
  checkMemory(config, (path, message) => warnings.push(issueAt(source, path, message)));
  return { issues, warnings };
}

type Fail = (path: PathSegment[], message: string, target?: PositionTarget) => void;

function checkEntityNames(config: QuorumConfig, fail: Fail): void {
  for (const [kind, names] of [
    ['agents', Object.keys(config.agents)],
    ['teams', Object.keys(config.teams)],
  ] as const) {
    for (const name of names) {
      if (name === ROUTER_NAME) {
        fail([kind, name], `'${ROUTER_NAME}' is reserved for the router`, 'key');
      } else if (!ENTITY_NAME.test(name)) {
        const lower = name.toLowerCase();
        const hint = ENTITY_NAME.test(lower) ? `; use '${lower}'` : '';
        fail(
          [kind, name],
          `'${name}' is not a valid name: names become Matrix user ids, so use lowercase a-z, 0-9 and ._=-${hint}`,
          'key',
        );
      }
    }
  }
  for (const name of Object.keys(config.teams)) {
    if (Object.hasOwn(config.agents, name)) {
      fail(['teams', name], `'${name}' is both an agent and a team; names must be distinct`, 'key');
    }
  }
}

function unknownModel(config: QuorumConfig, name: string): string {
  const known = Object.keys(config.models);
  const list = known.length === 0 ? 'no models are defined' : `defined models: ${known.join(', ')}`;
  if (name === 'default') {
    return `uses the model 'default' (the model used when none is set), but models has no 'default'; ${list}`;
  }
  return `unknown model '${name}'; ${list}`;
}

/** Every place an entity names a model, with its path. */
function modelReferences(
  config: QuorumConfig,
): { path: PathSegment[]; model: string; user: string }[] {
  return [
    { path: ['router', 'model'], model: config.router.model, user: 'router' },
    ...Object.entries(config.agents).map(([name, agent]) => ({
      path: ['agents', name, 'model'],
      model: agent.model,
      user: `agents.${name}`,
    })),
    ...Object.entries(config.teams).map(([name, team]) => ({
      path: ['teams', name, 'model'],
      model: team.model,
      user: `teams.${name}`,
    })),
    ...Object.entries(config.room_models).map(([room, model]) => ({
      path: ['room_models', room],
      model,
      user: `room_models.${room}`,
    })),
  ];
}

function checkModelReferences(config: QuorumConfig, fail: Fail): void {
  for (const { path, model } of modelReferences(config)) {
    if (!Object.hasOwn(config.models, model)) fail(path, unknownModel(config, model));
  }
}

function checkFailover(config: QuorumConfig, fail: Fail): void {
  for (const [name, model] of Object.entries(config.models)) {
    model.failover.forEach((target, index) => {
      if (target === name)
        fail(['models', name, 'failover', index], 'a model cannot fail over to itself');
      else if (!Object.hasOwn(config.models, target)) {
        fail(['models', name, 'failover', index], unknownModel(config, target));
      }
    });
  }
  // A cycle is reported once, at the model where the depth-first walk closes it.
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const target of config.models[name]?.failover ?? []) {
      if (target === name || !Object.hasOwn(config.models, target)) continue;
      if (state.get(target) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(target)), target];
        fail(['models', name, 'failover'], `failover cycle: ${cycle.join(' → ')}`);
      } else if (!state.has(target)) visit(target);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(config.models)) if (!state.has(name)) visit(name);
}

function checkProviders(
  config: QuorumConfig,
  fail: Fail,
  warn: (path: PathSegment[], message: string) => void,
): void {
  // Which entity first needs each model, directly or through failover.
  const usedBy = new Map<string, string>();
  const use = (model: string, user: string): void => {
    if (usedBy.has(model) || !Object.hasOwn(config.models, model)) return;
    usedBy.set(model, user);
    for (const target of config.models[model]?.failover ?? [])
      use(target, `${user} (through failover)`);
  };
  for (const { model, user } of modelReferences(config)) use(model, user);
  for (const [name, model] of Object.entries(config.models)) {
    if (PROVIDERS[model.provider].wire !== undefined) continue;
    const user = usedBy.get(name);
    const what = `provider '${model.provider}' is not supported by Quorum yet`;
    if (user === undefined) warn(['models', name, 'provider'], `${what} (this model is not used)`);
    else fail(['models', name, 'provider'], `${what}, and ${user} uses this model`);
  }
}

function checkTeams(config: QuorumConfig, fail: Fail): void {
  for (const [name, team] of Object.entries(config.teams)) {
    team.agents.forEach((member, index) => {
      if (Object.hasOwn(config.agents, member)) return;
      const message = Object.hasOwn(config.teams, member)
        ? `'${member}' is a team; team members must be agents`
        : `unknown agent '${member}'`;
      fail(['teams', name, 'agents', index], message);
    });
  }
}

function checkAgentReferences(config: QuorumConfig, fail: Fail): void {
  for (const [name, agent] of Object.entries(config.agents)) {
    agent.knowledge_bases.forEach((base, index) => {
      if (!Object.hasOwn(config.knowledge_bases, base)) {
        fail(['agents', name, 'knowledge_bases', index], `unknown knowledge base '${base}'`);
      }
    });
    for (const room of Object.keys(agent.room_thread_modes)) {
      if (!isRoomRef(room))
        fail(['agents', name, 'room_thread_modes', room], ROOM_REF_MESSAGE, 'key');
    }
  }
}

function checkRoomKeys(config: QuorumConfig, fail: Fail): void {
  for (const room of Object.keys(config.room_models)) {
    if (!isRoomRef(room)) fail(['room_models', room], ROOM_REF_MESSAGE, 'key');
  }
  for (const room of Object.keys(config.rooms)) {
    if (!isRoomKey(room)) {
      fail(
        ['rooms', room],
        'expected a room name such as lobby (rooms Quorum creates are named, not aliases or ids)',
        'key',
      );
    }
  }
}

/** Room names (not aliases or ids) some entity or the `rooms` block configures. */
export function managedRoomKeys(config: QuorumConfig): Set<string> {
  const keys = new Set(Object.keys(config.rooms));
  for (const entity of [...Object.values(config.agents), ...Object.values(config.teams)]) {
    for (const room of entity.rooms) if (isRoomKey(room)) keys.add(room);
  }
  return keys;
}

function checkAuthorization(config: QuorumConfig, fail: Fail): void {
  const auth = config.authorization;
  for (const room of Object.keys(auth.room_permissions)) {
    if (!isRoomRef(room))
      fail(['authorization', 'room_permissions', room], ROOM_REF_MESSAGE, 'key');
  }
  const aliasOwner = new Map<string, string>();
  for (const [user, aliases] of Object.entries(auth.aliases)) {
    if (!USER_ID.test(user))
      fail(['authorization', 'aliases', user], 'expected a Matrix user id (@user:server)', 'key');
    aliases.forEach((alias, index) => {
      const owner = aliasOwner.get(alias);
      // MindRoom refuses this too: a bridged id can stand for one person only.
      if (owner !== undefined) {
        fail(
          ['authorization', 'aliases', user, index],
          `${alias} is already an alias of ${owner}; an alias can belong to one user only`,
        );
      } else if (alias === user || Object.hasOwn(auth.aliases, alias)) {
        fail(
          ['authorization', 'aliases', user, index],
          `${alias} is a canonical user here; an alias must be a different (bridged) account`,
        );
      }
      aliasOwner.set(alias, user);
    });
  }
  const managed = managedRoomKeys(config);
  for (const [entity, policy] of Object.entries(auth.agent_reply_permissions)) {
    const isKnown =
      entity === '*' ||
      entity === ROUTER_NAME ||
      Object.hasOwn(config.agents, entity) ||
      Object.hasOwn(config.teams, entity);
    if (!isKnown) {
      fail(
        ['authorization', 'agent_reply_permissions', entity],
        `unknown agent or team '${entity}' (or use '*')`,
        'key',
      );
    }
    policy.joined_rooms.forEach((room, index) => {
      if (policy.joined_rooms.indexOf(room) !== index) {
        fail(
          ['authorization', 'agent_reply_permissions', entity, 'joined_rooms', index],
          `'${room}' is listed twice`,
        );
      } else if (!managed.has(room)) {
        fail(
          ['authorization', 'agent_reply_permissions', entity, 'joined_rooms', index],
          `'${room}' is not a room name configured for an agent, a team or in rooms`,
        );
      }
    });
  }
}

function checkBlockIds(config: QuorumConfig, fail: Fail): void {
  for (const id of Object.keys(config.mcp_servers)) {
    if (!MCP_SERVER_ID.test(id)) {
      fail(
        ['mcp_servers', id],
        'MCP server ids may contain only letters, numbers and underscores',
        'key',
      );
    }
  }
  for (const id of Object.keys(config.knowledge_bases)) {
    if (id.trim() === '' || id === '.' || id === '..' || /[/\\\r\n]/.test(id)) {
      fail(
        ['knowledge_bases', id],
        'knowledge base ids must be single path components (no /, \\, . or ..)',
        'key',
      );
    }
  }
}

/** Memory settings Quorum accepts but serves differently from MindRoom: warned by name. */
function checkMemory(
  config: QuorumConfig,
  warn: (path: PathSegment[], message: string) => void,
): void {
  const memory = config.memory;
  const fileBackend =
    "MindRoom's file memory backend (MEMORY.md files) is not supported by Quorum: memories are kept in Quorum's database, as with mem0";
  if (memory.backend === 'file') warn(['memory', 'backend'], fileBackend);
  for (const [name, agent] of Object.entries(config.agents)) {
    if (agent.memory_backend === 'file') warn(['agents', name, 'memory_backend'], fileBackend);
  }
  const provider = memory.embedder.provider;
  if (provider === 'huggingface' || provider === 'sentence_transformers') {
    warn(
      ['memory', 'embedder', 'provider'],
      `embedder provider '${provider}' is not supported by Quorum (use openai with any OpenAI-compatible server, or ollama): memory and knowledge search use keywords only`,
    );
  }
  if (memory.embedder.config.credentials_service !== null) {
    warn(
      ['memory', 'embedder', 'config', 'credentials_service'],
      "Quorum has no credential store, so 'credentials_service' is ignored: set api_key: ${NAME} or EMBEDDER_API_KEY",
    );
  }
}
