// The webhook a finished job sends to its caller's callbackUrl, signed per Standard Webhooks with the
// deployment's secret. One event per job: its id is derived from the job and its status, so every retry carries
// the same `webhook-id` (receivers deduplicate on it) and the same body; only the timestamp and signature change.
import { lookup } from 'node:dns/promises';
import type { Job } from '../domain/job.ts';
import { isLoopbackAddress, isPrivateAddress } from '../domain/url-policy.ts';
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

export interface WebhookDeps {
  fetch: typeof fetch;
  secret: string;
  now: () => Date;
  timeoutMs: number;
  /** Allow receivers on this machine (the local stack only). */
  allowLoopback: boolean;
  /** Resolves a host name to its addresses (DNS). */
  resolve?: (host: string) => Promise<string[]>;
}

export type DeliveryResult = { ok: true; status: number } | { ok: false; error: string };

const resolveAll = async (host: string): Promise<string[]> => (await lookup(host, { all: true })).map((a) => a.address);

/** The receiver's addresses must be public now, not only when the URL was checked (DNS can change). */
async function assertPublicReceiver(url: URL, deps: WebhookDeps): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await (deps.resolve ?? resolveAll)(host);
  const blocked = addresses.find((address) => isPrivateAddress(address) && !(deps.allowLoopback && isLoopbackAddress(address)));
  if (blocked) throw new Error(`the receiver ${url.hostname} resolves to a private address (${blocked})`);
}

export async function deliverWebhook(
  deps: WebhookDeps,
  job: Job,
  callbackUrl: string,
  links: { video?: string; thumbnail?: string } = {},
): Promise<DeliveryResult> {
  const url = new URL(callbackUrl);
  const body = webhookBodyOf(job, links);
  try {
    await assertPublicReceiver(url, deps);
    const headers = signStandardWebhook(deps.secret, { id: webhookIdOf(job), timestamp: deps.now(), body });
    const response = await deps.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'klingflow-webhooks', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
    await response.body?.cancel().catch(() => undefined);
    return response.status >= 200 && response.status < 300
      ? { ok: true, status: response.status }
      : { ok: false, error: `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
