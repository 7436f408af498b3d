import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ContentKind, generateKeyPair } from '@komrade/protocol';
import { httpTransport, KomradeClient, newMailbox, senderIn, targetOf } from '@komrade/client';
import { useRelay } from '../src/relay-fixture.js';
import { findIdentifiers, hasIpAddress } from '../src/privacy-scan.js';
import { waitMailDrained } from '../src/store-scan.js';
import { parseProm, sumMetric as sum } from '../src/prometheus-text.js';

describe('observability (real servers)', () => {
  const fx = useRelay();

  async function scrape(): Promise<Record<string, { text: string; m: Map<string, number> }>> {
    const out: Record<string, { text: string; m: Map<string, number> }> = {};
    for (const [svc, url] of Object.entries(fx.relay.metricsUrls)) {
      const text = await (await fetch(url)).text();
      out[svc] = { text, m: parseProm(text) };
    }
    return out;
  }

  test('metrics move by the right amounts, traces follow an envelope, and nothing identifies anyone', async () => {
    assert.deepEqual(Object.keys(fx.relay.metricsUrls).sort(), [
      'operator',
      'purge',
      'sorter',
      'vouch',
    ]);
    const before = await scrape();
    const client = new KomradeClient({
      transport: httpTransport({ baseUrl: fx.relay.operatorUrl }),
    });
    const box = newMailbox('test');
    await client.createMailbox(box);
    const alice = generateKeyPair();
    const n = 25;
    const ids = await client.send(
      alice,
      Array.from({ length: n }, (_, i) => ({
        to: targetOf(box),
        kind: ContentKind.Text,
        content: new TextEncoder().encode(`m${i}`),
      })),
    );
    await waitMailDrained(fx.nats.url);
    const got = await client.receive(box, { acceptSender: senderIn([alice.publicKey]) });
    assert.equal(got.messages.length, n);
    // a bad request, to see an error code counted
    await fetch(`${fx.relay.operatorUrl}/v1/mail`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(8),
    });
    const after = await scrape();
    const delta = (svc: string, name: string, labels: Record<string, string> = {}) =>
      sum((after[svc] as { m: Map<string, number> }).m, name, labels) -
      sum((before[svc] as { m: Map<string, number> }).m, name, labels);

    assert.equal(delta('operator', 'komrade_envelopes_total', { outcome: 'accepted' }), n);
    assert.equal(delta('operator', 'komrade_envelopes_total', { outcome: 'ERR_WIRE_MAGIC' }), 1);
    assert.equal(
      delta('operator', 'komrade_http_requests_total', { route: '/v1/mail', status: '202' }),
      1,
    );
    assert.equal(delta('sorter', 'komrade_sorter_messages_total', { outcome: 'stored' }), n);
    assert.equal(delta('sorter', 'komrade_mailbox_writes_total'), n);
    assert.ok(
      delta('sorter', 'komrade_nats_requests_total', {
        endpoint: 'komrade.v1.mailbox.fetch',
        outcome: 'ok',
      }) >= 1,
    );
    assert.equal(delta('purge', 'komrade_acked_messages_total'), n);
    // one observation per stream message: the 25 envelopes of one POST are one batch
    assert.ok(
      sum(
        (after['sorter'] as { m: Map<string, number> }).m,
        'komrade_sort_duration_seconds_count',
      ) >= 1,
    );
    for (const svc of ['operator', 'sorter', 'purge']) {
      assert.ok(
        sum((after[svc] as { m: Map<string, number> }).m, 'komrade_process_resident_memory_bytes') >
          0,
        svc,
      );
    }
    assert.equal(
      sum((after['operator'] as { m: Map<string, number> }).m, 'komrade_postage_difficulty_bits'),
      2,
    );

    // one trace from the operator's POST to the sorter's write
    const spans = fx.relay.spans.getFinishedSpans();
    const mailSpan = spans.find(
      (s) => s.name === 'operator.mail' && s.attributes['komrade.envelopes'] === n,
    );
    assert.ok(mailSpan, 'operator.mail span');
    const sortSpans = spans.filter(
      (s) => s.name === 'sorter.sort' && s.spanContext().traceId === mailSpan.spanContext().traceId,
    );
    // group commit: the POST's envelopes reach the sorter as one batch, sorted in one span
    assert.equal(sortSpans.length, 1, 'the sort continues the operator trace');
    assert.equal(sortSpans[0]?.attributes['komrade.envelopes'], n);

    // privacy: no identifier in any metric series, span or log line
    const haystacks = [
      ...Object.values(after).map((s) => s.text),
      JSON.stringify(
        spans.map((s) => ({
          name: s.name,
          attributes: s.attributes,
          events: s.events,
          resource: s.resource.attributes,
        })),
      ),
      fx.relay.logs.text(),
    ].join('\n');
    const needles = [
      box.address.id,
      box.keys.publicKey,
      alice.publicKey,
      ...ids,
      ...got.messages.map((m) => m.opened.body.messageId),
    ];
    assert.deepEqual(
      findIdentifiers(haystacks, needles),
      [],
      'an identifier leaked into telemetry or logs',
    );
    const metricsAndSpans = haystacks.slice(0, haystacks.length - fx.relay.logs.text().length);
    assert.equal(hasIpAddress(metricsAndSpans), false, 'an IP address in metrics or spans');
  });
});
