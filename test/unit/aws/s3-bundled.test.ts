// The S3 client as the Lambda bundles carry it: built with the handlers' esbuild settings (HANDLER_BUNDLING, minified
// CommonJS), with none of the AWS SDK's S3 code in it, loaded as the runtime loads a handler, and called over real
// sockets against the S3 emulator: a put, a head, a get, a missing key, a multipart upload and a presigned GET.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { handlerBuildOptions, PROJECT_ROOT } from '../../../lib/functions.ts';
import { testS3, type TestS3 } from './loopback.ts';

const ENTRY = `
import { Readable } from 'node:stream';
import { s3 } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/aws/clients/s3.ts'))};
import { uploadMultipart } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/aws/s3-multipart.ts'))};
import { readManifest, uploadMetadata, writeManifest } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/aws/s3-uploads.ts'))};
export async function handler({ bucket }) {
  const client = s3();
  await writeManifest(client, bucket, 'uploads/ü b.png', '{"prompt":"a cat"}');
  const manifest = await readManifest(client, bucket, 'uploads/ü b.png');
  const missing = await readManifest(client, bucket, 'uploads/none.png');
  const metadata = await uploadMetadata(client, { bucket, key: 'uploads/ü b.png.json' });
  const headMissing = await client.head(bucket, 'none').catch((e) => e.name + ' ' + e.status);
  const part = Buffer.alloc(5 * 1024 * 1024, 1);
  await uploadMultipart(client, Readable.from([part, part.subarray(0, 10)]), { bucket, key: 'parts.bin', partSize: part.length, inFlight: 2 });
  const parts = (await client.head(bucket, 'parts.bin')).contentLength;
  const url = client.presign('GET', bucket, 'uploads/ü b.png.json', 60);
  const presigned = await (await fetch(url)).text();
  return { manifest, missing, metadata, headMissing, parts, presigned };
}
`;

let s3: TestS3;
const saved = { ...process.env };

beforeAll(async () => {
  s3 = await testS3('bundled');
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    KLINGFLOW_S3_FORCE_PATH_STYLE: 'true',
  });
});

afterAll(async () => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  await s3?.close();
});

it('carries none of the AWS SDK and works once bundled', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'klingflow-s3-bundled-'));
  writeFileSync(join(dir, 'entry.ts'), ENTRY);
  const outfile = join(dir, 'index.js');
  const result = await build({ ...handlerBuildOptions(join(dir, 'entry.ts'), outfile), metafile: true, logLevel: 'silent' });
  expect(result.warnings).toEqual([]);
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((path) => /@aws-sdk\/|@smithy\//.test(path))).toEqual([]);
  expect(inputs.some((path) => path.includes('node_modules/aws4/'))).toBe(true);
  const { handler } = createRequire(import.meta.url)(outfile) as { handler: (event: unknown) => Promise<unknown> };
  expect(await handler({ bucket: 'bundled' })).toEqual({
    manifest: '{"prompt":"a cat"}',
    missing: undefined,
    metadata: {},
    headMissing: 'NotFound 404',
    parts: 5 * 1024 * 1024 + 10,
    presigned: '{"prompt":"a cat"}',
  });
  // Compared by hash: a deep equality of 5 MiB takes seconds.
  const sha256 = (bytes: Buffer | undefined) => bytes && createHash('sha256').update(bytes).digest('hex');
  expect(sha256(await s3.read('parts.bin'))).toBe(sha256(Buffer.alloc(5 * 1024 * 1024 + 10, 1)));
}, 60_000);
