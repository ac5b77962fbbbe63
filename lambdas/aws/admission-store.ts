// The admission table (docs/architecture.md, "Admission control"): one partition per pool of slots (`pool`), with
// one item per slot (`entry` = slot#NNN: holder and lease) and one per waiting job (`entry` = wait#<createdAt>#<jobId>:
// when it queued, when it last checked in, the task token that wakes it). Reads are consistent queries of the base
// table; slot writes are conditional. No transactions and no TTL: the local DynamoDB emulator has neither.
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { type DocumentClient, isConditionFailed } from './clients/dynamo.ts';
import * as z from '../domain/zod.ts';
import { SLOT_PREFIX, slotKey, WAIT_PREFIX, type Slot, type Waiter } from '../domain/admission.ts';
import type { AdmissionStore, SlotExpectation } from '../jobs/ports.ts';

const SlotItem = z.object({
  entry: z.string(),
  holder: z.optional(z.string()),
  leaseUntil: z.optional(z.number()),
});

const WaiterItem = z.object({
  entry: z.string(),
  jobId: z.string(),
  since: z.string(),
  seenAt: z.number(),
  token: z.optional(z.string()),
});

/** Past every wait key (`#` < `~`), for range conditions that run to the end of the queue. */
const WAIT_END = `${WAIT_PREFIX}~`;

const toSlot = (item: z.infer<typeof SlotItem>): Slot => ({
  index: Number(item.entry.slice(SLOT_PREFIX.length)),
  ...(item.holder !== undefined ? { holder: item.holder } : {}),
  ...(item.leaseUntil !== undefined ? { leaseUntil: item.leaseUntil } : {}),
});

const toWaiter = (item: z.infer<typeof WaiterItem>): Waiter => ({
  jobId: item.jobId,
  key: item.entry,
  since: item.since,
  seenAt: item.seenAt,
  ...(item.token !== undefined ? { token: item.token } : {}),
});

/** The {@link AdmissionStore} on DynamoDB (`pool` partition key, `entry` sort key). */
export class DynamoAdmissionStore implements AdmissionStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly table: string,
  ) {}

  async slots(pool: string): Promise<Slot[]> {
    const items = await this.query(pool, '#entry BETWEEN :lo AND :hi', { ':lo': SLOT_PREFIX, ':hi': `${SLOT_PREFIX}~` });
    return items.map((item) => toSlot(SlotItem.parse(item)));
  }

  async waiters(pool: string, options: { before?: string; after?: string; limit?: number } = {}): Promise<Waiter[]> {
    const lo = options.after ?? WAIT_PREFIX;
    const hi = options.before ?? WAIT_END;
    // BETWEEN includes its ends; the named keys themselves are not wanted.
    const items = await this.query(pool, '#entry BETWEEN :lo AND :hi', { ':lo': lo, ':hi': hi }, options.limit, (item) => {
      const entry = (item as { entry?: string }).entry;
      return entry !== options.before && entry !== options.after;
    });
    return items.map((item) => toWaiter(WaiterItem.parse(item)));
  }

  async countWaiters(pool: string, options: { before: string; seenAfter: number }): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.query({
        TableName: this.table,
        // Slot items sort before wait# and have no seenAt: the filter (which may not name a key) leaves them out.
        KeyConditionExpression: '#pool = :pool AND #entry < :before',
        FilterExpression: 'seenAt > :seenAfter',
        ExpressionAttributeNames: { '#pool': 'pool', '#entry': 'entry' },
        ExpressionAttributeValues: { ':pool': pool, ':before': options.before, ':seenAfter': options.seenAfter },
        ConsistentRead: true,
        Select: 'COUNT',
        ExclusiveStartKey: start,
      });
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  }

  async waiter(pool: string, key: string): Promise<Waiter | undefined> {
    const { Item } = await this.db.get({ TableName: this.table, Key: { pool, entry: key }, ConsistentRead: true });
    return Item ? toWaiter(WaiterItem.parse(Item)) : undefined;
  }

  async enqueue(pool: string, entry: Omit<Waiter, 'since' | 'token'> & { since: string; token?: string }): Promise<Waiter> {
    const values: Record<string, unknown> = { ':jobId': entry.jobId, ':seenAt': entry.seenAt, ':since': entry.since };
    let expression = 'SET jobId = :jobId, seenAt = :seenAt, since = if_not_exists(since, :since)';
    if (entry.token !== undefined) {
      expression += ', #token = :token';
      values[':token'] = entry.token;
    }
    const { Attributes } = await this.db.update({
      TableName: this.table,
      Key: { pool, entry: entry.key },
      UpdateExpression: expression,
      ...(entry.token !== undefined ? { ExpressionAttributeNames: { '#token': 'token' } } : {}),
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    });
    return toWaiter(WaiterItem.parse(Attributes));
  }

  async dequeue(pool: string, key: string): Promise<void> {
    await this.db.delete({ TableName: this.table, Key: { pool, entry: key } });
  }

  async claim(pool: string, index: number, holder: string, leaseUntil: number, expected: SlotExpectation): Promise<boolean> {
    const values: Record<string, unknown> = { ':holder': holder, ':leaseUntil': leaseUntil };
    let condition = 'attribute_not_exists(holder)';
    if (expected.holder !== undefined) {
      condition = 'holder = :expectedHolder';
      values[':expectedHolder'] = expected.holder;
      if (expected.leaseUntil !== undefined) {
        condition += ' AND leaseUntil = :expectedLease';
        values[':expectedLease'] = expected.leaseUntil;
      }
    }
    return this.conditional({
      TableName: this.table,
      Key: { pool, entry: slotKey(index) },
      UpdateExpression: 'SET holder = :holder, leaseUntil = :leaseUntil',
      ConditionExpression: condition,
      ExpressionAttributeValues: values,
    });
  }

  async free(pool: string, index: number, holder: string): Promise<boolean> {
    return this.conditional({
      TableName: this.table,
      Key: { pool, entry: slotKey(index) },
      UpdateExpression: 'REMOVE holder, leaseUntil',
      ConditionExpression: 'holder = :holder',
      ExpressionAttributeValues: { ':holder': holder },
    });
  }

  private async conditional(request: UpdateCommandInput): Promise<boolean> {
    try {
      await this.db.update(request);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /** Every item of `pool` whose entry fits `range` (oldest first), read consistently, at most `limit` kept. */
  private async query(
    pool: string,
    range: string,
    values: Record<string, string>,
    limit = Number.POSITIVE_INFINITY,
    keep: (item: Record<string, unknown>) => boolean = () => true,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.query({
        TableName: this.table,
        KeyConditionExpression: `#pool = :pool AND ${range}`,
        ExpressionAttributeNames: { '#pool': 'pool', '#entry': 'entry' },
        ExpressionAttributeValues: { ':pool': pool, ...values },
        ConsistentRead: true,
        ...(Number.isFinite(limit) ? { Limit: limit + 2 } : {}),
        ExclusiveStartKey: start,
      });
      for (const item of page.Items ?? []) if (keep(item) && items.length < limit) items.push(item);
      start = page.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items;
  }
}
