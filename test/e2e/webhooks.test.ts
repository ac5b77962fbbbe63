// Signed webhooks to a caller's callbackUrl, and share links that open with no credentials and outlive any one
// presigned URL, through the real local stack. The receiver verifies each delivery with the Standard Webhooks reference library, as a
// caller's service would.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shareLink } from '../../lambdas/domain/share-link.ts';
import type { LocalStack } from '../../local/stack.ts';
import { Client, noticesOf, startTestStack } from './local-stack.ts';

interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: string;
  answered: number;
}

let stack: LocalStack;
let client: Client;
let receiver: Server;
let receiverUrl: string;
const deliveries: Delivery[] = [];
/** How many more times each path answers 500 before it answers 204 (absent: always 204; -1: always 500). */
const failuresLeft = new Map<string, number>();

beforeAll(async () => {
  process.env.KLINGFLOW_DOWNLOAD_URL_SECONDS = '1';
  stack = await startTestStack();
  client = new Client(stack);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const left = failuresLeft.get(path) ?? 0;
      const status = left !== 0 ? 500 : 204;
      if (left > 0) failuresLeft.set(path, left - 1);
      deliveries.push({
        path,
        headers: req.headers as Record<string, string>,
        body: Buffer.concat(chunks).toString('utf8'),
        answered: status,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

const verifier = () => new Webhook(`whsec_${stack.webhookSecret}`);
const deliveriesTo = (path: string) => deliveries.filter((d) => d.path === path);

async function settledWebhook(jobId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await client.request('GET', `/v1/jobs/${jobId}`);
    if (body.webhook && body.webhook.status !== 'pending') return body;
    if (Date.now() > deadline) throw new Error(`webhook of ${jobId} still ${JSON.stringify(body.webhook)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('signed webhooks', () => {
  it('delivers the finished job, signed so the receiver can verify it', async () => {
    const jobId = await client.createJob({ prompt: 'a fox [sim:latency=200]', callbackUrl: `${receiverUrl}/ok` });
    const job = await settledWebhook(jobId);
    expect(job).toMatchObject({ status: 'SUCCEEDED', webhook: { id: `msg_${jobId}_SUCCEEDED`, status: 'delivered', attempts: 1 } });
    const [delivery] = deliveriesTo('/ok');
    const verified = verifier().verify(delivery!.body, delivery!.headers) as { type: string; data: { jobId: string; status: string } };
    expect(verified).toMatchObject({ type: 'job.succeeded', data: { jobId, status: 'SUCCEEDED' } });
    expect(delivery!.headers['webhook-id']).toBe(`msg_${jobId}_SUCCEEDED`);
  });

  it('retries a receiver that fails twice: three deliveries, one webhook-id, each verifiable', async () => {
    failuresLeft.set('/flaky', 2);
    const jobId = await client.createJob({ prompt: 'a fox [sim:latency=200]', callbackUrl: `${receiverUrl}/flaky` });
    const job = await settledWebhook(jobId);
    expect(job.webhook).toMatchObject({ status: 'delivered', attempts: 3 });
    const received = deliveriesTo('/flaky');
    expect(received.map((d) => d.answered)).toEqual([500, 500, 204]);
    expect(new Set(received.map((d) => d.headers['webhook-id']))).toEqual(new Set([`msg_${jobId}_SUCCEEDED`]));
    expect(new Set(received.map((d) => d.body)).size).toBe(1);
    for (const delivery of received) expect(() => verifier().verify(delivery.body, delivery.headers)).not.toThrow();
  });

  it('refuses a tampered body', () => {
    const [delivery] = deliveriesTo('/ok');
    const tampered = delivery!.body.replace('SUCCEEDED', 'FAILED');
    expect(tampered).not.toBe(delivery!.body);
    expect(() => verifier().verify(tampered, delivery!.headers)).toThrow();
  });

  it('records a webhook that keeps failing on the job, without changing its outcome', async () => {
    failuresLeft.set('/down', -1);
    const jobId = await client.createJob({ prompt: 'a fox [sim:latency=200]', callbackUrl: `${receiverUrl}/down` });
    const job = await settledWebhook(jobId, 30_000);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.webhook).toMatchObject({ status: 'failed', attempts: 4, lastError: expect.stringMatching(/HTTP 500/) });
    expect(deliveriesTo('/down')).toHaveLength(4);
  });

  it('sends failed jobs their webhook too', async () => {
    const jobId = await client.createJob({ prompt: 'refused [sim:content-policy]', callbackUrl: `${receiverUrl}/failed` });
    const job = await settledWebhook(jobId);
    expect(job.status).toBe('FAILED');
    const verified = verifier().verify(deliveriesTo('/failed')[0]!.body, deliveriesTo('/failed')[0]!.headers) as {
      data: { error: { code: string } };
    };
    expect(verified.data.error.code).toBe('CONTENT_POLICY');
  });

  it('refuses a callbackUrl on a private host outside the local setting', async () => {
    const response = await client.request('POST', '/v1/jobs', { prompt: 'x', callbackUrl: 'https://169.254.169.254/latest' });
    expect(response.status).toBe(422);
    expect(response.body.error.details).toEqual([{ path: 'callbackUrl', message: "must name a public host, not '169.254.169.254'" }]);
  });
});

describe('share links', () => {
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

  it('open from the notice with no credentials, long after it: each click signs a fresh URL', async () => {
    const jobId = await client.createJob({ prompt: 'a lighthouse [sim:latency=200]' });
    const job = await client.waitForJob(jobId);
    const [notice] = await noticesOf(stack, jobId);
    const link = notice!.message.match(/^Download: (\S+)$/m)![1]!;
    expect(link).toMatch(new RegExp(`^${stack.url}/v1/share/${jobId}/video\\?expires=\\d+&sig=`));

    // A person clicking it: no Authorization header at all.
    const first = await fetch(link, { redirect: 'manual' });
    expect(first.status).toBe(302);
    const firstUrl = first.headers.get('location')!;
    // Followed as a browser does (the signed URL lives one second here, so it is not fetched a second time later).
    const opened = await fetch(link);
    expect(opened.status).toBe(200);
    expect(sha256(new Uint8Array(await opened.arrayBuffer()))).toBe(job.outputs.video.sha256);
    // Signed URLs here live one second: the first one dies, the link does not.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await fetch(firstUrl)).status).toBe(403);
    const followed = await fetch(link);
    expect(followed.status).toBe(200);
    expect(sha256(new Uint8Array(await followed.arrayBuffer()))).toBe(job.outputs.video.sha256);
  });

  it('are refused with a readable 403 when altered or expired, before the job is read', async () => {
    const jobId = await client.createJob({ prompt: 'a harbour [sim:latency=200]' });
    await client.waitForJob(jobId);
    const link = new URL((await noticesOf(stack, jobId))[0]!.message.match(/^Download: (\S+)$/m)![1]!);

    const otherJob = new URL(link);
    otherJob.pathname = otherJob.pathname.replace(jobId, 'job_someoneelse');
    const stretched = new URL(link);
    stretched.searchParams.set('expires', String(Number(link.searchParams.get('expires')) + 86_400));
    for (const altered of [otherJob, stretched]) {
      const answer = await fetch(altered, { redirect: 'manual' });
      expect(answer.status).toBe(403);
      const message = 'the link has been altered or was not issued by this deployment';
      expect(await answer.json()).toEqual({ error: { code: 'LINK_REFUSED', message, details: [{ path: 'link', message }] } });
    }

    // A link this deployment signed, expired an hour ago.
    const secret = readFileSync(join(stack.dataDir, 'share-secret'), 'utf8').trim();
    const expiresAt = Math.floor(Date.now() / 1000) - 3600;
    const expired = await fetch(shareLink(secret, stack.url, { jobId, object: 'video', expiresAt }), { redirect: 'manual' });
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toBe(
      `the link expired at ${new Date(expiresAt * 1000).toISOString()}; ask for a new one`,
    );
  });

  it('come in the webhook too, the same on every retry', async () => {
    failuresLeft.set('/links', 1);
    const jobId = await client.createJob({ prompt: 'a fox [sim:latency=200]', callbackUrl: `${receiverUrl}/links` });
    await settledWebhook(jobId);
    const received = deliveriesTo('/links');
    expect(received).toHaveLength(2);
    expect(received[0]!.body).toBe(received[1]!.body);
    const verified = verifier().verify(received[1]!.body, received[1]!.headers) as { links: { video: string } };
    const answer = await fetch(verified.links.video, { redirect: 'manual' });
    expect(answer.status).toBe(302);
  });
});
