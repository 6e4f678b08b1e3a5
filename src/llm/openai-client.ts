import OpenAI from 'openai';
import { silentLogger, type Logger } from '../shared/index.js';
import { sdkLoggerFor, type SdkErrorClasses } from './sdk-support.js';

/**
 * An OpenAI SDK client for one endpoint. Every credential-like option is passed explicitly
 * (null when unused) so the SDK never falls back to `OPENAI_*` environment variables; the
 * SDK's own retries are off (Quorum retries with its own policy).
 */
export function openAiClient(options: {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly log?: Logger | undefined;
  readonly defaultHeaders?: Readonly<Record<string, string>> | undefined;
  readonly fetch?: typeof fetch | undefined;
}): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    maxRetries: 0,
    timeout: options.timeoutMs,
    logLevel: 'warn',
    logger: sdkLoggerFor(options.log ?? silentLogger),
    ...(options.defaultHeaders === undefined ? {} : { defaultHeaders: options.defaultHeaders }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
}

/** The OpenAI SDK's error classes, for `mapSdkError`. */
export const OPENAI_ERRORS: SdkErrorClasses = {
  apiError: OpenAI.APIError,
  userAbortError: OpenAI.APIUserAbortError,
  connectionError: OpenAI.APIConnectionError,
  connectionTimeoutError: OpenAI.APIConnectionTimeoutError,
};
