// Standard Webhooks (https://www.standardwebhooks.com), the callback signature Kling and Replicate use:
// `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>` entries,
// where the key is the base64-decoded secret (without its `whsec_` prefix).
//
// The `standardwebhooks` package computes the signature. Its own `verify` reads the wall clock and has a fixed
// five-minute window, so the checks around it (headers, timestamp against an injectable clock, constant-time
// comparison against every `v1` entry) are done here.
import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { CallbackRejected } from './errors.ts';

export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

// A type alias (not an interface) so it can be passed wherever plain header records are accepted.
export type StandardWebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way. Default five minutes. */
  toleranceSeconds?: number;
  /** The clock to check the timestamp against. Default the system clock. */
  now?: Date;
}

export type IncomingHeaders = Record<string, string | string[] | undefined> | Headers;

/**
 * Verifies a Standard Webhooks signature and returns the body parsed as JSON.
 * Throws `CallbackRejected` with the reason: missing headers, a malformed or stale timestamp, no matching
 * signature, an unusable secret, or a body that is not JSON.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: IncomingHeaders,
  rawBody: string,
  options: VerifyWebhookOptions = {},
): unknown {
  const webhook = webhookFor(secret, (message) => new CallbackRejected(message));
  const id = headerValue(headers, 'webhook-id');
  const timestampHeader = headerValue(headers, 'webhook-timestamp');
  const signatureHeader = headerValue(headers, 'webhook-signature');
  const missing = [
    ['webhook-id', id],
    ['webhook-timestamp', timestampHeader],
    ['webhook-signature', signatureHeader],
  ]
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length || !id || !timestampHeader || !signatureHeader) {
    throw new CallbackRejected(`missing webhook header(s): ${missing.join(', ')}`);
  }

  if (!/^\d{1,15}$/.test(timestampHeader.trim())) throw new CallbackRejected('webhook-timestamp is not a Unix timestamp');
  const timestampSeconds = Number(timestampHeader.trim());
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  if (nowSeconds - timestampSeconds > tolerance) {
    throw new CallbackRejected(`webhook-timestamp is stale (${nowSeconds - timestampSeconds} s old, tolerance ${tolerance} s)`);
  }
  if (timestampSeconds - nowSeconds > tolerance) {
    throw new CallbackRejected(`webhook-timestamp is in the future (${timestampSeconds - nowSeconds} s ahead, tolerance ${tolerance} s)`);
  }

  const expected = Buffer.from(signatureOf(webhook.sign(id, new Date(timestampSeconds * 1000), rawBody)));
  const matches = signatureHeader
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .some((entry) => {
      const candidate = Buffer.from(signatureOf(entry));
      return candidate.length === expected.length && timingSafeEqual(candidate, expected);
    });
  if (!matches) throw new CallbackRejected('no webhook-signature entry matches the body');

  try {
    return JSON.parse(rawBody) as unknown;
  } catch {
    throw new CallbackRejected('webhook body is not JSON');
  }
}

/** The three headers a Standard Webhooks sender attaches (used by the simulator and tests). */
export function signStandardWebhook(
  secret: string,
  message: { id: string; timestamp: Date | number; body: string },
): StandardWebhookHeaders {
  const webhook = webhookFor(secret, (text) => new Error(text));
  const at = typeof message.timestamp === 'number' ? new Date(message.timestamp * 1000) : message.timestamp;
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': webhook.sign(message.id, at, message.body),
  };
}

/** `whsec_` + base64 of `bytes`: the form secrets are shown in. */
export function formatWebhookSecret(bytes: Uint8Array): string {
  return `whsec_${Buffer.from(bytes).toString('base64')}`;
}

function webhookFor(secret: string, fail: (message: string) => Error): Webhook {
  const trimmed = secret.trim();
  if (trimmed === '' || trimmed === 'whsec_') throw fail('webhook secret is empty');
  try {
    // The package strips an optional `whsec_` prefix and base64-decodes the rest.
    return new Webhook(trimmed);
  } catch {
    throw fail('webhook secret is not valid base64 (with or without the whsec_ prefix)');
  }
}

/** The base64 part of a `v1,<signature>` entry. */
function signatureOf(entry: string): string {
  return entry.slice(entry.indexOf(',') + 1);
}

function headerValue(headers: IncomingHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first !== '') return first;
  }
  return undefined;
}
