// fal's webhooks (fal.ai docs, "Webhooks"), played by the simulator: one POST per request once it is done (not one per
// status change, so the engine's own callback queue is not used), signed with an Ed25519 key pair of the dialect's own
// in fal's header scheme, whose public key the dialect serves as a JWKS.
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { DEFAULT_CALLBACK_RETRY, deliverCallback, type CallbackSigner } from '../callbacks.ts';
import type { SimTask, TaskEngine } from '../engine.ts';

export const FAL_SIM_USER_ID = 'klingflow-simulator-user';

export interface FalSigningKeys {
  privateKey: KeyObject;
  /** `{keys: [...]}` with the one Ed25519 public key. */
  jwks: { keys: Record<string, unknown>[] };
}

export function generateFalSigningKeys(): FalSigningKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { privateKey, jwks: { keys: [{ ...jwk, kid: `sim-${randomUUID()}`, use: 'sig', alg: 'EdDSA' }] } };
}

/** Signs one delivery: `{request_id}\n{user_id}\n{timestamp}\n{sha256_hex(body)}`, hex Ed25519 signature. */
export function falWebhookSigner(privateKey: KeyObject, requestId: string, userId = FAL_SIM_USER_ID): CallbackSigner {
  return (_webhookId, body, now) => {
    const timestamp = String(Math.floor(now.getTime() / 1000));
    const digest = createHash('sha256').update(body, 'utf8').digest('hex');
    const signature = sign(null, Buffer.from(`${requestId}\n${userId}\n${timestamp}\n${digest}`, 'utf8'), privateKey);
    return {
      'x-fal-webhook-request-id': requestId,
      'x-fal-webhook-user-id': userId,
      'x-fal-webhook-timestamp': timestamp,
      'x-fal-webhook-signature': signature.toString('hex'),
    };
  };
}

const WATCH_INTERVAL_MS = 20;
/** A stuck task is watched for this long after its expected end, then forgotten. */
const WATCH_GRACE_MS = 60_000;

export interface WebhookWatch {
  engine: TaskEngine;
  task: SimTask;
  url: string;
  signer: CallbackSigner;
  /** True once the request was cancelled (it is then done too). */
  isCancelled: () => boolean;
  /** The body to send once the request is done. */
  render: () => unknown;
}

/**
 * Waits for the request to be done, then POSTs the webhook (twice for `[sim:duplicate-callback]`, never for
 * `[sim:no-callback]`), retrying failed deliveries like every simulator callback. Keeps the task's callback counters.
 */
export function watchAndCallBack(watch: WebhookWatch): void {
  const { engine, task } = watch;
  if (task.faults.noCallback) return;
  const deadline = Date.now() + task.latencyMs + WATCH_GRACE_MS;
  const tick = () => {
    if (engine.get(task.taskId) !== task || Date.now() > deadline) return; // reset, or stuck for good
    const done = watch.isCancelled() || task.status === 'succeeded' || task.status === 'failed';
    if (!done) {
      setTimeout(tick, WATCH_INTERVAL_MS).unref();
      return;
    }
    const payload = watch.render();
    const times = task.faults.duplicateCallback ? 2 : 1;
    void (async () => {
      for (let sent = 0; sent < times; sent += 1) await deliver(watch, payload);
    })();
  };
  setTimeout(tick, WATCH_INTERVAL_MS).unref();
}

async function deliver(watch: WebhookWatch, payload: unknown): Promise<void> {
  const { task } = watch;
  task.callbacksSent += 1;
  const outcome = await deliverCallback(
    { url: watch.url, payload, webhookId: `msg_${randomUUID()}` },
    {
      signer: watch.signer,
      retry: DEFAULT_CALLBACK_RETRY,
      signal: AbortSignal.timeout(WATCH_GRACE_MS),
      onAttempt: () => {
        task.callbackAttempts += 1;
      },
    },
  );
  if (outcome.delivered) task.callbacksDelivered += 1;
  else task.lastCallbackError = outcome.lastError ?? 'delivery abandoned';
}
