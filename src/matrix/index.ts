/**
 * The Matrix layer: capability interfaces, the matrix-bot-sdk adapter, account provisioning,
 * Markdown rendering and event decoding. The only folder that imports matrix-bot-sdk.
 */
export type {
  AccountCredentials,
  BackfillOptions,
  BotClient,
  CreateRoomOptions,
  DownloadedMedia,
  JoinedRoomUpdate,
  MediaReader,
  MediaSender,
  MessageEditor,
  MessageSender,
  OutgoingFile,
  OutgoingText,
  ProfileEditor,
  RawEvent,
  Reactor,
  RoomDirectory,
  RoomInvite,
  RoomMembership,
  SendOptions,
  SyncBatch,
  SyncOptions,
  SyncSource,
  TimelineSource,
  TypingIndicator,
} from './types.js';
export {
  MatrixRequestError,
  isTransientMatrixError,
  matrixErrorFromResponse,
  toMatrixRequestError,
} from './errors.js';
export type { MatrixErrorCode, MatrixRequestErrorDetails } from './errors.js';
export { loadBotSdk } from './bot-sdk-loader.js';
export type {
  EncryptionSupport,
  LoadBotSdkOptions,
  LoadedBotSdk,
  ModuleRequire,
} from './bot-sdk-loader.js';
export { BotSdkClient, SYNC_HTTP_MARGIN_MS } from './bot-sdk-client.js';
export { createCryptoContext, disabledCryptoContext, hasCryptoStore } from './crypto-context.js';
export type { CryptoBackend, CryptoContext, CryptoContextOptions } from './crypto-context.js';
export { EncryptionHealthBoard } from './encryption-health.js';
export type { EncryptionStatus, EncryptionStatusSource } from './encryption-health.js';
export { encryptAttachment, mediaSourceOf } from './media-crypto.js';
export type { EncryptedFileContent, MediaSource } from './media-crypto.js';
export { createBotSdkClient } from './create-bot-sdk-client.js';
export type { BotSdkClientOptions } from './create-bot-sdk-client.js';
export { provisionAccount } from './account-provisioner.js';
export type {
  ProvisionAccountOptions,
  ProvisionedAccount,
  ProvisionOutcome,
  RegistrationOptions,
} from './account-provisioner.js';
export type { FetchLike } from './matrix-http.js';
export { pillHref, renderMarkdown, renderPlain } from './markdown.js';
export type { RenderedText, RenderOptions } from './markdown.js';
export {
  STREAM_STATUS_KEY,
  buildEditContent,
  buildFileContent,
  buildMessageContent,
  buildReactionContent,
} from './message-content.js';
export type { EventContent } from './message-content.js';
export {
  decodeEvent,
  isQuorumStreaming,
  MAX_MENTIONED_USERS,
  pillsIn,
  streamStatusOf,
} from './event-decoder.js';
export { linkHrefs, MAX_SCANNED_HTML_CHARS, MAX_SCANNED_LINKS } from './html-links.js';
export type { LinkScanLimits } from './html-links.js';
export type {
  DecodedEdit,
  DecodedEncrypted,
  DecodedEnvelope,
  DecodedEvent,
  DecodedMalformed,
  DecodedMembership,
  DecodedMessage,
  DecodedOther,
  DecodedReaction,
  DecodedRedaction,
  Membership,
  MessageMentions,
  MessageText,
} from './event-decoder.js';
export { DEFAULT_TIMELINE_LIMIT, TIMELINE_EVENT_TYPES } from './sync-response.js';
