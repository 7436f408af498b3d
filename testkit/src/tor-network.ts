// The private Tor network lives in deploy (npm start -- --onion-testnet uses it too).
export { startTorNetwork } from '@komrade/deploy';
export type { TorNetwork, TorNetworkOptions } from '@komrade/deploy';
