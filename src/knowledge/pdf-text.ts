/**
 * PDF to text with Mozilla's PDF.js (pdfjs-dist, legacy build for Node; 5.6 is the last line
 * that supports Node 20). Loaded on first use only, offline (no fonts, no network, no eval).
 * A base opts in to PDFs as in MindRoom: `extra_extensions: [".pdf"]`.
 */
import type { TextExtractor } from './document-reader.js';

/** Pages read from one PDF at most; the rest are left out. */
export const MAX_PDF_PAGES = 2_000;

interface TextItem {
  readonly str?: string;
  readonly hasEOL?: boolean;
}

/** The text of a PDF, page by page (pages separated by a blank line). Throws when it is not a readable PDF. */
export const extractPdfText: TextExtractor = async (bytes, options) => {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    stopAtErrors: false,
    verbosity: 0,
  });
  const onAbort = (): void => {
    void task.destroy();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const document = await task.promise;
    const pages: string[] = [];
    for (let number = 1; number <= Math.min(document.numPages, MAX_PDF_PAGES); number++) {
      options.signal?.throwIfAborted();
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      pages.push(
        (content.items as TextItem[])
          .map((item) => `${item.str ?? ''}${item.hasEOL === true ? '\n' : ' '}`)
          .join('')
          .replace(/[ \t]+\n/g, '\n')
          .trim(),
      );
      page.cleanup();
    }
    return pages.join('\n\n');
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await task.destroy();
  }
};

/** The extractors knowledge bases use by default, by extension. */
export function defaultExtractors(): ReadonlyMap<string, TextExtractor> {
  return new Map([['.pdf', extractPdfText]]);
}
