// One iteration of each kind of traffic, shared by the scenarios.
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { BASE_URL, BINARY, type Session } from './config.ts';
import { ackRequest, fetchRequest, fetchResponseIds, type EnvelopeFile } from './wire.ts';

export const envelopesAccepted = new Counter('komrade_envelopes_accepted');
export const messagesAcked = new Counter('komrade_messages_acked');
export const envelopesExhausted = new Counter('komrade_envelopes_exhausted');

/**
 * POSTs the next unused envelopes (`batch` per request) of the file. Every iteration of
 * a scenario takes its own slice, so no envelope is sent twice (a re-sent envelope would
 * be dropped as a duplicate and inflate the figures).
 */
export function postNext(file: EnvelopeFile, batch: number, offset = 0): void {
  const first = offset + exec.scenario.iterationInTest * batch;
  if (first >= file.count) {
    envelopesExhausted.add(1);
    return;
  }
  const body = batch === 1 ? file.envelope(first) : file.batch(first, batch);
  const res = http.post(`${BASE_URL}/v1/mail`, body, {
    ...BINARY,
    tags: { name: 'POST /v1/mail' },
  });
  if (check(res, { 'mail accepted (202)': (r) => r.status === 202 }))
    envelopesAccepted.add(Math.min(batch, file.count - first));
}

/** Fetches one page from a mailbox and acks it; returns how many were waiting after it. */
export function fetchAndAck(s: Session, page: number): number {
  const res = http.post(`${BASE_URL}/v1/fetch`, fetchRequest(s.id, s.token, page), {
    ...BINARY,
    responseType: 'binary',
    tags: { name: 'POST /v1/fetch' },
  });
  if (!check(res, { 'fetch ok (200)': (r) => r.status === 200 }) || res.body === null) return 0;
  const { remaining, ids } = fetchResponseIds(res.body);
  if (ids.length === 0) return remaining;
  const ack = http.post(`${BASE_URL}/v1/ack`, ackRequest(s.id, s.token, ids), {
    ...BINARY,
    tags: { name: 'POST /v1/ack' },
  });
  if (check(ack, { 'ack ok (200)': (r) => r.status === 200 })) messagesAcked.add(ids.length);
  return remaining;
}

/** The mailbox this VU works on now: VUs take mailboxes round-robin. */
export function sessionFor(sessions: readonly Session[]): Session {
  const s = sessions[(exec.vu.idInTest + exec.vu.iterationInScenario) % sessions.length];
  if (!s) throw new Error('no sessions: seal with --operator URL');
  return s;
}
