import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  MAIL_CONSUMER,
  SERVICES,
  STREAMS,
  SUBJECTS,
  healthSubject,
  queueGroup,
} from '../src/index.js';

const SPEC = readFileSync(new URL('../../SPEC.md', import.meta.url), 'utf8');

describe('subjects', () => {
  test('subjects - names are pinned, versioned and scoped under komrade.v1', () => {
    assert.deepEqual(
      { ...SUBJECTS },
      {
        mailInbound: 'komrade.v1.mail.inbound',
        mailboxCreate: 'komrade.v1.mailbox.create',
        mailboxSession: 'komrade.v1.mailbox.session',
        mailboxFetch: 'komrade.v1.mailbox.fetch',
        mailboxAck: 'komrade.v1.mailbox.ack',
        opsPing: 'komrade.v1.ops.ping',
        directoryRegister: 'komrade.v1.directory.register',
        directoryLookup: 'komrade.v1.directory.lookup',
        mailFanout: 'komrade.v1.mail.fanout',
        mailDelivery: 'komrade.v1.mail.delivery',
        collectiveRemote: 'komrade.v1.collective.remote',
        collectiveRequest: 'komrade.v1.collective.request',
        collectiveShow: 'komrade.v1.collective.show',
        collectiveCount: 'komrade.v1.collective.count',
        collectiveFanout: 'komrade.v1.collective.fanout',
        worldPublish: 'komrade.v1.world.publish',
        worldList: 'komrade.v1.world.list',
      },
    );
    assert.ok(Object.isFrozen(SUBJECTS));
  });

  test('subjects - no subject has a wildcard or room for an identifier', () => {
    const all = [...Object.values(SUBJECTS), ...SERVICES.map(healthSubject)];
    for (const s of all) {
      assert.match(s, /^komrade\.v1(?:\.[a-z]+)+$/, s);
      assert.ok(!/[*>]/.test(s), s);
    }
    assert.equal(new Set(all).size, all.length);
  });

  test('subjects - services, health subjects and queue groups', () => {
    assert.deepEqual([...SERVICES], ['operator', 'sorter', 'vouch', 'purge']);
    for (const s of SERVICES) {
      assert.equal(healthSubject(s), `komrade.v1.health.${s}`);
      assert.equal(queueGroup(s), s);
    }
  });

  test('subjects - the mail stream captures exactly the inbound, fan-out and delivery mail subjects; the sorter pulls it', () => {
    assert.equal(STREAMS.mail.name, 'KOMRADE_MAIL');
    assert.deepEqual(
      [...STREAMS.mail.subjects],
      [SUBJECTS.mailInbound, SUBJECTS.mailFanout, SUBJECTS.mailDelivery],
    );
    assert.equal(MAIL_CONSUMER, 'sorter');
  });

  test('subjects - every subject, the stream and the consumer are documented in SPEC.md', () => {
    const names = [
      ...Object.values(SUBJECTS),
      ...SERVICES.map(healthSubject),
      STREAMS.mail.name,
      `"${MAIL_CONSUMER}"`,
    ];
    const missing = names.filter((n) => !SPEC.includes(n));
    assert.deepEqual(missing, []);
  });
});
