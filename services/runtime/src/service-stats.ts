/** Per-endpoint request counts for ops status; keyed by subject (never by identifier). */
export class ServiceStats {
  private readonly endpoints = new Map<
    string,
    { requests: number; errors: number; totalMs: number }
  >();

  record(endpoint: string, ms: number, failed: boolean): void {
    let e = this.endpoints.get(endpoint);
    if (!e) {
      e = { requests: 0, errors: 0, totalMs: 0 };
      this.endpoints.set(endpoint, e);
    }
    e.requests++;
    e.totalMs += ms;
    if (failed) e.errors++;
  }

  snapshot(): Record<string, { requests: number; errors: number; avgMs: number }> {
    const out: Record<string, { requests: number; errors: number; avgMs: number }> = {};
    for (const [k, v] of this.endpoints)
      out[k] = {
        requests: v.requests,
        errors: v.errors,
        avgMs: v.requests ? v.totalMs / v.requests : 0,
      };
    return out;
  }
}
