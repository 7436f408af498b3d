// Fetch-and-ack: every VU drains mailboxes page by page and acks each page (no
// decryption: k6 has no Themis, and opening mail is the client's cost, not the relay's).
// Needs sessions.json, i.e. seal with --operator; sessions live KOMRADE_SESSION_TTL_SEC
// (default 10 minutes) on the relay, so run this soon after sealing. Fill the mailboxes
// first (heavy-posting.ts) or run mixed.ts.
import { sleep } from 'k6';
import type { Options } from 'k6/options';
import { constantVus } from './lib/scenarios.ts';
import { env, envNumber, loadSessions } from './lib/config.ts';
import { fetchAndAck, sessionFor } from './lib/steps.ts';

const sessions = loadSessions();
const PAGE = envNumber('PAGE', 100);

export const options: Options = {
  scenarios: {
    drain: constantVus({
      executor: 'constant-vus',
      exec: 'drain',
      vus: envNumber('VUS', 32),
      duration: env('DURATION', '60s'),
    }),
  },
  thresholds: { http_req_failed: ['rate<0.01'] },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

export function drain(): void {
  const remaining = fetchAndAck(sessionFor(sessions), PAGE);
  // an empty mailbox: do not spin on it
  if (remaining === 0) sleep(0.05);
}
