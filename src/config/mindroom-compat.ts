/**
 * MindRoom compatibility: settings MindRoom's config accepts that Quorum does not implement
 * (yet). They are removed before schema validation and reported as ONE warning per setting,
 * naming its path, so a MindRoom user can bring their `config.yaml` unchanged and see exactly
 * what Quorum ignores. Anything not listed here and not in Quorum's schema is an error.
 *
 * The lists follow MindRoom's pydantic models (src/mindroom/config/*.py): for each model, the
 * fields Quorum's schema does not carry.
 */
import type { ConfigWarning, PathSegment } from './issues.js';
import { formatPath } from './issues.js';
import type { YamlSource } from './yaml-source.js';

/** `*` matches any mapping key, `[]` any sequence index. */
type PatternSegment = string;

interface UnsupportedKeys {
  readonly at: readonly PatternSegment[];
  readonly keys: readonly string[];
  /** Replaces the generic "ignored" wording, e.g. to say what Quorum does instead. */
  readonly note?: Readonly<Record<string, string>>;
}

/** MindRoom settings Quorum accepts and ignores, by where they sit in the file. */
export const UNSUPPORTED_MINDROOM_KEYS: readonly UnsupportedKeys[] = [
  {
    at: [],
    keys: [
      'cultures',
      'room_thread_summary_models',
      'plugins',
      'debug',
      'prompts',
      'external_trigger_policy',
      'voice',
      'calls',
      'event_journal',
      'matrix_sync',
      'mindroom_user',
      'matrix_room_access',
      'matrix_space',
    ],
  },
  {
    at: ['agents', '*'],
    keys: [
      'learning',
      'learning_mode',
      'memory_search',
      'compaction',
      'private',
      'context_files',
      'compress_tool_results',
      'max_tool_calls_from_history',
      'worker_tools',
      'worker_scope',
      'allow_self_config',
      'delegate_to',
    ],
    note: {
      memory_search:
        "MindRoom setting 'memory_search' configures its file memory backend, which Quorum does not have (memories live in Quorum's database, searched by keywords and meaning); it is ignored",
    },
  },
  {
    at: ['memory'],
    keys: ['file', 'search', 'auto_flush'],
    note: {
      file: "MindRoom's file memory backend (MEMORY.md files) is not supported by Quorum; memories live in Quorum's database, and 'memory.file' is ignored",
      search:
        "'memory.search' configures MindRoom's file memory backend, which Quorum does not have; it is ignored",
      auto_flush:
        "'memory.auto_flush' configures MindRoom's file memory backend; Quorum extracts memories with 'memory.llm' and 'memory.extraction' instead, and ignores it",
    },
  },
  {
    at: ['knowledge_bases', '*'],
    keys: ['git'],
    note: {
      git: 'Git-backed knowledge bases are not supported by Quorum yet: the folder is indexed as it is, without syncing',
    },
  },
  { at: ['teams', '*'], keys: ['compaction', 'max_tool_calls_from_history'] },
  {
    at: ['defaults'],
    keys: [
      'learning',
      'learning_mode',
      'compaction',
      'coalescing',
      'auto_resume_after_restart',
      'compress_tool_results',
      'max_tool_calls_from_history',
      'worker_tools',
      'worker_scope',
      'worker_grantable_credentials',
      'allow_self_config',
      'max_preload_chars',
      'tool_output_auto_save_threshold_bytes',
      'thread_summary_model',
      'thread_summary_temperature',
      'thread_summary_first_threshold',
      'thread_summary_subsequent_interval',
    ],
  },
  // Lazy tool loading flags, in the named and the compact tool-entry forms.
  { at: ['agents', '*', 'tools', '[]'], keys: ['defer', 'initial'] },
  { at: ['agents', '*', 'tools', '[]', '*'], keys: ['defer', 'initial'] },
  { at: ['defaults', 'tools', '[]'], keys: ['defer', 'initial'] },
  { at: ['defaults', 'tools', '[]', '*'], keys: ['defer', 'initial'] },
  { at: ['mcp_servers', '*'], keys: ['auth', 'description'] },
  {
    at: ['tool_approval', 'rules', '[]'],
    keys: ['script'],
    note: {
      script:
        'approval scripts are not supported by Quorum yet; a rule with a script requires approval for every matching call',
    },
  },
];

