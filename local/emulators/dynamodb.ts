// DynamoDB on loopback (dynalite), data on disk. The tables are created from the synthesized template's key schemas
// and indexes, so the local tables are the deployed ones; a kept table whose indexes changed is rebuilt with them.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ScanCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { repairIndexes } from './dynamodb-index-repair.ts';

export interface TableShape {
  KeySchema: CreateTableCommandInput['KeySchema'];
  AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
  GlobalSecondaryIndexes?: { IndexName: string; KeySchema: unknown; Projection: unknown }[];
}

/** What each table is for, as lib/storage.ts marks it (metadata `klingflow:table`). */
export type TableRole = 'jobs' | 'admission' | 'spend';

const TABLE_ROLE_METADATA_KEY = 'klingflow:table';

/**
 * The shapes of the tables in the template (AWS::DynamoDB::GlobalTable, what TableV2 synthesizes), by the role
 * lib/storage.ts marks each with. Throws when a role is missing or given twice.
 */
export function tableShapesFrom(template: {
  Resources: Record<string, { Type: string; Properties?: any; Metadata?: Record<string, unknown> }>;
}): Record<TableRole, TableShape> {
  const shapes: Partial<Record<TableRole, TableShape>> = {};
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::DynamoDB::GlobalTable' && resource.Type !== 'AWS::DynamoDB::Table') continue;
    const role = resource.Metadata?.[TABLE_ROLE_METADATA_KEY] as TableRole | undefined;
    if (role !== 'jobs' && role !== 'admission' && role !== 'spend')
      throw new Error(`a DynamoDB table in the template has no ${TABLE_ROLE_METADATA_KEY} role`);
    if (shapes[role]) throw new Error(`two DynamoDB tables in the template are marked ${role}`);
    const p = resource.Properties;
    shapes[role] = {
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      GlobalSecondaryIndexes: (p.GlobalSecondaryIndexes ?? []).map((gsi: any) => ({
        IndexName: gsi.IndexName,
        KeySchema: gsi.KeySchema,
        Projection: gsi.Projection,
      })),
    };
  }
  if (!shapes.jobs || !shapes.admission || !shapes.spend) throw new Error('the template lacks the jobs, admission or spend table');
  return shapes as Record<TableRole, TableShape>;
}

/**
 * LevelDB's memory, under dynalite: an LRU cache of 1 MiB of read blocks (8 MiB by default) and a write buffer of
 * 1 MiB (4 MiB by default; two can be held while one is written out). These are malloc'd outside the V8 heap and
 * fill as the data grows, so with the defaults the stack's RSS rose for its first thousands of jobs; the local data
 * is small and its files are in the page cache anyway (docs/architecture.md, "Nothing is ever released").
 */
export const LEVEL_OPTIONS = { cacheSize: 1024 * 1024, writeBufferSize: 1024 * 1024 } as const;

export interface LocalDynamo {
  endpoint: string;
  /** Index entries without an item behind them (left by a kill during a write) removed at start (dynamodb-index-repair.ts). */
  repairedIndexEntries: number;
  close(): Promise<void>;
}

/**
 * Starts dynalite on loopback with its data in `dir`, and creates each table that does not exist yet. A table kept
 * from an earlier run whose indexes differ from the template's is rebuilt with them, its items kept (see
 * {@link matchIndexes}). With `repairIndexes` (after a stack that did not stop cleanly: the scans cost a start-up
 * in proportion to the data), index entries a kill left without their item are removed (see {@link repairIndexes}).
 */
export async function startDynamo(
  dir: string,
  tables: readonly { name: string; shape: TableShape }[],
  options: { repairIndexes?: boolean } = {},
): Promise<LocalDynamo> {
  mkdirSync(dir, { recursive: true });
  const server: Server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, levelOptions: LEVEL_OPTIONS });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let repairedIndexEntries = 0;
  try {
    for (const table of tables) {
      try {
        await createTable(client, table);
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
        await matchIndexes(client, table, join(dir, `${table.name}.rebuild.json`)); // kept from the last run
      }
      await finishRebuild(client, table.name, join(dir, `${table.name}.rebuild.json`));
      if (options.repairIndexes) repairedIndexEntries += await repairIndexes(client, table);
    }
  } finally {
    client.destroy();
  }
  return { endpoint, repairedIndexEntries, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * Creates the table and waits until it is ACTIVE. dynalite answers CreateTable with CREATING and turns the table
 * ACTIVE on a timer (`createTableMs: 0`) and an asynchronous write: until then a PutItem fails with
 * ResourceNotFoundException, which a loaded machine showed (the first write after a start failed).
 */
async function createTable(client: DynamoDBClient, table: { name: string; shape: TableShape }): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: table.name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: table.shape.KeySchema,
      AttributeDefinitions: table.shape.AttributeDefinitions,
      ...(table.shape.GlobalSecondaryIndexes?.length ? { GlobalSecondaryIndexes: table.shape.GlobalSecondaryIndexes as never } : {}),
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.02, maxDelay: 0.1 }, { TableName: table.name });
}

/**
 * dynalite ignores index changes made with UpdateTable, so a data folder from an older version would keep a table
 * without an index the code now queries. When the indexes differ, every item is saved to `backup` (a JSON file),
 * the table is made again from the template's shape, and {@link finishRebuild} puts the items back; a process that
 * dies in between finds the file at its next start and finishes the job.
 */
async function matchIndexes(client: DynamoDBClient, table: { name: string; shape: TableShape }, backup: string): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table.name }));
  const names = (indexes: { IndexName?: string }[] | undefined) =>
    (indexes ?? [])
      .map((index) => index.IndexName ?? '')
      .sort()
      .join(',');
  if (names(Table?.GlobalSecondaryIndexes) === names(table.shape.GlobalSecondaryIndexes)) return;
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table.name, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  writeFileSync(`${backup}.tmp`, JSON.stringify(items));
  renameSync(`${backup}.tmp`, backup);
  await client.send(new DeleteTableCommand({ TableName: table.name }));
  // dynalite ends a delete on a timer (as DynamoDB does, later): a create before then finds the table still there.
  await waitUntilTableNotExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: table.name });
  await createTable(client, table);
}

/** Puts back the items a rebuild saved to `backup` (if there is such a file), then removes it. */
async function finishRebuild(client: DynamoDBClient, tableName: string, backup: string): Promise<void> {
  if (!existsSync(backup)) return;
  const items = JSON.parse(readFileSync(backup, 'utf8')) as Record<string, AttributeValue>[];
  for (let i = 0; i < items.length; i += 25) {
    let requests: BatchWriteItemCommandInput['RequestItems'] = {
      [tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
    };
    while (requests && Object.keys(requests).length) {
      ({ UnprocessedItems: requests } = await client.send(new BatchWriteItemCommand({ RequestItems: requests })));
    }
  }
  rmSync(backup, { force: true });
}
