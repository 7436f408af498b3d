export { KomradeClient, senderIn } from './sdk/komrade-client.js';
export type {
  ClientOptions,
  OutgoingMessage,
  ReceivedMessage,
  RejectedMessage,
  ReceiveOptions,
  RelayInfo,
} from './sdk/komrade-client.js';
export { httpTransport, fetchTransport, errorFrom } from './sdk/transport.js';
export type { Transport, HttpTransportOptions } from './sdk/transport.js';
export { newMailbox, targetOf, describeMailbox } from './sdk/mailbox.js';
export type { OwnedMailbox, MailboxTarget } from './sdk/mailbox.js';
export { ReplayGuard } from './sdk/replay-guard.js';
export { randomBytes } from './sdk/random.js';
// accounts, directory, contacts (issue 4)
export { newAccount, serializeAccount, deserializeAccount } from './sdk/account.js';
export type {
  AccountState,
  Contact,
  PendingRequest,
  InboxMessage,
  QueuedVerifyStep,
} from './sdk/account.js';
export { Komrade, parseName, VERIFY_STEP_MAX_AGE_MS } from './sdk/komrade.js';
export { parseHandle, bareName } from './sdk/handle.js';
export type { Handle } from './sdk/handle.js';
export type { KomradeOptions, SyncReport, VerifyOptions } from './sdk/komrade.js';
export {
  KEYSTORE_FORMAT,
  sealAccount,
  openAccount,
  checkPassphrase,
} from './sdk/keystore-format.js';
export type { KeystoreKind, Unlocked } from './sdk/keystore-format.js';
// collectives, vouching and posts (issue 5)
export type { CollectiveMembership, StoredPost } from './sdk/account.js';
export { Collectives } from './sdk/collectives.js';
export type { CollectivesOptions, CollectiveSyncReport } from './sdk/collectives.js';
export { Feed } from './sdk/feed.js';
export type { FeedOptions, FeedReport } from './sdk/feed.js';
export {
  makePost,
  postContent,
  keepPost,
  nameChecker,
  publishWorldPost,
  listWorldPosts,
} from './sdk/posts.js';
export type { PostInput, FeedItem } from './sdk/posts.js';
