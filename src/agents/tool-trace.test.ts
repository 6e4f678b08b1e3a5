import { describe, expect, it } from 'vitest';
import { formatToolTrace, toolTraceDetails } from './tool-trace.js';

describe('tool trace', () => {
  const short = {
    name: 'calculator',
    argumentsJson: '{"expression":"6*7"}',
    result: '42',
    isError: false,
  };
  const long = {
    name: 'fetch',
    argumentsJson: '{"url":"https://example.org"}',
    result: 'x'.repeat(500),
    isError: false,
  };

  it('shows short results as compact trace lines', () => {
    expect(formatToolTrace([short])).toBe('🔧 `calculator` `{"expression":"6*7"}` → 42\n\n');
  });

  it('moves long results into collapsible blocks instead of trace lines', () => {
    expect(formatToolTrace([short, long])).toBe('🔧 `calculator` `{"expression":"6*7"}` → 42\n\n');
    expect(toolTraceDetails([short, long])).toEqual([
      { summary: '🔧 fetch {"url":"https://example.org"} (500 characters)', text: 'x'.repeat(500) },
    ]);
  });
});
