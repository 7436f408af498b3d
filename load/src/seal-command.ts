import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KomradeClient, newMailbox, type OwnedMailbox } from '@komrade/client';
import {
  decodeSessionGrant,
  encodeSessionOpen,
  encodeSessionProof,
  fromHex,
  initCrypto,
  isRelayName,
  PROOF_NONCE_SIZE,
  secureMessageSign,
  toHex,
} from '@komrade/protocol';
import { randomBytes } from 'node:crypto';
import { httpPool } from './http-load.js';
import { EnvelopePool } from './envelope-pool.js';
import { poolTransport } from './pool-transport.js';

export const SEAL_USAGE = `npm run bench -- seal --out DIR --count N [options]

Writes envelopes sealed with Themis (and stamped) for the k6 scenarios in load/k6/:
  DIR/envelopes.bin    each envelope as u32 big-endian length + Envelope bytes (the
                       framing EnvelopeBatch uses, so k6 batches by slicing)
  DIR/manifest.json    relay, counts, mailbox ids, when the envelopes expire
  DIR/sessions.json    with --operator: a fetch session per mailbox (id, token, expiry)

options:
  --count N            envelopes to seal (required)
  --mailboxes N        spread them over N new mailboxes (default 100)
  --relay NAME         relay name in every envelope (default: the operator's, else "local")
  --operator URL       register the mailboxes there and open sessions for fetch-and-ack
  --to-mailbox HEX     address every envelope to this one mailbox id instead ...
  --to-key HEX         ... whose public key is this (e.g. a collective's, issue 5)
  --postage-bits N     stamp difficulty (default: the operator's, else 0)
  --ttl-sec SEC        envelope lifetime (default 7 days)`;

export async function sealCommand(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      out: { type: 'string' },
      count: { type: 'string' },
      mailboxes: { type: 'string' },
      relay: { type: 'string' },
      operator: { type: 'string' },
      'to-mailbox': { type: 'string' },
      'to-key': { type: 'string' },
      'postage-bits': { type: 'string' },
      'ttl-sec': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${SEAL_USAGE}\n`);
    return;
  }
  const count = Number(values.count);
  if (!values.out || !Number.isInteger(count) || count < 1)
    throw new Error(`seal needs --out DIR and --count N\n\n${SEAL_USAGE}`);
  const ttlSec = values['ttl-sec'] === undefined ? 7 * 86400 : Number(values['ttl-sec']);
  if (!Number.isInteger(ttlSec) || ttlSec < 60) throw new Error('--ttl-sec must be >= 60');
  await initCrypto();

  const pool = values.operator ? httpPool(values.operator, 8) : undefined;
  const client = pool ? new KomradeClient({ transport: poolTransport(pool) }) : undefined;
  try {
    const info = client ? await client.relayInfo() : undefined;
    const relay = values.relay ?? info?.relay ?? 'local';
    if (!isRelayName(relay)) throw new Error(`--relay: "${relay}" is not a relay name`);
    const bits =
      values['postage-bits'] === undefined
        ? (info?.postageBits ?? 0)
        : Number(values['postage-bits']);
    if (!Number.isInteger(bits) || bits < 0 || bits > 28)
      throw new Error('--postage-bits must be 0..28');

    let owned: OwnedMailbox[] = [];
    let targets: { id: Uint8Array; publicKey: Uint8Array }[];
    if (values['to-mailbox'] || values['to-key']) {
      if (!values['to-mailbox'] || !values['to-key'])
        throw new Error('--to-mailbox and --to-key go together');
      const id = fromHex(values['to-mailbox']);
      const publicKey = fromHex(values['to-key']);
      if (!id || !publicKey) throw new Error('--to-mailbox and --to-key must be hex');
      targets = [{ id, publicKey }];
    } else {
      const n = Number(values.mailboxes ?? 100);
      if (!Number.isInteger(n) || n < 1) throw new Error('--mailboxes must be >= 1');
      owned = Array.from({ length: n }, () => newMailbox(relay));
      targets = owned.map((m) => ({ id: m.address.id, publicKey: m.keys.publicKey }));
    }

    const envPool = new EnvelopePool();
    let set;
    const t0 = performance.now();
    try {
      set = await envPool.make(
        { relay, targets, count, sealed: count, postageBits: bits, ttlSec },
        (n) => process.stderr.write(`\rsealed ${n}/${count}`),
      );
    } finally {
      await envPool.close();
    }
    process.stderr.write(
      `\rsealed ${count} envelopes in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );

    await mkdir(values.out, { recursive: true });
    const total = set.bytes.reduce((a, b) => a + b.length + 4, 0);
    const file = new Uint8Array(total);
    const view = new DataView(file.buffer);
    let at = 0;
    for (const b of set.bytes) {
      view.setUint32(at, b.length);
      file.set(b, at + 4);
      at += b.length + 4;
    }
    await writeFile(join(values.out, 'envelopes.bin'), file);
    const expiresAt = new Date(
      Math.floor((Date.now() + ttlSec * 1000) / 3_600_000) * 3_600_000,
    ).toISOString();
    await writeFile(
      join(values.out, 'manifest.json'),
      `${JSON.stringify(
        {
          format: 'u32be length + Envelope, repeated',
          relay,
          count,
          envelopeBytes: set.bytes[0]?.length ?? 0,
          postageBits: bits,
          createdAt: new Date().toISOString(),
          expiresAt,
          mailboxes: targets.map((t) => toHex(t.id)),
        },
        null,
        2,
      )}\n`,
    );

    if (client && owned.length > 0) {
      const sessions: { id: string; token: string; expiresAt: string }[] = [];
      for (const m of owned) await client.createMailbox(m);
      // KomradeClient keeps its session tokens private: open them through the wire API, as it does
      for (const m of owned) sessions.push(await openSession(values.operator as string, m));
      await writeFile(join(values.out, 'sessions.json'), `${JSON.stringify(sessions, null, 2)}\n`);
      process.stderr.write(`registered ${owned.length} mailboxes and opened sessions\n`);
    }
    process.stderr.write(`wrote ${values.out}/envelopes.bin, manifest.json\n`);
  } finally {
    await pool?.close();
  }
}

/** Opens a session for a mailbox the way the SDK does, keeping the token for k6. */
async function openSession(
  operator: string,
  m: OwnedMailbox,
): Promise<{ id: string; token: string; expiresAt: string }> {
  const proof = encodeSessionProof({
    mailbox: m.address,
    timestampMs: Date.now(),
    nonce: new Uint8Array(randomBytes(PROOF_NONCE_SIZE)),
  });
  const signed = secureMessageSign(m.keys.privateKey, proof);
  if (!signed.ok) throw new Error(`cannot sign a session proof: ${signed.code}`);
  const res = await fetch(`${operator.replace(/\/+$/, '')}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: encodeSessionOpen({ id: m.address.id, signedProof: signed.value }),
  });
  const grant = decodeSessionGrant(new Uint8Array(await res.arrayBuffer()));
  if (!res.ok || !grant.ok) throw new Error(`session refused (HTTP ${res.status})`);
  return {
    id: toHex(m.address.id),
    token: toHex(grant.value.token),
    expiresAt: new Date(Date.now() + grant.value.ttlSec * 1000).toISOString(),
  };
}
