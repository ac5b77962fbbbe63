// DynamoDB on loopback (dynalite), data on disk. The jobs and admission tables are created from the synthesized
// template's key schemas and indexes, so the local tables are the deployed ones.
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

export interface LocalDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite on loopback with its data in `dir`, and creates each table that does not exist yet. */
export async function startDynamo(dir: string, tables: readonly { name: string; shape: TableShape }[]): Promise<LocalDynamo> {
  mkdirSync(dir, { recursive: true });
  const server: Server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    for (const table of tables) {
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
      }
    }
  } finally {
    client.destroy();
  }
  return { endpoint, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
