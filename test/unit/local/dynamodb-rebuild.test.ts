// A data folder from an older version: a kept table whose indexes differ from the template's is rebuilt with them,
// and keeps every item (dynalite ignores index changes made with UpdateTable).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { startDynamo, type TableShape } from '../../../local/emulators/dynamodb.ts';

const before: TableShape = {
  KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: 'jobId', AttributeType: 'S' }],
};
const after: TableShape = {
  ...before,
  AttributeDefinitions: [
    { AttributeName: 'jobId', AttributeType: 'S' },
    { AttributeName: 'owner', AttributeType: 'S' },
  ],
  GlobalSecondaryIndexes: [
    { IndexName: 'byOwner', KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
  ],
};

const clientOf = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

it('rebuilds a kept table with the indexes the template now has, keeping every item', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'klingflow-dynamo-'));
  const first = await startDynamo(dir, [{ name: 'jobs', shape: before }]);
  const old = clientOf(first.endpoint);
  for (let i = 0; i < 60; i += 1) {
    await old.send(new PutItemCommand({ TableName: 'jobs', Item: { jobId: { S: `job_${i}` }, owner: { S: i % 2 ? 'ann' : 'bob' } } }));
  }
  old.destroy();
  await first.close();

  const second = await startDynamo(dir, [{ name: 'jobs', shape: after }]);
  const db = clientOf(second.endpoint);
  const scanned = await db.send(new ScanCommand({ TableName: 'jobs' }));
  expect(scanned.Items).toHaveLength(60);
  const anns = await db.send(
    new QueryCommand({
      TableName: 'jobs',
      IndexName: 'byOwner',
      KeyConditionExpression: '#o = :o',
      ExpressionAttributeNames: { '#o': 'owner' },
      ExpressionAttributeValues: { ':o': { S: 'ann' } },
    }),
  );
  expect(anns.Items).toHaveLength(30);
  db.destroy();
  await second.close();

  // Started again with the same shape: nothing to do, nothing lost.
  const third = await startDynamo(dir, [{ name: 'jobs', shape: after }]);
  const again = clientOf(third.endpoint);
  expect((await again.send(new ScanCommand({ TableName: 'jobs' }))).Items).toHaveLength(60);
  again.destroy();
  await third.close();
});
