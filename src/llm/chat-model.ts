/**
 * The model contract every layer above `llm/` talks to (after openai-agents-js's `Model`):
 * one request shape, one response shape, one stream-event shape, whatever the provider.
 * Provider SDK types never cross this boundary.
 */

/** Plain text inside a user message. */
export interface TextPart {
  readonly type: 'text';
  readonly text: string;
}

/**
 * An image the model should look at. `url` is either a `data:<mediaType>;base64,...` URL
 * (inline bytes, e.g. a downloaded Matrix attachment) or an `http(s)://` URL the provider
 * fetches itself.
 */
export interface ImagePart {
  readonly type: 'image';
  readonly url: string;
}

/**
 * A text file the user attached. Adapters render it as a delimited text block, so the
 * model sees the file name next to the content.
 */
export interface TextAttachmentPart {
  readonly type: 'attachment';
  readonly name: string;
  /** e.g. `text/plain`, `text/markdown`, `application/json`. */
  readonly mediaType: string;
  readonly text: string;
}

/** What a user message may contain. */
export type UserContentPart = TextPart | ImagePart | TextAttachmentPart;

/** A message from a person (or from the daemon speaking for one). */
export interface UserMessage {
  readonly role: 'user';
  readonly content: string | readonly UserContentPart[];
}

/**
 * A message the model wrote earlier. `toolCalls` are the calls it made in that turn; each
 * must be answered by a later {@link ToolResultMessage} with the same `id`.
 */
export interface AssistantMessage {
  readonly role: 'assistant';
  readonly content: string;
  readonly toolCalls?: readonly ToolCall[];
}

/** The result of running one tool call, sent back to the model. */
export interface ToolResultMessage {
  readonly role: 'tool';
  /** The `id` of the {@link ToolCall} this answers. */
  readonly toolCallId: string;
  readonly content: string;
  /** True when the tool failed; Anthropic marks the block `is_error`, OpenAI sees the text only. */
  readonly isError?: boolean;
}

/** One entry of the conversation sent to the model, oldest first. */
export type ChatMessage = UserMessage | AssistantMessage | ToolResultMessage;

/** A tool the model may call. `parameters` is a JSON Schema object (type `object`). */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/**
 * A tool call the model made, complete (never a fragment).
 * `arguments` is the parsed JSON object; when the model produced text that is not a JSON
 * object, `arguments` is `{}` and `argumentsError` says why, so the caller can answer the
 * call with an error instead of running the tool with nothing.
 */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** The raw argument text as the model wrote it. */
  readonly argumentsJson: string;
  readonly argumentsError?: string;
}

/**
 * Ask for a JSON answer matching `schema`. OpenAI-compatible adapters send
 * `response_format: json_schema`; the Anthropic adapter forces a tool named `name` and
 * returns its input as the response text. Either way the answer arrives as `text`.
 */
export interface JsonSchemaResponseFormat {
  readonly type: 'json_schema';
  readonly name: string;
  readonly schema: Readonly<Record<string, unknown>>;
  /**
   * Ask OpenAI-compatible servers to enforce the schema exactly (`strict: true`). The schema
   * must then list every property in `required` and set `additionalProperties: false`.
   * The Anthropic adapter ignores it (a forced tool is already schema-shaped).
   */
  readonly strict?: boolean;
}

/** One call to a model. */
export interface ChatRequest {
  /** The system prompt; omitted when empty. */
  readonly system?: string;
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolDefinition[];
  readonly responseFormat?: JsonSchemaResponseFormat;
  /** Overrides the model's configured temperature for this call. */
  readonly temperature?: number;
  /** Overrides the model's configured output-token limit for this call. */
  readonly maxTokens?: number;
}

/** Token counts as the provider reported them. */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/**
 * Why the model stopped. `stop`: it finished; `tool_calls`: it wants tool results;
 * `length`: the output-token limit cut it; `content_filter`: the provider refused or
 * filtered; `other`: anything else the provider reported.
 */
export type FinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter' | 'other';

/**
 * Events of a streamed reply, in order: any number of `text_delta` and `tool_call`, at
 * most one `usage`, then exactly one `done` as the last event. A stream that fails throws
 * from the iterator instead of yielding `done`.
 */
export type ChatStreamEvent =
  | { readonly type: 'text_delta'; readonly text: string }
  | { readonly type: 'tool_call'; readonly toolCall: ToolCall }
  | { readonly type: 'usage'; readonly usage: Usage }
  | { readonly type: 'done'; readonly finishReason: FinishReason; readonly modelId: string };

/** A complete reply. */
export interface ChatResponse {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  /** Absent when the provider reported none. */
  readonly usage?: Usage;
  readonly finishReason: FinishReason;
  /** The provider's id of the model that answered (a failover model may have answered). */
  readonly modelId: string;
}

/** Per-call options. */
export interface ChatCallOptions {
  /**
   * Aborting cancels the HTTP request (the provider sees the connection close). The call
   * then rejects, or the stream throws, with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

/**
 * A chat model. Implementations are stateless between calls and safe to call concurrently.
 * Failures are thrown as `ModelError` (see errors.ts), except an abort, which rethrows the
 * signal's reason.
 */
export interface ChatModel {
  /** The provider's model id (e.g. `gpt-4o`), for logs and usage accounting. */
  readonly modelId: string;
  /** Sends `request` and resolves with the whole reply. */
  complete(request: ChatRequest, options?: ChatCallOptions): Promise<ChatResponse>;
  /**
   * Sends `request` and yields the reply as it arrives. Breaking out of the loop early
   * cancels the HTTP request.
   */
  stream(request: ChatRequest, options?: ChatCallOptions): AsyncIterable<ChatStreamEvent>;
}
