export { PROTOCOL_VERSION, MAGIC, FEATURES } from './version.js';
export { ERRORS, ERROR_CODES, KomradeError, errorInfo, isErrorCode } from './errors.js';
export type { ErrorCode, ErrorInfo } from './errors.js';
export { ok, fail } from './result.js';
export type { Result } from './result.js';
export { bytesEqual } from './constant-time.js';
export {
  SERVICES,
  SUBJECTS,
  STREAMS,
  MAIL_CONSUMER,
  OUTBOUND_STREAM,
  RELAY_NONCE_STREAM,
  outboundSubject,
  outboundConsumer,
  healthSubject,
  queueGroup,
} from './subjects.js';
export type { ServiceName, HealthReply } from './subjects.js';
// wire
export { MessageType, HEADER_SIZE } from './wire/header.js';
export { WireError } from './wire/wire-error.js';
export {
  MAILBOX_ID_SIZE,
  MESSAGE_ID_SIZE,
  PUBLIC_KEY_SIZE,
  RELAY_NAME_MAX,
  isRelayName,
  toHex,
  fromHex,
  formatAddress,
  parseAddress,
} from './wire/address.js';
export type { MailboxAddress } from './wire/address.js';
export {
  PLAINTEXT_BUCKETS,
  SEALED_OVERHEAD,
  CIPHERTEXT_SIZES,
  MAX_PLAINTEXT,
  bucketFor,
} from './wire/padding.js';
export {
  POSTAGE_SIZE,
  encodeEnvelope,
  decodeEnvelope,
  envelopeIdOf,
  withPostage,
} from './wire/envelope.js';
export type { Envelope, DecodedEnvelope } from './wire/envelope.js';
export {
  MAX_BATCH,
  MAX_ENVELOPE_BYTES,
  encodeEnvelopeBatch,
  decodeEnvelopeBatch,
} from './wire/envelope-batch.js';
export { encodeSealedInner, decodeSealedInner, innerSize } from './wire/sealed-inner.js';
export type { SealedInner } from './wire/sealed-inner.js';
export { ContentKind, encodeSignedBody, decodeSignedBody } from './wire/signed-body.js';
export type { SignedBody } from './wire/signed-body.js';
export {
  SESSION_TOKEN_SIZE,
  PROOF_NONCE_SIZE,
  encodeMailboxCreate,
  decodeMailboxCreate,
  encodeSessionProof,
  decodeSessionProof,
  encodeSessionOpen,
  decodeSessionOpen,
  encodeSessionGrant,
  decodeSessionGrant,
} from './wire/mailbox-session.js';
export type {
  MailboxCreate,
  SessionProof,
  SessionOpen,
  SessionGrant,
} from './wire/mailbox-session.js';
export {
  MAX_FETCH,
  encodeFetchRequest,
  decodeFetchRequest,
  encodeFetchResponse,
  decodeFetchResponse,
  encodeAckRequest,
  decodeAckRequest,
  encodeAckResponse,
  decodeAckResponse,
  encodeAccepted,
  decodeAccepted,
} from './wire/fetch-ack.js';
export type {
  MailboxCredential,
  FetchRequest,
  FetchResponse,
  AckRequest,
} from './wire/fetch-ack.js';
export { encodeErrorReply, decodeErrorReply, isErrorReply } from './wire/error-reply.js';
// postage
export {
  MAX_DIFFICULTY,
  leadingZeroBits,
  postageBits,
  checkPostage,
  mintPostage,
  mintPostageAsync,
} from './postage.js';
// crypto
export { initCrypto } from './crypto/themis-init.js';
export { generateKeyPair, generateSymmetricKey, isPublicKey } from './crypto/keys.js';
export type { KeyPair } from './crypto/keys.js';
export {
  secureMessageEncrypt,
  secureMessageDecrypt,
  secureMessageSign,
  secureMessageVerify,
} from './crypto/secure-message.js';
export {
  cellSealWithKey,
  cellOpenWithKey,
  cellSealWithPassphrase,
  cellOpenWithPassphrase,
} from './crypto/secure-cell.js';
export { Comparator } from './crypto/secure-comparator.js';
// mail
export { sealMail } from './mail/seal.js';
export type { SealInput, Sealed } from './mail/seal.js';
export { openMail } from './mail/open.js';
export type { OpenedMail, OpenOptions } from './mail/open.js';
// mailbox store contract (Redis layout shared by sorter and purge)
export {
  MAILBOX_KEY_PREFIX,
  ACK_TOMBSTONE_MS,
  MAILBOX_SCRIPTS,
  EXPIRY_SCAN_PATTERN,
  mailboxKeys,
  sessionKey,
  nonceKey,
  keysFromExpiryKey,
} from './store/mailbox-layout.js';
export type { MailboxKeys } from './store/mailbox-layout.js';
// names, directory and contacts (issue 4)
export {
  KV_BUCKETS,
  directoryKey,
  collectiveKey,
  fanoutKey,
  tokenSetKey,
  vouchCountKey,
  collectiveNonceKey,
} from './subjects.js';
export {
  NAME_MIN,
  NAME_MAX,
  RESERVED_NAMES,
  isCanonicalName,
  normalizeName,
  checkRegistrable,
} from './names.js';
export {
  MAX_SIGNED_ENTRY,
  DIRECTORY_CLOCK_WINDOW_MS,
  REGISTRATION_EXTRA_BITS,
  encodeDirectoryEntry,
  decodeDirectoryEntry,
  encodeDirectoryRegister,
  decodeDirectoryRegister,
  registrationIdOf,
  encodeDirectoryLookup,
  decodeDirectoryLookup,
  encodeDirectoryRecord,
  decodeDirectoryRecord,
} from './wire/directory.js';
export type {
  DirectoryEntry,
  DirectoryRegister,
  DirectoryLookup,
  DirectoryRecord,
} from './wire/directory.js';
export { signDirectoryEntry, openDirectoryRecord } from './directory-proof.js';
export {
  MAX_NOTE_BYTES,
  MAX_VERIFY_PAYLOAD,
  VERIFY_RUN_ID_SIZE,
  VERIFY_STEPS,
  encodeContactRequest,
  decodeContactRequest,
  encodeContactAccept,
  decodeContactAccept,
  encodeVerifyStep,
  decodeVerifyStep,
} from './wire/contact.js';
export type { ContactMailbox, ContactRequest, ContactAccept, VerifyStep } from './wire/contact.js';
export {
  SAFETY_ITERATIONS,
  SAFETY_GROUPS,
  safetyFingerprint,
  safetyNumber,
  safetySecret,
  isVerifyInitiator,
} from './safety-number.js';
export type { SafetyNumber } from './safety-number.js';
// collectives, vouching and posts (issue 5)
export {
  MAX_POLICY_STEPS,
  policyProblem,
  quorumFor,
  formatPolicy,
  parsePolicy,
  samePolicy,
} from './wire/quorum-policy.js';
export type { QuorumPolicy } from './wire/quorum-policy.js';
export {
  MAX_COLLECTIVE_MEMBERS,
  MAX_CANDIDATES,
  MAX_PROPOSALS,
  MAX_SIGNED_ACTION,
  COLLECTIVE_CLOCK_WINDOW_MS,
  COLLECTIVE_NONCE_SIZE,
  CollectiveOutcome,
  encodeCollectiveCreate,
  decodeCollectiveCreate,
  encodeCollectiveJoin,
  decodeCollectiveJoin,
  encodeCollectiveVouch,
  decodeCollectiveVouch,
  encodeCollectiveLeave,
  decodeCollectiveLeave,
  encodeCollectivePolicyVote,
  decodeCollectivePolicyVote,
  encodeCollectiveAction,
  decodeCollectiveAction,
  isCollectiveActionType,
  encodeCollectiveRequest,
  decodeCollectiveRequest,
  collectiveRequestIdOf,
  encodeCollectiveResult,
  decodeCollectiveResult,
  encodeCollectiveShow,
  decodeCollectiveShow,
  encodeCollectiveView,
  decodeCollectiveView,
  encodeVouchCountQuery,
  decodeVouchCountQuery,
  encodeVouchCount,
  decodeVouchCount,
  encodeFanoutQuery,
  decodeFanoutQuery,
  encodeFanoutMembers,
  decodeFanoutMembers,
  encodeCollectiveRecord,
  decodeCollectiveRecord,
  encodeCollectiveKeyGrant,
  decodeCollectiveKeyGrant,
} from './wire/collective.js';
export type {
  CollectiveActionBase,
  CollectiveCreate,
  CollectiveJoin,
  CollectiveVouch,
  CollectiveLeave,
  CollectivePolicyVote,
  CollectiveAction,
  CollectiveActionType,
  CollectiveRequest,
  CollectiveResult,
  CollectiveShow,
  CollectiveView,
  PublicEntry,
  PolicyProposal,
  VouchCountQuery,
  RecordEntry,
  CollectiveRecord,
  CollectiveKeyGrant,
  FanoutTarget,
} from './wire/collective.js';
export {
  MAX_POST_CHARS,
  MAX_POST_TEXT_BYTES,
  MAX_POST_BYTES,
  AUTHOR_MAX,
  isAuthor,
  MAX_SIGNED_WORLD_POST,
  MAX_WORLD_PAGE,
  WORLD_DEFAULT_TTL_SEC,
  WORLD_CLOCK_WINDOW_MS,
  POST_EXTRA_BITS,
  ImageType,
  imageTypeOf,
  charCount,
  encodePost,
  checkedPost,
  decodePost,
  encodeWorldPostBody,
  decodeWorldPostBody,
  encodeWorldPost,
  decodeWorldPost,
  worldPostIdOf,
  encodeWorldPublish,
  decodeWorldPublish,
  encodeWorldListRequest,
  decodeWorldListRequest,
  encodeWorldListResponse,
  decodeWorldListResponse,
} from './wire/post.js';
export type {
  Post,
  WorldPostBody,
  WorldPost,
  WorldPublish,
  WorldListRequest,
  WorldListResponse,
} from './wire/post.js';
export {
  signCollectiveAction,
  openCollectiveRequest,
  signWorldPost,
  openWorldPost,
} from './collective-proof.js';
export type { SignedCollectiveAction } from './collective-proof.js';
export {
  WORLD_KEY_PREFIX,
  WORLD_SCRIPTS,
  WORLD_EXPIRY_SCAN_PATTERN,
  worldDayOf,
  worldKeys,
  worldKeysFromExpiryKey,
} from './store/world-layout.js';
export type { WorldKeys } from './store/world-layout.js';
// federation (issue 10)
export {
  RELAY_URL_MAX,
  MAX_RELAY_SIGNED,
  RELAY_NONCE_SIZE,
  RELAY_DIGEST_SIZE,
  MAX_RELAY_BODY,
  RelayKind,
  ReceiptOutcome,
  encodeRelayDescriptor,
  decodeRelayDescriptor,
  encodeRelayDescriptorRecord,
  decodeRelayDescriptorRecord,
  encodeRelayStatement,
  decodeRelayStatement,
  encodeRelayMessage,
  decodeRelayMessage,
  encodeRelayMailReceipt,
  decodeRelayMailReceipt,
  encodeRemoteLookup,
  decodeRemoteLookup,
} from './wire/relay.js';
export type {
  RelayDescriptor,
  RelayDescriptorRecord,
  RelayStatement,
  RelayMessage,
  ReceiptEntry,
  RemoteLookup,
} from './wire/relay.js';
export {
  MAX_REMOTE_COLLECTIVE_BODY,
  FanoutItemKind,
  encodeRemoteCollective,
  decodeRemoteCollective,
  encodeRelayFanout,
  decodeRelayFanout,
} from './wire/relay-collective.js';
export type { RemoteCollective, FanoutItem } from './wire/relay-collective.js';
export {
  RELAY_CLOCK_WINDOW_MS,
  relayFingerprint,
  relayKeyPairMatches,
  signRelayDescriptor,
  openRelayDescriptor,
  relayDigest,
  sealRelayMessage,
  openRelayMessage,
} from './relay-auth.js';
export type { OpenRelayOptions, OpenedRelayMessage } from './relay-auth.js';
