export { KomradeClient, senderIn } from './sdk/komrade-client.js';
export type {
  ClientOptions,
  OutgoingMessage,
  ReceivedMessage,
  RejectedMessage,
  ReceiveOptions,
  RelayInfo,
} from './sdk/komrade-client.js';
export { httpTransport, errorFrom } from './sdk/transport.js';
export type { Transport, HttpTransportOptions } from './sdk/transport.js';
export { newMailbox, targetOf, describeMailbox } from './sdk/mailbox.js';
export type { OwnedMailbox, MailboxTarget } from './sdk/mailbox.js';
export { ReplayGuard } from './sdk/replay-guard.js';
export { randomBytes } from './sdk/random.js';
