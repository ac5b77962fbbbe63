// S3 on loopback (s3rver), objects on disk. Its object-created events (the real S3 notification shape, with
// the differences in docs/architecture.md, "Local emulators: known quirks") are handed to `onEvent`.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import S3rver from 's3rver';
import { encodeS3EventKey, IMAGE_SUFFIX_FILTERS, UPLOAD_PREFIX } from '../../lambdas/domain/uploads.ts';

export interface LocalS3 {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * CORS of every local bucket: the web console (on the front door's loopback origin, whatever its port) PUTs images
 * with the presigned URL of `POST /v1/uploads`, as the deployed inputs bucket allows the console's origin.
 */
const LOOPBACK_CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>http://127.0.0.1:*</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>content-type</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

export async function startS3(dir: string, buckets: string[], onEvent?: (event: unknown) => Promise<unknown>): Promise<LocalS3> {
  mkdirSync(dir, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: buckets.map((name) => ({ name, configs: [LOOPBACK_CORS] })),
  });
  emulateVersionIds(server);
  if (onEvent) {
    // s3rver emits during the request: a listener that throws would turn the PUT into a 500 after storing.
    server.on(
      'event',
      (event: unknown) => void onEvent(event).catch((error: Error) => process.stderr.write(`s3 event: ${error.message}\n`)),
    );
  }
  const address = (await server.run()) as AddressInfo;
  return { endpoint: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

/** The version id of the object a request is writing, made when s3rver reports the write. */
const requestVersion = new AsyncLocalStorage<{ versionId?: string }>();
let versionSequence = 0;

/**
 * The inputs bucket is versioned on AWS, so every upload of a key is a new version and starts a new job, even with
 * the same bytes. s3rver keeps no versions: here each object write gets a fresh version id, answered in
 * `x-amz-version-id` (as S3 does) and carried by its event, so the CLI and the trigger name the same version.
 * Reads ignore the version (s3rver serves the latest): docs/architecture.md, "Local emulators: known quirks".
 */
function emulateVersionIds(server: S3rver): void {
  // Koa composes its middleware when the server starts, so one put first wraps every request.
  (server as unknown as { middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[] }).middleware.unshift(
    (ctx, next) => {
      const state: { versionId?: string } = {};
      return requestVersion.run(state, async () => {
        await next();
        if (state.versionId) ctx.set('x-amz-version-id', state.versionId);
      });
    },
  );
  server.on('event', (event: { Records?: S3rverRecord[] }) => {
    // Registered before the trigger's listener, so the trigger sees the version id.
    const state = requestVersion.getStore() ?? {};
    for (const record of event.Records ?? []) {
      if (!record.eventName.startsWith('ObjectCreated:')) continue;
      state.versionId ??= `${Date.now().toString(36)}.${(versionSequence++).toString(36)}`;
      record.s3.object.versionId ??= state.versionId;
    }
  });
}

interface KoaContext {
  set(header: string, value: string): void;
}

interface S3rverRecord {
  eventTime?: string;
  eventName: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; sequencer?: string; versionId?: string } };
}

/**
 * What S3 would deliver to the upload trigger for an s3rver event: only object-created events of the inputs
 * bucket that pass the deployed notification filter (prefix uploads/, the image suffixes, case-sensitive), in
 * the real event shape, with the key URL-encoded as S3 sends it (s3rver does not encode it).
 */
export function toNotification(event: unknown, inputsBucket: string): S3Event {
  const records = ((event as { Records?: S3rverRecord[] }).Records ?? []).filter(
    (r) =>
      r.eventName.startsWith('ObjectCreated:') &&
      r.s3.bucket.name === inputsBucket &&
      r.s3.object.key.startsWith(UPLOAD_PREFIX) &&
      IMAGE_SUFFIX_FILTERS.some((suffix) => r.s3.object.key.endsWith(suffix)),
  );
  return {
    Records: records.map(
      (r): S3EventRecord => ({
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: r.eventTime ?? new Date().toISOString(),
        eventName: r.eventName as S3EventRecord['eventName'],
        userIdentity: { principalId: 'local' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'local', 'x-amz-id-2': 'local' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'klingflow-uploads',
          bucket: { name: r.s3.bucket.name, ownerIdentity: { principalId: 'local' }, arn: `arn:aws:s3:::${r.s3.bucket.name}` },
          object: {
            key: encodeS3EventKey(r.s3.object.key),
            size: r.s3.object.size ?? 0,
            eTag: r.s3.object.eTag ?? '',
            sequencer: r.s3.object.sequencer ?? '',
            ...(r.s3.object.versionId ? { versionId: r.s3.object.versionId } : {}),
          },
        },
      }),
    ),
  };
}
