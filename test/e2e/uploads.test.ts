// Image-to-video from S3 uploads, through the real local stack: an object put into the inputs bucket (s3rver)
// raises an S3 event that reaches the upload trigger in the real event shape, and the workflow does the rest.
import { readFileSync } from 'node:fs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMetadataValue, jobIdForUpload } from '../../lambdas/domain/uploads.ts';
import { STATES } from '../../lambdas/workflow/contract.ts';
import { toNotification } from '../../local/emulators/s3.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, noticesOf, startTestStack, statesEntered } from './local-stack.ts';

const CAT = readFileSync('test/fixtures/cat-640x360.png');
const TINY = readFileSync('test/fixtures/tiny-120x120.png');
const GIF = readFileSync('test/fixtures/square-400.gif');

let stack: LocalStack;
let client: Client;
let s3: S3Client;

beforeAll(async () => {
  stack = await startTestStack();
  client = new Client(stack);
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: stack.s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  s3?.destroy();
  await stack?.stop();
});

/** Puts an object as a user would; returns the job id its version gets, and the version. */
async function put(key: string, body: Buffer, metadata: Record<string, string> = {}): Promise<{ jobId: string; versionId: string }> {
  const answer = await s3.send(
    new PutObjectCommand({ Bucket: stack.inputsBucket, Key: key, Body: body, ContentType: 'image/png', Metadata: metadata }),
  );
  // The inputs bucket is versioned (the local S3 emulates version ids): every put is a new version.
  expect(answer.VersionId).toBeTruthy();
  const versionId = answer.VersionId ?? '';
  return { jobId: jobIdForUpload({ bucket: stack.inputsBucket, key, versionId, eTag: answer.ETag }), versionId };
}

const upload = async (key: string, body: Buffer, metadata: Record<string, string> = {}): Promise<string> =>
  (await put(key, body, metadata)).jobId;

