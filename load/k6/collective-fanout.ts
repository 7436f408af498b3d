// Collective fan-out (PLACEHOLDER until issue 5): posts envelopes addressed to one
// collective's mailbox; the sorter is to write each into every member's mailbox. Written
// against issue 5's description (a post to @collective is one client request; the sorter
// asks vouch for the members and fans out with pipelined Redis writes). Until collectives
// exist the relay stores these in one ordinary mailbox and no fan-out happens.
//   npm run bench -- seal --out sealed-collective --count 5000 \
//     --to-mailbox <collective mailbox id hex> --to-key <collective public key hex>
//   k6 run -e KOMRADE_URL=... -e KOMRADE_SEALED=sealed-collective -e RATE=10 \
//     load/k6/collective-fanout.ts
// Fan-out deliveries/s = komrade_mailbox_writes_total rate on the sorter's /metrics.
import type { Options } from 'k6/options';
import { arrivalRate } from './lib/scenarios.ts';
import { env, envNumber, loadEnvelopes } from './lib/config.ts';
import { postNext } from './lib/steps.ts';

const file = loadEnvelopes();

export const options: Options = {
  scenarios: {
    fanout: arrivalRate({
      executor: 'constant-arrival-rate',
      exec: 'postToCollective',
      rate: envNumber('RATE', 10),
      timeUnit: '1s',
      duration: env('DURATION', '60s'),
      preAllocatedVUs: envNumber('VUS', 8),
      maxVUs: envNumber('MAX_VUS', 64),
    }),
  },
  thresholds: { http_req_failed: ['rate<0.01'] },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

export function postToCollective(): void {
  postNext(file, 1);
}