/**
 * MindRoom keys that MindRoom itself rejects with a hint (removed fields). Quorum rejects them
 * too, with the same hint, instead of a bare "unknown key".
 */
export const REMOVED_MINDROOM_KEY_HINTS: Readonly<Record<string, string>> = {
  knowledge_base: "was removed in MindRoom; use 'knowledge_bases' (a list)",
  memory_dir: 'was removed in MindRoom and is not supported',
  memory_file_path: 'was removed in MindRoom and is not supported',
  sandbox_tools: 'was removed in MindRoom and is not supported',
  allowed_toolkits: "was removed in MindRoom; list the tools in 'tools'",
  initial_toolkits: "was removed in MindRoom; list the tools in 'tools'",
};

/** The config data without unsupported MindRoom keys, and the warnings naming them. */
export interface StrippedConfig {
  /** A copy of the input without the unsupported keys. */
  readonly data: unknown;
  readonly warnings: readonly ConfigWarning[];
}

interface Occurrence {
  readonly key: string;
  readonly entry: UnsupportedKeys;
  readonly paths: PathSegment[][];
}

const MAX_LISTED_PATHS = 3;

/**
 * Removes every unsupported MindRoom key from a copy of `data` and returns one warning per
 * (place, key) — `agents.*.learning` in twenty agents is one warning that names the first path
 * and counts the others.
 */
export function stripUnsupportedKeys(data: unknown, source: YamlSource): StrippedConfig {
  const copy = structuredClone(data);
  const occurrences = new Map<string, Occurrence>();
  for (const entry of UNSUPPORTED_MINDROOM_KEYS) {
    for (const { value, path } of matchPattern(copy, entry.at)) {
      for (const key of entry.keys) {
        if (!Object.hasOwn(value, key)) continue;
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing a key from our own copy of plain YAML data
        delete value[key];
        const id = `${entry.at.join('.')}|${key}`;
        const found = occurrences.get(id) ?? { key, entry, paths: [] };
        found.paths.push([...path, key]);
        occurrences.set(id, found);
      }
    }
  }
  const warnings = [...occurrences.values()].map((occurrence) => warningFor(occurrence, source));
  return { data: copy, warnings };
}

function warningFor(occurrence: Occurrence, source: YamlSource): ConfigWarning {
  const [first, ...others] = occurrence.paths;
  const firstPath = first ?? [];
  const { line, column } = source.locate(firstPath, 'key');
  const note =
    occurrence.entry.note?.[occurrence.key] ??
    `MindRoom setting '${occurrence.key}' is not supported by Quorum yet and is ignored`;
  let message = note;
  if (others.length > 0) {
    const listed = others.slice(0, MAX_LISTED_PATHS).map((path) => formatPath(path));
    const more =
      others.length > MAX_LISTED_PATHS ? `, and ${others.length - MAX_LISTED_PATHS} more` : '';
    message += ` (also at ${listed.join(', ')}${more})`;
  }
  return { path: formatPath(firstPath), message, line, column };
}

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every plain object in `data` at a path matching `pattern`, with its concrete path. */
function matchPattern(
  data: unknown,
  pattern: readonly PatternSegment[],
): { value: PlainObject; path: PathSegment[] }[] {
  let frontier: { value: unknown; path: PathSegment[] }[] = [{ value: data, path: [] }];
  for (const segment of pattern) {
    const next: { value: unknown; path: PathSegment[] }[] = [];
    for (const { value, path } of frontier) {
      if (segment === '[]') {
        if (Array.isArray(value))
          value.forEach((item, index) => next.push({ value: item, path: [...path, index] }));
      } else if (isPlainObject(value)) {
        if (segment === '*') {
          for (const [key, inner] of Object.entries(value))
            next.push({ value: inner, path: [...path, key] });
        } else if (Object.hasOwn(value, segment)) {
          next.push({ value: value[segment], path: [...path, segment] });
        }
      }
    }
    frontier = next;
  }
  return frontier.flatMap(({ value, path }) => (isPlainObject(value) ? [{ value, path }] : []));
}
