/**
 * zod schemas for the entity blocks of `config.yaml` — `agents`, `teams`, `router`, `models`,
 * `defaults` — in MindRoom's format, with MindRoom's defaults. Quorum additions are marked.
 * Cross-references (a model name exists, team members exist) are checked in cross-check.ts.
 */
import { z } from 'zod';
import { PROVIDER_NAMES } from './providers.js';
import {
  duplicates,
  instructionsSchema,
  nonEmptyString,
  roomRefSchema,
  toolEntrySchema,
} from './schema-primitives.js';

const threadModeSchema = z.enum(['thread', 'room']);
const historyLimit = z
  .number()
  .int()
  .min(1)
  .nullish()
  .transform((value) => value ?? null);

function reportDuplicates<T>(
  values: readonly string[],
  what: string,
  ctx: z.core.$RefinementCtx<T>,
): void {
  const found = duplicates(values);
  if (found.length > 0)
    ctx.addIssue({ code: 'custom', message: `duplicate ${what}: ${found.join(', ')}` });
}

function noDuplicates(what: string) {
  return (values: string[], ctx: z.core.$RefinementCtx<string[]>): void => {
    reportDuplicates(values, what, ctx);
  };
}

function exclusiveHistory(
  value: { num_history_runs: number | null; num_history_messages: number | null },
  ctx: z.core.$RefinementCtx,
): void {
  if (value.num_history_runs !== null && value.num_history_messages !== null) {
    ctx.addIssue({
      code: 'custom',
      path: ['num_history_messages'],
      message: 'num_history_runs and num_history_messages are mutually exclusive',
    });
  }
}

const toolListSchema = z
  .array(toolEntrySchema)
  .nullish()
  .transform((value) => value ?? [])
  .superRefine((tools, ctx) => {
    reportDuplicates(
      tools.map((tool) => tool.name),
      'tools',
      ctx,
    );
  });

const roomListSchema = z
  .array(roomRefSchema)
  .nullish()
  .transform((value) => value ?? []);

/** One agent (`agents.<name>`): MindRoom's AgentConfig fields that Quorum implements. */
export const agentSchema = z
  .strictObject({
    display_name: nonEmptyString,
    role: z.string().default(''),
    instructions: instructionsSchema,
    /** Model name from `models`; `default` when omitted. */
    model: nonEmptyString.default('default'),
    rooms: roomListSchema,
    tools: toolListSchema,
    include_default_tools: z.boolean().default(true),
    skills: z.array(nonEmptyString).default([]).superRefine(noDuplicates('skills')),
    knowledge_bases: z
      .array(nonEmptyString)
      .default([])
      .superRefine(noDuplicates('knowledge bases')),
    /** Overrides `memory.backend` for this agent; `none` turns recall, extraction and the memory tool off. */
    memory_backend: z
      .enum(['mem0', 'file', 'none'])
      .nullish()
      .transform((value) => value ?? null),
    accept_invites: z.boolean().default(true),
    thread_mode: threadModeSchema.default('thread'),
    room_thread_modes: z.record(z.string(), threadModeSchema).default({}),
    /** Inherits `defaults.markdown` when null or omitted. */
    markdown: z
      .boolean()
      .nullish()
      .transform((value) => value ?? null),
    /** Inherits `defaults.show_tool_calls` when null or omitted. */
    show_tool_calls: z
      .boolean()
      .nullish()
      .transform((value) => value ?? null),
    num_history_runs: historyLimit,
    num_history_messages: historyLimit,
  })
  .superRefine(exclusiveHistory);

/** Quorum addition: default bound on member turns in one team run. */
export const DEFAULT_TEAM_MAX_TURNS = 8;
/** Quorum addition: default bound on output tokens across one team run. */
export const DEFAULT_TEAM_MAX_TOKENS = 32_000;

/** One team (`teams.<name>`). */
export const teamSchema = z
  .strictObject({
    display_name: nonEmptyString,
    role: z.string().default(''),
    agents: z
      .array(nonEmptyString)
      .min(1, { error: 'a team needs at least one agent' })
      .superRefine(noDuplicates('team members')),
    rooms: roomListSchema,
    /** MindRoom allows `model: null`; both it and omission mean `default`. */
    model: nonEmptyString.nullish().transform((value) => value ?? 'default'),
    mode: z.enum(['coordinate', 'collaborate']).default('coordinate'),
    num_history_runs: historyLimit,
    num_history_messages: historyLimit,
    /** Quorum addition: the most member turns one team run may take. */
    max_turns: z.number().int().min(1).max(100).default(DEFAULT_TEAM_MAX_TURNS),
    /** Quorum addition: the most output tokens one team run may spend, members and synthesis together. */
    max_tokens: z.number().int().min(1).default(DEFAULT_TEAM_MAX_TOKENS),
  })
  .superRefine(exclusiveHistory);

