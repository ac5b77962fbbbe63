// An in-memory AdmissionStore with the DynamoDB store's semantics (consistent reads, conditional slot writes, wait
// keys in order), and a recorder of woken waits, for unit tests of lambdas/jobs/admission.ts.
import { slotKey, type Slot, type Waiter } from '../../../lambdas/domain/admission.ts';
import type { AdmissionStore, SlotExpectation } from '../../../lambdas/jobs/ports.ts';

export class InMemoryAdmission implements AdmissionStore {
  readonly items = new Map<string, Map<string, Slot | Waiter>>();

  private pool(pool: string): Map<string, Slot | Waiter> {
    let items = this.items.get(pool);
    if (!items) {
      items = new Map();
      this.items.set(pool, items);
    }
    return items;
  }

  async slots(pool: string): Promise<Slot[]> {
    return [...this.pool(pool).entries()]
      .filter(([key]) => key.startsWith('slot#'))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, slot]) => structuredClone(slot as Slot));
  }

  async waiters(pool: string, options: { before?: string; after?: string; limit?: number } = {}): Promise<Waiter[]> {
    return [...this.pool(pool).entries()]
      .filter(([key]) => key.startsWith('wait#'))
      .filter(([key]) => (options.before === undefined || key < options.before) && (options.after === undefined || key > options.after))
      .sort(([a], [b]) => a.localeCompare(b))
      .slice(0, options.limit ?? Number.POSITIVE_INFINITY)
      .map(([, waiter]) => structuredClone(waiter as Waiter));
  }

  async countWaiters(pool: string, options: { before: string; seenAfter: number }): Promise<number> {
    return (await this.waiters(pool, { before: options.before })).filter((waiter) => waiter.seenAt > options.seenAfter).length;
  }

  async waiter(pool: string, key: string): Promise<Waiter | undefined> {
    const waiter = this.pool(pool).get(key) as Waiter | undefined;
    return waiter && structuredClone(waiter);
  }

  async enqueue(pool: string, entry: Omit<Waiter, 'since' | 'token'> & { since: string; token?: string }): Promise<Waiter> {
    const existing = this.pool(pool).get(entry.key) as Waiter | undefined;
    const next: Waiter = {
      jobId: entry.jobId,
      key: entry.key,
      since: existing?.since ?? entry.since,
      seenAt: entry.seenAt,
      ...(entry.token !== undefined ? { token: entry.token } : existing?.token !== undefined ? { token: existing.token } : {}),
    };
    this.pool(pool).set(entry.key, next);
    return structuredClone(next);
  }

  async dequeue(pool: string, key: string): Promise<void> {
    this.pool(pool).delete(key);
  }

  async claim(pool: string, index: number, holder: string, leaseUntil: number, expected: SlotExpectation): Promise<boolean> {
    const key = slotKey(index);
    const current = (this.pool(pool).get(key) as Slot | undefined) ?? { index };
    if (expected.holder === undefined ? current.holder !== undefined : current.holder !== expected.holder) return false;
    if (expected.holder !== undefined && expected.leaseUntil !== undefined && current.leaseUntil !== expected.leaseUntil) return false;
    this.pool(pool).set(key, { index, holder, leaseUntil });
    return true;
  }

  async free(pool: string, index: number, holder: string): Promise<boolean> {
    const key = slotKey(index);
    const current = this.pool(pool).get(key) as Slot | undefined;
    if (current?.holder !== holder) return false;
    this.pool(pool).set(key, { index });
    return true;
  }

  /** Who holds which slot of `pool`, by index (unheld slots left out). */
  holders(pool: string): Record<number, string> {
    const held: Record<number, string> = {};
    for (const [key, item] of this.pool(pool)) {
      const slot = item as Slot;
      if (key.startsWith('slot#') && slot.holder !== undefined) held[slot.index] = slot.holder;
    }
    return held;
  }
}

/** Records every wait woken (SendTaskSuccess) and failed (SendTaskFailure); `stale` tokens answer false. */
export function waitRecorder() {
  const resumed: { token: string; output: unknown }[] = [];
  const failed: { token: string; error: string }[] = [];
  const stale = new Set<string>();
  return {
    resumed,
    failed,
    stale,
    resumeWait: async (token: string, output: unknown) => {
      if (stale.has(token)) return false;
      resumed.push({ token, output });
      return true;
    },
    failWait: async (token: string, error: string) => {
      failed.push({ token, error });
    },
  };
}
