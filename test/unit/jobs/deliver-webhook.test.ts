import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../../lambdas/domain/job.ts';
import { deliverWebhook, webhookBodyOf, webhookIdOf, type WebhookDeps } from '../../../lambdas/jobs/deliver-webhook.ts';

const SECRET = 'c2VjcmV0LWZvci13ZWJob29rLXRlc3RzLTEyMzQ1Njc4';
const job: Job = {
  jobId: 'job_1',
  status: 'SUCCEEDED',
  provider: 'kling',
  model: 'kling-v3',
  mode: 'text-to-video',
  request: { provider: 'kling', model: 'kling-v3', prompt: 'a fox', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' },
  attempts: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:01:00.000Z',
  webhook: { id: 'msg_job_1_SUCCEEDED', status: 'pending', attempts: 2 },
};

function deps(resolveTo: string[], sent: { url: string; init: RequestInit }[], allowLoopback = false): WebhookDeps {
  return {
    fetch: (async (url: URL, init: RequestInit) => {
      sent.push({ url: String(url), init });
      return new Response(null, { status: 204 });
    }) as unknown as typeof fetch,
    secret: SECRET,
    now: () => new Date(),
    timeoutMs: 1000,
    allowLoopback,
    resolve: async () => resolveTo,
  };
}

describe('deliverWebhook', () => {
  it('posts the job signed per Standard Webhooks, without its own delivery record', async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const result = await deliverWebhook(deps(['93.184.216.34'], sent), job, 'https://hooks.example.com/cb');
    expect(result).toEqual({ ok: true, status: 204 });
    const headers = sent[0]!.init.headers as Record<string, string>;
    const body = sent[0]!.init.body as string;
    expect(body).toBe(webhookBodyOf(job));
    expect(JSON.parse(body).data.webhook).toBeUndefined();
    expect(headers['webhook-id']).toBe(webhookIdOf(job));
    expect(new Webhook(`whsec_${SECRET}`).verify(body, headers)).toMatchObject({ type: 'job.succeeded', data: { jobId: 'job_1' } });
  });

  it.each([['10.1.2.3'], ['169.254.169.254'], ['127.0.0.1'], ['::1']])('refuses a receiver that resolves to %s', async (address) => {
    const sent: { url: string; init: RequestInit }[] = [];
    const result = await deliverWebhook(deps(['93.184.216.34', address], sent), job, 'https://hooks.example.com/cb');
    expect(result).toEqual({ ok: false, error: expect.stringContaining(`private address (${address})`) });
    expect(sent).toHaveLength(0);
  });

  it('lets the local stack reach receivers on loopback, and nothing else private', async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    expect(await deliverWebhook(deps(['127.0.0.1'], sent, true), job, 'http://127.0.0.1:9/cb')).toEqual({ ok: true, status: 204 });
    expect((await deliverWebhook(deps(['10.0.0.9'], sent, true), job, 'http://internal.example/cb')).ok).toBe(false);
    expect(sent).toHaveLength(1);
  });

  it('reports a non-2xx answer as a failure to retry', async () => {
    const failing = {
      ...deps(['93.184.216.34'], []),
      fetch: (async () => new Response('nope', { status: 503 })) as unknown as typeof fetch,
    };
    expect(await deliverWebhook(failing, job, 'https://hooks.example.com/cb')).toEqual({ ok: false, error: 'HTTP 503' });
  });
});
