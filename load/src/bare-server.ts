// Baseline server, run as its own process like the operator: fastify answering 202 to a
// raw-bytes POST, with the operator's body handling (octet-stream parsed as a Buffer) and
// nothing else. Prints {"port":N} on stdout once listening; stops on SIGTERM/SIGINT.
import { fastify } from 'fastify';

const app = fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => {
  done(null, body);
});
// the operator's 202 carries 22 bytes (one accepted id); answer the same size
const ACCEPTED = Buffer.alloc(22);
app.post('/bare', async (_req, reply) =>
  reply.code(202).type('application/octet-stream').send(ACCEPTED),
);
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
process.stdout.write(
  `${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`,
);
const stop = (): void => {
  void app.close();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
