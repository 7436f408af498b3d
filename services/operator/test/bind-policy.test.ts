import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackOnly, listenTarget } from '../src/bind-policy.js';

test('bind policy - loopback addresses and unix sockets are allowed, anything else is not', () => {
  for (const h of [
    '127.0.0.1',
    '127.0.0.53',
    '::1',
    'localhost',
    'unix:/run/komrade.sock',
    '/tmp/op.sock',
  ])
    assert.equal(isLoopbackOnly(listenTarget(h, 80)), true, h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.org'])
    assert.equal(isLoopbackOnly(listenTarget(h, 80)), false, h);
});
