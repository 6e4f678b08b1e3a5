import { describe, expect, it } from 'vitest';
import { encryptAttachment, type DownloadedMedia, type MediaReader } from '../matrix/index.js';
import { DaemonError, silentLogger } from '../shared/index.js';
import { readAttachment } from './message-attachments.js';

function reader(files: Record<string, DownloadedMedia>): MediaReader & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    downloadMedia: (source) => {
      const url = typeof source === 'string' ? source : source.mxcUrl;
      asked.push(url);
      const file = files[url];
      return file === undefined
        ? Promise.reject(new DaemonError('not_found', 'upstream', 'gone'))
        : Promise.resolve(file);
    },
  };
}

const png = { bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]), contentType: 'image/png' };

describe('readAttachment', () => {
  it('turns an image into a data URL part', async () => {
    const result = await readAttachment(
      { msgtype: 'm.image', body: 'cat.png', url: 'mxc://hs/cat', info: { mimetype: 'image/png' } },
      reader({ 'mxc://hs/cat': png }),
      { log: silentLogger },
    );
    expect(result).toEqual({
      parts: [{ type: 'image', url: `data:image/png;base64,${png.bytes.toString('base64')}` }],
      notes: [],
    });
  });

  it('attaches a text file as text, cut to the limit with a note', async () => {
    const text = 'a,b\n'.repeat(100);
    const result = await readAttachment(
      { msgtype: 'm.file', body: 'data.csv', url: 'mxc://hs/csv', info: { mimetype: 'text/csv' } },
      reader({ 'mxc://hs/csv': { bytes: Buffer.from(text), contentType: 'text/csv' } }),
      { log: silentLogger, limits: { maxImageBytes: 1000, maxTextBytes: 40 } },
    );
    expect(result.parts).toEqual([
      { type: 'attachment', name: 'data.csv', mediaType: 'text/csv', text: text.slice(0, 40) },
    ]);
    expect(result.notes[0]).toContain('data.csv');
  });

  it('recognises text files by extension when the type is generic', async () => {
    const result = await readAttachment(
      {
        msgtype: 'm.file',
        body: 'notes.md',
        url: 'mxc://hs/md',
        info: { mimetype: 'application/octet-stream' },
      },
      reader({
        'mxc://hs/md': { bytes: Buffer.from('# Hi'), contentType: 'application/octet-stream' },
      }),
      { log: silentLogger },
    );
    expect(result.parts).toMatchObject([{ type: 'attachment', text: '# Hi' }]);
  });

  it('answers anything else with a polite note and no download', async () => {
    const files = reader({});
    const result = await readAttachment(
      {
        msgtype: 'm.file',
        body: 'backup.zip',
        url: 'mxc://hs/zip',
        info: { mimetype: 'application/zip' },
      },
      files,
      { log: silentLogger },
    );
    expect(result.parts).toEqual([]);
    expect(result.notes).toEqual([
      "_I can't read `backup.zip` (application/zip); I can read images and text files._",
    ]);
    expect(files.asked).toEqual([]);
  });

  it('hands an encrypted attachment (file, not url) to the reader with its key', async () => {
    const sealed = encryptAttachment(png.bytes);
    const seen: unknown[] = [];
    const result = await readAttachment(
      {
        msgtype: 'm.image',
        body: 'secret.png',
        file: sealed.fileContent('mxc://hs/sealed'),
        info: { mimetype: 'image/png' },
      },
      {
        downloadMedia: (source) => {
          seen.push(source);
          return Promise.resolve(png);
        },
      },
      { log: silentLogger },
    );
    expect(result.parts).toHaveLength(1);
    expect(seen).toEqual([
      expect.objectContaining({ mxcUrl: 'mxc://hs/sealed', mimetype: 'image/png' }),
    ]);
  });

  it('turns a failed download or a malformed encrypted file into a note', async () => {
    const failed = await readAttachment(
      { msgtype: 'm.image', body: 'x.png', url: 'mxc://hs/gone' },
      reader({}),
      { log: silentLogger },
    );
    expect(failed.notes[0]).toContain('could not be downloaded');
    const encrypted = await readAttachment(
      { msgtype: 'm.image', body: 'y.png', file: { url: 'mxc://hs/enc' } },
      reader({}),
      { log: silentLogger },
    );
    expect(encrypted.notes[0]).toContain('encryption data is invalid');
  });

  it('ignores plain text messages', async () => {
    expect(
      await readAttachment({ msgtype: 'm.text', body: 'hi' }, reader({}), { log: silentLogger }),
    ).toEqual({ parts: [], notes: [] });
  });
});
