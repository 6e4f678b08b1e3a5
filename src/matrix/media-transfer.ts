/**
 * Media bytes of a {@link BotSdkClient}: uploads through the SDK, and authenticated
 * downloads (spec v1.11), decrypted when the event carried an encrypted file.
 */
import type { MatrixClient } from 'matrix-bot-sdk';
import { runAbortable } from './abortable-request.js';
import { DEFAULT_HTTP_TIMEOUT_MS } from './client-request.js';
import { MatrixRequestError } from './errors.js';
import { decryptAttachment } from './media-crypto.js';
import type { MediaSource } from './media-crypto.js';
import type { DownloadedMedia } from './types.js';

/** Uploads and downloads on one client; both are aborted when `closed` aborts. */
export class MediaTransfer {
  constructor(
    private readonly client: MatrixClient,
    private readonly closed: AbortSignal,
  ) {}

  /** `POST /_matrix/media/v3/upload` through the SDK (raw body); resolves with the `mxc://` URL. */
  async upload(bytes: Buffer, contentType: string, filename: string): Promise<string> {
    const url = await runAbortable(
      'POST /upload',
      () => this.client.uploadContent(bytes, contentType, filename),
      [this.closed],
    );
    if (typeof url !== 'string' || !url.startsWith('mxc://')) {
      throw new MatrixRequestError('invalid_response', 'media upload answered no mxc:// URL');
    }
    return url;
  }

  /**
   * Downloads `source` (an `mxc://` URL, or a decoded media source), at most `maxBytes`
   * (else `bad_request` with status 413). An encrypted source is decrypted and typed by the
   * event's mimetype; a plain one keeps the server's content type.
   */
  async download(
    source: string | MediaSource,
    options: { readonly maxBytes: number; readonly signal?: AbortSignal },
  ): Promise<DownloadedMedia> {
    const mxcUrl = typeof source === 'string' ? source : source.mxcUrl;
    const match = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxcUrl);
    if (match === null) {
      throw new MatrixRequestError('bad_request', `not an mxc:// URL: ${mxcUrl}`, {
        httpStatus: 400,
      });
    }
    const [, server = '', mediaId = ''] = match;
    const response = await this.fetchMedia(server, mediaId, options.signal);
    const bytes = Buffer.isBuffer(response.body) ? response.body : Buffer.from([]);
    if (bytes.length > options.maxBytes) {
      throw new MatrixRequestError(
        'bad_request',
        `media is ${bytes.length} bytes, over ${options.maxBytes}`,
        {
          httpStatus: 413,
        },
      );
    }
    const contentType = response.headers?.['content-type'];
    if (typeof source !== 'string' && source.encryption !== undefined) {
      // The server only holds ciphertext (served as octet-stream); the event names the type.
      return {
        bytes: decryptAttachment(bytes, source.encryption),
        contentType: source.mimetype ?? 'application/octet-stream',
      };
    }
    return {
      bytes,
      contentType: typeof contentType === 'string' ? contentType : 'application/octet-stream',
    };
  }

  /** The raw download response (body as a Buffer, headers) of `mxc://<server>/<mediaId>`. */
  private async fetchMedia(
    server: string,
    mediaId: string,
    signal: AbortSignal | undefined,
  ): Promise<{ body?: unknown; headers?: Record<string, unknown> }> {
    // Authenticated media (spec v1.11): Synapse refuses unauthenticated downloads of new media.
    const path = `/_matrix/client/v1/media/download/${encodeURIComponent(server)}/${encodeURIComponent(mediaId)}`;
    return (await runAbortable(
      'GET /media/download',
      () =>
        this.client.doRequest(
          'GET',
          path,
          null,
          null,
          DEFAULT_HTTP_TIMEOUT_MS,
          true,
          undefined,
          true,
        ) as Promise<unknown>,
      [this.closed, signal],
    )) as { body?: unknown; headers?: Record<string, unknown> };
  }
}
