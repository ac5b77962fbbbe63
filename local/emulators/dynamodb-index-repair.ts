// dynalite writes an item and its index entries one after another, not atomically (its putItem writes the index
// entries first, then the item; an update deletes the old entries and writes the new ones around the item). A stack
// killed with -9 in between leaves an index entry without its item, or one whose keys the item no longer has: a
// "ghost" job that a listing shows and `GET /v1/jobs/{id}` answers 404, that nothing ever finishes (the reconciler
// reads the base table). At start, before anything else reads or writes, every index is checked against the base table
// and each such entry is removed through the API itself: the ghost is put as an item (so its entries are the ones
// dynalite holds for it) and then deleted, or replaced by the real item, which writes the right entries.
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { TableShape } from './dynamodb.ts';

type Item = Record<string, AttributeValue>;

/** Every item a scan of the table (or of one of its indexes) reads, page by page. */
async function* scanAll(client: DynamoDBClient, input: ScanCommandInput): AsyncGenerator<Item> {
  let start: Item | undefined;
  do {
    const page = await client.send(new ScanCommand({ ...input, ExclusiveStartKey: start }));
    yield* page.Items ?? [];
    start = page.LastEvaluatedKey;
  } while (start);
}

const namesOf = (schema: unknown): string[] => ((schema ?? []) as { AttributeName: string }[]).map((k) => k.AttributeName);
const valuesOf = (item: Item, names: readonly string[]): string => JSON.stringify(names.map((name) => item[name] ?? null));

/** The attributes `names` of `item` that it has. */
const pick = (item: Item, names: readonly string[]): Item =>
  Object.fromEntries(names.flatMap((name) => (item[name] ? [[name, item[name]] as const] : [])));

/**
 * Removes the index entries of `table` that no item stands behind: one whose item is gone, or whose item's index key
 * differs from the entry's. Answers how many it removed. Reads the base table once (keeping only each item's keys)
 * and each index once; throws what DynamoDB throws.
 */
export async function repairIndexes(client: DynamoDBClient, table: { name: string; shape: TableShape }): Promise<number> {
  const indexes = table.shape.GlobalSecondaryIndexes ?? [];
  if (!indexes.length) return 0;
  const tableKey = namesOf(table.shape.KeySchema);
  const indexKeys = [...new Set(indexes.flatMap((index) => namesOf(index.KeySchema)))];
  // Per item: its index key values, by the item's key.
  const items = new Map<string, Item>();
  for await (const item of scanAll(client, { TableName: table.name, ConsistentRead: true })) {
    items.set(valuesOf(item, tableKey), pick(item, [...tableKey, ...indexKeys]));
  }
  let repaired = 0;
  for (const index of indexes) {
    const keys = namesOf(index.KeySchema);
    for await (const entry of scanAll(client, { TableName: table.name, IndexName: index.IndexName })) {
      const key = valuesOf(entry, tableKey);
      const item = items.get(key);
      if (item && valuesOf(item, keys) === valuesOf(entry, keys)) continue;
      const itemKey = pick(entry, tableKey);
      // The real item, read before the ghost's put replaces it.
      const real = item
        ? (await client.send(new GetItemCommand({ TableName: table.name, Key: itemKey, ConsistentRead: true }))).Item
        : undefined;
      // The ghost becomes an item, so dynalite holds exactly its entries; then it goes, or the real item comes back
      // (whose put replaces the ghost's entries with its own).
      await client.send(new PutItemCommand({ TableName: table.name, Item: entry }));
      if (real) await client.send(new PutItemCommand({ TableName: table.name, Item: real }));
      else await client.send(new DeleteItemCommand({ TableName: table.name, Key: itemKey }));
      repaired += 1;
    }
  }
  return repaired;
}
