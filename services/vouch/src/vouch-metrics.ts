import type { Telemetry } from '@komrade/service-runtime';

type Meter = Telemetry['meter'];

/**
 * What vouch reports beyond the shared request metrics: admissions only. No label: an
 * admission's collective, member or voucher is never a label (SPEC 20.7, observability
 * rules).
 */
export class VouchMetrics {
  private readonly admissions: ReturnType<Meter['createCounter']>;

  constructor(meter: Meter) {
    this.admissions = meter.createCounter('komrade_vouch_admissions_total', {
      description: 'Candidates admitted into a collective (their vouches reached the quorum)',
    });
  }

  readonly admitted = (): void => {
    this.admissions.add(1);
  };
}
