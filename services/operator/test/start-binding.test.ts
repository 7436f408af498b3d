import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@komrade/service-runtime';
import { operatorConfig } from '../src/config.js';
import { start } from '../src/service.js';

test('operator - refuses to start on a non-loopback address in production mode, before connecting anywhere', async () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
    const config = operatorConfig({
      KOMRADE_OPERATOR_HOST: host,
      KOMRADE_OPERATOR_PORT: '0',
      // nothing listens here: a refusal must come before any connection attempt
      KOMRADE_NATS_URLS: 'nats://127.0.0.1:1',
    });
    await assert.rejects(
      start(config, { log: createLogger('operator', 'silent') }),
      /refusing to listen/,
    );
  }
});
