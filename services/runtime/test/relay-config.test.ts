import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { generateKeyPair, initCrypto, relayFingerprint, type KeyPair } from '@komrade/protocol';
import {
  federationConfig,
  formatPeers,
  formatRelayKey,
  parsePeers,
  parseRelayKey,
} from '../src/relay-config.js';

const FP = 'ab'.repeat(32);
const base = {
  KOMRADE_RELAY_URL: '',
  KOMRADE_PEERS: '',
  KOMRADE_PEER_POSTAGE_BITS: 12,
};

describe('federation configuration', () => {
  let keys: KeyPair;
  before(async () => {
    await initCrypto();
    keys = generateKeyPair();
  });

  test('relay key - base64 and hex of private then public key parse back; other lengths do not', () => {
    const b64 = formatRelayKey(keys);
    assert.deepEqual(parseRelayKey(b64), keys);
    const hex = Buffer.concat([keys.privateKey, keys.publicKey]).toString('hex');
    assert.deepEqual(parseRelayKey(hex), keys);
    assert.equal(parseRelayKey(Buffer.from(keys.publicKey).toString('base64')), undefined);
    assert.equal(parseRelayKey('not a key!'), undefined);
  });

  test('peers - name=url#fingerprint lists parse, round-trip, and refuse malformed or repeated entries', () => {
    const peers = [
      { name: 'red.example', url: 'http://abc.onion', fingerprint: FP },
      { name: 'blue', url: 'http://127.0.0.1:8081', fingerprint: 'cd'.repeat(32) },
    ];
    assert.deepEqual(parsePeers(formatPeers(peers)), { peers });
    assert.deepEqual(parsePeers(''), { peers: [] });
    assert.deepEqual(parsePeers(' blue=http://127.0.0.1:1/#' + FP + ' '), {
      peers: [{ name: 'blue', url: 'http://127.0.0.1:1', fingerprint: FP }],
    });
    for (const bad of [
      'blue=http://x#' + FP.slice(2),
      'blue=ftp://x#' + FP,
      'Blue=http://x#' + FP,
      'blue=http://x',
      `blue=http://x#${FP},blue=http://y#${FP}`,
      '-blue=http://x#' + FP,
    ])
      assert.ok('problem' in parsePeers(bad), bad);
  });

  test('federation - peers need a relay key, an onion peer needs SOCKS, and this relay is no peer', () => {
    const onion = `red=http://abc.onion#${FP}`;
    const noKey = federationConfig('home', { ...base, KOMRADE_PEERS: onion });
    assert.equal(noKey.problems.length, 2);
    const key = formatRelayKey(keys);
    const ok = federationConfig('home', {
      ...base,
      KOMRADE_RELAY_KEY: key,
      KOMRADE_PEERS: onion,
      KOMRADE_RELAY_SOCKS: 'socks5h://127.0.0.1:9050',
    });
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.config.peers[0]?.name, 'red');
    assert.equal(relayFingerprint(ok.config.relayKey?.publicKey ?? new Uint8Array()).length, 64);
    const self = federationConfig('red', {
      ...base,
      KOMRADE_RELAY_KEY: key,
      KOMRADE_PEERS: `red=http://127.0.0.1:1#${FP}`,
    });
    assert.match(self.problems.join(), /is this relay/);
  });
});
