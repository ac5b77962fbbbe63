// S3 on loopback (s3rver), objects on disk. Its object-created events (the real S3 notification shape, with
// the differences in reference/local-emulation.md §3) are handed to `onEvent`.
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';

export interface LocalS3 {
  endpoint: string;
  close(): Promise<void>;
}

export async function startS3(dir: string, buckets: string[], onEvent?: (event: unknown) => Promise<void>): Promise<LocalS3> {
  mkdirSync(dir, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  if (onEvent) {
    // s3rver emits during the request: a listener that throws would turn the PUT into a 500 after storing.
    server.on('event', (event: unknown) => void onEvent(event).catch((error: Error) => process.stderr.write(`s3 event: ${error.message}\n`)));
  }
  const address = (await server.run()) as AddressInfo;
  return { endpoint: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}
