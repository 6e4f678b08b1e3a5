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
