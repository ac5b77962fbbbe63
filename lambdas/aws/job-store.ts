// The jobs table: one item per job, keyed by jobId, with two indexes (byStatus, byCreatedAt) for listing.
// Writes are conditional so that a terminal job never changes again and a create never overwrites.
// (No transactions and no TTL: the local DynamoDB emulator has neither, and nothing here needs them.)
import { type DocumentClient, isConditionFailed } from './clients/dynamo.ts';
import * as z from '../domain/zod.ts';
import { JOB_ID_PATTERN, JOB_STATUSES, JobRecord, TERMINAL_STATUSES, type JobStatus } from '../domain/job.ts';
import { finishedJobPoints } from '../domain/metrics.ts';
import { emitMetrics } from './metrics.ts';
import { InvalidCursor, type JobChanges, type JobPage, type JobRepository, type ListOptions, type WebhookChange } from '../jobs/ports.ts';

export const INDEX_BY_STATUS = 'byStatus';
export const INDEX_BY_CREATED_AT = 'byCreatedAt';
export const INDEX_BY_OWNER = 'byOwner';

/**
 * The page cursors this store hands out: the LastEvaluatedKey of one index, exactly. A cursor of another shape, of
 * the other index, or of another status is refused (`InvalidCursor`) before DynamoDB sees it.
 */
const CursorKey = {
  byStatus: z.strictObject({ jobId: z.string().check(z.regex(JOB_ID_PATTERN)), status: z.enum(JOB_STATUSES), createdAt: z.iso.datetime() }),
  byCreatedAt: z.strictObject({ jobId: z.string().check(z.regex(JOB_ID_PATTERN)), kind: z.literal('JOB'), createdAt: z.iso.datetime() }),
  byOwner: z.strictObject({
    jobId: z.string().check(z.regex(JOB_ID_PATTERN)),
    owner: z.string().check(z.minLength(1)),
    createdAt: z.iso.datetime(),
  }),
  /** The base table's key, as a scan returns it. */
  byJobId: z.strictObject({ jobId: z.string().check(z.regex(JOB_ID_PATTERN)) }),
};

/**
 * `ExpressionAttributeValues` entries naming every terminal status (`:t0`…) and the condition that holds while the
 * job's status is none of them (with `#status` naming the `status` attribute).
 */
function notTerminal(): { values: Record<string, string>; condition: string } {
  const values = Object.fromEntries(TERMINAL_STATUSES.map((status, i) => [`:t${i}`, status]));
  return { values, condition: `NOT #status IN (${Object.keys(values).join(', ')})` };
}

/** What `write` resolves to, or `undefined` when its condition failed (`ConditionalCheckFailedException`). */
async function ifConditionHolds<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (isConditionFailed(error)) return undefined;
    throw error;
  }
}

/** The jobs table on DynamoDB: the {@link JobRepository} of a deployment and of the local stack. */
export class JobStore implements JobRepository {
  constructor(
    private readonly db: DocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Writes a new job. If the id exists already, returns the stored one instead (idempotent create). */
  async create(record: JobRecord): Promise<{ created: boolean; job: JobRecord }> {
    try {
      await this.db.put({
        TableName: this.table,
        Item: JobRecord.parse(record),
        ConditionExpression: 'attribute_not_exists(jobId)',
      });
      return { created: true, job: record };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const existing = await this.get(record.jobId);
      if (!existing) throw error;
      return { created: false, job: existing };
    }
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const { Item } = await this.db.get({ TableName: this.table, Key: { jobId }, ConsistentRead: true });
    return Item ? JobRecord.parse(Item) : undefined;
  }

  async require(jobId: string): Promise<JobRecord> {
    const job = await this.get(jobId);
    if (!job) throw new Error(`job ${jobId} does not exist`);
    return job;
  }

  /**
   * Newest first; `owner` narrows to one owner's jobs, `status` to one status, `provider` to one provider.
   * - No owner: the byStatus index (with a status) or byCreatedAt; the provider is a filter.
   * - An owner: the byOwner index (pk `owner`, sk `createdAt`); status and provider are filters. One owner's jobs are
   *   one partition, so paging is exact and cheap; a filter only thins a page.
   * DynamoDB applies `Limit` before a filter, so a page can hold fewer than `limit` items while `nextCursor` says more
   * may follow. A cursor is bound to its listing: another index's, another status's or another owner's is refused.
   */
  async list(options: ListOptions): Promise<JobPage> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const filters: string[] = [];
    let index: string;
    let keyCondition: string;
    let cursorKind: CursorKind;
    if (options.owner !== undefined) {
      index = INDEX_BY_OWNER;
      keyCondition = '#owner = :owner';
      names['#owner'] = 'owner';
      values[':owner'] = options.owner;
      cursorKind = { owner: options.owner };
      if (options.status !== undefined) {
        names['#status'] = 'status';
        values[':status'] = options.status;
        filters.push('#status = :status');
        cursorKind = { owner: options.owner, status: options.status };
      }
    } else if (options.status !== undefined) {
      index = INDEX_BY_STATUS;
      keyCondition = '#status = :status';
      names['#status'] = 'status';
      values[':status'] = options.status;
      cursorKind = options.status;
    } else {
      index = INDEX_BY_CREATED_AT;
      keyCondition = '#kind = :kind';
      names['#kind'] = 'kind';
      values[':kind'] = 'JOB';
      cursorKind = undefined;
    }
    if (options.provider !== undefined) {
      names['#provider'] = 'provider';
      values[':provider'] = options.provider;
      filters.push('#provider = :provider');
    }
    const result = await this.db.query({
      TableName: this.table,
      IndexName: index,
      KeyConditionExpression: keyCondition,
      ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: options.limit,
      ExclusiveStartKey: options.cursor ? decodeCursor(options.cursor, cursorKind) : undefined,
    });
    return {
      items: (result.Items ?? []).map((item) => JobRecord.parse(item)),
      nextCursor: result.LastEvaluatedKey ? encodeCursor(result.LastEvaluatedKey) : undefined,
    };
  }

