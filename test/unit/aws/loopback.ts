// Test helpers for the outbound and archive tests: real HTTP servers on 127.0.0.1 that count their connections and
// answer with a handler, and the S3 emulator (s3rver) in a fresh folder with the handlers' client pointed at it (and
// the AWS SDK's, to set up and check objects with another implementation).
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startDynamo, type LocalDynamo } from '../../../local/emulators/dynamodb.ts';
import { startS3, type LocalS3 } from '../../../local/emulators/s3.ts';
import { type S3, s3Client } from '../../../lambdas/aws/clients/s3.ts';

export interface LoopbackServer {
  port: number;
  /** `127.0.0.1:<port>` */
  host: string;
  url: string;
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 with any free port. */
export async function loopbackServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<LoopbackServer> {
  let connections = 0;
  const server: Server = createServer(handle);
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TestS3 {
  /** The handlers' client. */
  client: S3;
  /** The AWS SDK's client (checksums only where required), for setup and checks. */
  sdk: S3Client;
  /** The emulator's endpoint (`http://127.0.0.1:<port>`). */
  endpoint: string;
  bucket: string;
  /** The object's bytes, or `undefined` when it does not exist. */
  read(key: string): Promise<Buffer | undefined>;
  exists(key: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The handlers' S3 client for an endpoint (path style, s3rver's credentials). */
export const s3ClientAt = (endpoint: string): S3 =>
  s3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });

/** The S3 emulator with one bucket, the handlers' client and the SDK's. */
export async function testS3(bucket = 'test-outputs'): Promise<TestS3> {
  const emulator: LocalS3 = await startS3(mkdtempSync(join(tmpdir(), 'klingflow-s3-')), [bucket]);
  const sdk = new S3Client({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const exists = async (key: string) => {
    try {
      await sdk.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch {
      return false;
    }
  };
  const client = s3ClientAt(emulator.endpoint);
  return {
    client,
    sdk,
    endpoint: emulator.endpoint,
    bucket,
    exists,
    read: async (key) => {
      if (!(await exists(key))) return undefined;
      const object = await sdk.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await object.Body!.transformToByteArray());
    },
    close: async () => {
      client.destroy();
      sdk.destroy();
      await emulator.close();
    },
  };
}

/** The local DynamoDB in a fresh folder with one table, `things`, keyed by `pool` (hash) and `entry` (range). */
export function startThingsTable(): Promise<LocalDynamo> {
  return startDynamo(mkdtempSync(join(tmpdir(), 'klingflow-dynamo-')), [
    {
      name: 'things',
      shape: {
        KeySchema: [
          { AttributeName: 'pool', KeyType: 'HASH' },
          { AttributeName: 'entry', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pool', AttributeType: 'S' },
          { AttributeName: 'entry', AttributeType: 'S' },
        ],
      },
    },
  ]);
}
