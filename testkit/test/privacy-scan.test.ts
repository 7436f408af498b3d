import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { findIdentifiers, hasIpAddress } from '../src/privacy-scan.js';

const id = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

test('privacy guard - an identifier in a metric label is caught in every encoding', async () => {
  for (const form of [
    Buffer.from(id).toString('hex'),
    Buffer.from(id).toString('base64'),
    Buffer.from(id).toString('base64url'),
  ]) {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    provider.getMeter('t').createCounter('leaky_total').add(1, { mailbox: form });
    const { resourceMetrics } = await exporter.collect();
    const text = new PrometheusSerializer().serialize(resourceMetrics);
    assert.deepEqual(findIdentifiers(text, [id]), [0], `missed the ${form} form`);
    await provider.shutdown();
  }
});

test('privacy guard - clean text passes, and IP addresses are spotted', () => {
  assert.deepEqual(findIdentifiers('komrade_envelopes_total{outcome="accepted"} 3', [id]), []);
  assert.equal(hasIpAddress('peer="10.1.2.3"'), true);
  assert.equal(hasIpAddress('komrade_http_requests_total{route="/v1/mail",status="202"} 1'), false);
});