/** Waits for the job an upload started (it exists once the trigger has run). */
async function uploadedJob(jobId: string) {
  for (let i = 0; i < 100; i++) {
    const { status } = await client.request('GET', `/v1/jobs/${jobId}`);
    if (status === 200) return client.waitForJob(jobId);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no job ${jobId} after the upload`);
}

const providerTasks = (jobId: string) => stack.simulator!.tasks().filter((t) => t.externalTaskId === jobId);

describe('an image uploaded under uploads/', () => {
  it('becomes exactly one image-to-video job, however often S3 delivers the event', async () => {
    const key = 'uploads/my cat (1).png';
    const { jobId, versionId } = await put(key, CAT, { prompt: 'the cat yawns and stretches' });

    // S3 delivers at least once: the same event twice more.
    const redelivery = toNotification(
      {
        Records: [
          {
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: stack.inputsBucket }, object: { key, size: CAT.length, eTag: await s3ETag(key), versionId } },
          },
        ],
      },
      stack.inputsBucket,
    );
    expect(redelivery.Records[0]!.s3.object.key).toBe('uploads/my+cat+%281%29.png');
    await Promise.all([stack.deliverS3Event(redelivery), stack.deliverS3Event(redelivery)]);

    const job = await uploadedJob(jobId);
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      mode: 'image-to-video',
      source: { bucket: stack.inputsBucket, key },
      request: { prompt: 'the cat yawns and stretches', image: { s3Key: key } },
    });
    expect(stack.runtime.list().filter((e) => e.name === jobId)).toHaveLength(1);
    const tasks = providerTasks(jobId);
    expect(tasks).toHaveLength(1);
    // Kling takes the image as bare base64: the provider got the uploaded bytes.
    expect(Buffer.from((tasks[0]!.request as { image: string }).image, 'base64').equals(CAT)).toBe(true);
    expect(await noticesOf(stack, jobId)).toHaveLength(1);
    const listed = (await client.request('GET', '/v1/jobs?limit=100')).body.items.filter((j: { jobId: string }) => j.jobId === jobId);
    expect(listed).toHaveLength(1);
  });

  it('takes its options from a manifest beside it, metadata winning', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.inputsBucket,
        Key: 'uploads/dog.png.json',
        Body: JSON.stringify({ prompt: 'from the manifest', durationSeconds: 10, negativePrompt: 'blur' }),
        ContentType: 'application/json',
      }),
    );
    const jobId = await upload('uploads/dog.png', CAT, { prompt: 'the dog wags its tail' });
    const job = await uploadedJob(jobId);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.request).toMatchObject({ prompt: 'the dog wags its tail', durationSeconds: 10, negativePrompt: 'blur' });
  });

  it.each([
    ['too small', 'uploads/tiny.png', TINY, /120×120 px; the provider needs at least 300 px/],
    ['not a format the provider takes', 'uploads/not-really.png', GIF, /is gif; the provider takes jpg, png/],
  ])('fails with a clear reason and a notice when the image is %s; nothing reaches the provider', async (_what, key, body, reason) => {
    const jobId = await upload(key, body, { prompt: 'anything' });
    const job = await uploadedJob(jobId);
    expect(job.status).toBe('FAILED');
    expect(job.error).toMatchObject({ code: 'VALIDATION_FAILED', retryable: false });
    expect(job.error.message).toMatch(reason);
    expect(providerTasks(jobId)).toHaveLength(0);
    expect(await statesEntered(stack, jobId)).not.toContain(STATES.submit);
    const notices = await noticesOf(stack, jobId);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.message).toMatch(reason);
  });

  it('fails, with the option named, when an option cannot be read', async () => {
    const jobId = await upload('uploads/bad-options.png', CAT, { prompt: 'x', duration: 'five', colour: 'red' });
    const job = await uploadedJob(jobId);
    expect(job.status).toBe('FAILED');
    expect(job.error.message).toMatch(/metadata\.duration: 'five' is not a number/);
    expect(job.error.message).toMatch(/metadata\.colour: unknown option/);
    expect(providerTasks(jobId)).toHaveLength(0);
  });

  it('takes a non-ASCII prompt intact: RFC 2047-encoded in the metadata, decoded before the provider sees it', async () => {
    const prompt = '一只小猫在雪地里奔跑';
    const key = 'uploads/小猫 in snow.png';
    const jobId = await upload(key, CAT, { prompt: encodeMetadataValue(prompt) });
    const job = await uploadedJob(jobId);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.request.prompt).toBe(prompt);
    expect((providerTasks(jobId)[0]!.request as { prompt: string }).prompt).toBe(prompt);
  });

  it('starts a new job for a new upload of the same key, with its own options', async () => {
    const key = 'uploads/again.png';
    const first = await put(key, CAT, { prompt: 'first take' });
    const second = await put(key, CAT, { prompt: 'second take' });
    expect(second.versionId).not.toBe(first.versionId);
    expect(second.jobId).not.toBe(first.jobId);
    expect((await uploadedJob(first.jobId)).request.prompt).toBe('first take');
    expect((await uploadedJob(second.jobId)).request.prompt).toBe('second take');
  });

  it('ignores objects that are not images under uploads/', async () => {
    const before = stack.runtime.list().length;
    await s3.send(new PutObjectCommand({ Bucket: stack.inputsBucket, Key: 'notes/readme.png', Body: CAT }));
    await s3.send(new PutObjectCommand({ Bucket: stack.inputsBucket, Key: 'uploads/readme.txt', Body: 'hello' }));
    await new Promise((r) => setTimeout(r, 500));
    expect(stack.runtime.list().length).toBe(before);
  });
});

async function s3ETag(key: string): Promise<string> {
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  const head = await s3.send(new HeadObjectCommand({ Bucket: stack.inputsBucket, Key: key }));
  return (head.ETag ?? '').replace(/"/g, '');
}
