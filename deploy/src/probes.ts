import { connect as connectTcp } from 'node:net';
import { connect as connectNats } from '@nats-io/transport-node';

/** True when a NATS server at `url` accepts a client connection and answers a flush. */
export async function natsAnswers(url: string, timeoutMs = 2000): Promise<boolean> {
  const nc = await connectNats({ servers: url, timeout: timeoutMs, reconnect: false });
  try {
    await nc.flush();
    return true;
  } finally {
    await nc.close();
  }
}

/** Sends PING over RESP and resolves true on +PONG (no client library needed). */
export function redisAnswersPing(
  port: number,
  host = '127.0.0.1',
  timeoutMs = 2000,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host, port });
    let reply = '';
    const done = (err: Error | undefined, ok = false): void => {
      socket.destroy();
      if (err) reject(err);
      else resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => {
      done(new Error(`redis at ${host}:${port} did not answer PING`));
    });
    socket.once('error', (e) => {
      done(e);
    });
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      reply += chunk;
      const end = reply.indexOf('\r\n');
      if (end >= 0) done(undefined, reply.slice(0, end) === '+PONG');
    });
  });
}
