/**
 * Every envelope the operator accepted (202) in this run, and how often each came back
 * from a fetch: the loss and duplicate check. One map entry per id, keyed by the 16 id
 * bytes as a one-byte string, valued `2 x fetches + (accepted ? 1 : 0)`: a full run
 * records ~10 million ids, which hex keys in two collections made too large for the
 * runner's heap. Order does not matter: during the soak an envelope may be fetched before
 * the runner has recorded its 202, so the verdict is computed at the end.
 */
export class Ledger {
  private readonly ids = new Map<string, number>();
  private acceptedCount = 0;
  fetched = 0;

  get accepted(): number {
    return this.acceptedCount;
  }

  accept(id: Uint8Array): void {
    const k = keyOf(id);
    const v = this.ids.get(k) ?? 0;
    if (v % 2 === 1) return;
    this.ids.set(k, v + 1);
    this.acceptedCount++;
  }

  /** Records one fetched envelope id. */
  fetchedId(id: Uint8Array): void {
    this.fetched++;
    const k = keyOf(id);
    this.ids.set(k, (this.ids.get(k) ?? 0) + 2);
  }

  /**
   * lost: accepted, never fetched. duplicated: fetches beyond the first of an id.
   * unexpected: fetched but never seen accepted (a 202 the runner did not receive).
   */
  verdict(): { lost: number; duplicated: number; unexpected: number } {
    let lost = 0;
    let duplicated = 0;
    let unexpected = 0;
    for (const v of this.ids.values()) {
      const fetches = Math.floor(v / 2);
      if (v % 2 === 1 && fetches === 0) lost++;
      if (v % 2 === 0) unexpected++;
      if (fetches > 1) duplicated += fetches - 1;
    }
    return { lost, duplicated, unexpected };
  }
}

function keyOf(id: Uint8Array): string {
  return String.fromCharCode(...id);
}