/** The router (`router`). MindRoom has no fallback agent: a failed routing asks the user to mention one. */
export const routerSchema = z
  .strictObject({
    model: nonEmptyString.default('default'),
    accept_invites: z.boolean().default(true),
  })
  .prefault({});

const httpUrl = z.string().refine((value) => /^https?:\/\/\S+$/.test(value), {
  error: 'expected an http(s) URL',
});

/** One model (`models.<name>`). */
export const modelSchema = z
  .strictObject({
    provider: z.enum(PROVIDER_NAMES),
    id: nonEmptyString,
    /** Local server URL (ollama, llama.cpp); the base URL becomes `<host>/v1`. */
    host: httpUrl.nullish().transform((value) => value ?? null),
    /** Quorum addition (MindRoom uses `extra_kwargs.base_url`, also accepted). */
    base_url: httpUrl.optional(),
    /** Only as an environment reference (`${NAME}`); literal keys are rejected. */
    api_key: z
      .string()
      .nullish()
      .transform((value) => value ?? null),
    /** Provider parameters; `base_url`, `temperature` and `max_tokens` here are understood too. */
    extra_kwargs: z
      .record(z.string(), z.unknown())
      .nullish()
      .transform((value) => value ?? {}),
    context_window: z
      .number()
      .int()
      .min(1)
      .nullish()
      .transform((value) => value ?? null),
    /** Quorum addition. */
    temperature: z.number().min(0).max(2).optional(),
    /** Quorum addition. */
    max_tokens: z.number().int().min(1).optional(),
    /** Quorum addition: model names tried in order when this one fails. */
    failover: z
      .union([nonEmptyString, z.array(nonEmptyString)], {
        error: 'expected a model name or a list of model names',
      })
      .optional()
      .transform((value) =>
        value === undefined ? [] : typeof value === 'string' ? [value] : value,
      ),
  })
  .superRefine((model, ctx) => {
    const extra = model.extra_kwargs;
    const checks: [string, (value: unknown) => boolean, string][] = [
      [
        'base_url',
        (v) => typeof v === 'string' && /^https?:\/\/\S+$/.test(v),
        'expected an http(s) URL',
      ],
      [
        'temperature',
        (v) => typeof v === 'number' && v >= 0 && v <= 2,
        'expected a number from 0 to 2',
      ],
      [
        'max_tokens',
        (v) => typeof v === 'number' && Number.isInteger(v) && v >= 1,
        'expected a positive integer',
      ],
    ];
    for (const [key, isValid, message] of checks) {
      if (Object.hasOwn(extra, key) && !isValid(extra[key])) {
        ctx.addIssue({ code: 'custom', path: ['extra_kwargs', key], message });
      }
    }
  });

/** Streaming edit cadence (`defaults.streaming`), seconds, as in MindRoom. */
const streamingSchema = z
  .strictObject({
    update_interval: z.number().positive().default(5),
    min_update_interval: z.number().positive().default(0.5),
    interval_ramp_seconds: z.number().min(0).default(15),
    max_idle: z.number().positive().default(2),
  })
  .prefault({});

/**
 * `defaults`: values every entity inherits. MindRoom's defaults, except `tools`: MindRoom adds
 * its `scheduler` tool to every agent; Quorum's default is empty, so a tool that acts for the
 * requester on the model's word is something the operator lists (`tools: [scheduler]`, here or
 * per agent); `!schedule` works for everyone allowed to use the agents either way.
 */
export const defaultsSchema = z
  .strictObject({
    tools: toolListSchema,
    markdown: z.boolean().default(true),
    enable_streaming: z.boolean().default(true),
    show_stop_button: z.boolean().default(true),
    show_tool_calls: z.boolean().default(true),
    num_history_runs: historyLimit,
    num_history_messages: historyLimit,
    streaming: streamingSchema,
  })
  .superRefine(exclusiveHistory)
  .prefault({});
