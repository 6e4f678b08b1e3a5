/**
 * Reading a `POST /v1/chat/completions` body. OpenAI's shape, loosely: parameters the agent's
 * own config controls (`temperature`, `tools`, `max_tokens`, …) are accepted and ignored, as
 * in MindRoom; messages become text (text parts joined, other parts dropped); `developer`
 * messages count as `system`; `tool` and `function` messages are dropped (agents run their own
 * tools). Pure.
 */
import { z } from 'zod';
import type { CompletionMessage } from './agent-completions.js';

/** Most messages in one request. */
export const MAX_MESSAGES = 1_000;
/** Most characters of text across all messages. */
export const MAX_TEXT_CHARS = 400_000;

const textPart = z.looseObject({ type: z.string(), text: z.unknown().optional() });
const messageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
});
const bodySchema = z.looseObject({
  model: z.string().trim().min(1).max(200),
  messages: z.array(messageSchema).min(1).max(MAX_MESSAGES),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
});

/** A request ready for the completions, or OpenAI's `invalid_request_error` details. */
export type ParsedChatRequest =
  | {
      readonly ok: true;
      readonly model: string;
      readonly messages: readonly CompletionMessage[];
      readonly stream: boolean;
      readonly includeUsage: boolean;
    }
  | { readonly ok: false; readonly message: string; readonly param: string | null };

/** Reads a parsed JSON body. */
export function parseChatRequest(body: unknown): ParsedChatRequest {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue === undefined || issue.path.length === 0 ? null : formatPath(issue.path);
    const where = param === null ? 'the request body' : `'${param}'`;
    return {
      ok: false,
      message: `Invalid ${where}: ${issue?.message ?? 'not a chat completion request'}.`,
      param,
    };
  }
  const messages: CompletionMessage[] = [];
  let chars = 0;
  for (const message of parsed.data.messages) {
    if (message.role === 'tool' || message.role === 'function') continue;
    const content = textOf(message.content);
    chars += content.length;
    if (content.trim() === '') continue;
    messages.push({ role: message.role === 'developer' ? 'system' : message.role, content });
  }
  if (chars > MAX_TEXT_CHARS) {
    return {
      ok: false,
      message: `The messages are too long (over ${MAX_TEXT_CHARS} characters).`,
      param: 'messages',
    };
  }
  if (!messages.some((message) => message.role === 'user')) {
    return {
      ok: false,
      message: 'The messages need at least one user message with text.',
      param: 'messages',
    };
  }
  return {
    ok: true,
    model: parsed.data.model,
    messages,
    stream: parsed.data.stream === true,
    includeUsage: parsed.data.stream_options?.include_usage === true,
  };
}

function textOf(
  content: string | readonly { type: string; text?: unknown }[] | null | undefined,
): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  return content
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text as string)
    .join('\n');
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}
