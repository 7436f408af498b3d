declare module 'cluster-key-slot' {
  /** Redis Cluster hash slot (0-16383) of a key, honouring {hash tags}. */
  // the package's own CommonJS default export, described as it is
  // eslint-disable-next-line no-restricted-syntax
  export default function calculateSlot(key: string | Buffer): number;
}
