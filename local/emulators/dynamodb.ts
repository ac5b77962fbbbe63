// DynamoDB on loopback (dynalite), data on disk. The jobs table is created from the synthesized template's
// key schema and indexes, so the local table is the deployed one.
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

export interface TableShape {
  KeySchema: CreateTableCommandInput['KeySchema'];
  AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
  GlobalSecondaryIndexes?: { IndexName: string; KeySchema: unknown; Projection: unknown }[];
}

/** The jobs table's shape from the template (AWS::DynamoDB::GlobalTable, what TableV2 synthesizes). */
export function tableShapeFrom(template: { Resources: Record<string, { Type: string; Properties?: any }> }): TableShape {
  const tables = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::DynamoDB::GlobalTable' || r.Type === 'AWS::DynamoDB::Table',
  );
  const [table] = tables;
  if (tables.length !== 1 || !table) throw new Error(`expected one DynamoDB table in the template, found ${tables.length}`);
  const p = table.Properties;
  return {
    KeySchema: p.KeySchema,
    AttributeDefinitions: p.AttributeDefinitions,
    GlobalSecondaryIndexes: (p.GlobalSecondaryIndexes ?? []).map((gsi: any) => ({
      IndexName: gsi.IndexName,
      KeySchema: gsi.KeySchema,
      Projection: gsi.Projection,
    })),
  };
}

export interface LocalDynamo {
  endpoint: string;
  close(): Promise<void>;
}

export async function startDynamo(dir: string, table: { name: string; shape: TableShape }): Promise<LocalDynamo> {
  mkdirSync(dir, { recursive: true });
  const server: Server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: table.shape.KeySchema,
        AttributeDefinitions: table.shape.AttributeDefinitions,
        ...(table.shape.GlobalSecondaryIndexes?.length ? { GlobalSecondaryIndexes: table.shape.GlobalSecondaryIndexes as never } : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error; // kept from the last run
  } finally {
    client.destroy();
  }
  return { endpoint, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
