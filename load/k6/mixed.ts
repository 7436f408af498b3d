// Mixed traffic: posting at a constant rate while readers fetch and ack, as on a live
// relay. Needs a seal directory made with --operator (envelopes.bin and sessions.json
// for the same mailboxes).
import { sleep } from 'k6';
import type { Options } from 'k6/options';
import { arrivalRate, constantVus } from './lib/scenarios.ts';
import { env, envNumber, loadEnvelopes, loadSessions } from './lib/config.ts';
import { fetchAndAck, postNext, sessionFor } from './lib/steps.ts';

const file = loadEnvelopes();
const sessions = loadSessions();
const DURATION = env('DURATION', '120s');

const posting = arrivalRate({
  executor: 'constant-arrival-rate',
  exec: 'post',
  rate: envNumber('RATE', 500),
  timeUnit: '1s',
  duration: DURATION,
  preAllocatedVUs: envNumber('VUS', 64),
  maxVUs: envNumber('MAX_VUS', 512),
});

const reading = constantVus({
  executor: 'constant-vus',
  exec: 'read',
  vus: envNumber('READERS', 8),
  duration: DURATION,
});

export const options: Options = {
  scenarios: { posting, reading },
  thresholds: {
    'http_req_duration{name:POST /v1/mail}': [`p(99)<${env('P99_MS', '50')}`],
    http_req_failed: ['rate<0.01'],
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

export function post(): void {
  postNext(file, envNumber('BATCH', 1));
}

export function read(): void {
  if (fetchAndAck(sessionFor(sessions), envNumber('PAGE', 100)) === 0) sleep(0.1);
}
