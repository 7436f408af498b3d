// Soak: mixed traffic at a modest rate for a long time (default 10 minutes); watch the
// services' RSS (process_resident_memory_bytes, or ps) and Redis used_memory for growth.
// Needs RATE x SOAK_DURATION envelopes sealed, and sessions that outlive the soak: run
// the relay with KOMRADE_SESSION_TTL_SEC above the soak length.
import { sleep } from 'k6';
import type { Options } from 'k6/options';
import { arrivalRate, constantVus } from './lib/scenarios.ts';
import { env, envNumber, loadEnvelopes, loadSessions } from './lib/config.ts';
import { fetchAndAck, postNext, sessionFor } from './lib/steps.ts';

const file = loadEnvelopes();
const sessions = loadSessions();
const DURATION = env('SOAK_DURATION', '10m');

const posting = arrivalRate({
  executor: 'constant-arrival-rate',
  exec: 'post',
  rate: envNumber('RATE', 200),
  timeUnit: '1s',
  duration: DURATION,
  preAllocatedVUs: envNumber('VUS', 32),
  maxVUs: envNumber('MAX_VUS', 256),
});

const reading = constantVus({
  executor: 'constant-vus',
  exec: 'read',
  vus: envNumber('READERS', 4),
  duration: DURATION,
});

export const options: Options = {
  scenarios: { posting, reading },
  thresholds: {
    'http_req_duration{name:POST /v1/mail}': [`p(99)<${env('P99_MS', '50')}`],
    http_req_failed: ['rate<0.001'],
    komrade_envelopes_exhausted: ['count==0'],
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

export function post(): void {
  postNext(file, 1);
}

export function read(): void {
  if (fetchAndAck(sessionFor(sessions), envNumber('PAGE', 100)) === 0) sleep(0.2);
}
