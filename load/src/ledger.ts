import { toHex } from '@komrade/protocol';

/**
 * Every envelope the operator accepted (202) in this run, and how often each came back
 * from a fetch: the loss and duplicate check. Ids are kept as hex strings (1M ids is
 * about 100 MB). Order does not matter: during the soak an envelope may be fetched
 * before the runner has recorded its 202, so the verdict is computed at the end.
 */
export class Ledger {
  private readonly acceptedIds = new Set<string>();
  private readonly fetches = new Map<string, number>();
  fetched = 0;

  get accepted(): number {
    return this.acceptedIds.size;
  }

  accept(id: Uint8Array): void {
    this.acceptedIds.add(toHex(id));
  }

  /** Records one fetched envelope id. */
  fetchedId(id: Uint8Array): void {
    this.fetched++;
    const k = toHex(id);
    this.fetches.set(k, (this.fetches.get(k) ?? 0) + 1);
  }

  /**
   * lost: accepted, never fetched. duplicated: fetches beyond the first of an id.
   * unexpected: fetched but never seen accepted (a 202 the runner did not receive).
   */
  verdict(): { lost: number; duplicated: number; unexpected: number } {
    let lost = 0;
    for (const k of this.acceptedIds) if (!this.fetches.has(k)) lost++;
    let duplicated = 0;
    let unexpected = 0;
    for (const [k, n] of this.fetches) {
      duplicated += n - 1;
      if (!this.acceptedIds.has(k)) unexpected++;
    }
    return { lost, duplicated, unexpected };
  }
}
