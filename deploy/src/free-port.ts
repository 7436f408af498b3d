import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago on `host`. Another process can take it before
 * the caller binds it, so callers retry on "address in use".
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        if (port > 0) resolve(port);
        else reject(new Error(`could not find a free port on ${host}`));
      });
    });
  });
}
