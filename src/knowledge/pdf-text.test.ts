import { describe, expect, it } from 'vitest';
import { minimalPdf } from '../../test/support/minimal-pdf.js';
import { extractPdfText } from './pdf-text.js';

describe('extractPdfText', () => {
  it('reads the text of a PDF offline', async () => {
    const text = await extractPdfText(minimalPdf(['The narwhal manual', 'Chapter (one)']), {});
    expect(text).toContain('The narwhal manual');
    expect(text).toContain('Chapter (one)');
  });

  it('rejects bytes that are not a PDF', async () => {
    await expect(extractPdfText(Buffer.from('not a pdf at all'), {})).rejects.toThrow();
  });
});
