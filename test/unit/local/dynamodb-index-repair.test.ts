// A kill -9 between dynalite's write of a job's index entries and its write of the item leaves a "ghost": listed by an
// index, absent from the table (the attack pass found two after killing the stack in a burst). The next start removes
// such entries, and entries whose item no longer has their keys, and leaves every real item and entry alone.
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { LEVEL_OPTIONS, startDynamo, type TableShape } from '../../../local/emulators/dynamodb.ts';

const shape: TableShape = {
  KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
  AttributeDefinitions: [
    { AttributeName: 'jobId', AttributeType: 'S' },
    { AttributeName: 'status', AttributeType: 'S' },
  ],
  GlobalSecondaryIndexes: [
    { IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
  ],
};

const clientOf = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

/** dynalite's own store on `dir` (the server closed): what its putItem does first, without what it does second. */
async function writeIndexEntriesOnly(dir: string, existing: Record<string, unknown> | undefined, item: Record<string, unknown>) {
  const require = createRequire(import.meta.url);
  const db = require('dynalite/db/index.js');
  const store = db.create({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, levelOptions: LEVEL_OPTIONS });
  const table = await new Promise<unknown>((resolve, reject) =>
    store.getTable('jobs', false, (error: Error | null, t: unknown) => (error ? reject(error) : resolve(t))),
  );
  await new Promise<void>((resolve, reject) =>
    db.updateIndexes(store, table, existing, item, (error: Error | null) => (error ? reject(error) : resolve())),
  );
  await new Promise<void>((resolve) => store.db.close(() => resolve()));
}

const byStatus = async (client: DynamoDBClient, status: string) =>
  (
    await client.send(
      new QueryCommand({
        TableName: 'jobs',
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: status } },
      }),
    )
  ).Items?.map((item) => item.jobId?.S);

it('removes index entries a kill left without their item, or with keys their item no longer has; keeps the rest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'klingflow-dynamo-'));
  const first = await startDynamo(dir, [{ name: 'jobs', shape }]);
  expect(first.repairedIndexEntries).toBe(0);
  let client = clientOf(first.endpoint);
  await client.send(new PutItemCommand({ TableName: 'jobs', Item: { jobId: { S: 'job_real' }, status: { S: 'QUEUED' } } }));
  await client.send(new PutItemCommand({ TableName: 'jobs', Item: { jobId: { S: 'job_moved' }, status: { S: 'QUEUED' } } }));
  client.destroy();
  await first.close();

  // A create killed after its index entries: job_ghost is QUEUED in the index, and in no table.
  await writeIndexEntriesOnly(dir, undefined, { jobId: { S: 'job_ghost' }, status: { S: 'QUEUED' } });
  // An update killed after its index entries: job_moved is SUBMITTED in the index, still QUEUED in the table.
  await writeIndexEntriesOnly(
    dir,
    { jobId: { S: 'job_moved' }, status: { S: 'QUEUED' } },
    { jobId: { S: 'job_moved' }, status: { S: 'SUBMITTED' } },
  );

  // The start after a stack that died (its lock left behind) repairs.
  const second = await startDynamo(dir, [{ name: 'jobs', shape }], { repairIndexes: true });
  client = clientOf(second.endpoint);
  try {
    expect(second.repairedIndexEntries).toBe(2);
    expect((await byStatus(client, 'QUEUED'))?.sort()).toEqual(['job_moved', 'job_real']);
    expect(await byStatus(client, 'SUBMITTED')).toEqual([]);
    const items = (await client.send(new ScanCommand({ TableName: 'jobs' }))).Items ?? [];
    expect(items.map((item) => [item.jobId?.S, item.status?.S]).sort()).toEqual([
      ['job_moved', 'QUEUED'],
      ['job_real', 'QUEUED'],
    ]);
  } finally {
    client.destroy();
    await second.close();
  }
});
