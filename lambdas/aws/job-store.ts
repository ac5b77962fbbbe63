// The jobs table: one item per job, keyed by jobId, with two indexes (byStatus, byCreatedAt) for listing.
// Writes are conditional so that a terminal job never changes again and a create never overwrites.
// (No transactions and no TTL: the local DynamoDB emulator has neither, and nothing here needs them.)
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { JOB_ID_PATTERN, JOB_STATUSES, JobRecord, TERMINAL_STATUSES, type JobStatus } from '../domain/job.ts';
import { InvalidCursor, type JobChanges, type JobPage, type JobRepository, type WebhookChange } from '../jobs/ports.ts';

export const INDEX_BY_STATUS = 'byStatus';
export const INDEX_BY_CREATED_AT = 'byCreatedAt';

/**
 * The page cursors this store hands out: the LastEvaluatedKey of one index, exactly. A cursor of another shape, of
 * the other index, or of another status is refused (`InvalidCursor`) before DynamoDB sees it.
 */
const CursorKey = {
  byStatus: z.strictObject({ jobId: z.string().regex(JOB_ID_PATTERN), status: z.enum(JOB_STATUSES), createdAt: z.iso.datetime() }),
  byCreatedAt: z.strictObject({ jobId: z.string().regex(JOB_ID_PATTERN), kind: z.literal('JOB'), createdAt: z.iso.datetime() }),
};

/** The jobs table on DynamoDB: the {@link JobRepository} of a deployment and of the local stack. */
export class JobStore implements JobRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Writes a new job. If the id exists already, returns the stored one instead (idempotent create). */
  async create(record: JobRecord): Promise<{ created: boolean; job: JobRecord }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: JobRecord.parse(record),
          ConditionExpression: 'attribute_not_exists(jobId)',
        }),
      );
      return { created: true, job: record };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(record.jobId);
      if (!existing) throw error;
      return { created: false, job: existing };
    }
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { jobId }, ConsistentRead: true }));
    return Item ? JobRecord.parse(Item) : undefined;
  }

  async require(jobId: string): Promise<JobRecord> {
    const job = await this.get(jobId);
    if (!job) throw new Error(`job ${jobId} does not exist`);
    return job;
  }

  /**
   * Newest first; `status` narrows to one status, `provider` to one provider. The provider is a filter on the
   * index query (DynamoDB applies `Limit` before it), so a page can hold fewer than `limit` items while
   * `nextCursor` says more may follow.
   */
  async list(options: { status?: JobStatus; provider?: string; limit: number; cursor?: string }): Promise<JobPage> {
    const byStatus = options.status !== undefined;
    const names: Record<string, string> = byStatus ? { '#status': 'status' } : { '#kind': 'kind' };
    const values: Record<string, unknown> = { ':p': byStatus ? options.status : 'JOB' };
    if (options.provider !== undefined) {
      names['#provider'] = 'provider';
      values[':provider'] = options.provider;
    }
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: byStatus ? INDEX_BY_STATUS : INDEX_BY_CREATED_AT,
        KeyConditionExpression: byStatus ? '#status = :p' : '#kind = :p',
        ...(options.provider !== undefined ? { FilterExpression: '#provider = :provider' } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: options.cursor ? decodeCursor(options.cursor, options.status) : undefined,
      }),
    );
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
    TERMINAL_STATUSES.forEach((status, i) => {
      values[`:t${i}`] = status;
    });
    let expression = `SET ${sets.join(', ')}`;
    if (removes.length) expression += ` REMOVE ${removes.join(', ')}`;
    if (options.incrementAttempts) {
      names['#attempts'] = 'attempts';
      values[':one'] = 1;
      expression += ' ADD #attempts :one';
    }
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId },
          UpdateExpression: expression,
          ConditionExpression: `attribute_exists(jobId) AND NOT #status IN (${TERMINAL_STATUSES.map((_, i) => `:t${i}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return JobRecord.parse(result.Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * Claims the right to publish a finished job's notice: true once per job. Call `releaseNotice` if publishing
   * then fails, so a retry can claim it again.
   */
  async claimNotice(jobId: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId },
          UpdateExpression: 'SET notifiedAt = :at',
          ConditionExpression: 'attribute_exists(jobId) AND attribute_not_exists(notifiedAt)',
          ExpressionAttributeValues: { ':at': this.now().toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async releaseNotice(jobId: string): Promise<void> {
    await this.db.send(new UpdateCommand({ TableName: this.table, Key: { jobId }, UpdateExpression: 'REMOVE notifiedAt' }));
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
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { jobId },
        UpdateExpression: 'SET #webhook = if_not_exists(#webhook, :empty)',
        ConditionExpression: 'attribute_exists(jobId)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':empty': { id: change.id, status: 'pending', attempts: 0 } },
      }),
    );
    let expression =
      'SET #webhook.id = :id, #webhook.#status = :status, #webhook.#at = :at, #webhook.attempts = if_not_exists(#webhook.attempts, :zero) + :add';
    names['#status'] = 'status';
    names['#at'] = 'at';
    if (change.lastError !== undefined) {
      expression += ', #webhook.lastError = :lastError';
      values[':lastError'] = change.lastError.slice(0, 500);
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { jobId },
        UpdateExpression: expression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Moves a job to a terminal status once; later calls return `undefined` and change nothing. */
  async finish(jobId: string, status: JobStatus, changes: JobChanges): Promise<JobRecord | undefined> {
    if (!TERMINAL_STATUSES.includes(status)) throw new Error(`${status} is not a terminal status`);
    const at = this.now().toISOString();
    return this.updateActive(jobId, { ...changes, status, finishedAt: at, taskToken: undefined });
  }
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string, status: JobStatus | undefined): Record<string, string> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (status === undefined) return CursorKey.byCreatedAt.parse(key);
    const parsed = CursorKey.byStatus.parse(key);
    if (parsed.status === status) return parsed;
  } catch {
    // refused below
  }
  throw new InvalidCursor(
    `is not a cursor this API returned for this listing${status ? ` (status ${status})` : ''}; pass nextCursor back as it is`,
  );
}
