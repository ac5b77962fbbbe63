// SendWebhook / WebhookGaveUp: POST the finished job to its callbackUrl, signed with the deployment's secret.
// A failed delivery throws WebhookDeliveryFailed, which the workflow retries with backoff (same webhook-id);
// after the last retry the workflow calls again with `gaveUp`, and the failure is recorded on the job. The
// job's outcome never changes because of its webhook.
import { isTerminal, toPublicJob } from '../domain/job.ts';
import { causeMessage, WEBHOOK_DELIVERY_FAILED, WebhookPayload } from '../workflow/contract.ts';
import { deliverWebhook, webhookIdOf } from '../jobs/deliver-webhook.ts';
import { config } from '../aws/env.ts';
import { postOutbound } from '../aws/outbound.ts';
import { shareLinksFor } from '../aws/runtime/share-links.ts';
import { jobStore } from '../aws/runtime/store.ts';
import { webhookSecret } from '../aws/secrets.ts';
import { taskHandler } from '../aws/task-handler.ts';

class WebhookDeliveryFailed extends Error {
  override readonly name = WEBHOOK_DELIVERY_FAILED;
}

export const handler = taskHandler('webhook', WebhookPayload, async ({ jobId, gaveUp }, log) => {
  const store = jobStore();
  const job = await store.require(jobId);
  const callbackUrl = job.request.callbackUrl;
  if (!callbackUrl) return { sent: false };
  if (!isTerminal(job.status)) throw new Error(`job ${jobId} is ${job.status}; webhooks go out for finished jobs`);
  const id = webhookIdOf(job);

  if (gaveUp) {
    const reason = causeMessage(gaveUp);
    await store.recordWebhook(jobId, { id, status: 'failed', lastError: reason });
    log.warn('webhook given up', { webhookId: id, reason });
    return { sent: false };
  }
  if (job.webhook?.status === 'delivered' && job.webhook.id === id) return { sent: true };

  const allowLoopback = config.allowLoopbackCallbackUrls();
  const result = await deliverWebhook(
    {
      // The receiver's addresses are checked where the socket connects, on every attempt (DNS can change).
      post: (url, request) => postOutbound(url, request, { allowLoopback }),
      secret: await webhookSecret(),
      now: () => new Date(),
      timeoutMs: 10_000,
      allowLoopback,
    },
    toPublicJob(job),
    callbackUrl,
    await shareLinksFor(job),
  );
  if (result.ok) {
    await store.recordWebhook(jobId, { id, status: 'delivered', countAttempt: true });
    log.info('webhook delivered', { webhookId: id, status: result.status });
    return { sent: true };
  }
  await store.recordWebhook(jobId, { id, status: 'pending', countAttempt: true, lastError: result.error });
  throw new WebhookDeliveryFailed(`webhook ${id} to ${new URL(callbackUrl).host} failed: ${result.error}`);
});
