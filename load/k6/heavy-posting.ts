// Heavy posting: pre-sealed envelopes into many mailboxes at a constant arrival rate
// (open model: requests start on schedule whether or not the relay keeps up).
//   npm run bench -- seal --out sealed --count 200000 --mailboxes 1000 --operator $KOMRADE_URL
//   k6 run -e KOMRADE_URL=... -e KOMRADE_SEALED=sealed -e RATE=2000 load/k6/heavy-posting.ts
// RATE x DURATION x BATCH must not exceed the sealed count (komrade_envelopes_exhausted
// counts iterations that found none left).
import type { Options } from 'k6/options';
import { arrivalRate } from './lib/scenarios.ts';
import { envNumber, env, loadEnvelopes } from './lib/config.ts';
import { postNext } from './lib/steps.ts';

const file = loadEnvelopes();
const BATCH = envNumber('BATCH', 1);

export const options: Options = {
  scenarios: {
    posting: arrivalRate({
      executor: 'constant-arrival-rate',
      exec: 'post',
      rate: envNumber('RATE', 1000),
      timeUnit: '1s',
      duration: env('DURATION', '60s'),
      preAllocatedVUs: envNumber('VUS', 64),
      maxVUs: envNumber('MAX_VUS', 512),
    }),
  },
  thresholds: {
    // the target at half of the maximum rate; at higher rates read, don't gate
    'http_req_duration{name:POST /v1/mail}': [`p(99)<${env('P99_MS', '50')}`],
    http_req_failed: ['rate<0.01'],
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

export function post(): void {
  postNext(file, BATCH);
}