  /**
   * Applies `changes` to a job that is not terminal yet (attributes set to `undefined` are removed) and returns
   * the new record, or `undefined` if the job had already ended (or does not exist).
   */
  async updateActive(jobId: string, changes: JobChanges, options: { incrementAttempts?: boolean } = {}): Promise<JobRecord | undefined> {
    const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':updatedAt': this.now().toISOString() };
    const sets = ['#updatedAt = :updatedAt'];
    const removes: string[] = [];
    Object.entries(changes).forEach(([key, value], i) => {
      names[`#a${i}`] = key;
      if (value === undefined) {
        removes.push(`#a${i}`);
      } else {
        values[`:v${i}`] = value;
        sets.push(`#a${i} = :v${i}`);
      }
    });
    const active = notTerminal();
    let expression = `SET ${sets.join(', ')}`;
    if (removes.length) expression += ` REMOVE ${removes.join(', ')}`;
    if (options.incrementAttempts) {
      names['#attempts'] = 'attempts';
      values[':one'] = 1;
      expression += ' ADD #attempts :one';
    }
    const result = await ifConditionHolds(
      this.db.update({
        TableName: this.table,
        Key: { jobId },
        UpdateExpression: expression,
        ConditionExpression: `attribute_exists(jobId) AND ${active.condition}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ...active.values },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result && JobRecord.parse(result.Attributes);
  }

  async beginSubmit(jobId: string, intent: { id: string; at: string }, replacing?: string): Promise<JobRecord | undefined> {
    const active = notTerminal();
    const values: Record<string, unknown> = { ':intent': intent, ':updatedAt': this.now().toISOString(), ':one': 1, ...active.values };
    let expected = 'attribute_not_exists(submitIntent)';
    if (replacing !== undefined) {
      expected = 'submitIntent.id = :replacing';
      values[':replacing'] = replacing;
    }
    const result = await ifConditionHolds(
      this.db.update({
        TableName: this.table,
        Key: { jobId },
        UpdateExpression: 'SET submitIntent = :intent, updatedAt = :updatedAt ADD attempts :one',
        ConditionExpression: `attribute_exists(jobId) AND attribute_not_exists(providerTaskId) AND ${expected} AND ${active.condition}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result && JobRecord.parse(result.Attributes);
  }

  /**
   * Claims the right to publish a finished job's notice: true once per job, unless a claim was left older than
   * `staleBefore` by a run that died before publishing. Call `markNotified` once it is published, or `releaseNotice`
   * if publishing fails, so a retry can claim it again.
   */
  async claimNotice(jobId: string, staleBefore: string): Promise<boolean> {
    const claimed = await ifConditionHolds(
      this.db.update({
        TableName: this.table,
        Key: { jobId },
        UpdateExpression: 'SET noticeClaimedAt = :at',
        ConditionExpression:
          'attribute_exists(jobId) AND attribute_not_exists(notifiedAt) AND ' +
          '(attribute_not_exists(noticeClaimedAt) OR noticeClaimedAt < :staleBefore)',
        ExpressionAttributeValues: { ':at': this.now().toISOString(), ':staleBefore': staleBefore },
      }),
    );
    return claimed !== undefined;
  }

  async markNotified(jobId: string): Promise<void> {
    await this.db.update({
      TableName: this.table,
      Key: { jobId },
      UpdateExpression: 'SET notifiedAt = :at REMOVE noticeClaimedAt',
      ExpressionAttributeValues: { ':at': this.now().toISOString() },
    });
  }

  async releaseNotice(jobId: string): Promise<void> {
    await this.db.update({ TableName: this.table, Key: { jobId }, UpdateExpression: 'REMOVE noticeClaimedAt' });
  }

  /** One page of the base table (every item is a job), read consistently; `cursor` as this method returned it. */
  async scan(cursor?: string): Promise<JobPage> {
    const result = await this.db.scan({
      TableName: this.table,
      ConsistentRead: true,
      Limit: 100,
      ExclusiveStartKey: cursor ? decodeCursor(cursor, 'scan') : undefined,
    });
    return {
      items: (result.Items ?? []).map((item) => JobRecord.parse(item)),
      nextCursor: result.LastEvaluatedKey ? encodeCursor(result.LastEvaluatedKey) : undefined,
    };
  }

  async countRedrive(jobId: string, field: 'redrives' | 'noticeRedrives', seen: number): Promise<boolean> {
    const counted = await ifConditionHolds(
      this.db.update({
        TableName: this.table,
        Key: { jobId },
        UpdateExpression: 'SET #count = :next',
        ConditionExpression: seen === 0 ? 'attribute_exists(jobId) AND (attribute_not_exists(#count) OR #count = :seen)' : '#count = :seen',
        ExpressionAttributeNames: { '#count': field },
        ExpressionAttributeValues: { ':seen': seen, ':next': seen + 1 },
      }),
    );
    return counted !== undefined;
  }

  /**
   * Records the webhook of a finished job: counts an attempt and/or sets how delivery went. The job's
   * `updatedAt` is left alone: the webhook body is the job, and it must be the same on every retry.
   */
  async recordWebhook(jobId: string, change: WebhookChange): Promise<void> {
    const names: Record<string, string> = { '#webhook': 'webhook' };
    const values: Record<string, unknown> = {
      ':id': change.id,
      ':status': change.status,
      ':at': this.now().toISOString(),
      ':zero': 0,
      ':add': change.countAttempt ? 1 : 0,
    };
    // The webhook map is created with the first attempt; later writes set fields inside it (DynamoDB cannot
    // create a map and set paths inside it in one expression).
    await this.db.update({
      TableName: this.table,
      Key: { jobId },
      UpdateExpression: 'SET #webhook = if_not_exists(#webhook, :empty)',
      ConditionExpression: 'attribute_exists(jobId)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':empty': { id: change.id, status: 'pending', attempts: 0 } },
    });
    let expression =
      'SET #webhook.id = :id, #webhook.#status = :status, #webhook.#at = :at, #webhook.attempts = if_not_exists(#webhook.attempts, :zero) + :add';
    names['#status'] = 'status';
    names['#at'] = 'at';
    if (change.lastError !== undefined) {
      expression += ', #webhook.lastError = :lastError';
      values[':lastError'] = change.lastError.slice(0, 500);
    }
    await this.db.update({
      TableName: this.table,
      Key: { jobId },
      UpdateExpression: expression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  /**
   * Moves a job to a terminal status once; later calls return `undefined` and change nothing. The write that ends the
   * job emits its finished-job metrics (JobsFinished, JobsFailed or JobsCancelled, JobSeconds, spend:
   * lambdas/domain/metrics.ts), so every way a job ends (Complete, MarkFailed, a cancel, the reconciler) is counted
   * exactly once.
   */
  async finish(
    jobId: string,
    status: JobStatus,
    changes: JobChanges,
    options: { keepTaskToken?: boolean } = {},
  ): Promise<JobRecord | undefined> {
    if (!TERMINAL_STATUSES.includes(status)) throw new Error(`${status} is not a terminal status`);
    const at = this.now().toISOString();
    const finished = await this.updateActive(jobId, {
      ...changes,
      status,
      finishedAt: at,
      ...(options.keepTaskToken ? {} : { taskToken: undefined }),
    });
    if (finished) emitMetrics(finishedJobPoints(finished));
    return finished;
  }
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * Which listing a cursor belongs to: `undefined` all jobs (byCreatedAt), a status (byStatus), an owner with or
 * without a status filter (byOwner), or `scan` (the base table).
 */
type CursorKind = JobStatus | 'scan' | undefined | { owner: string; status?: JobStatus };

function decodeCursor(cursor: string, kind: CursorKind): Record<string, string> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (kind === undefined) return CursorKey.byCreatedAt.parse(key);
    if (kind === 'scan') return CursorKey.byJobId.parse(key);
    if (typeof kind === 'object') {
      const parsed = CursorKey.byOwner.parse(key);
      if (parsed.owner === kind.owner) return parsed;
    } else {
      const parsed = CursorKey.byStatus.parse(key);
      if (parsed.status === kind) return parsed;
    }
  } catch {
    // refused below
  }
  const status = typeof kind === 'object' ? kind.status : kind === 'scan' ? undefined : kind;
  throw new InvalidCursor(
    `is not a cursor this API returned for this listing${status ? ` (status ${status})` : ''}; pass nextCursor back as it is`,
  );
}
