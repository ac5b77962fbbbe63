// The S3 client's SDK log lines: none reaches the console. Without a logger of its own, the SDK writes a warning
// to the console when a streamed request's connection drops; the error reaches the caller anyway.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
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

it('keeps the SDK warning about a dropped streamed PUT out of the console; the error reaches the caller', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  const body = Readable.from([Buffer.alloc(64 * 1024, 1)]);
  const put = new PutObjectCommand({ Bucket: 'archive', Key: 'video.mp4', Body: body, ContentLength: 64 * 1024 });
  await expect(s3().send(put)).rejects.toThrow();
  expect(warn).not.toHaveBeenCalled();
});
