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

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The use case with a fake POST (the address check behind the real one is tested in test/unit/aws/outbound.test.ts). */
function deps(sent: Sent[], status = 204, allowLoopback = false): WebhookDeps {
  return {
    post: async (url, request) => {
      sent.push({ url: url.href, headers: request.headers, body: request.body });
      return { status };
    },
    secret: SECRET,
    now: () => new Date(),
    timeoutMs: 1000,
    allowLoopback,
  };
}

describe('deliverWebhook', () => {
  it('posts the job signed per Standard Webhooks, without its own delivery record', async () => {
    const sent: Sent[] = [];
    const result = await deliverWebhook(deps(sent), job, 'https://hooks.example.com/cb');
    expect(result).toEqual({ ok: true, status: 204 });
    const { headers, body } = sent[0]!;
    expect(body).toBe(webhookBodyOf(job));
    expect(JSON.parse(body).data.webhook).toBeUndefined();
    expect(headers['webhook-id']).toBe(webhookIdOf(job));
    expect(new Webhook(`whsec_${SECRET}`).verify(body, headers)).toMatchObject({ type: 'job.succeeded', data: { jobId: 'job_1' } });
  });

  it.each([
    ['https://10.1.2.3/cb', "the callbackUrl must name a public host, not '10.1.2.3'"],
    ['https://169.254.169.254/cb', "the callbackUrl must name a public host, not '169.254.169.254'"],
    ['https://[::ffff:0:7f00:1]/cb', "the callbackUrl must name a public host, not '[::ffff:0:7f00:1]'"],
    ['http://hooks.example.com/cb', 'the callbackUrl must use https'],
  ])('checks the URL again as written before sending: %s', async (url, error) => {
    const sent: Sent[] = [];
    expect(await deliverWebhook(deps(sent), job, url)).toEqual({ ok: false, error });
    expect(sent).toHaveLength(0);
  });

  it('lets the local stack reach receivers on loopback, over http, and nothing else private', async () => {
    const sent: Sent[] = [];
    expect(await deliverWebhook(deps(sent, 204, true), job, 'http://127.0.0.1:9/cb')).toEqual({ ok: true, status: 204 });
    expect((await deliverWebhook(deps(sent, 204, true), job, 'http://10.0.0.9/cb')).ok).toBe(false);
    expect(sent.map((s) => s.url)).toEqual(['http://127.0.0.1:9/cb']);
  });

  it('posts to the normalised URL', async () => {
    const sent: Sent[] = [];
    await deliverWebhook(deps(sent), job, 'HTTPS://Hooks.Example.com.:443/cb#x');
    expect(sent[0]!.url).toBe('https://hooks.example.com/cb');
  });

  it('reports a non-2xx answer, or a refused or failed POST, as a failure to retry', async () => {
    expect(await deliverWebhook(deps([], 503), job, 'https://hooks.example.com/cb')).toEqual({ ok: false, error: 'HTTP 503' });
    const refusing: WebhookDeps = {
      ...deps([]),
      post: async () => {
        throw new Error('hooks.example.com resolves to 10.0.0.1, a private address; only public addresses are allowed');
      },
    };
    expect(await deliverWebhook(refusing, job, 'https://hooks.example.com/cb')).toEqual({
      ok: false,
      error: 'hooks.example.com resolves to 10.0.0.1, a private address; only public addresses are allowed',
    });
  });
});
