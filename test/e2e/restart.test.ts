// A restart of the local stack: data on disk survives, and a job that was in flight is driven again to the
// end without a second provider task. The provider (simulator) keeps running across the restart, as a real
// provider would.
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_NAMES } from '../../local/stack.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, freshDataDir, noticesOf, startTestStack } from './local-stack.ts';

let simulator: Simulator;
const keys = { accessKey: 'ak_restart_test', secretKey: 'restart-test-secret-key-0123456789' };
const webhookSecret = `whsec_${Buffer.from('restart-test-webhook-secret-bytes').toString('base64')}`;

beforeAll(async () => {
  simulator = await startSimulator({ latencyMs: 600, webhookSecret, credentials: keys });
  Object.assign(process.env, {
    KLINGFLOW_KLING_BASE_URL: simulator.url,
    KLINGFLOW_KLING_ACCESS_KEY: keys.accessKey,
    KLINGFLOW_KLING_SECRET_KEY: keys.secretKey,
    KLINGFLOW_KLING_WEBHOOK_SECRET: webhookSecret,
  });
});

afterAll(async () => {
  await simulator?.close();
});

describe('restarting the local stack', () => {
  it('keeps finished jobs and their videos, and finishes the jobs that were in flight', async () => {
    const dataDir = freshDataDir();
    let stack: LocalStack | undefined = await startTestStack(dataDir);
    let client = new Client(stack);
    let inFlight: string;
    let finished: string;
    let video: { sha256: string; bytes: number };
    try {
      finished = await client.createJob({ prompt: 'a sailing ship in a storm' });
      const done = await client.waitForJob(finished);
      expect(done.status).toBe('SUCCEEDED');
      video = done.outputs.video;

      inFlight = await client.createJob({ prompt: 'a slow sunrise over hills [sim:latency=5000]' });
      for (let i = 0; i < 100; i++) {
        const { body } = await client.request('GET', `/v1/jobs/${inFlight}`);
        if (body.providerTaskId) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await client.request('GET', `/v1/jobs/${inFlight}`)).body.status).toBe('SUBMITTED');
    } finally {
      await stack.stop();
      stack = undefined;
    }

    // A kept secret whose mode was widened while the stack was down is made owner-only again at start.
    const secretFile = join(dataDir, 'callback-secret');
    const secret = readFileSync(secretFile, 'utf8');
    chmodSync(secretFile, 0o644);
    stack = await startTestStack(dataDir);
    try {
      expect(statSync(secretFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(secretFile, 'utf8')).toBe(secret);
      client = new Client(stack);
      expect(stack.redriven).toEqual([inFlight]);

      const kept = await client.request('GET', `/v1/jobs/${finished}`);
      expect(kept.body).toMatchObject({ status: 'SUCCEEDED', outputs: { video } });
      const { bytes } = await client.downloadVideo(finished);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(video.sha256);

      const resumed = await client.waitForJob(inFlight);
      expect(resumed.status).toBe('SUCCEEDED');
      expect(simulator.tasks().filter((t) => t.externalTaskId === inFlight)).toHaveLength(1);
      expect(await noticesOf(stack, inFlight)).toHaveLength(1);
      expect(await noticesOf(stack, finished)).toHaveLength(1);
    } finally {
      await stack.stop();
    }
  });
});

describe('a notice claimed by a stack that was stopped before it was sent', () => {
  it('is sent at the next start, not once the claim is old enough to be stale', async () => {
    const dataDir = freshDataDir();
    let stack = await startTestStack(dataDir);
    let jobId: string;
    try {
      const client = new Client(stack);
      jobId = await client.createJob({ prompt: 'a notice lost mid-send' });
      expect((await client.waitForJob(jobId)).status).toBe('SUCCEEDED');
      expect(await noticesOf(stack, jobId)).toHaveLength(1);
      // As a run killed between claiming the notice and sending it leaves the job: claimed a moment ago, not sent.
      const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
      await db.send(
        new UpdateCommand({
          TableName: LOCAL_NAMES.table,
          Key: { jobId },
          UpdateExpression: 'SET noticeClaimedAt = :now REMOVE notifiedAt',
          ExpressionAttributeValues: { ':now': new Date().toISOString() },
        }),
      );
      db.destroy();
    } finally {
      await stack.stop();
    }
    stack = await startTestStack(dataDir);
    try {
      // The outbox keeps the first notice; the second comes from the start's pass, within seconds (the claim is 60 s
      // from stale by age, and the timer's passes leave a job alone for 10 minutes after its last change).
      const deadline = Date.now() + 15_000;
      while ((await noticesOf(stack, jobId, 0)).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await noticesOf(stack, jobId)).toHaveLength(2);
    } finally {
      await stack.stop();
    }
  });
});

describe('restarting the local stack with the built-in simulator', () => {
  it('the simulator keeps its tasks and its address: a job in flight finishes on its one task, with one notice', async () => {
    const dataDir = freshDataDir();
    let stack: LocalStack = await startTestStack(dataDir);
    let client = new Client(stack);
    let inFlight: string;
    let simulatorUrl: string;
    try {
      inFlight = await client.createJob({ provider: 'kling-ai', prompt: 'a tide coming in [sim:latency=4000]' });
      for (let i = 0; i < 100 && !(await client.request('GET', `/v1/jobs/${inFlight}`)).body.providerTaskId; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const seen = (await client.request('GET', `/v1/jobs/${inFlight}`)).body;
      expect(seen.status, JSON.stringify(seen)).toBe('SUBMITTED');
      simulatorUrl = stack.simulator!.url;
    } finally {
      await stack.stop();
    }

    stack = await startTestStack(dataDir);
    try {
      client = new Client(stack);
      expect(stack.simulator!.url).toBe(simulatorUrl);
      expect(stack.redriven).toEqual([inFlight]);
      const resumed = await client.waitForJob(inFlight);
      expect(resumed.status).toBe('SUCCEEDED');
      expect(stack.simulator!.tasks().filter((t) => t.prompt === 'a tide coming in [sim:latency=4000]')).toHaveLength(1);
      expect(await noticesOf(stack, inFlight)).toHaveLength(1);
    } finally {
      await stack.stop();
    }
  });
});
