import type { Tracer } from '@opentelemetry/api';
import type { Logger } from '@komrade/service-runtime';
import type { OperatorMetrics } from './operator-metrics.js';
import type { OperatorConfig } from './config.js';
import type { OperatorFederation } from './federation.js';
import type { MailSink } from './mail-sink.js';
import type { PostageGovernor } from './postage-governor.js';
import type { Forwarder } from './service-forwarder.js';

/** Everything the HTTP app needs; tests pass real or in-memory parts. */
export interface OperatorDeps {
  readonly config: OperatorConfig;
  readonly log: Logger;
  readonly mail: MailSink;
  readonly forward: Forwarder;
  readonly postage: PostageGovernor;
  readonly now: () => number;
  readonly ready: () => boolean;
  readonly metrics?: OperatorMetrics;
  readonly tracer?: Tracer;
  /** Federation (relay key, peers, link); undefined when this relay has no relay key. */
  readonly federation?: OperatorFederation;
}
