/**
 * MCP `tools/call` results as text for the model. Everything a server returns is untrusted:
 * it is rendered as plain text (never interpreted), binary content is only described, control
 * characters are dropped, and the total is capped while it is built.
 */

/** One content item, structurally (the SDK validated the shapes already). */
interface ContentItem {
  readonly type: string;
  readonly text?: unknown;
  readonly mimeType?: unknown;
  readonly data?: unknown;
  readonly uri?: unknown;
  readonly name?: unknown;
  readonly resource?: unknown;
}

/** A `tools/call` result, structurally. */
export interface RawCallResult {
  readonly content?: unknown;
  readonly structuredContent?: unknown;
  readonly isError?: unknown;
  /** Old servers answer `{ toolResult }` (protocol 2024-10-07). */
  readonly toolResult?: unknown;
}

/** What {@link renderCallResult} returns. */
export interface RenderedResult {
  readonly content: string;
  readonly isError: boolean;
  readonly isTruncated: boolean;
}

// C0 controls except tab, newline and carriage return, plus DEL and the C1 block.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/**
 * The result as text of at most `maxChars` characters: text items as they are, embedded text
 * resources with their URI, images, audio and binary resources as a one-line description,
 * resource links by name and URI; `structuredContent` as JSON when there is no content.
 */
export function renderCallResult(result: RawCallResult, maxChars: number): RenderedResult {
  const builder = new CappedText(maxChars);
  const items = Array.isArray(result.content) ? (result.content as unknown[]) : [];
  for (const item of items) {
    if (builder.isFull) break;
    builder.add(describeItem(item));
  }
  if (items.length === 0) {
    if (result.structuredContent !== undefined) {
      builder.add(JSON.stringify(result.structuredContent));
    } else if (result.toolResult !== undefined) {
      builder.add(
        typeof result.toolResult === 'string'
          ? result.toolResult
          : JSON.stringify(result.toolResult),
      );
    }
  }
  return {
    content: builder.text() || '(the tool returned no content)',
    isError: result.isError === true,
    isTruncated: builder.isTruncated,
  };
}

function describeItem(raw: unknown): string {
  if (raw === null || typeof raw !== 'object') return '';
  const item = raw as ContentItem;
  switch (item.type) {
    case 'text':
      return typeof item.text === 'string' ? item.text : '';
    case 'image':
    case 'audio':
      return `[${item.type}: ${str(item.mimeType, 'unknown type')}, ${base64Bytes(item.data)} bytes, not shown]`;
    case 'resource_link':
      return `[resource link: ${str(item.name, 'unnamed')} ${str(item.uri, '')}]`.trim();
    case 'resource':
      return describeResource(item.resource);
    default:
      return `[${item.type.slice(0, 40)} content, not shown]`;
  }
}

function describeResource(raw: unknown): string {
  if (raw === null || typeof raw !== 'object') return '[resource]';
  const resource = raw as { uri?: unknown; text?: unknown; mimeType?: unknown; blob?: unknown };
  const uri = str(resource.uri, 'unknown URI');
  if (typeof resource.text === 'string') return `[resource ${uri}]\n${resource.text}`;
  return `[resource ${uri}: ${str(resource.mimeType, 'binary')}, ${base64Bytes(resource.blob)} bytes, not shown]`;
}

function str(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value.slice(0, 500) : fallback;
}

function base64Bytes(value: unknown): number {
  return typeof value === 'string' ? Math.floor((value.length * 3) / 4) : 0;
}

/** Joins parts with blank lines until `maxChars`, cleaning each part as it is added. */
class CappedText {
  private readonly parts: string[] = [];
  private length = 0;
  private truncated = false;

  constructor(private readonly maxChars: number) {}

  get isFull(): boolean {
    return this.length >= this.maxChars;
  }

  get isTruncated(): boolean {
    return this.truncated;
  }

  add(raw: string): void {
    if (raw === '') return;
    const separator = this.parts.length > 0 ? '\n\n' : '';
    const room = this.maxChars - this.length - separator.length;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    // Cut before cleaning so a huge part is never copied whole.
    let slice = raw.length > room ? raw.slice(0, room) : raw;
    // Never end inside a surrogate pair.
    const last = slice.charCodeAt(slice.length - 1);
    if (slice !== raw && last >= 0xd800 && last <= 0xdbff) slice = slice.slice(0, -1);
    if (raw.length > room) this.truncated = true;
    const part = slice.replace(CONTROL, '');
    this.parts.push(separator + part);
    this.length += separator.length + part.length;
  }

  text(): string {
    return this.parts.join('');
  }
}
