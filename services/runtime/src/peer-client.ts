import { request as httpRequest, type Agent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import {
  fail,
  isErrorCode,
  ok,
  openRelayMessage,
  RELAY_NONCE_SIZE,
  RelayKind,
  sealRelayMessage,
  type KeyPair,
  type Result,
} from '@komrade/protocol';
import { SocksProxyAgent } from 'socks-proxy-agent';
import type { Peer } from './relay-config.js';

/** The request kinds a relay sends, with the route and the kind of the answer expected. */
const ROUTES = {
  [RelayKind.MailRequest]: { path: '/v1/relay/mail', answer: RelayKind.MailReceipt },
  [RelayKind.LookupRequest]: { path: '/v1/relay/lookup', answer: RelayKind.LookupAnswer },
  [RelayKind.FanoutRequest]: { path: '/v1/relay/fanout', answer: RelayKind.FanoutReceipt },
  [RelayKind.CollectiveRequest]: {
    path: '/v1/relay/collective',
    answer: RelayKind.CollectiveAnswer,
  },
} as const;

export interface PeerClientOptions {
  /** This relay's name and key: every request is signed with it. */
  readonly relayName: string;
  readonly keys: KeyPair;
  /** socks5h://host:port: every request goes through Tor; unset: direct (tests, loopback). */
  readonly socksUrl?: string | undefined;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

/**
 * One side of the authenticated link between relays (SPEC.md section 19.3): signs each
 * request (one Themis sign), and accepts an answer only when it is signed by the key with
 * the peer's configured fingerprint, addressed to us, for this request's nonce (one
 * verify). Everything else is a typed failure: the peer's own error code for an unsigned
 * HTTP error, `ERR_PEER_AUTH` for a bad signature, `ERR_PEER_UNREACHABLE` when nothing
 * usable came back.
 */
export class PeerClient {
  private readonly agent: Agent | undefined;
  private readonly now: () => number;

  constructor(private readonly o: PeerClientOptions) {
    this.now = o.now ?? Date.now;
    // One SOCKS agent for all peers; Tor isolates streams per destination anyway.
    this.agent = o.socksUrl ? new SocksProxyAgent(o.socksUrl, { timeout: o.timeoutMs }) : undefined;
  }

  /** Sends `body` as a request of `kind` to `peer`; resolves with the verified answer body. */
  async send(peer: Peer, kind: keyof typeof ROUTES, body: Uint8Array): Promise<Result<Uint8Array>> {
    const route = ROUTES[kind];
    const nonce = new Uint8Array(randomBytes(RELAY_NONCE_SIZE));
    const sealed = sealRelayMessage(
      this.o.keys,
      { kind, from: this.o.relayName, to: peer.name, timestampMs: this.now(), nonce },
      body,
    );
    if (!sealed.ok) return sealed;
    let res: { status: number; body: Uint8Array };
    try {
      res = await this.post(new URL(route.path, `${peer.url}/`), sealed.value);
    } catch {
      return fail('ERR_PEER_UNREACHABLE');
    }
    if (res.status !== 200) return fail(errorCodeOf(res.body) ?? 'ERR_PEER_UNREACHABLE');
    const opened = openRelayMessage(res.body, {
      me: this.o.relayName,
      kind: route.answer,
      nowMs: this.now(),
      nonce,
      peerByFingerprint: (fp) => (fp === peer.fingerprint ? peer.name : undefined),
    });
    if (!opened.ok) return fail(opened.code === 'ERR_PEER_STALE' ? opened.code : 'ERR_PEER_AUTH');
    return ok(opened.value.body);
  }

  private post(url: URL, body: Uint8Array): Promise<{ status: number; body: Uint8Array }> {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          ...(this.agent ? { agent: this.agent } : {}),
          timeout: this.o.timeoutMs,
          headers: { 'content-type': 'application/octet-stream', 'content-length': body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            resolve({
              status: res.statusCode ?? 0,
              body: new Uint8Array(Buffer.concat(chunks)),
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    });
  }
}

/** The registry code of an operator's JSON error body, if it is one. */
function errorCodeOf(bytes: Uint8Array) {
  try {
    const j = JSON.parse(Buffer.from(bytes).toString('utf8')) as { error?: { code?: unknown } };
    const code = j.error?.code;
    return isErrorCode(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
