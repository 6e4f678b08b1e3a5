import type { TextAttachmentPart, ImagePart } from '../llm/index.js';
import { mediaSourceOf, type MediaReader } from '../matrix/index.js';
import { describeError, type Logger } from '../shared/index.js';

/** Size limits for attachments sent to the model. */
export interface AttachmentLimits {
  readonly maxImageBytes: number;
  readonly maxTextBytes: number;
}

export const DEFAULT_ATTACHMENT_LIMITS: AttachmentLimits = {
  maxImageBytes: 8 * 1024 * 1024,
  maxTextBytes: 256 * 1024,
};

/** What an attachment becomes: a part of the model's input, or a note for the person. */
export interface AttachmentResult {
  readonly parts: readonly (ImagePart | TextAttachmentPart)[];
  /** Short notes shown at the top of the reply (an attachment the agent could not read). */
  readonly notes: readonly string[];
}

const TEXT_TYPES =
  /^(text\/|application\/(json|xml|x-yaml|yaml|x-sh|javascript|typescript|x-python|csv|sql|toml|x-toml|markdown))/i;
const TEXT_EXTENSIONS =
  /\.(txt|md|markdown|csv|tsv|json|jsonl|ya?ml|toml|ini|cfg|conf|log|xml|html?|css|js|mjs|cjs|ts|tsx|jsx|py|rb|go|rs|java|kt|c|h|cc|cpp|hpp|cs|sh|bash|zsh|sql|diff|patch)$/i;
const IMAGE_TYPES = /^image\/(png|jpe?g|gif|webp)$/i;

function record(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Reads the attachment of a message (`m.image`, `m.file`, ... with an `mxc://` url): images
 * become image parts (for vision-capable models), text files become text parts up to a size
 * limit, and anything else (audio, video, archives) becomes a polite note. Attachments of
 * encrypted rooms are read the same way (the Matrix layer decrypts them). Download failures
 * become notes too; this never throws.
 */
export async function readAttachment(
  content: Readonly<Record<string, unknown>>,
  reader: MediaReader,
  options: {
    readonly limits?: AttachmentLimits;
    readonly log: Logger;
    readonly signal?: AbortSignal;
  },
): Promise<AttachmentResult> {
  const limits = options.limits ?? DEFAULT_ATTACHMENT_LIMITS;
  const msgtype = typeof content['msgtype'] === 'string' ? content['msgtype'] : '';
  if (!['m.image', 'm.file', 'm.audio', 'm.video'].includes(msgtype))
    return { parts: [], notes: [] };
  const info = record(content['info']);
  const name =
    typeof content['filename'] === 'string'
      ? content['filename']
      : typeof content['body'] === 'string'
        ? content['body']
        : 'the attachment';
  const mimetype = typeof info?.['mimetype'] === 'string' ? info['mimetype'] : '';
  const source = mediaSourceOf(content);
  const cannotRead = (why: string): AttachmentResult => ({
    parts: [],
    notes: [`_I can't read \`${name}\` (${why}); I can read images and text files._`],
  });
  if (source === undefined)
    return cannotRead(
      content['file'] === undefined ? 'no file was attached' : 'its encryption data is invalid',
    );
  const isImage = msgtype === 'm.image' && (mimetype === '' || IMAGE_TYPES.test(mimetype));
  const isText = !isImage && (TEXT_TYPES.test(mimetype) || TEXT_EXTENSIONS.test(name));
  if (!isImage && !isText) return cannotRead(mimetype === '' ? msgtype.slice(2) : mimetype);
  try {
    const media = await reader.downloadMedia(source, {
      maxBytes: isImage ? limits.maxImageBytes : limits.maxTextBytes * 4,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (isImage) {
      const type = IMAGE_TYPES.test(media.contentType)
        ? media.contentType
        : mimetype || 'image/png';
      return {
        parts: [{ type: 'image', url: `data:${type};base64,${media.bytes.toString('base64')}` }],
        notes: [],
      };
    }
    const text = media.bytes.toString('utf8');
    const isCut = Buffer.byteLength(text) > limits.maxTextBytes;
    const kept = isCut ? media.bytes.subarray(0, limits.maxTextBytes).toString('utf8') : text;
    return {
      parts: [{ type: 'attachment', name, mediaType: mimetype || 'text/plain', text: kept }],
      notes: isCut
        ? [`_\`${name}\` is long; I read its first ${Math.round(limits.maxTextBytes / 1024)} KB._`]
        : [],
    };
  } catch (error: unknown) {
    options.log.warn('could not download an attachment', { name, error: describeError(error) });
    return cannotRead('it could not be downloaded');
  }
}
