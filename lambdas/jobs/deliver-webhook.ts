// The webhook a finished job sends to its caller's callbackUrl, signed per Standard Webhooks with the
// deployment's secret. One event per job: its id is derived from the job and its status, so every retry carries
// the same `webhook-id` (receivers deduplicate on it) and the same body; only the timestamp and signature change.
import type { Job } from '../domain/job.ts';
import { checkPublicUrl } from '../domain/url-policy.ts';
import { signStandardWebhook } from '../domain/webhooks.ts';

export const webhookIdOf = (job: Pick<Job, 'jobId' | 'status'>): string => `msg_${job.jobId}_${job.status}`;

/**
 * The body: the public job, without the webhook's own delivery record (which changes on every attempt), and the
 * share links of its outputs (`links.video`, `links.thumbnail`: no credentials needed) when it succeeded. The links
 * expire a fixed time after the job finished, so every retry sends the same body.
 */
export const webhookBodyOf = (job: Job, links: { video?: string; thumbnail?: string } = {}): string => {
  const { webhook: _delivery, ...rest } = job;
  return JSON.stringify({ type: `job.${job.status.toLowerCase()}`, data: rest, ...(links.video ? { links } : {}) });
};

/** One POST to the receiver, as the composition root sends it: a status back, or an error thrown. */
export type PostWebhook = (
  url: URL,
  request: { headers: Record<string, string>; body: string; timeoutMs: number },
) => Promise<{ status: number }>;

export interface WebhookDeps {
  /**
   * Sends the POST. The deployment wires lambdas/aws/outbound.ts: every address the receiver's host resolves to is
   * checked where the socket connects (public only; loopback too with `allowLoopback`), redirects are not
   * followed. Throws for a refused destination or a network failure.
   */
  post: PostWebhook;
  secret: string;
  now: () => Date;
  /** Milliseconds the receiver has to answer. */
  timeoutMs: number;
  /** Allow receivers on this machine (the local stack only). */
  allowLoopback: boolean;
}

export type DeliveryResult = { ok: true; status: number } | { ok: false; error: string };

/**
 * Delivers the job's webhook once: checks the receiver's URL again as written (https on a public host, or loopback
 * where allowed), signs, posts, and reports how it went. Never throws: any 2xx is delivered; anything else (another
 * status, a refused URL or address, a network error or timeout) is `{ok: false, error}` for the workflow to retry.
 */
export async function deliverWebhook(
  deps: WebhookDeps,
  job: Job,
  callbackUrl: string,
  links: { video?: string; thumbnail?: string } = {},
): Promise<DeliveryResult> {
  const verdict = checkPublicUrl(callbackUrl, { httpsOnly: true, allowLoopback: deps.allowLoopback });
  if (!verdict.ok) return { ok: false, error: `the callbackUrl ${verdict.reason}` };
  const body = webhookBodyOf(job, links);
  try {
    const headers = signStandardWebhook(deps.secret, { id: webhookIdOf(job), timestamp: deps.now(), body });
    const { status } = await deps.post(verdict.url, {
      headers: { 'content-type': 'application/json', 'user-agent': 'klingflow-webhooks', ...headers },
      body,
      timeoutMs: deps.timeoutMs,
    });
    return status >= 200 && status < 300 ? { ok: true, status } : { ok: false, error: `HTTP ${status}` };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
