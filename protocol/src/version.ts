/** Wire protocol version spoken by this build. Bumped only for incompatible changes. */
export const PROTOCOL_VERSION = 1;

/** Two magic bytes opening every Komrade binary message: "KM". */
export const MAGIC = 0x4b4d;

/**
 * Named feature versions (simplexmq style): the protocol version that introduced each.
 * See SPEC.md "Changelog".
 */
export const FEATURES = Object.freeze({
  sealedEnvelope: 1,
  mailboxSessions: 1,
  postage: 1,
  collectives: 1,
  worldPosts: 1,
});
