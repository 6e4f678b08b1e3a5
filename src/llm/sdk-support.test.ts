import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { AbortReason } from '../shared/index.js';
import type { SdkErrorClasses } from './sdk-support.js';
import { mapSdkError } from './sdk-support.js';

const anthropicClasses: SdkErrorClasses = {
  apiError: Anthropic.APIError,
  userAbortError: Anthropic.APIUserAbortError,
  connectionError: Anthropic.APIConnectionError,
  connectionTimeoutError: Anthropic.APIConnectionTimeoutError,
};
const openAiClasses: SdkErrorClasses = {
  apiError: OpenAI.APIError,
  userAbortError: OpenAI.APIUserAbortError,
  connectionError: OpenAI.APIConnectionError,
  connectionTimeoutError: OpenAI.APIConnectionTimeoutError,
};
const options = { signal: undefined, nowMs: 0 };

describe('mapSdkError', () => {
  it('treats an error event inside a 200 stream as a server error', () => {
    const overloaded = new Anthropic.APIError(
      undefined,
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      undefined,
      undefined,
    );
    expect(mapSdkError(overloaded, anthropicClasses, options)).toMatchObject({
      code: 'server_error',
    });
  });

  it('returns the abort reason when our signal aborted, whatever the SDK threw', () => {
    const controller = new AbortController();
    const reason = new AbortReason('superseded');
    controller.abort(reason);
    const mapped = mapSdkError(new OpenAI.APIUserAbortError(), openAiClasses, {
      signal: controller.signal,
      nowMs: 0,
    });
    expect(mapped).toBe(reason);
  });

  it('reports an SDK abort we did not cause as aborted', () => {
    expect(mapSdkError(new OpenAI.APIUserAbortError(), openAiClasses, options)).toMatchObject({
      code: 'aborted',
    });
  });

  it('tells timeouts from other connection failures', () => {
    expect(
      mapSdkError(new OpenAI.APIConnectionTimeoutError(), openAiClasses, options),
    ).toMatchObject({ code: 'timeout' });
    expect(
      mapSdkError(new OpenAI.APIConnectionError({ message: 'reset' }), openAiClasses, options),
    ).toMatchObject({ code: 'connection' });
  });
});
