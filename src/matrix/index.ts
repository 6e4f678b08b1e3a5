export type {
  AccountCredentials,
  BackfillOptions,
  BotClient,
  CreateRoomOptions,
  JoinedRoomUpdate,
  MessageEditor,
  MessageSender,
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
export { decodeEvent } from './event-decoder.js';
export type {
  DecodedEdit,
  DecodedEvent,
  DecodedMembership,
  DecodedMessage,
  DecodedReaction,
  DecodedRedaction,
  MessageMentions,
  MessageText,
} from './event-decoder.js';
export { MatrixRequestError, isTransientMatrixError } from './errors.js';
export type { MatrixErrorCode } from './errors.js';
export { STREAM_STATUS_KEY } from './message-content.js';
export { provisionAccount } from './account-provisioner.js';
export type {
  ProvisionAccountOptions,
  ProvisionedAccount,
  ProvisionOutcome,
  RegistrationOptions,
} from './account-provisioner.js';
export { loadBotSdk } from './bot-sdk-loader.js';
export type { EncryptionSupport, LoadedBotSdk } from './bot-sdk-loader.js';
export { createBotSdkClient } from './create-bot-sdk-client.js';
export type { BotSdkClientOptions } from './create-bot-sdk-client.js';
