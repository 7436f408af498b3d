export { socksTransport } from './socks-transport.js';
export type { SocksTransportOptions } from './socks-transport.js';
