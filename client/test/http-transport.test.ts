import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KomradeError } from '@komrade/protocol';
import { httpTransport } from '../src/sdk/transport.js';

test('http transport - an .onion operator is refused before any DNS lookup or connection', () => {
  let fetched = false;
  const spy = (async () => {
    fetched = true;
    return new Response('');
  }) as typeof fetch;
  for (const url of [
    'http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion',
    'http://ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRSTUVWX.ONION.:80/',
  ])
    assert.throws(
      () => httpTransport({ baseUrl: url, fetch: spy }),
      (e: unknown) => e instanceof KomradeError && e.code === 'ERR_CLIENT_UNREACHABLE',
    );
  assert.equal(fetched, false);
});
