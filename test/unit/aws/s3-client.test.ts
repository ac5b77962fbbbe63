// The S3 client writes nothing to the console when a streamed request's connection drops (the AWS SDK, without a
// logger of its own, used to warn there); the error reaches the caller, as a socket error with its code.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { s3 } from '../../../lambdas/aws/clients/s3.ts';

const server = createServer((req) => req.socket.destroy());
const saved = { ...process.env };

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_ACCESS_KEY_ID: 'AKIDS3CLIENTTEST',
    AWS_SECRET_ACCESS_KEY: 'secret',
    KLINGFLOW_S3_FORCE_PATH_STYLE: 'true',
  });
});

afterAll(() => {
  server.close();
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  vi.restoreAllMocks();
});

it('keeps any warning about a dropped streamed PUT out of the console; the error reaches the caller', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  const body = Readable.from([Buffer.alloc(64 * 1024, 1)]);
  await expect(s3().put('archive', 'video.mp4', body, { contentLength: 64 * 1024 })).rejects.toThrow();
  expect(warn).not.toHaveBeenCalled();
});
