// Archive's copy into the outputs bucket failing on S3's side, through the real local stack: the local S3 cannot
// write the video because a file stands where the job's folder goes (s3rver answers 500 InternalError). Archive
// retries that (ArchiveStoreUnavailable), then the job ends INTERNAL; its owner reads the error's name, not S3's text,
// and it is not blamed on the provider's network.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { LOCAL_NAMES } from '../../local/stack.ts';
import { Client, useTestStack } from './local-stack.ts';

const stack = useTestStack();

it('a job whose video S3 cannot store ends INTERNAL after Archive retried, naming the error but not its text', async () => {
  const client = new Client(stack());
  const jobId = await client.createJob({ prompt: 'a fox [sim:latency=3000]' });
  const outputs = join(stack().dataDir, 's3', LOCAL_NAMES.outputsBucket, 'jobs');
  mkdirSync(outputs, { recursive: true });
  writeFileSync(join(outputs, jobId), 'a file where the folder goes');
  const job = await client.waitForJob(jobId, 150_000);
  expect(job.status).toBe('FAILED');
  expect(job.error).toEqual({
    code: 'INTERNAL',
    message: 'an internal error ended the job (ArchiveStoreUnavailable); creating it again may work',
    retryable: true,
  });
}, 200_000);
