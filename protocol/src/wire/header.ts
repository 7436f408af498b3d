import { MAGIC, PROTOCOL_VERSION } from '../version.js';
import type { Reader } from './reader.js';
import { WireError } from './wire-error.js';
import type { Writer } from './writer.js';

/**
 * Message type tags. Values are never reused; see SPEC.md "Message types".
 */
export const MessageType = Object.freeze({
  Envelope: 0x01,
  EnvelopeBatch: 0x02,
  SealedInner: 0x03,
  SignedBody: 0x04,
  MailboxCreate: 0x10,
  SessionOpen: 0x11,
  SessionProof: 0x12,
  SessionGrant: 0x13,
  FetchRequest: 0x14,
  FetchResponse: 0x15,
  AckRequest: 0x16,
  AckResponse: 0x17,
  Accepted: 0x18,
  DirectoryEntry: 0x20,
  DirectoryRegister: 0x21,
  DirectoryLookup: 0x22,
  DirectoryRecord: 0x23,
  ContactRequest: 0x24,
  ContactAccept: 0x25,
  VerifyStep: 0x26,
  CollectiveRequest: 0x30,
  CollectiveCreate: 0x31,
  CollectiveJoin: 0x32,
  CollectiveVouch: 0x33,
  CollectiveLeave: 0x34,
  CollectivePolicyVote: 0x35,
  CollectiveShow: 0x36,
  CollectiveView: 0x37,
  CollectiveResult: 0x38,
  VouchCountQuery: 0x39,
  VouchCount: 0x3a,
  FanoutQuery: 0x3b,
  FanoutMembers: 0x3c,
  CollectiveRecord: 0x3d,
  CollectiveKeyGrant: 0x3e,
  Post: 0x40,
  WorldPost: 0x41,
  WorldPostBody: 0x42,
  WorldPublish: 0x43,
  WorldListRequest: 0x44,
  WorldListResponse: 0x45,
  RelayDescriptor: 0x50,
  RelayDescriptorRecord: 0x51,
  RelayStatement: 0x52,
  RelayMessage: 0x53,
  RelayMailReceipt: 0x54,
  RemoteLookup: 0x55,
  RemoteCollective: 0x56,
  RelayFanout: 0x57,
  ErrorReply: 0x7f,
});
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Size of the common header: magic (2), version (1), type (1). */
export const HEADER_SIZE = 4;

/*
 * Every message opens with:
 *  0               1               2               3
 * +---------------+---------------+---------------+---------------+
 * |          magic "KM"           |    version    |     type      |
 * +---------------+---------------+---------------+---------------+
 */
export function writeHeader(w: Writer, type: MessageType): void {
  w.u16(MAGIC).u8(PROTOCOL_VERSION).u8(type);
}

/** Checks magic, then version, then type, in that order. */
export function readHeader(r: Reader, type: MessageType): void {
  if (r.u16('magic') !== MAGIC) throw new WireError('ERR_WIRE_MAGIC', 'magic');
  if (r.u8('version') !== PROTOCOL_VERSION) throw new WireError('ERR_WIRE_VERSION', 'version');
  if (r.u8('type') !== type) throw new WireError('ERR_WIRE_TYPE', 'type');
}
