// Delivers one callback event: POST the JSON payload with the headers its dialect's signer adds (Standard
// Webhooks, Ed25519, or none), retrying non-2xx answers and connection errors with a short backoff. Never throws.
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';

export interface CallbackRetryPolicy {
  maxAttempts: number;
  initialBackoffMs: number;
  timeoutMs: number;
}

export const DEFAULT_CALLBACK_RETRY: CallbackRetryPolicy = { maxAttempts: 4, initialBackoffMs: 100, timeoutMs: 5_000 };

export interface CallbackEvent {
  url: string;
  payload: unknown;
  /** Same id on every retry of this event (`webhook-id`). */
  webhookId: string;
}

/** Signing headers for one delivery of a callback body (called again on every retry). */
export type CallbackSigner = (webhookId: string, body: string, now: Date) => Record<string, string>;

/** The Standard Webhooks signer (Kling, Replicate). */
export function standardWebhooksSigner(secret: string): CallbackSigner {
  const webhook = new Webhook(secret);
  return (webhookId, body, now) => ({
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': webhook.sign(webhookId, now, body),
  });
}

export interface DeliveryOutcome {
  delivered: boolean;
  attempts: number;
  lastError: string | null;
}

export async function deliverCallback(
  event: CallbackEvent,
  options: { signer?: CallbackSigner; retry: CallbackRetryPolicy; signal: AbortSignal; onAttempt?: () => void },
): Promise<DeliveryOutcome> {
  const body = JSON.stringify(event.payload);
  const signer = options.signer ?? null;
  let lastError: string | null = null;
  let attempts = 0;

  while (attempts < options.retry.maxAttempts && !options.signal.aborted) {
    if (attempts > 0 && !(await pause(options.retry.initialBackoffMs * 2 ** (attempts - 1), options.signal))) break;
    attempts += 1;
    options.onAttempt?.();
    try {
      const response = await fetch(event.url, {
        method: 'POST',
        headers: buildHeaders(event.webhookId, body, signer),
        body,
        signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.retry.timeoutMs)]),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return { delivered: true, attempts, lastError: null };
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }
  return { delivered: false, attempts, lastError };
}

function buildHeaders(webhookId: string, body: string, signer: CallbackSigner | null): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'klingflow-simulator',
    ...(signer ? signer(webhookId, body, new Date()) : {}),
  };
}

/** Resolves true after `ms`, or false early if the signal aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
