// The spend counters on DynamoDB (jobs/ports.ts, SpendLedger): one item per period and scope (pk `period`:
// `day#2026-11-30` or `month#2026-11`, sk `scope`: `total` or a provider id) holding `jobs`, `credits` and `usd`.
// Changed only by `ADD`, conditional on the cap where one applies, so concurrent submits never cross a cap together.
// Where the caps come from is spend-caps.ts (apart, so a handler that only corrects the counters carries no SSM client).
import { type DocumentClient, isConditionFailed } from './clients/dynamo.ts';
import {
  breachOf,
  limitOf,
  round6,
  SPEND_UNITS,
  type SpendAmount,
  type SpendBreach,
  type SpendCaps,
  type SpendCounter,
  ZERO_SPEND,
} from '../domain/spend.ts';
import type { SpendLedger } from '../jobs/ports.ts';

/** The spend counters table: see the file's head. */
export class SpendStore implements SpendLedger {
  constructor(
    private readonly db: DocumentClient,
    private readonly table: string,
  ) {}

  async read(counters: readonly SpendCounter[]): Promise<SpendAmount[]> {
    return Promise.all(counters.map((counter) => this.readOne(counter)));
  }

  private async readOne(counter: SpendCounter): Promise<SpendAmount> {
    const { Item } = await this.db.get({
      TableName: this.table,
      Key: { period: counter.period, scope: counter.scope },
      ConsistentRead: true,
    });
    return {
      jobs: Number(Item?.jobs ?? 0),
      credits: Number(Item?.credits ?? 0),
      usd: Number(Item?.usd ?? 0),
    };
  }

  async reserve(counters: readonly SpendCounter[], amount: SpendAmount, caps: SpendCaps): Promise<SpendBreach | undefined> {
    const done: SpendCounter[] = [];
    for (const counter of counters) {
      const limit = limitOf(caps, counter) ?? {};
      const names: Record<string, string> = {};
      const values: Record<string, number> = {};
      const conditions: string[] = [];
      for (const unit of SPEND_UNITS) {
        const cap = limit[unit];
        if (cap === undefined || amount[unit] === 0) continue;
        names[`#${unit}`] = unit;
        values[`:room_${unit}`] = round6(cap - amount[unit]);
        conditions.push(`(attribute_not_exists(#${unit}) OR #${unit} <= :room_${unit})`);
      }
      try {
        await this.update(counter, amount, conditions.join(' AND '), names, values);
        done.push(counter);
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        await this.add(done, negate(amount));
        const spent = await this.readOne(counter);
        // The cap that refused, with the figures as they are now.
        return breachOf(caps, counter, spent, amount) ?? firstCapped(counter, limit, spent, amount);
      }
    }
    return undefined;
  }

  async add(counters: readonly SpendCounter[], delta: SpendAmount): Promise<void> {
    for (const counter of counters) await this.update(counter, delta, '', {}, {});
  }

  private async update(
    counter: SpendCounter,
    amount: SpendAmount,
    condition: string,
    names: Record<string, string>,
    values: Record<string, number>,
  ): Promise<void> {
    await this.db.update({
      TableName: this.table,
      Key: { period: counter.period, scope: counter.scope },
      UpdateExpression: 'ADD #jobs_ :jobs_, #credits_ :credits_, #usd_ :usd_',
      ...(condition ? { ConditionExpression: condition } : {}),
      ExpressionAttributeNames: { ...names, '#jobs_': 'jobs', '#credits_': 'credits', '#usd_': 'usd' },
      ExpressionAttributeValues: { ...values, ':jobs_': amount.jobs, ':credits_': amount.credits, ':usd_': amount.usd },
    });
  }
}

const negate = (amount: SpendAmount): SpendAmount => ({ jobs: -amount.jobs, credits: -amount.credits, usd: -amount.usd });

/** A breach for a refusal whose figures moved on since (another job finished its correction meanwhile). */
function firstCapped(
  counter: SpendCounter,
  limit: Partial<Record<(typeof SPEND_UNITS)[number], number>>,
  spent: SpendAmount,
  amount: SpendAmount,
): SpendBreach {
  const unit = SPEND_UNITS.find((u) => limit[u] !== undefined && amount[u] !== 0) ?? 'jobs';
  return { counter, unit, cap: limit[unit] ?? 0, spent, adding: amount[unit] };
}

export { ZERO_SPEND };
